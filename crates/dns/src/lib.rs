//! Own-domain checks: does `example.org` have the DNS records a mail host needs (MX, SPF, DKIM,
//! DMARC, MTA-STS, TLS-RPT, client autoconfiguration), and which exact records should be added?
//!
//! A library that only speaks DNS (no HTTP). Results are structured ([`Finding`] enums with data)
//! so that the site and the CLI can word them in the reader's language.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use demail_dns::{DomainName, ProviderExpectations, ResolverSettings, check_domain, system_resolver};
//! let domain = DomainName::parse("example.org")?;
//! let resolver = system_resolver(&ResolverSettings::default())?;
//! let report = check_domain(&domain, &ProviderExpectations::none(), &resolver).await;
//! println!("{:?}", report.status());
//! # Ok(()) }
//! ```

mod autoconfig;
mod dkim;
mod domain;
mod expectations;
mod lookup;
mod mx;
mod policy;
mod report;
pub mod spf;

pub use dkim::COMMON_DKIM_SELECTORS;
pub use domain::{DomainError, DomainName};
pub use expectations::ProviderExpectations;
pub use hickory_resolver::TokioResolver;
pub use lookup::{LookupError, ResolverError, ResolverSettings, resolver_at, system_resolver};
pub use report::{
    Check, CheckKind, DmarcPolicy, DnsRecord, DomainReport, Finding, Fix, FixAction, Importance, MxHost,
    Note, Outcome, RecordData, SpfIncludeProblem, Status,
};

use lookup::{Answer, Dns};

/// Checks every mail record of `domain` against what the provider expects (or generic good
/// practice when `expectations` is [`ProviderExpectations::none`]). Never panics; DNS failures
/// become [`Outcome::LookupFailed`] or per-check [`Finding::LookupFailed`] notes.
pub async fn check_domain(
    domain: &DomainName,
    expectations: &ProviderExpectations,
    resolver: &TokioResolver,
) -> DomainReport {
    let dns = Dns::new(resolver);
    let mut report = DomainReport {
        domain: domain.as_str().to_owned(),
        provider: expectations.provider_id.clone(),
        outcome: Outcome::Checked,
        checks: Vec::new(),
    };
    // The MX lookup doubles as an existence probe: NXDOMAIN at the apex means nothing exists below
    // it either (RFC 8020), and an unanswering server would make every other check time out too.
    let mx = match dns.mx(domain.as_str()).await {
        Err(error) => {
            report.outcome = Outcome::LookupFailed { error };
            return report;
        }
        Ok(Answer::NxDomain) => {
            report.outcome = Outcome::DomainNotFound;
            return report;
        }
        Ok(answer) => answer,
    };
    let (mx, spf, dkim, dmarc, mta_sts, tls_rpt, autoconfig, autodiscover) = tokio::join!(
        mx::check(&dns, domain, expectations, mx),
        spf::check(&dns, domain, expectations),
        dkim::check(&dns, domain, expectations),
        policy::check_dmarc(&dns, domain),
        policy::check_mta_sts(&dns, domain),
        policy::check_tls_rpt(&dns, domain),
        autoconfig::check_autoconfig(&dns, domain, expectations),
        autoconfig::check_autodiscover(&dns, domain),
    );
    report.checks = vec![mx, spf, dkim, dmarc, mta_sts, tls_rpt, autoconfig, autodiscover];
    report
}
