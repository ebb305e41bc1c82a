//! MX: which servers receive the domain's mail.

use futures_util::future::join_all;

use crate::lookup::{Answer, Dns, Mx};
use crate::report::{Check, CheckKind, DnsRecord, Finding, Fix, MxHost, Note, RecordData, Status};
use crate::{DomainName, ProviderExpectations};

/// At most this many MX hosts get their address checked.
const MAX_HOSTS_RESOLVED: usize = 10;

pub(crate) async fn check(
    dns: &Dns<'_>,
    domain: &DomainName,
    expected: &ProviderExpectations,
    answer: Answer<Mx>,
) -> Check {
    let mut records = answer.records();
    records.sort_by(|a, b| a.preference.cmp(&b.preference).then_with(|| a.exchange.cmp(&b.exchange)));
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    let add_expected = |hosts: &[&String], fixes: &mut Vec<Fix>| {
        for h in hosts {
            let rank = expected.mx_hosts.iter().position(|e| e == *h).unwrap_or(0);
            let preference = u16::try_from(rank * 10 + 10).unwrap_or(u16::MAX);
            let data = RecordData::Mx { preference, exchange: (*h).clone() };
            fixes.push(Fix::add(DnsRecord::new(domain.as_str(), data)));
        }
    };
    let record_of = |mx: &Mx| {
        DnsRecord::new(
            domain.as_str(),
            RecordData::Mx { preference: mx.preference, exchange: exchange_text(&mx.exchange) },
        )
    };

    if records.is_empty() {
        notes.push(Note::new(Status::Missing, Finding::MxMissing));
        add_expected(&expected.mx_hosts.iter().collect::<Vec<_>>(), &mut fixes);
        return Check::new(CheckKind::Mx, notes, fixes);
    }
    if records.len() == 1 && records[0].exchange.is_empty() {
        let status = if expected.mx_hosts.is_empty() { Status::Warning } else { Status::Error };
        notes.push(Note::new(status, Finding::MxNull));
        if !expected.mx_hosts.is_empty() {
            fixes.push(Fix::remove(record_of(&records[0])));
            add_expected(&expected.mx_hosts.iter().collect::<Vec<_>>(), &mut fixes);
        }
        return Check::new(CheckKind::Mx, notes, fixes);
    }

    let hosts: Vec<MxHost> = records
        .iter()
        .map(|r| MxHost { preference: r.preference, host: exchange_text(&r.exchange) })
        .collect();
    notes.push(Note::new(Status::Ok, Finding::MxFound { hosts }));

    if !expected.mx_hosts.is_empty() {
        let missing: Vec<&String> =
            expected.mx_hosts.iter().filter(|e| !records.iter().any(|r| &r.exchange == *e)).collect();
        let foreign: Vec<&Mx> = records.iter().filter(|r| !expected.mx_hosts.contains(&r.exchange)).collect();
        let none_of_provider = missing.len() == expected.mx_hosts.len();
        if !foreign.is_empty() {
            let status = if none_of_provider { Status::Error } else { Status::Warning };
            let hosts = foreign.iter().map(|r| exchange_text(&r.exchange)).collect();
            notes.push(Note::new(status, Finding::MxForeignHosts { hosts }));
            fixes.extend(foreign.iter().map(|r| Fix::remove(record_of(r))));
        }
        if !missing.is_empty() {
            let status = if none_of_provider { Status::Error } else { Status::Warning };
            let hosts = missing.iter().map(|h| (*h).clone()).collect();
            notes.push(Note::new(status, Finding::MxProviderHostsMissing { hosts }));
            add_expected(&missing, &mut fixes);
        }
        if foreign.is_empty() && missing.is_empty() {
            notes.push(Note::new(Status::Ok, Finding::MxMatchesProvider));
        }
    }

    let to_resolve: Vec<&str> = records
        .iter()
        .map(|r| r.exchange.as_str())
        .filter(|h| !h.is_empty())
        .take(MAX_HOSTS_RESOLVED)
        .collect();
    let resolved = join_all(to_resolve.iter().map(|h| dns.has_address(h))).await;
    for (host, result) in to_resolve.iter().zip(resolved) {
        match result {
            Ok(true) => {}
            Ok(false) => notes
                .push(Note::new(Status::Error, Finding::MxHostWithoutAddress { host: (*host).to_owned() })),
            Err(error) => notes.push(Note::new(
                Status::Warning,
                Finding::LookupFailed { name: (*host).to_owned(), record_type: "A".into(), error },
            )),
        }
    }
    Check::new(CheckKind::Mx, notes, fixes)
}

/// The root name (a null MX target) reads as `.`.
fn exchange_text(exchange: &str) -> String {
    if exchange.is_empty() { ".".to_owned() } else { exchange.to_owned() }
}
