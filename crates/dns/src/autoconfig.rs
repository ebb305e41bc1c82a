//! Records that let mail apps configure themselves: RFC 6186 SRV records, and the names
//! Thunderbird (`autoconfig.`) and Outlook (`autodiscover.`, `_autodiscover._tcp`) look for.

use futures_util::future::join_all;

use crate::lookup::{Answer, Dns};
use crate::report::{Check, CheckKind, DnsRecord, Finding, Fix, Note, RecordData, Status};
use crate::{DomainName, ProviderExpectations};

/// One service a mail app looks up, and what the provider says it should point to.
struct Wanted {
    /// SRV labels that satisfy the need; the first is the one to add.
    services: Vec<&'static str>,
    port: u16,
    target: Option<String>,
}

pub(crate) async fn check_autoconfig(
    dns: &Dns<'_>,
    domain: &DomainName,
    expected: &ProviderExpectations,
) -> Check {
    let imap = match expected.imap_port {
        Some(143) => Wanted { services: vec!["_imap._tcp"], port: 143, target: expected.imap_host.clone() },
        port => Wanted {
            services: vec!["_imaps._tcp"],
            port: port.unwrap_or(993),
            target: expected.imap_host.clone(),
        },
    };
    let smtp_target = expected.smtp_host.clone();
    let smtp = match expected.smtp_port {
        Some(465) => Wanted { services: vec!["_submissions._tcp"], port: 465, target: smtp_target },
        Some(port) => Wanted { services: vec!["_submission._tcp"], port, target: smtp_target },
        None => {
            Wanted { services: vec!["_submission._tcp", "_submissions._tcp"], port: 587, target: smtp_target }
        }
    };
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    for wanted in [imap, smtp] {
        check_service(dns, domain, &wanted, &mut notes, &mut fixes).await;
    }
    Check::new(CheckKind::Autoconfig, notes, fixes)
}

async fn check_service(
    dns: &Dns<'_>,
    domain: &DomainName,
    wanted: &Wanted,
    notes: &mut Vec<Note>,
    fixes: &mut Vec<Fix>,
) {
    let names: Vec<String> = wanted.services.iter().map(|s| domain.prefixed(s)).collect();
    let answers = join_all(names.iter().map(|n| dns.srv(n))).await;
    let mut any = false;
    for ((service, name), answer) in wanted.services.iter().zip(&names).zip(answers) {
        let service = (*service).to_owned();
        let records = match answer {
            Ok(answer) => answer.records(),
            Err(error) => {
                notes.push(Note::new(
                    Status::Error,
                    Finding::LookupFailed { name: name.clone(), record_type: "SRV".into(), error },
                ));
                any = true;
                continue;
            }
        };
        for srv in records {
            any = true;
            if srv.target.is_empty() {
                notes.push(Note::new(Status::Warning, Finding::SrvNotOffered { service: service.clone() }));
                continue;
            }
            notes.push(Note::new(
                Status::Ok,
                Finding::SrvFound { service: service.clone(), target: srv.target.clone(), port: srv.port },
            ));
            if let Some(expected) = &wanted.target
                && (&srv.target != expected || srv.port != wanted.port)
            {
                notes.push(Note::new(
                    Status::Warning,
                    Finding::SrvUnexpectedTarget {
                        service: service.clone(),
                        found: format!("{}:{}", srv.target, srv.port),
                        expected: format!("{expected}:{}", wanted.port),
                    },
                ));
                let old =
                    RecordData::Srv { priority: 0, weight: 1, port: srv.port, target: srv.target.clone() };
                fixes.push(Fix::remove(DnsRecord::new(name, old)));
                fixes.push(Fix::add(srv_record(name, wanted.port, expected)));
            }
        }
    }
    if !any {
        let service = wanted.services.first().copied().unwrap_or_default();
        notes.push(Note::new(Status::Missing, Finding::SrvMissing { service: service.to_owned() }));
        if let Some(target) = &wanted.target {
            fixes.push(Fix::add(srv_record(&domain.prefixed(service), wanted.port, target)));
        }
    }
}

fn srv_record(name: &str, port: u16, target: &str) -> DnsRecord {
    DnsRecord::new(name, RecordData::Srv { priority: 0, weight: 1, port, target: target.to_owned() })
}

pub(crate) async fn check_autodiscover(dns: &Dns<'_>, domain: &DomainName) -> Check {
    let srv_name = domain.prefixed("_autodiscover._tcp");
    let hosts = [domain.prefixed("autoconfig"), domain.prefixed("autodiscover")];
    let (srv, aliases) =
        tokio::join!(dns.srv(&srv_name), join_all(hosts.iter().map(|h| host_presence(dns, h))));
    let mut notes = Vec::new();
    match srv {
        Ok(answer) => {
            for record in answer.records().into_iter().filter(|r| !r.target.is_empty()) {
                let finding = Finding::SrvFound {
                    service: "_autodiscover._tcp".into(),
                    target: record.target,
                    port: record.port,
                };
                notes.push(Note::new(Status::Ok, finding));
            }
        }
        Err(error) => notes.push(Note::new(
            Status::Warning,
            Finding::LookupFailed { name: srv_name.clone(), record_type: "SRV".into(), error },
        )),
    }
    for (host, presence) in hosts.iter().zip(aliases) {
        match presence {
            Ok(Some(target)) => {
                notes.push(Note::new(Status::Ok, Finding::HostFound { host: host.clone(), target }))
            }
            Ok(None) => {}
            Err(note) => notes.push(note),
        }
    }
    if notes.is_empty() {
        let mut tried = vec![srv_name];
        tried.extend(hosts);
        notes.push(Note::new(Status::Missing, Finding::AutodiscoverMissing { tried }));
    }
    Check::new(CheckKind::Autodiscover, notes, Vec::new())
}

/// `Some(Some(target))` for an alias, `Some(None)` for a name with an address, `None` if absent.
async fn host_presence(dns: &Dns<'_>, host: &str) -> Result<Option<Option<String>>, Note> {
    let failed = |error, record_type: &str| {
        Note::new(
            Status::Warning,
            Finding::LookupFailed { name: host.to_owned(), record_type: record_type.into(), error },
        )
    };
    match dns.cname(host).await {
        Ok(Answer::Records(targets)) => Ok(Some(targets.into_iter().next())),
        Ok(Answer::NxDomain) => Ok(None),
        Ok(Answer::Empty) => match dns.has_address(host).await {
            Ok(true) => Ok(Some(None)),
            Ok(false) => Ok(None),
            Err(error) => Err(failed(error, "A")),
        },
        Err(error) => Err(failed(error, "CNAME")),
    }
}
