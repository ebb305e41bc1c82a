//! DNS questions, with failures turned into plain values, and the resolvers the checks use.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use serde::Serialize;

use crate::expectations::host;

/// Why a DNS question got no answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LookupError {
    #[error("the DNS server did not answer in time")]
    Timeout,
    #[error("the DNS server failed to answer (SERVFAIL): the domain's name servers may be broken")]
    ServerFailure,
    #[error("the DNS server refused to answer")]
    Refused,
    #[error("the DNS server could not be reached: {detail}")]
    Network { detail: String },
    #[error("{name:?} is not a name that can be looked up")]
    InvalidName { name: String },
    #[error("DNS error: {detail}")]
    Other { detail: String },
}

/// The resolver could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up DNS resolution: {detail}")]
pub struct ResolverError {
    detail: String,
}

/// How patient the resolver is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverSettings {
    /// Per attempt.
    pub timeout: Duration,
    pub attempts: usize,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings { timeout: Duration::from_secs(3), attempts: 2 }
    }
}

/// A resolver using the system's name servers (`/etc/resolv.conf`), with our timeouts.
pub fn system_resolver(settings: &ResolverSettings) -> Result<TokioResolver, ResolverError> {
    let mut builder = TokioResolver::builder_tokio().map_err(resolver_error)?;
    apply(builder.options_mut(), settings);
    builder.build().map_err(resolver_error)
}

/// A resolver that asks only the server at `addr` (UDP, then TCP for long answers), bypassing
/// `/etc/hosts`: for tests and debugging.
pub fn resolver_at(addr: SocketAddr, settings: &ResolverSettings) -> Result<TokioResolver, ResolverError> {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
    let config = ResolverConfig::from_name_servers(vec![server]);
    let mut options = ResolverOpts::default();
    apply(&mut options, settings);
    options.use_hosts_file = ResolveHosts::Never;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .map_err(resolver_error)
}

fn apply(options: &mut ResolverOpts, settings: &ResolverSettings) {
    options.timeout = settings.timeout;
    options.attempts = settings.attempts.max(1);
}

fn resolver_error(e: NetError) -> ResolverError {
    ResolverError { detail: e.to_string() }
}

/// What a successful DNS question returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<T> {
    Records(Vec<T>),
    /// The name exists but has no record of this type (NODATA).
    Empty,
    /// The name does not exist.
    NxDomain,
}

impl<T> Answer<T> {
    /// The records, none for NODATA and NXDOMAIN.
    pub(crate) fn records(self) -> Vec<T> {
        match self {
            Answer::Records(r) => r,
            Answer::Empty | Answer::NxDomain => Vec::new(),
        }
    }
}

/// Record data the checks read.
pub(crate) struct Mx {
    pub preference: u16,
    pub exchange: String,
}

pub(crate) struct Srv {
    pub port: u16,
    pub target: String,
}

/// The resolver, with an outer deadline in case the resolver's own timeouts do not fire.
pub(crate) struct Dns<'r> {
    resolver: &'r TokioResolver,
    deadline: Duration,
}

impl<'r> Dns<'r> {
    pub(crate) fn new(resolver: &'r TokioResolver) -> Self {
        let options = resolver.options();
        // Each attempt may go over UDP then TCP; one extra second of slack.
        let per_try = options.timeout.saturating_mul(2);
        let attempts = u32::try_from(options.attempts.max(1)).unwrap_or(u32::MAX);
        let deadline = per_try.saturating_mul(attempts).saturating_add(Duration::from_secs(1));
        Dns { resolver, deadline }
    }

    /// TXT records, each one's strings concatenated (RFC 7208 §3.3), invalid UTF-8 replaced.
    pub(crate) async fn txt(&self, name: &str) -> Result<Answer<String>, LookupError> {
        self.lookup(name, RecordType::TXT, |data| match data {
            RData::TXT(txt) => {
                let bytes: Vec<u8> = txt.txt_data.iter().flat_map(|s| s.iter().copied()).collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        })
        .await
    }

    pub(crate) async fn mx(&self, name: &str) -> Result<Answer<Mx>, LookupError> {
        self.lookup(name, RecordType::MX, |data| match data {
            RData::MX(mx) => Some(Mx { preference: mx.preference, exchange: host(&mx.exchange.to_ascii()) }),
            _ => None,
        })
        .await
    }

    pub(crate) async fn srv(&self, name: &str) -> Result<Answer<Srv>, LookupError> {
        self.lookup(name, RecordType::SRV, |data| match data {
            RData::SRV(srv) => Some(Srv { port: srv.port, target: host(&srv.target.to_ascii()) }),
            _ => None,
        })
        .await
    }

    pub(crate) async fn cname(&self, name: &str) -> Result<Answer<String>, LookupError> {
        self.lookup(name, RecordType::CNAME, |data| match data {
            RData::CNAME(target) => Some(host(&target.0.to_ascii())),
            _ => None,
        })
        .await
    }

    /// Whether the name has an IPv4 or IPv6 address (following aliases).
    pub(crate) async fn has_address(&self, name: &str) -> Result<bool, LookupError> {
        let v4 = self.lookup(name, RecordType::A, |d| matches!(d, RData::A(_)).then_some(())).await?;
        if matches!(v4, Answer::Records(ref r) if !r.is_empty()) {
            return Ok(true);
        }
        if matches!(v4, Answer::NxDomain) {
            return Ok(false);
        }
        let v6 = self.lookup(name, RecordType::AAAA, |d| matches!(d, RData::AAAA(_)).then_some(())).await?;
        Ok(matches!(v6, Answer::Records(ref r) if !r.is_empty()))
    }

    async fn lookup<T>(
        &self,
        name: &str,
        record_type: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Result<Answer<T>, LookupError> {
        let fq = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
            .map_err(|_| LookupError::InvalidName { name: name.to_owned() })?;
        let result = tokio::time::timeout(self.deadline, self.resolver.lookup(fq, record_type))
            .await
            .map_err(|_| LookupError::Timeout)?;
        match result {
            Ok(lookup) => {
                let records: Vec<T> = lookup.answers().iter().filter_map(|r| pick(&r.data)).collect();
                Ok(if records.is_empty() { Answer::Empty } else { Answer::Records(records) })
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(no))) => match no.response_code {
                ResponseCode::NXDomain => Ok(Answer::NxDomain),
                ResponseCode::NoError => Ok(Answer::Empty),
                code => Err(from_response_code(code)),
            },
            Err(e) => Err(classify(e)),
        }
    }
}

fn from_response_code(code: ResponseCode) -> LookupError {
    match code {
        ResponseCode::ServFail => LookupError::ServerFailure,
        ResponseCode::Refused => LookupError::Refused,
        other => LookupError::Other { detail: format!("response code {other}") },
    }
}

fn classify(e: NetError) -> LookupError {
    match e {
        NetError::Timeout => LookupError::Timeout,
        NetError::Dns(DnsError::ResponseCode(code)) => from_response_code(code),
        NetError::Io(io) => LookupError::Network { detail: io.to_string() },
        NetError::NoConnections => LookupError::Network { detail: "no connection available".into() },
        other => {
            let detail = other.to_string();
            // The pool reports exhausted retries as a message; keep "timed out" recognisable.
            if detail.contains("timed out") { LookupError::Timeout } else { LookupError::Other { detail } }
        }
    }
}
