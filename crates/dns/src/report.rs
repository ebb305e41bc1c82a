//! The structured result of an own-domain check: what was found, how bad it is, what to add.

use std::fmt;

use serde::Serialize;

use crate::lookup::LookupError;

/// Everything learnt about one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainReport {
    /// The checked domain, lowercase ASCII (IDNA), without the final dot.
    pub domain: String,
    /// The catalogue id of the provider whose expectations were used, if any.
    pub provider: Option<String>,
    pub outcome: Outcome,
    /// One entry per [`CheckKind`], in the order MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT,
    /// autoconfig, autodiscover; empty unless `outcome` is [`Outcome::Checked`].
    pub checks: Vec<Check>,
}

impl DomainReport {
    /// The worst status among the checks that matter (required and recommended ones).
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Checked => self
                .checks
                .iter()
                .filter(|c| c.importance != Importance::Optional)
                .map(|c| c.status)
                .max()
                .unwrap_or(Status::Ok),
            Outcome::DomainNotFound | Outcome::LookupFailed { .. } => Status::Error,
        }
    }

    /// The check of one kind.
    pub fn check(&self, kind: CheckKind) -> Option<&Check> {
        self.checks.iter().find(|c| c.kind == kind)
    }

    /// Every record change suggested by the checks, in check order.
    pub fn fixes(&self) -> impl Iterator<Item = &Fix> {
        self.checks.iter().flat_map(|c| c.fixes.iter())
    }
}

/// Whether the checks could run at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// The domain answered; see the checks.
    Checked,
    /// The domain does not exist in the DNS (NXDOMAIN): a typo, or a domain not registered.
    DomainNotFound,
    /// The DNS could not be asked (timeout, server failure…): nothing was checked.
    LookupFailed { error: LookupError },
}

/// How a check turned out, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    /// Works, but could be better or is risky.
    Warning,
    /// The record is absent.
    Missing,
    /// The record is wrong, or could not be read.
    Error,
}

/// How much a check matters for mail to be delivered and trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Importance {
    /// Mail is lost or lands in spam without it.
    Required,
    /// Expected by large mailbox providers or mail apps; worth doing.
    Recommended,
    /// Extra hardening or convenience.
    Optional,
}

/// What one check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    Mx,
    Spf,
    Dkim,
    Dmarc,
    MtaSts,
    TlsRpt,
    /// RFC 6186 SRV records that let mail apps find the IMAP and SMTP servers.
    Autoconfig,
    /// `_autodiscover._tcp` SRV and the `autoconfig.` / `autodiscover.` host names.
    Autodiscover,
}

impl CheckKind {
    /// How much this kind of record matters.
    pub fn importance(self) -> Importance {
        match self {
            CheckKind::Mx | CheckKind::Spf | CheckKind::Dkim => Importance::Required,
            CheckKind::Dmarc | CheckKind::Autoconfig => Importance::Recommended,
            CheckKind::MtaSts | CheckKind::TlsRpt | CheckKind::Autodiscover => Importance::Optional,
        }
    }
}

/// The result of one check: its notes, and the record changes that would fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub kind: CheckKind,
    pub importance: Importance,
    /// The worst status among `notes` (`Ok` when there are none).
    pub status: Status,
    pub notes: Vec<Note>,
    pub fixes: Vec<Fix>,
}

impl Check {
    pub(crate) fn new(kind: CheckKind, notes: Vec<Note>, fixes: Vec<Fix>) -> Self {
        let status = notes.iter().map(|n| n.status).max().unwrap_or(Status::Ok);
        Check { kind, importance: kind.importance(), status, notes, fixes }
    }

    /// Whether a note of this exact value is present.
    pub fn has(&self, finding: &Finding) -> bool {
        self.notes.iter().any(|n| &n.finding == finding)
    }
}

/// One observation and how bad it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub status: Status,
    #[serde(flatten)]
    pub finding: Finding,
}

impl Note {
    pub(crate) fn new(status: Status, finding: Finding) -> Self {
        Note { status, finding }
    }
}

/// One MX record as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxHost {
    pub preference: u16,
    /// Lowercase, without the final dot.
    pub host: String,
}

/// Why an SPF `include:` or `redirect=` target is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SpfIncludeProblem {
    /// The name does not exist.
    DomainNotFound,
    /// The name exists but publishes no SPF record.
    NoSpfRecord,
    /// It publishes more than one SPF record.
    MultipleRecords,
    /// Its SPF record cannot be parsed.
    Syntax { record: String },
    /// The DNS did not answer.
    Lookup { error: LookupError },
}

/// An observation, with the data needed to explain it. Serialised with a `key` field naming the
/// variant in kebab-case, which the site uses as its translation key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "key", rename_all = "kebab-case")]
pub enum Finding {
    /// A DNS question for this check got no usable answer.
    LookupFailed { name: String, record_type: String, error: LookupError },

    /// No MX record: other servers fall back to the domain's address, usually wrongly.
    MxMissing,
    /// The MX records as published.
    MxFound { hosts: Vec<MxHost> },
    /// A "null MX" (`0 .`, RFC 7505): the domain says it receives no mail.
    MxNull,
    /// Every MX host is one of the provider's.
    MxMatchesProvider,
    /// Some of the provider's MX hosts are not published.
    MxProviderHostsMissing { hosts: Vec<String> },
    /// MX hosts that are not the provider's (often the previous host): mail may go there.
    MxForeignHosts { hosts: Vec<String> },
    /// An MX host name that has no address.
    MxHostWithoutAddress { host: String },

    /// No SPF record: receivers cannot tell which servers may send for the domain.
    SpfMissing,
    /// The SPF record as published, and how many DNS lookups it costs (RFC 7208 limit: 10).
    SpfFound { record: String, lookups: usize },
    /// More than one SPF record: receivers treat this as an error (RFC 7208 §4.5).
    SpfMultiple { count: usize },
    /// The SPF record cannot be parsed; `term` is the first invalid term when known.
    SpfSyntax { record: String, term: Option<String> },
    /// More than 10 DNS-querying terms (include, a, mx, ptr, exists, redirect): a permanent error.
    SpfTooManyLookups { lookups: usize, limit: usize },
    /// An include or redirect chain comes back to a domain already on the chain.
    SpfLoop { chain: Vec<String> },
    /// An included or redirected-to domain is unusable (a permanent error for receivers).
    SpfIncludeBroken { domain: String, problem: SpfIncludeProblem },
    /// A term uses macros (`%{…}`), so its target depends on the message and was not followed.
    SpfMacroNotFollowed { term: String },
    /// `+all` (or a bare `all`): anyone may send as the domain.
    SpfAllowsEveryone,
    /// `?all` or no `all` at all: the record protects nothing.
    SpfNeutralDefault,
    /// The provider's `include:` is absent: its servers are not allowed to send.
    SpfProviderIncludeMissing { include: String },

    /// A DKIM key is published under this selector.
    DkimFound { selector: String },
    /// The provider's selector has no key.
    DkimSelectorMissing { selector: String },
    /// The key under this selector is revoked (`p=` empty).
    DkimRevoked { selector: String },
    /// The record under this selector is not a usable DKIM key.
    DkimInvalid { selector: String, record: String },
    /// No key under any of the usual selectors; the domain may use another name.
    DkimNoneAmongCommon { tried: Vec<String> },

    /// No DMARC record at `_dmarc.`.
    DmarcMissing,
    /// More than one DMARC record: receivers ignore them all.
    DmarcMultiple { count: usize },
    /// The DMARC record cannot be parsed.
    DmarcSyntax { record: String },
    /// The DMARC record as published: policy, subdomain policy and the addresses that receive
    /// aggregate reports (`rua=`, without `mailto:`).
    DmarcFound { record: String, policy: DmarcPolicy, subdomain_policy: DmarcPolicy, rua: Vec<String> },
    /// `p=none` (or no `p=`): failures are only reported, nothing is blocked.
    DmarcMonitoringOnly,
    /// No `rua=`: nobody receives the aggregate reports.
    DmarcNoReports,
    /// Reports go to another organisation's domain that does not accept them: it must publish
    /// `<domain>._report._dmarc.<its domain>` (RFC 7489 §7.1), else no report is sent.
    DmarcReportsNotAuthorized { address: String, authorization: String },

    /// No MTA-STS record at `_mta-sts.`.
    MtaStsMissing,
    /// The MTA-STS record, and the policy URL that was not fetched (DNS-only check).
    MtaStsFound { id: String, policy_url: String },
    /// More than one MTA-STS record.
    MtaStsMultiple { count: usize },
    /// The MTA-STS record cannot be parsed.
    MtaStsSyntax { record: String },
    /// `mta-sts.<domain>` has no address, so the policy cannot be served.
    MtaStsPolicyHostMissing { host: String },

    /// No TLS-RPT record at `_smtp._tls.`.
    TlsRptMissing,
    /// The TLS-RPT record and where reports go.
    TlsRptFound { rua: Vec<String> },
    /// More than one TLS-RPT record.
    TlsRptMultiple { count: usize },
    /// The TLS-RPT record cannot be parsed.
    TlsRptSyntax { record: String },

    /// An SRV record for a mail service (e.g. `_imaps._tcp`).
    SrvFound { service: String, target: String, port: u16 },
    /// No SRV record for this service.
    SrvMissing { service: String },
    /// The SRV target is `.`: the service is declared unavailable (RFC 2782).
    SrvNotOffered { service: String },
    /// The SRV record points elsewhere than the provider's server.
    SrvUnexpectedTarget { service: String, found: String, expected: String },
    /// A client set-up host name exists (as an alias when `target` is set).
    HostFound { host: String, target: Option<String> },
    /// None of the autodiscover names exist.
    AutodiscoverMissing { tried: Vec<String> },
}

/// A DMARC `p=` / `sp=` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
    /// The tag is absent.
    Unspecified,
}

/// A record change that fixes a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub action: FixAction,
    pub record: DnsRecord,
    /// True when part of the value (such as a DKIM public key) must come from the provider's
    /// control panel: the value then holds a `<…>` placeholder.
    pub placeholder: bool,
}

impl Fix {
    pub(crate) fn add(record: DnsRecord) -> Self {
        Fix { action: FixAction::Add, record, placeholder: false }
    }

    pub(crate) fn remove(record: DnsRecord) -> Self {
        Fix { action: FixAction::Remove, record, placeholder: false }
    }
}

/// Whether to publish or delete a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAction {
    Add,
    Remove,
}

/// A resource record, displayed in zone-file syntax: `example.org. IN MX 10 mx1.host.tld.`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Fully qualified, with the final dot.
    pub name: String,
    pub data: RecordData,
}

impl DnsRecord {
    pub(crate) fn new(name: &str, data: RecordData) -> Self {
        DnsRecord { name: fqdn(name), data }
    }
}

/// The type and value of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RecordData {
    Mx { preference: u16, exchange: String },
    Txt { text: String },
    Srv { priority: u16, weight: u16, port: u16, target: String },
    Cname { target: String },
}

impl fmt::Display for DnsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} IN ", self.name)?;
        match &self.data {
            RecordData::Mx { preference, exchange } => write!(f, "MX {preference} {}", fqdn(exchange)),
            RecordData::Txt { text } => write!(f, "TXT {}", quote_txt(text)),
            RecordData::Srv { priority, weight, port, target } => {
                write!(f, "SRV {priority} {weight} {port} {}", fqdn(target))
            }
            RecordData::Cname { target } => write!(f, "CNAME {}", fqdn(target)),
        }
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            FixAction::Add => write!(f, "add:    {}", self.record),
            FixAction::Remove => write!(f, "remove: {}", self.record),
        }
    }
}

/// `name` with exactly one final dot.
pub(crate) fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// Zone-file quoting: strings of at most 255 bytes, `"` and `\` escaped.
fn quote_txt(text: &str) -> String {
    let mut parts = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if current.len() + c.len_utf8() > 255 {
            parts.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .map(|p| format!("\"{}\"", p.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_display_in_zone_file_syntax() {
        let mx =
            DnsRecord::new("example.org", RecordData::Mx { preference: 10, exchange: "mx1.host.tld".into() });
        assert_eq!(mx.to_string(), "example.org. IN MX 10 mx1.host.tld.");
        let txt =
            DnsRecord::new("example.org.", RecordData::Txt { text: "v=spf1 include:host.tld ~all".into() });
        assert_eq!(txt.to_string(), "example.org. IN TXT \"v=spf1 include:host.tld ~all\"");
        let srv = DnsRecord::new(
            "_imaps._tcp.example.org",
            RecordData::Srv { priority: 0, weight: 1, port: 993, target: "imap.host.tld".into() },
        );
        assert_eq!(srv.to_string(), "_imaps._tcp.example.org. IN SRV 0 1 993 imap.host.tld.");
    }

    #[test]
    fn long_txt_values_are_split_into_255_byte_strings() {
        let text = "a".repeat(300);
        let rec = DnsRecord::new("x.org", RecordData::Txt { text });
        assert_eq!(rec.to_string(), format!("x.org. IN TXT \"{}\" \"{}\"", "a".repeat(255), "a".repeat(45)));
    }
}
