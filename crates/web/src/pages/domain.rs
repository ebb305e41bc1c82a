//! `/domaine`: check an own domain's mail records (the dns engine) and show the lines to add.

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use demail_dns::{
    Check, CheckKind, DomainName, DomainReport, FixAction, Importance, Outcome, ProviderExpectations,
    ResolverSettings, Status,
};

use super::{Ctx, error_page, render};
use crate::Site;
use crate::view::Loc;

/// The page's route, merged into the site's router.
pub fn routes() -> Router<Site> {
    Router::new().route("/domaine", get(page))
}

#[derive(Template)]
#[template(path = "domain.html")]
struct DomainPage {
    l: Loc,
    switch: String,
    domain: String,
    providers: Vec<ProviderOption>,
    result: Option<ResultView>,
}

struct ProviderOption {
    id: String,
    name: String,
    selected: bool,
}

struct ResultView {
    title: String,
    against: String,
    /// Set when nothing could be checked.
    failure: Option<String>,
    checks: Vec<CheckView>,
    fixes: Vec<FixView>,
    placeholder: bool,
    overall: String,
    status_class: &'static str,
}

struct CheckView {
    title: String,
    status: String,
    optional: bool,
    notes: Vec<String>,
}

struct FixView {
    action: String,
    record: String,
}

async fn page(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/domaine", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let value = |key: &str| ctx.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string());
    let domain_input = value("domaine").unwrap_or_default();
    let provider_id = value("fournisseur").filter(|p| !p.is_empty());
    let provider = match &provider_id {
        None => None,
        Some(id) => match site.catalog().get(id) {
            Some(p) => Some(p),
            None => return error_page(l.lang, StatusCode::BAD_REQUEST, "domain-error-provider"),
        },
    };
    let mut providers: Vec<ProviderOption> = site
        .catalog()
        .providers()
        .iter()
        .map(|p| ProviderOption {
            id: p.id.clone(),
            name: p.name.clone(),
            selected: provider_id.as_deref() == Some(p.id.as_str()),
        })
        .collect();
    providers.sort_by_key(|p| p.name.to_lowercase());

    let result = if domain_input.is_empty() {
        None
    } else {
        let Ok(domain) = DomainName::parse(&domain_input) else {
            return error_page(l.lang, StatusCode::BAD_REQUEST, "domain-error-bad");
        };
        let expectations =
            provider.map_or_else(ProviderExpectations::none, ProviderExpectations::from_provider);
        let report = match demail_dns::system_resolver(&ResolverSettings::default()) {
            Ok(resolver) => demail_dns::check_domain(&domain, &expectations, &resolver).await,
            Err(e) => {
                tracing::error!("dns resolver: {e}");
                DomainReport {
                    domain: domain.as_str().to_owned(),
                    provider: provider_id.clone(),
                    outcome: Outcome::LookupFailed {
                        error: demail_dns::LookupError::Other { detail: e.to_string() },
                    },
                    checks: Vec::new(),
                }
            }
        };
        Some(view(&l, &report, provider.map(|p| p.name.as_str())))
    };
    let page = DomainPage { l, switch: ctx.switch_href(), domain: domain_input, providers, result };
    render(StatusCode::OK, &page)
}

/// The report in the reader's language.
fn view(l: &Loc, report: &DomainReport, provider: Option<&str>) -> ResultView {
    let failure = match &report.outcome {
        Outcome::Checked => None,
        Outcome::DomainNotFound => Some(l.t("domain-not-found")),
        Outcome::LookupFailed { .. } => Some(l.t("domain-lookup-failed")),
    };
    let fixes: Vec<FixView> = report
        .fixes()
        .map(|f| FixView {
            action: l.t(match f.action {
                FixAction::Add => "domain-fix-add",
                FixAction::Remove => "domain-fix-remove",
            }),
            record: f.record.to_string(),
        })
        .collect();
    let status = report.status();
    ResultView {
        title: l.t_args("domain-results-title", &[("domain", report.domain.clone())]),
        against: match provider {
            Some(name) => l.t_args("domain-compared", &[("provider", name.to_string())]),
            None => l.t("domain-generic"),
        },
        failure,
        checks: report.checks.iter().map(|c| check_view(l, c)).collect(),
        placeholder: report.fixes().any(|f| f.placeholder),
        fixes,
        overall: l.t(&format!("domain-overall-{}", status_key(status))),
        status_class: if status <= Status::Warning { "checked" } else { "notice" },
    }
}

fn check_view(l: &Loc, check: &Check) -> CheckView {
    CheckView {
        title: l.t(&format!("domain-check-{}", kind_key(check.kind))),
        status: l.t(&format!("domain-status-{}", status_key(check.status))),
        optional: check.importance == Importance::Optional,
        notes: check.notes.iter().map(|n| finding_text(l, &n.finding)).collect(),
    }
}

/// A finding's sentence: the `dns-<key>` message with the finding's fields as arguments (lists
/// joined with commas). The engine serialises each finding with a kebab-case `key` for this.
fn finding_text(l: &Loc, finding: &demail_dns::Finding) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(finding) else {
        return String::new();
    };
    let key = map.get("key").and_then(|k| k.as_str()).unwrap_or_default();
    let args: Vec<(&'static str, String)> =
        map.iter().filter_map(|(name, value)| Some((arg_name(name)?, flatten(value)))).collect();
    l.t_args(&format!("dns-{key}"), &args)
}

/// Fluent wants `&'static str` argument names: the finding fields the locale files use.
fn arg_name(field: &str) -> Option<&'static str> {
    const NAMES: [&str; 24] = [
        "name",
        "record_type",
        "hosts",
        "host",
        "record",
        "lookups",
        "count",
        "term",
        "limit",
        "chain",
        "domain",
        "include",
        "selector",
        "tried",
        "address",
        "authorization",
        "policy_url",
        "rua",
        "service",
        "target",
        "port",
        "found",
        "expected",
        "id",
    ];
    NAMES.into_iter().find(|n| *n == field)
}

fn flatten(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(flatten).collect::<Vec<_>>().join(", "),
        serde_json::Value::Object(map) => {
            // An MX host: `host (preference)`.
            match (map.get("host"), map.get("preference")) {
                (Some(h), Some(p)) => format!("{} ({})", flatten(h), flatten(p)),
                _ => map.get("kind").map(flatten).unwrap_or_default(),
            }
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn kind_key(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Mx => "mx",
        CheckKind::Spf => "spf",
        CheckKind::Dkim => "dkim",
        CheckKind::Dmarc => "dmarc",
        CheckKind::MtaSts => "mta-sts",
        CheckKind::TlsRpt => "tls-rpt",
        CheckKind::Autoconfig => "autoconfig",
        CheckKind::Autodiscover => "autodiscover",
    }
}

fn status_key(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warning => "warning",
        Status::Missing => "missing",
        Status::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use demail_dns::{Finding, MxHost};

    #[test]
    fn every_finding_has_a_sentence_in_both_languages() {
        let samples = [
            Finding::MxMissing,
            Finding::MxFound { hosts: vec![MxHost { preference: 10, host: "mx1.host.tld".into() }] },
            Finding::SpfTooManyLookups { lookups: 12, limit: 10 },
            Finding::DkimNoneAmongCommon { tried: vec!["default".into(), "mail".into()] },
            Finding::DmarcMonitoringOnly,
            Finding::SrvFound { service: "_imaps._tcp".into(), target: "imap.host.tld".into(), port: 993 },
            Finding::AutodiscoverMissing { tried: vec!["autoconfig.x.org".into()] },
        ];
        for lang in [Lang::Fr, Lang::En] {
            let l = Loc { lang, explicit: false };
            for f in &samples {
                let text = finding_text(&l, f);
                assert!(!text.is_empty() && !text.starts_with("dns-"), "{f:?} in {}: {text}", lang.code());
            }
        }
        let l = Loc { lang: Lang::Fr, explicit: false };
        assert_eq!(
            finding_text(
                &l,
                &Finding::MxFound { hosts: vec![MxHost { preference: 10, host: "mx1.h.tld".into() }] }
            ),
            "Le courrier arrive chez : mx1.h.tld (10)."
        );
        assert!(finding_text(&l, &Finding::SpfTooManyLookups { lookups: 12, limit: 10 }).starts_with("12 "));
    }
}
