//! DKIM (RFC 6376): public keys under `<selector>._domainkey.`. Selectors cannot be listed, so
//! the provider's are probed, else common ones.

use futures_util::future::join_all;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DkimError;

use crate::lookup::{Answer, Dns, LookupError};
use crate::report::{Check, CheckKind, DnsRecord, Finding, Fix, Note, RecordData, Status};
use crate::{DomainName, ProviderExpectations};

/// Selectors probed when the provider's are unknown.
pub const COMMON_DKIM_SELECTORS: &[&str] = &[
    "google",
    "selector1",
    "selector2",
    "default",
    "mail",
    "dkim",
    "k1",
    "s1",
    "s2",
    "protonmail",
    "protonmail2",
    "protonmail3",
    "fm1",
    "fm2",
    "fm3",
    "zoho",
    "gandi",
    "ovh",
    "mailo",
    "infomaniak",
];

/// What one selector's name holds.
enum Probe {
    Key,
    Revoked,
    Invalid(String),
    Absent,
    Failed(LookupError),
}

pub(crate) async fn check(dns: &Dns<'_>, domain: &DomainName, expected: &ProviderExpectations) -> Check {
    let from_provider = !expected.dkim_selectors.is_empty();
    let selectors: Vec<String> = if from_provider {
        expected.dkim_selectors.clone()
    } else {
        COMMON_DKIM_SELECTORS.iter().map(|s| (*s).to_owned()).collect()
    };
    let names: Vec<String> = selectors.iter().map(|s| domain.prefixed(&format!("{s}._domainkey"))).collect();
    let probes = join_all(names.iter().map(|n| probe(dns, n))).await;

    // Every probe that found something (even a broken key) adds a note.
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    for ((selector, name), probe) in selectors.iter().zip(&names).zip(probes) {
        let selector = selector.clone();
        match probe {
            Probe::Key => notes.push(Note::new(Status::Ok, Finding::DkimFound { selector })),
            Probe::Revoked => notes.push(Note::new(Status::Error, Finding::DkimRevoked { selector })),
            Probe::Invalid(record) => {
                notes.push(Note::new(Status::Error, Finding::DkimInvalid { selector, record }))
            }
            Probe::Failed(error) => notes.push(Note::new(
                Status::Error,
                Finding::LookupFailed { name: name.clone(), record_type: "TXT".into(), error },
            )),
            Probe::Absent if from_provider => {
                notes.push(Note::new(Status::Missing, Finding::DkimSelectorMissing { selector }));
                let text = "v=DKIM1; k=rsa; p=<public key shown by your provider>".to_owned();
                let mut fix = Fix::add(DnsRecord::new(name, RecordData::Txt { text }));
                fix.placeholder = true;
                fixes.push(fix);
            }
            Probe::Absent => {}
        }
    }
    if !from_provider && notes.is_empty() {
        // Not "missing": the domain may sign with a selector nobody can guess.
        notes.push(Note::new(Status::Warning, Finding::DkimNoneAmongCommon { tried: selectors }));
    }
    Check::new(CheckKind::Dkim, notes, fixes)
}

async fn probe(dns: &Dns<'_>, name: &str) -> Probe {
    let texts = match dns.txt(name).await {
        Err(error) => return Probe::Failed(error),
        Ok(Answer::NxDomain | Answer::Empty) => return Probe::Absent,
        Ok(Answer::Records(texts)) => texts,
    };
    let mut first_invalid = None;
    for text in texts {
        match DomainKey::parse(text.as_bytes()) {
            Ok(_) => return Probe::Key,
            Err(mail_auth::Error::Dkim(DkimError::RevokedPublicKey)) => return Probe::Revoked,
            Err(_) => {
                first_invalid.get_or_insert(text);
            }
        }
    }
    first_invalid.map_or(Probe::Absent, Probe::Invalid)
}
