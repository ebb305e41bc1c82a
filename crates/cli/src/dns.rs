//! `demail dns example.org [--provider ID]`: check an own domain's mail records and print the
//! records to add. English text for now; the site words the same findings from the locale files.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use demail_catalog::Catalog;
use demail_dns::{
    Check, CheckKind, DmarcPolicy, DomainName, DomainReport, Finding, FixAction, Importance, LookupError,
    Outcome, ProviderExpectations, ResolverSettings, SpfIncludeProblem, Status,
};

/// Check the DNS records of your own domain: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT and mail-app
/// autoconfiguration. Exits with 0 when nothing required is missing or wrong, 1 otherwise.
#[derive(clap::Args, Debug)]
pub struct DnsArgs {
    /// The domain to check, e.g. example.org (an address such as me@example.org works too).
    pub domain: String,
    /// Compare with what this provider asks for (its catalogue id, e.g. "migadu").
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Ask this DNS server instead of the system's (for tests and debugging).
    #[arg(long, value_name = "IP:PORT")]
    pub nameserver: Option<SocketAddr>,
    /// Seconds to wait for each DNS answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    pub timeout: u64,
}

/// Runs the checks and prints the report.
pub async fn run(args: DnsArgs, catalog: &Catalog) -> anyhow::Result<ExitCode> {
    let domain = DomainName::parse(&args.domain)?;
    let expectations = match &args.provider {
        None => ProviderExpectations::none(),
        Some(id) => {
            let provider = catalog.get(id).with_context(|| {
                let ids: Vec<&str> = catalog.providers().iter().map(|p| p.id.as_str()).collect();
                format!("no provider {id:?} in the catalogue; known ids: {}", ids.join(", "))
            })?;
            ProviderExpectations::from_provider(provider)
        }
    };
    let settings = ResolverSettings { timeout: Duration::from_secs(args.timeout.max(1)), attempts: 2 };
    let resolver = match args.nameserver {
        Some(addr) => demail_dns::resolver_at(addr, &settings)?,
        None => demail_dns::system_resolver(&settings)?,
    };
    let report = demail_dns::check_domain(&domain, &expectations, &resolver).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(if report.status() <= Status::Warning { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The report as English text.
pub fn render(report: &DomainReport) -> String {
    let mut out = String::new();
    let against = match &report.provider {
        Some(id) => format!(" (compared with what provider \"{id}\" asks for)"),
        None => " (generic checks: add --provider ID to compare with your host)".into(),
    };
    let _ = writeln!(out, "Mail records of {}{against}", report.domain);
    match &report.outcome {
        Outcome::DomainNotFound => {
            let _ = writeln!(
                out,
                "\nThis domain does not exist in the DNS. Check the spelling, or whether it is still registered."
            );
            return out;
        }
        Outcome::LookupFailed { error } => {
            let _ = writeln!(out, "\nNothing could be checked: {error}.");
            let _ = writeln!(out, "Check your Internet connection, or try again later.");
            return out;
        }
        Outcome::Checked => {}
    }
    out.push('\n');
    for check in &report.checks {
        render_check(&mut out, check);
    }
    let fixes: Vec<_> = report.fixes().collect();
    if !fixes.is_empty() {
        let _ = writeln!(out, "\nChanges to make in your domain's DNS zone (at your registrar or DNS host):");
        for fix in &fixes {
            let verb = match fix.action {
                FixAction::Add => "add   ",
                FixAction::Remove => "remove",
            };
            let _ = writeln!(out, "  {verb} {}", fix.record);
        }
        if fixes.iter().any(|f| f.placeholder) {
            let _ = writeln!(out, "  (replace <…> with the value shown in your provider's control panel)");
        }
    }
    let _ = writeln!(out, "\nOverall: {}", overall(report.status()));
    out
}

fn render_check(out: &mut String, check: &Check) {
    let optional = if check.importance == Importance::Optional { " (optional)" } else { "" };
    let _ = writeln!(out, "[{}] {}{optional}", label(check.status), title(check.kind));
    for note in &check.notes {
        let _ = writeln!(out, "    {} {}", mark(note.status), describe(&note.finding));
    }
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok     ",
        Status::Warning => "warning",
        Status::Missing => "missing",
        Status::Error => "error  ",
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Ok => "-",
        Status::Warning => "!",
        Status::Missing | Status::Error => "x",
    }
}

fn overall(status: Status) -> &'static str {
    match status {
        Status::Ok => "all good.",
        Status::Warning => "works, with points to improve.",
        Status::Missing => "records are missing: add the ones listed above.",
        Status::Error => "some records are wrong: fix the ones listed above.",
    }
}

fn title(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Mx => "MX: servers that receive your mail",
        CheckKind::Spf => "SPF: servers allowed to send your mail",
        CheckKind::Dkim => "DKIM: signature keys",
        CheckKind::Dmarc => "DMARC: what receivers do with forged mail",
        CheckKind::MtaSts => "MTA-STS: encrypted delivery required",
        CheckKind::TlsRpt => "TLS-RPT: reports on encrypted delivery",
        CheckKind::Autoconfig => "Mail app set-up (SRV records)",
        CheckKind::Autodiscover => "Mail app set-up (autoconfig / autodiscover names)",
    }
}

fn describe(finding: &Finding) -> String {
    match finding {
        Finding::LookupFailed { name, record_type, error } => {
            format!("could not read the {record_type} record of {name}: {}", lookup_error(error))
        }
        Finding::MxMissing => "no MX record: other servers do not know where to deliver your mail".into(),
        Finding::MxFound { hosts } => {
            let list: Vec<String> = hosts.iter().map(|h| format!("{} ({})", h.host, h.preference)).collect();
            format!("mail goes to {}", list.join(", "))
        }
        Finding::MxNull => "a \"null MX\" says this domain receives no mail at all".into(),
        Finding::MxMatchesProvider => "these are your provider's servers".into(),
        Finding::MxProviderHostsMissing { hosts } => {
            format!("your provider's server(s) {} are not listed", hosts.join(", "))
        }
        Finding::MxForeignHosts { hosts } => {
            format!("{} is not your provider's: some mail may go there (a previous host?)", hosts.join(", "))
        }
        Finding::MxHostWithoutAddress { host } => {
            format!("{host} has no address: mail to it cannot be delivered")
        }
        Finding::SpfMissing => "no SPF record: receivers cannot tell which servers may send as you".into(),
        Finding::SpfFound { record, lookups } => {
            format!("{record} ({lookups} DNS lookups out of 10 allowed)")
        }
        Finding::SpfMultiple { count } => {
            format!("{count} SPF records: there must be exactly one, receivers reject them all")
        }
        Finding::SpfSyntax { record, term } => match term {
            Some(term) => format!("\"{record}\" is not valid SPF: \"{term}\" is not allowed"),
            None => format!("\"{record}\" is not valid SPF"),
        },
        Finding::SpfTooManyLookups { lookups, limit } => {
            format!(
                "{lookups} DNS lookups: more than {limit}, so receivers treat SPF as broken; remove unused includes"
            )
        }
        Finding::SpfLoop { chain } => format!("includes go round in a circle: {}", chain.join(" → ")),
        Finding::SpfIncludeBroken { domain, problem } => {
            let why = match problem {
                SpfIncludeProblem::DomainNotFound => "does not exist".to_owned(),
                SpfIncludeProblem::NoSpfRecord => "has no SPF record".to_owned(),
                SpfIncludeProblem::MultipleRecords => "has several SPF records".to_owned(),
                SpfIncludeProblem::Syntax { record } => format!("has an invalid SPF record \"{record}\""),
                SpfIncludeProblem::Lookup { error } => format!("could not be read ({})", lookup_error(error)),
            };
            format!("included {domain} {why}: receivers treat SPF as broken")
        }
        Finding::SpfMacroNotFollowed { term } => {
            format!("\"{term}\" depends on each message; it was not followed")
        }
        Finding::SpfAllowsEveryone => {
            "\"+all\" lets anyone send mail as you: end the record with ~all or -all".into()
        }
        Finding::SpfNeutralDefault => {
            "the record does not end with ~all or -all, so it protects nothing".into()
        }
        Finding::SpfProviderIncludeMissing { include } => {
            format!("include:{include} is missing: your provider's servers are not allowed to send")
        }
        Finding::DkimFound { selector } => format!("key found for selector \"{selector}\""),
        Finding::DkimSelectorMissing { selector } => {
            format!("no key for selector \"{selector}\": copy it from your provider's control panel")
        }
        Finding::DkimRevoked { selector } => {
            format!("the key for selector \"{selector}\" is revoked (empty)")
        }
        Finding::DkimInvalid { selector, record } => {
            format!("the record for selector \"{selector}\" is not a valid DKIM key: \"{record}\"")
        }
        Finding::DkimNoneAmongCommon { tried } => format!(
            "no key under the usual selectors ({}); yours may use another name: ask your provider",
            tried.join(", ")
        ),
        Finding::DmarcMissing => "no DMARC record: forged mail in your name is not blocked".into(),
        Finding::DmarcMultiple { count } => format!("{count} DMARC records: receivers ignore them all"),
        Finding::DmarcSyntax { record } => format!("\"{record}\" is not a valid DMARC record"),
        Finding::DmarcFound { record, policy, subdomain_policy, rua } => {
            let reports =
                if rua.is_empty() { String::new() } else { format!("; reports go to {}", rua.join(", ")) };
            format!(
                "{record} (policy: {}, subdomains: {}{reports})",
                policy_name(*policy),
                policy_name(*subdomain_policy)
            )
        }
        Finding::DmarcMonitoringOnly => {
            "p=none only watches: once SPF and DKIM work, use p=quarantine or p=reject".into()
        }
        Finding::DmarcNoReports => {
            "no rua= address: nobody receives the DMARC reports (fine for most people)".into()
        }
        Finding::DmarcReportsNotAuthorized { address, authorization } => format!(
            "reports to {address} are not sent: that domain must first publish {authorization} (ask the \
             report service)"
        ),
        Finding::MtaStsMissing => {
            "no MTA-STS record (it also needs a policy file on https://mta-sts.<your domain>/)".into()
        }
        Finding::MtaStsFound { id, policy_url } => {
            format!("record found (id {id}); the policy file {policy_url} was not fetched (DNS-only check)")
        }
        Finding::MtaStsMultiple { count } => format!("{count} MTA-STS records: there must be one"),
        Finding::MtaStsSyntax { record } => format!("\"{record}\" is not a valid MTA-STS record"),
        Finding::MtaStsPolicyHostMissing { host } => {
            format!("{host} does not exist, so the policy cannot be served")
        }
        Finding::TlsRptMissing => "no TLS-RPT record: nobody is told when encrypted delivery fails".into(),
        Finding::TlsRptFound { rua } => format!("reports go to {}", rua.join(", ")),
        Finding::TlsRptMultiple { count } => format!("{count} TLS-RPT records: there must be one"),
        Finding::TlsRptSyntax { record } => format!("\"{record}\" is not a valid TLS-RPT record"),
        Finding::SrvFound { service, target, port } => format!("{service} → {target}, port {port}"),
        Finding::SrvMissing { service } => format!("no {service} record: mail apps cannot find the server"),
        Finding::SrvNotOffered { service } => format!("{service} says the service is not offered"),
        Finding::SrvUnexpectedTarget { service, found, expected } => {
            format!("{service} points to {found}, your provider uses {expected}")
        }
        Finding::HostFound { host, target } => match target {
            Some(target) => format!("{host} → {target}"),
            None => format!("{host} exists"),
        },
        Finding::AutodiscoverMissing { tried } => {
            format!("none of {} exist (mail apps then need manual set-up)", tried.join(", "))
        }
    }
}

fn policy_name(policy: DmarcPolicy) -> &'static str {
    match policy {
        DmarcPolicy::None => "none",
        DmarcPolicy::Quarantine => "quarantine",
        DmarcPolicy::Reject => "reject",
        DmarcPolicy::Unspecified => "not set",
    }
}

fn lookup_error(error: &LookupError) -> String {
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use demail_dns::{DnsRecord, Fix, Note, RecordData};

    fn report(outcome: Outcome, checks: Vec<Check>) -> DomainReport {
        DomainReport { domain: "example.org".into(), provider: Some("host".into()), outcome, checks }
    }

    #[test]
    fn a_missing_record_is_shown_with_the_zone_line_to_add() {
        let fix = Fix {
            action: FixAction::Add,
            record: DnsRecord {
                name: "example.org.".into(),
                data: RecordData::Mx { preference: 10, exchange: "mx1.host.tld".into() },
            },
            placeholder: false,
        };
        let check = Check {
            kind: CheckKind::Mx,
            importance: Importance::Required,
            status: Status::Missing,
            notes: vec![Note { status: Status::Missing, finding: Finding::MxMissing }],
            fixes: vec![fix],
        };
        let text = render(&report(Outcome::Checked, vec![check]));
        assert!(text.contains("[missing] MX: servers that receive your mail\n"), "{text}");
        assert!(text.contains("  add    example.org. IN MX 10 mx1.host.tld.\n"), "{text}");
        assert!(text.ends_with("Overall: records are missing: add the ones listed above.\n"), "{text}");
    }

    #[test]
    fn an_unknown_domain_says_so_and_nothing_else() {
        let text = render(&report(Outcome::DomainNotFound, Vec::new()));
        assert_eq!(
            text,
            "Mail records of example.org (compared with what provider \"host\" asks for)\n\nThis domain \
             does not exist in the DNS. Check the spelling, or whether it is still registered.\n"
        );
    }
}
