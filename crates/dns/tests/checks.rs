//! `check_domain` against a real authoritative DNS server on 127.0.0.1 (no internet).

// Test helpers may panic: a failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use demail_dns::{
    CheckKind, DnsRecord, DomainName, DomainReport, Finding, Fix, FixAction, LookupError, MxHost, Outcome,
    ProviderExpectations, RecordData, SpfIncludeProblem, Status, check_domain, resolver_at,
};
use support::{FailingServer, SilentServer, ZoneServer, settings};

fn test_host() -> ProviderExpectations {
    ProviderExpectations {
        provider_id: Some("test-host".into()),
        mx_hosts: vec!["mx1.provider.test".into(), "mx2.provider.test".into()],
        spf_include: Some("_spf.provider.test".into()),
        dkim_selectors: vec!["mail".into()],
        imap_host: Some("imap.provider.test".into()),
        imap_port: Some(993),
        smtp_host: Some("smtp.provider.test".into()),
        smtp_port: Some(465),
    }
}

async fn check(server: &ZoneServer, domain: &str, expected: &ProviderExpectations) -> DomainReport {
    let domain = DomainName::parse(domain).unwrap();
    check_domain(&domain, expected, &server.resolver()).await
}

fn status(report: &DomainReport, kind: CheckKind) -> Status {
    report.check(kind).unwrap().status
}

fn has(report: &DomainReport, kind: CheckKind, finding: &Finding) -> bool {
    report.check(kind).unwrap().has(finding)
}

fn added(report: &DomainReport) -> Vec<String> {
    report.fixes().filter(|f| f.action == FixAction::Add).map(|f| f.record.to_string()).collect()
}

fn removed(report: &DomainReport) -> Vec<String> {
    report.fixes().filter(|f| f.action == FixAction::Remove).map(|f| f.record.to_string()).collect()
}

#[tokio::test]
async fn a_domain_set_up_for_its_provider_passes_every_check_with_nothing_to_add() {
    let server = ZoneServer::start().await;
    let report = check(&server, "perfect.test", &test_host()).await;
    assert_eq!(report.outcome, Outcome::Checked);
    assert_eq!(report.provider.as_deref(), Some("test-host"));
    for check in &report.checks {
        assert_eq!(check.status, Status::Ok, "{:?}: {:?}", check.kind, check.notes);
    }
    assert_eq!(report.status(), Status::Ok);
    assert_eq!(report.fixes().count(), 0);
    assert!(has(&report, CheckKind::Mx, &Finding::MxMatchesProvider));
    assert!(has(
        &report,
        CheckKind::Mx,
        &Finding::MxFound {
            hosts: vec![
                MxHost { preference: 10, host: "mx1.provider.test".into() },
                MxHost { preference: 20, host: "mx2.provider.test".into() },
            ]
        }
    ));
    assert!(has(
        &report,
        CheckKind::Spf,
        &Finding::SpfFound { record: "v=spf1 include:_spf.provider.test -all".into(), lookups: 1 }
    ));
    assert!(has(&report, CheckKind::Dkim, &Finding::DkimFound { selector: "mail".into() }));
    assert!(has(
        &report,
        CheckKind::Dmarc,
        &Finding::DmarcFound {
            record: "v=DMARC1; p=reject; rua=mailto:dmarc@perfect.test".into(),
            policy: demail_dns::DmarcPolicy::Reject,
            subdomain_policy: demail_dns::DmarcPolicy::Reject,
            rua: vec!["dmarc@perfect.test".into()],
        }
    ));
    assert!(has(
        &report,
        CheckKind::MtaSts,
        &Finding::MtaStsFound {
            id: "20261124T000000".into(),
            policy_url: "https://mta-sts.perfect.test/.well-known/mta-sts.txt".into()
        }
    ));
    assert!(has(
        &report,
        CheckKind::TlsRpt,
        &Finding::TlsRptFound { rua: vec!["mailto:tls@perfect.test".into()] }
    ));
    assert!(has(
        &report,
        CheckKind::Autoconfig,
        &Finding::SrvFound {
            service: "_submissions._tcp".into(),
            target: "smtp.provider.test".into(),
            port: 465
        }
    ));
    assert!(has(
        &report,
        CheckKind::Autodiscover,
        &Finding::HostFound {
            host: "autoconfig.perfect.test".into(),
            target: Some("autoconfig.provider.test".into())
        }
    ));
}

#[tokio::test]
async fn a_domain_without_mail_records_gets_every_record_to_add() {
    let server = ZoneServer::start().await;
    let report = check(&server, "empty.test", &test_host()).await;
    assert_eq!(report.outcome, Outcome::Checked);
    for kind in [CheckKind::Mx, CheckKind::Spf, CheckKind::Dkim, CheckKind::Dmarc, CheckKind::MtaSts] {
        assert_eq!(status(&report, kind), Status::Missing, "{kind:?}");
    }
    assert_eq!(report.status(), Status::Missing);
    assert_eq!(
        added(&report),
        vec![
            "empty.test. IN MX 10 mx1.provider.test.",
            "empty.test. IN MX 20 mx2.provider.test.",
            "empty.test. IN TXT \"v=spf1 include:_spf.provider.test ~all\"",
            "mail._domainkey.empty.test. IN TXT \"v=DKIM1; k=rsa; p=<public key shown by your provider>\"",
            "_dmarc.empty.test. IN TXT \"v=DMARC1; p=quarantine\"",
            "_mta-sts.empty.test. IN TXT \"v=STSv1; id=1\"",
            "_smtp._tls.empty.test. IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@empty.test\"",
            "_imaps._tcp.empty.test. IN SRV 0 1 993 imap.provider.test.",
            "_submissions._tcp.empty.test. IN SRV 0 1 465 smtp.provider.test.",
        ]
    );
    assert!(report.fixes().filter(|f| f.placeholder).all(|f| f.record.name == "mail._domainkey.empty.test."));
    assert!(removed(&report).is_empty());
}

#[tokio::test]
async fn without_a_provider_missing_dkim_is_a_warning_and_no_guessed_record_is_offered() {
    let server = ZoneServer::start().await;
    let report = check(&server, "empty.test", &ProviderExpectations::none()).await;
    assert_eq!(report.provider, None);
    assert_eq!(status(&report, CheckKind::Dkim), Status::Warning);
    let tried = demail_dns::COMMON_DKIM_SELECTORS.iter().map(|s| (*s).to_owned()).collect();
    assert!(has(&report, CheckKind::Dkim, &Finding::DkimNoneAmongCommon { tried }));
    assert!(has(&report, CheckKind::Spf, &Finding::SpfMissing));
    assert!(has(&report, CheckKind::Autoconfig, &Finding::SrvMissing { service: "_imaps._tcp".into() }));
    assert_eq!(
        added(&report),
        vec![
            "_dmarc.empty.test. IN TXT \"v=DMARC1; p=quarantine\"",
            "_mta-sts.empty.test. IN TXT \"v=STSv1; id=1\"",
            "_smtp._tls.empty.test. IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@empty.test\"",
        ]
    );
}

#[tokio::test]
async fn generic_checks_find_dkim_under_a_common_selector() {
    let server = ZoneServer::start().await;
    let report = check(&server, "perfect.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&report, CheckKind::Dkim), Status::Ok);
    assert!(has(&report, CheckKind::Dkim, &Finding::DkimFound { selector: "mail".into() }));
    assert_eq!(report.status(), Status::Ok);
}

#[tokio::test]
async fn spf_with_more_than_ten_lookups_is_an_error() {
    let server = ZoneServer::start().await;
    let report = check(&server, "toomany.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&report, CheckKind::Spf), Status::Error);
    assert!(has(&report, CheckKind::Spf, &Finding::SpfTooManyLookups { lookups: 11, limit: 10 }));
}

#[tokio::test]
async fn spf_include_loop_is_reported_with_its_chain_and_terminates() {
    let server = ZoneServer::start().await;
    let report = check(&server, "loop.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&report, CheckKind::Spf), Status::Error);
    let chain = ["loop.test", "l1.loop.test", "l2.loop.test", "loop.test"].map(String::from).to_vec();
    assert!(has(&report, CheckKind::Spf, &Finding::SpfLoop { chain }));
    assert!(has(
        &report,
        CheckKind::Spf,
        &Finding::SpfFound { record: "v=spf1 include:l1.loop.test -all".into(), lookups: 3 }
    ));
}

#[tokio::test]
async fn spf_broken_includes_macros_and_plus_all_are_reported() {
    let server = ZoneServer::start().await;
    let report = check(&server, "broken.test", &test_host()).await;
    let spf = report.check(CheckKind::Spf).unwrap();
    assert_eq!(spf.status, Status::Error);
    assert!(spf.has(&Finding::SpfIncludeBroken {
        domain: "nowhere.test".into(),
        problem: SpfIncludeProblem::DomainNotFound
    }));
    assert!(spf.has(&Finding::SpfIncludeBroken {
        domain: "empty.test".into(),
        problem: SpfIncludeProblem::NoSpfRecord
    }));
    assert!(spf.has(&Finding::SpfMacroNotFollowed { term: "include:%{d}.macro.test".into() }));
    assert!(spf.has(&Finding::SpfAllowsEveryone));
    assert!(spf.has(&Finding::SpfProviderIncludeMissing { include: "_spf.provider.test".into() }));
    let old = "v=spf1 include:nowhere.test include:empty.test include:%{d}.macro.test +all";
    assert_eq!(
        spf.fixes,
        vec![
            Fix {
                action: FixAction::Remove,
                record: DnsRecord { name: "broken.test.".into(), data: RecordData::Txt { text: old.into() } },
                placeholder: false
            },
            Fix {
                action: FixAction::Add,
                record: DnsRecord {
                    name: "broken.test.".into(),
                    data: RecordData::Txt {
                        text: "v=spf1 include:nowhere.test include:empty.test include:%{d}.macro.test \
                               include:_spf.provider.test +all"
                            .into()
                    }
                },
                placeholder: false
            },
        ]
    );
}

#[tokio::test]
async fn malformed_records_are_reported_as_errors_without_crashing() {
    let server = ZoneServer::start().await;
    let report = check(&server, "malformed.test", &test_host()).await;
    assert_eq!(report.outcome, Outcome::Checked);
    assert!(has(
        &report,
        CheckKind::Spf,
        &Finding::SpfSyntax {
            record: "v=spf1 ip4:999.1.1.1 -all".into(),
            term: Some("ip4:999.1.1.1".into())
        }
    ));
    assert!(has(
        &report,
        CheckKind::Dkim,
        &Finding::DkimInvalid { selector: "mail".into(), record: "v=DKIM1; k=rsa; p=!!not-base64!!".into() }
    ));
    assert!(has(&report, CheckKind::Dmarc, &Finding::DmarcSyntax { record: "v=DMARC1; p=maybe".into() }));
    assert!(has(&report, CheckKind::MtaSts, &Finding::MtaStsSyntax { record: "v=STSv1; no-id-here".into() }));
    assert!(has(
        &report,
        CheckKind::TlsRpt,
        &Finding::TlsRptSyntax { record: "v=TLSRPTv1; rua=gopher://x".into() }
    ));
    for kind in [CheckKind::Spf, CheckKind::Dkim, CheckKind::Dmarc, CheckKind::MtaSts, CheckKind::TlsRpt] {
        assert_eq!(status(&report, kind), Status::Error, "{kind:?}");
    }
    assert_eq!(report.check(CheckKind::Dkim).unwrap().notes.len(), 1);
    assert_eq!(
        removed(&report),
        vec![
            "malformed.test. IN TXT \"v=spf1 ip4:999.1.1.1 -all\"",
            "_dmarc.malformed.test. IN TXT \"v=DMARC1; p=maybe\"",
        ]
    );
}

#[tokio::test]
async fn a_broken_key_under_a_common_selector_is_reported_alone() {
    let server = ZoneServer::start().await;
    let report = check(&server, "malformed.test", &ProviderExpectations::none()).await;
    let dkim = report.check(CheckKind::Dkim).unwrap();
    assert_eq!(dkim.status, Status::Error);
    assert_eq!(
        dkim.notes.iter().map(|n| &n.finding).collect::<Vec<_>>(),
        vec![&Finding::DkimInvalid {
            selector: "mail".into(),
            record: "v=DKIM1; k=rsa; p=!!not-base64!!".into()
        }]
    );
}

#[tokio::test]
async fn two_spf_records_are_merged_into_one_and_a_null_mx_is_flagged() {
    let server = ZoneServer::start().await;
    let report = check(&server, "twospf.test", &test_host()).await;
    assert!(has(&report, CheckKind::Spf, &Finding::SpfMultiple { count: 2 }));
    assert!(has(&report, CheckKind::Mx, &Finding::MxNull));
    assert_eq!(status(&report, CheckKind::Mx), Status::Error);
    let added = added(&report);
    assert!(added.contains(
        &"twospf.test. IN TXT \"v=spf1 mx include:other.test include:_spf.provider.test -all\"".into()
    ));
    assert!(added.contains(&"twospf.test. IN MX 10 mx1.provider.test.".into()));
    assert!(removed(&report).contains(&"twospf.test. IN MX 0 .".into()));
}

#[tokio::test]
async fn dmarc_none_is_a_warning_and_reject_is_ok() {
    let server = ZoneServer::start().await;
    let none = check(&server, "dmarcnone.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&none, CheckKind::Dmarc), Status::Warning);
    assert!(has(&none, CheckKind::Dmarc, &Finding::DmarcMonitoringOnly));
    assert!(has(&none, CheckKind::Dmarc, &Finding::DmarcNoReports));
    let reject = check(&server, "perfect.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&reject, CheckKind::Dmarc), Status::Ok);
    assert!(!has(&reject, CheckKind::Dmarc, &Finding::DmarcMonitoringOnly));
}

#[tokio::test]
async fn dmarc_reports_to_a_domain_that_did_not_agree_are_flagged() {
    let server = ZoneServer::start().await;
    let report = check(&server, "dmarcext.test", &ProviderExpectations::none()).await;
    let dmarc = report.check(CheckKind::Dmarc).unwrap();
    assert_eq!(dmarc.status, Status::Warning);
    let flagged: Vec<&Finding> = dmarc
        .notes
        .iter()
        .map(|n| &n.finding)
        .filter(|f| matches!(f, Finding::DmarcReportsNotAuthorized { .. }))
        .collect();
    assert_eq!(
        flagged,
        vec![&Finding::DmarcReportsNotAuthorized {
            address: "b@unwilling.test".into(),
            authorization: "dmarcext.test._report._dmarc.unwilling.test".into()
        }]
    );
}

#[tokio::test]
async fn mx_hosts_of_a_previous_host_are_to_be_removed() {
    let server = ZoneServer::start().await;
    let report = check(&server, "dmarcnone.test", &test_host()).await;
    assert_eq!(status(&report, CheckKind::Mx), Status::Warning);
    assert!(has(
        &report,
        CheckKind::Mx,
        &Finding::MxForeignHosts { hosts: vec!["mx.previous-host.test".into()] }
    ));
    assert!(has(
        &report,
        CheckKind::Mx,
        &Finding::MxProviderHostsMissing { hosts: vec!["mx2.provider.test".into()] }
    ));
    let mx_fixes: Vec<String> =
        report.check(CheckKind::Mx).unwrap().fixes.iter().map(Fix::to_string).collect();
    assert_eq!(
        mx_fixes,
        vec![
            "remove: dmarcnone.test. IN MX 10 mx.previous-host.test.",
            "add:    dmarcnone.test. IN MX 20 mx2.provider.test.",
        ]
    );
}

#[tokio::test]
async fn srv_autoconfig_and_autodiscover_records_are_found() {
    let server = ZoneServer::start().await;
    let generic = check(&server, "srv.test", &ProviderExpectations::none()).await;
    assert_eq!(status(&generic, CheckKind::Autoconfig), Status::Ok);
    assert!(has(
        &generic,
        CheckKind::Autoconfig,
        &Finding::SrvFound { service: "_imaps._tcp".into(), target: "imap.provider.test".into(), port: 993 }
    ));
    assert!(has(
        &generic,
        CheckKind::Autoconfig,
        &Finding::SrvFound {
            service: "_submission._tcp".into(),
            target: "smtp.provider.test".into(),
            port: 587
        }
    ));
    assert_eq!(status(&generic, CheckKind::Autodiscover), Status::Ok);
    assert!(has(
        &generic,
        CheckKind::Autodiscover,
        &Finding::SrvFound {
            service: "_autodiscover._tcp".into(),
            target: "autodiscover.provider.test".into(),
            port: 443
        }
    ));
    assert!(has(
        &generic,
        CheckKind::Autodiscover,
        &Finding::HostFound {
            host: "autodiscover.srv.test".into(),
            target: Some("autodiscover.provider.test".into())
        }
    ));
    // test-host submits on 465: the STARTTLS-port record does not count for it.
    let hosted = check(&server, "srv.test", &test_host()).await;
    assert_eq!(status(&hosted, CheckKind::Autoconfig), Status::Missing);
    assert!(has(
        &hosted,
        CheckKind::Autoconfig,
        &Finding::SrvMissing { service: "_submissions._tcp".into() }
    ));
    let fixes: Vec<String> =
        hosted.check(CheckKind::Autoconfig).unwrap().fixes.iter().map(Fix::to_string).collect();
    assert_eq!(fixes, vec!["add:    _submissions._tcp.srv.test. IN SRV 0 1 465 smtp.provider.test."]);
}

#[tokio::test]
async fn a_long_spf_record_is_read_whole_over_tcp() {
    let server = ZoneServer::start().await;
    let report = check(&server, "huge.test", &ProviderExpectations::none()).await;
    let spf = report.check(CheckKind::Spf).unwrap();
    let record = spf
        .notes
        .iter()
        .find_map(|n| match &n.finding {
            Finding::SpfFound { record, lookups } => Some((record.len(), *lookups)),
            _ => None,
        })
        .unwrap();
    assert_eq!(record, (2183, 0));
    assert_eq!(spf.status, Status::Ok);
}

#[tokio::test]
async fn a_nonexistent_domain_is_reported_as_not_found_and_nothing_else_is_checked() {
    let server = ZoneServer::start().await;
    let report = check(&server, "nowhere.test", &test_host()).await;
    assert_eq!(report.outcome, Outcome::DomainNotFound);
    assert!(report.checks.is_empty());
    assert_eq!(report.status(), Status::Error);
}

#[tokio::test]
async fn a_server_that_never_answers_gives_a_timeout_quickly() {
    let server = SilentServer::start().await;
    let quick = demail_dns::ResolverSettings { timeout: Duration::from_millis(300), attempts: 1 };
    let resolver = resolver_at(server.addr, &quick).unwrap();
    let started = Instant::now();
    let report = check_domain(&DomainName::parse("perfect.test").unwrap(), &test_host(), &resolver).await;
    assert_eq!(report.outcome, Outcome::LookupFailed { error: LookupError::Timeout });
    assert!(report.checks.is_empty());
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_failure_is_reported_as_such() {
    let server = FailingServer::start().await;
    let resolver = resolver_at(server.addr, &settings()).unwrap();
    let report = check_domain(&DomainName::parse("perfect.test").unwrap(), &test_host(), &resolver).await;
    assert_eq!(report.outcome, Outcome::LookupFailed { error: LookupError::ServerFailure });
}

#[tokio::test]
async fn the_report_serialises_with_translation_keys() {
    let server = ZoneServer::start().await;
    let report = check(&server, "dmarcnone.test", &ProviderExpectations::none()).await;
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["outcome"]["kind"], "checked");
    let dmarc = &json["checks"][3];
    assert_eq!(dmarc["kind"], "dmarc");
    assert_eq!(dmarc["status"], "warning");
    assert_eq!(dmarc["notes"][0]["key"], "dmarc-found");
    assert_eq!(dmarc["notes"][0]["policy"], "none");
    assert_eq!(dmarc["notes"][1], serde_json::json!({"status": "warning", "key": "dmarc-monitoring-only"}));
}
