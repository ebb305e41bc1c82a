//! Policy records under fixed names: DMARC (`_dmarc.`), MTA-STS (`_mta-sts.`) and TLS-RPT
//! (`_smtp._tls.`), parsed with mail-auth.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::{Dmarc, Policy};
use mail_auth::mta_sts::{MtaSts, ReportUri, TlsRpt};

use crate::DomainName;
use crate::lookup::Dns;
use crate::report::{Check, CheckKind, DmarcPolicy, DnsRecord, Finding, Fix, Note, RecordData, Status};

/// Published when DMARC is missing: with SPF and DKIM in place, unauthenticated mail goes to spam.
pub const SUGGESTED_DMARC: &str = "v=DMARC1; p=quarantine";

pub(crate) async fn check_dmarc(dns: &Dns<'_>, domain: &DomainName) -> Check {
    let name = domain.prefixed("_dmarc");
    let records = match versioned_records(dns, &name, "DMARC1").await {
        Ok(r) => r,
        Err(note) => return Check::new(CheckKind::Dmarc, vec![note], Vec::new()),
    };
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    let txt = |text: &str| DnsRecord::new(&name, RecordData::Txt { text: text.to_owned() });
    match records.as_slice() {
        [] => {
            notes.push(Note::new(Status::Missing, Finding::DmarcMissing));
            fixes.push(Fix::add(txt(SUGGESTED_DMARC)));
        }
        [record] => match Dmarc::parse(record.as_bytes()) {
            Err(_) => {
                notes.push(Note::new(Status::Error, Finding::DmarcSyntax { record: record.clone() }));
                fixes.push(Fix::remove(txt(record)));
                fixes.push(Fix::add(txt(SUGGESTED_DMARC)));
            }
            Ok(dmarc) => {
                let policy = dmarc_policy(&dmarc.p);
                let rua: Vec<String> = dmarc.rua.iter().map(|u| u.uri().to_owned()).collect();
                let no_reports = rua.is_empty();
                let unauthorized = unauthorized_report_addresses(dns, domain, &rua).await;
                notes.push(Note::new(
                    Status::Ok,
                    Finding::DmarcFound {
                        record: record.clone(),
                        policy,
                        subdomain_policy: dmarc_policy(&dmarc.sp),
                        rua,
                    },
                ));
                if matches!(policy, DmarcPolicy::None | DmarcPolicy::Unspecified) {
                    notes.push(Note::new(Status::Warning, Finding::DmarcMonitoringOnly));
                }
                if no_reports {
                    notes.push(Note::new(Status::Ok, Finding::DmarcNoReports));
                }
                for (address, authorization) in unauthorized {
                    notes.push(Note::new(
                        Status::Warning,
                        Finding::DmarcReportsNotAuthorized { address, authorization },
                    ));
                }
            }
        },
        many => {
            notes.push(Note::new(Status::Error, Finding::DmarcMultiple { count: many.len() }));
            fixes.extend(many.iter().map(|r| Fix::remove(txt(r))));
            fixes.push(Fix::add(txt(SUGGESTED_DMARC)));
        }
    }
    Check::new(CheckKind::Dmarc, notes, fixes)
}

pub(crate) async fn check_mta_sts(dns: &Dns<'_>, domain: &DomainName) -> Check {
    let name = domain.prefixed("_mta-sts");
    let records = match versioned_records(dns, &name, "STSv1").await {
        Ok(r) => r,
        Err(note) => return Check::new(CheckKind::MtaSts, vec![note], Vec::new()),
    };
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    match records.as_slice() {
        [] => {
            notes.push(Note::new(Status::Missing, Finding::MtaStsMissing));
            let text = "v=STSv1; id=1".to_owned();
            fixes.push(Fix::add(DnsRecord::new(&name, RecordData::Txt { text })));
        }
        [record] => match MtaSts::parse(record.as_bytes()) {
            Err(_) => notes.push(Note::new(Status::Error, Finding::MtaStsSyntax { record: record.clone() })),
            Ok(sts) => {
                let host = domain.prefixed("mta-sts");
                let policy_url = format!("https://{host}/.well-known/mta-sts.txt");
                notes.push(Note::new(Status::Ok, Finding::MtaStsFound { id: sts.id, policy_url }));
                match dns.has_address(&host).await {
                    Ok(true) => {}
                    Ok(false) => {
                        notes.push(Note::new(Status::Error, Finding::MtaStsPolicyHostMissing { host }))
                    }
                    Err(error) => notes.push(Note::new(
                        Status::Warning,
                        Finding::LookupFailed { name: host, record_type: "A".into(), error },
                    )),
                }
            }
        },
        many => notes.push(Note::new(Status::Error, Finding::MtaStsMultiple { count: many.len() })),
    }
    Check::new(CheckKind::MtaSts, notes, fixes)
}

pub(crate) async fn check_tls_rpt(dns: &Dns<'_>, domain: &DomainName) -> Check {
    let name = domain.prefixed("_smtp._tls");
    let records = match versioned_records(dns, &name, "TLSRPTv1").await {
        Ok(r) => r,
        Err(note) => return Check::new(CheckKind::TlsRpt, vec![note], Vec::new()),
    };
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    match records.as_slice() {
        [] => {
            notes.push(Note::new(Status::Missing, Finding::TlsRptMissing));
            let text = format!("v=TLSRPTv1; rua=mailto:postmaster@{domain}");
            fixes.push(Fix::add(DnsRecord::new(&name, RecordData::Txt { text })));
        }
        [record] => match TlsRpt::parse(record.as_bytes()) {
            Err(_) => notes.push(Note::new(Status::Error, Finding::TlsRptSyntax { record: record.clone() })),
            Ok(rpt) => {
                let rua = rpt
                    .rua
                    .into_iter()
                    .map(|u| match u {
                        ReportUri::Mail(address) => format!("mailto:{address}"),
                        ReportUri::Http(url) => url,
                    })
                    .collect();
                notes.push(Note::new(Status::Ok, Finding::TlsRptFound { rua }));
            }
        },
        many => notes.push(Note::new(Status::Error, Finding::TlsRptMultiple { count: many.len() })),
    }
    Check::new(CheckKind::TlsRpt, notes, fixes)
}

/// Report addresses at another organisation's domain that has not published its consent
/// (`<domain>._report._dmarc.<rua domain>` with `v=DMARC1`), each with the name that was asked.
/// A lookup failure is not held against the address.
async fn unauthorized_report_addresses(
    dns: &Dns<'_>,
    domain: &DomainName,
    rua: &[String],
) -> Vec<(String, String)> {
    let mut unauthorized = Vec::new();
    for address in rua.iter().take(MAX_REPORT_ADDRESSES_CHECKED) {
        let Some((_, rua_domain)) = address.rsplit_once('@') else { continue };
        let rua_domain = rua_domain.trim_end_matches('.').to_ascii_lowercase();
        if same_organisation(domain.as_str(), &rua_domain) {
            continue;
        }
        let authorization = format!("{domain}._report._dmarc.{rua_domain}");
        if let Ok(answer) = dns.txt(&authorization).await
            && !answer.records().iter().any(|t| has_version(t, "DMARC1"))
        {
            unauthorized.push((address.clone(), authorization));
        }
    }
    unauthorized
}

/// At most this many `rua=` addresses get their authorization checked.
const MAX_REPORT_ADDRESSES_CHECKED: usize = 5;

/// Whether two domains belong to one organisation, without the Public Suffix List: one is the
/// other or under it, or they share their last two labels. Errs towards "same", so that no
/// warning is raised for an authorization that is not needed.
fn same_organisation(a: &str, b: &str) -> bool {
    let under = |child: &str, parent: &str| child == parent || child.ends_with(&format!(".{parent}"));
    under(a, b) || under(b, a) || last_two_labels(a) == last_two_labels(b)
}

fn last_two_labels(domain: &str) -> Vec<&str> {
    domain.rsplitn(3, '.').take(2).collect()
}

/// TXT records at `name` whose first tag is `v=<version>`; a failed lookup becomes an error note.
async fn versioned_records(dns: &Dns<'_>, name: &str, version: &str) -> Result<Vec<String>, Note> {
    match dns.txt(name).await {
        Ok(answer) => Ok(answer.records().into_iter().filter(|t| has_version(t, version)).collect()),
        Err(error) => Err(Note::new(
            Status::Error,
            Finding::LookupFailed { name: name.to_owned(), record_type: "TXT".into(), error },
        )),
    }
}

/// Whether the record's first tag is `v=<version>` (any case, spaces allowed around `=`).
pub fn has_version(text: &str, version: &str) -> bool {
    let first = text.split(';').next().unwrap_or_default();
    first.split_once('=').is_some_and(|(k, v)| k.trim() == "v" && v.trim().eq_ignore_ascii_case(version))
}

fn dmarc_policy(p: &Policy) -> DmarcPolicy {
    match p {
        Policy::None => DmarcPolicy::None,
        Policy::Quarantine => DmarcPolicy::Quarantine,
        Policy::Reject => DmarcPolicy::Reject,
        Policy::Unspecified => DmarcPolicy::Unspecified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn report_domains_of_the_same_organisation_need_no_authorization() {
        assert!(same_organisation("example.org", "example.org"));
        assert!(same_organisation("mail.example.org", "example.org"));
        assert!(same_organisation("example.org", "dmarc.example.org"));
        assert!(same_organisation("a.example.org", "b.example.org"));
        assert!(!same_organisation("example.org", "collector.net"));
        assert!(!same_organisation("example.org", "example.net"));
    }

    #[test]
    fn version_tag_must_come_first() {
        assert!(has_version("v=DMARC1; p=none", "DMARC1"));
        assert!(has_version(" v = dmarc1 ;p=none", "DMARC1"));
        assert!(!has_version("p=none; v=DMARC1", "DMARC1"));
        assert!(!has_version("v=DMARC10", "DMARC1"));
        assert!(has_version("v=STSv1; id=1", "STSv1"));
    }

    proptest! {
        #[test]
        fn policy_parsers_never_panic_on_arbitrary_text(text in "\\PC{0,200}", tail in "[ -~]{0,120}") {
            let _ = has_version(&text, "DMARC1");
            let _ = Dmarc::parse(text.as_bytes());
            let _ = Dmarc::parse(format!("v=DMARC1; {tail}").as_bytes());
            let _ = MtaSts::parse(format!("v=STSv1; {tail}").as_bytes());
            let _ = TlsRpt::parse(format!("v=TLSRPTv1; {tail}").as_bytes());
        }
    }
}
