//! Header-only mailbox analysis for the "turn the page" journey: which services know the old
//! address (and where to change it), who the user's correspondents are, and who still writes to
//! the old address.
//!
//! Only headers are read — never bodies — and the results stay with the caller: this crate sends
//! nothing anywhere. Feed messages from any source with [`Scanner::add_message`] (an IMAP account
//! with [`scan_imap`], an archive with [`scan_archive`], the new mailbox), then call [`Scanner::finish`].
//!
//! ```
//! use demail_scan::{FolderRole, Scanner};
//! let mut scanner = Scanner::new(["me@example.net"]);
//! scanner.add_message(
//!     b"From: Shop <noreply@mail.boutique.fr>\r\nTo: me@example.net\r\n\
//!       Subject: Votre commande est en route\r\nDKIM-Signature: d=boutique.fr; s=a\r\n\r\n",
//!     FolderRole::Received,
//! );
//! let report = scanner.finish();
//! assert_eq!(report.services[0].domain, "boutique.fr");
//! assert!(report.services[0].has_account());
//! ```

mod archive;
mod classify;
pub mod corpus;
mod headers;
mod imap;
mod people;
mod services;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use archive::{ArchiveScan, scan_archive};
pub use classify::{Kind, classify, looks_automatic};
pub use headers::{AuthVerdict, HeaderFacts, parse_auth_results, tag_value};
pub use imap::{HEADER_FIELDS, ImapScanOptions, ScanError, ScanState, scan_imap};
pub use people::{Correspondent, announcement, correspondents_csv, correspondents_vcard};
pub use services::{
    ChangeLink, KnownService, change_link, group_key, is_public_mailbox_domain, known_services,
    registrable_domain,
};

/// Where a message was found; decides whether it counts as sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderRole {
    /// Mail the user received (Inbox, archives, any ordinary folder).
    Received,
    /// Mail the user sent.
    Sent,
}

/// How sure the scan is that the sender is who it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The receiving server checked DKIM/DMARC for this domain and it passed.
    Verified,
    /// Signed with DKIM by this domain (signature not checked here).
    Signed,
    /// Nothing ties the message to the domain: perhaps spoofed.
    Unknown,
    /// The receiving server said DKIM, SPF or DMARC failed.
    Failed,
}

/// One message kept as evidence (dates and subjects stay on the user's side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: Kind,
    pub date: Option<i64>,
    pub subject: String,
    /// The keyword that decided the kind.
    pub keyword: Option<String>,
}

/// How to unsubscribe from a newsletter, best first (RFC 8058 one-click, then a link, then mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "target", rename_all = "snake_case")]
pub enum Unsubscribe {
    /// An HTTPS POST with `List-Unsubscribe=One-Click` ends the subscription (RFC 8058).
    OneClick(String),
    /// A page to open.
    Link(String),
    /// A mail to send.
    Mailto(String),
}

/// A service (a group of sending domains) and what the mailbox says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Display name: the known service's name, else the most used display name, else the domain.
    pub name: String,
    /// Group key: the known service's first domain, else the registrable domain.
    pub domain: String,
    /// Every registrable domain seen for it.
    pub domains: BTreeSet<String>,
    pub messages: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// Messages per kind.
    pub kinds: BTreeMap<Kind, u64>,
    /// The best trust seen among its messages.
    pub trust: Trust,
    /// The user's addresses it writes to, most used first.
    pub addresses: Vec<String>,
    /// Up to five messages that explain the classification, strongest first.
    pub evidence: Vec<Evidence>,
    pub change_link: ChangeLink,
    pub unsubscribe: Option<Unsubscribe>,
    /// It wrote to the old address after the last scan, or its mail arrived by forwarding.
    pub still_writing: bool,
}

impl Service {
    /// An account is likely: lifecycle, security or order mail from an authenticated sender.
    pub fn has_account(&self) -> bool {
        self.trust <= Trust::Signed && self.kinds.keys().any(|k| k.proves_account())
    }

    /// Lifecycle mail, but nothing proves who sent it (could be phishing).
    pub fn maybe_account(&self) -> bool {
        !self.has_account() && self.kinds.keys().any(|k| k.proves_account())
    }

    /// The strongest kind seen (the order of [`Kind`]).
    pub fn main_kind(&self) -> Kind {
        self.kinds.keys().next().copied().unwrap_or(Kind::Notification)
    }

    /// Higher is more urgent to update: security and accounts, then orders, then the rest.
    pub fn priority(&self) -> u32 {
        let base = match (self.has_account(), self.main_kind()) {
            (true, Kind::Security) => 500,
            (true, Kind::Account) => 450,
            (true, _) => 400,
            (false, Kind::Policy) => 200,
            (false, Kind::Notification) => 150,
            (false, Kind::Newsletter) => 50,
            (false, _) => 100,
        };
        base + u32::from(self.still_writing) * 30
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    /// Messages read (after de-duplication).
    pub messages: u64,
    /// Messages seen twice (same Message-ID) and counted once.
    pub duplicates: u64,
    /// Header blocks that could not be read at all.
    pub unreadable: u64,
    /// Services, most important to update first.
    pub services: Vec<Service>,
    /// People, most written-to and most recent first.
    pub correspondents: Vec<Correspondent>,
    /// The user's addresses (given, or seen as sender in the Sent folder).
    pub my_addresses: Vec<String>,
}

impl ScanReport {
    /// Services that very likely hold an account.
    pub fn accounts(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| s.has_account())
    }
}

#[derive(Default)]
struct ServiceAcc {
    domains: BTreeSet<String>,
    names: HashMap<String, u64>,
    messages: u64,
    first: Option<i64>,
    last: Option<i64>,
    kinds: BTreeMap<Kind, u64>,
    trust: Option<Trust>,
    addresses: HashMap<String, u64>,
    evidence: Vec<Evidence>,
    unsubscribe: Option<Unsubscribe>,
    still_writing: bool,
}

/// Collects header facts message by message; [`Scanner::finish`] builds the report.
pub struct Scanner {
    me: BTreeSet<String>,
    seen_ids: HashSet<String>,
    services: HashMap<String, ServiceAcc>,
    people: people::People,
    report: ScanReport,
    since: Option<i64>,
}

impl Scanner {
    /// A scanner for a mailbox whose owner uses `my_addresses` (more are learnt from Sent mail).
    pub fn new<S: AsRef<str>>(my_addresses: impl IntoIterator<Item = S>) -> Scanner {
        Scanner {
            me: my_addresses.into_iter().map(|a| a.as_ref().trim().to_ascii_lowercase()).collect(),
            seen_ids: HashSet::new(),
            services: HashMap::new(),
            people: people::People::default(),
            report: ScanReport::default(),
            since: None,
        }
    }

    /// Marks every sender of a received message dated at or after `since` (seconds since 1970)
    /// as still writing. An incremental re-scan passes the time of the previous scan.
    pub fn still_writing_since(&mut self, since: Option<i64>) {
        self.since = since;
    }

    /// Adds one message, given its header block (a whole message works too: only the headers
    /// are read). A message whose Message-ID was already added is counted once.
    pub fn add_message(&mut self, headers: &[u8], role: FolderRole) {
        let Some(facts) = HeaderFacts::parse(headers) else {
            self.report.unreadable += 1;
            return;
        };
        if let Some(id) = &facts.message_id
            && !self.seen_ids.insert(id.clone())
        {
            self.report.duplicates += 1;
            return;
        }
        self.report.messages += 1;
        match role {
            FolderRole::Sent => self.add_sent(&facts),
            FolderRole::Received => self.add_received(&facts),
        }
    }

    fn add_sent(&mut self, facts: &HeaderFacts) {
        if let Some(from) = &facts.from {
            self.me.insert(from.clone());
        }
        for (address, name) in &facts.recipients {
            self.people.sent_to(address, name.as_deref(), facts.date);
        }
    }

    fn add_received(&mut self, facts: &HeaderFacts) {
        let Some(from) = facts.from.clone() else {
            self.report.unreadable += 1;
            return;
        };
        let Some(registrable) = registrable_domain(&from) else {
            self.report.unreadable += 1;
            return;
        };
        let (kind, keyword) = classify(facts);
        let forwarded = facts.forwarded_for.is_some();
        let still = forwarded || self.since.zip(facts.date).is_some_and(|(since, date)| date >= since);
        // A person writing from a public mailbox is a correspondent, not a service.
        if kind == Kind::Personal {
            self.people.received_from(&from, facts.from_name.as_deref(), facts.date, still);
        }
        // From a public mailbox domain only robots (or account mail) speak for the provider;
        // persons, their auto-replies and list mail do not.
        if is_public_mailbox_domain(&registrable) && !kind.proves_account() && !looks_automatic(&from) {
            return;
        }
        let host = from.rsplit('@').next().unwrap_or_default();
        let key = group_key(host, &registrable);
        let acc = self.services.entry(key).or_default();
        acc.domains.insert(registrable.clone());
        if let Some(name) = &facts.from_name {
            *acc.names.entry(name.clone()).or_default() += 1;
        }
        acc.messages += 1;
        if let Some(d) = facts.date {
            acc.first = Some(acc.first.map_or(d, |f| f.min(d)));
            acc.last = Some(acc.last.map_or(d, |l| l.max(d)));
        }
        *acc.kinds.entry(kind).or_default() += 1;
        let trust = trust(facts, &registrable);
        acc.trust = Some(acc.trust.map_or(trust, |t| t.min(trust)));
        let addressed: Vec<&String> = if let Some(old) = &facts.forwarded_for {
            vec![old]
        } else if !facts.delivered_to.is_empty() {
            facts.delivered_to.iter().take(1).collect()
        } else {
            facts.recipients.iter().map(|(a, _)| a).collect()
        };
        for a in addressed {
            *acc.addresses.entry(a.clone()).or_default() += 1;
        }
        if acc.unsubscribe.is_none() || facts.one_click {
            acc.unsubscribe = unsubscribe(facts).or(acc.unsubscribe.take());
        }
        acc.still_writing |= still;
        if kind != Kind::Personal && (kind != Kind::Newsletter || acc.evidence.len() < 2) {
            acc.evidence.push(Evidence { kind, date: facts.date, subject: facts.subject.clone(), keyword });
            acc.evidence.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.date.cmp(&a.date)));
            acc.evidence.truncate(5);
        }
    }

    /// Builds the report: services ranked by priority then last seen, people by score.
    pub fn finish(self) -> ScanReport {
        let Scanner { me, services, people, mut report, .. } = self;
        let mut list: Vec<Service> = services
            .into_iter()
            .map(|(domain, acc)| {
                let name = known(&domain)
                    .or_else(|| {
                        acc.names
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                            .map(|(n, _)| n.clone())
                    })
                    .unwrap_or_else(|| domain.clone());
                let mut addresses: Vec<(String, u64)> = acc.addresses.into_iter().collect();
                addresses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let mine: Vec<String> =
                    addresses.iter().filter(|(a, _)| me.contains(a)).map(|(a, _)| a.clone()).collect();
                let addresses = if mine.is_empty() {
                    addresses.into_iter().take(3).map(|(a, _)| a).collect()
                } else {
                    mine
                };
                Service {
                    name,
                    change_link: change_link(&domain),
                    domain,
                    domains: acc.domains,
                    messages: acc.messages,
                    first_seen: acc.first,
                    last_seen: acc.last,
                    kinds: acc.kinds,
                    trust: acc.trust.unwrap_or(Trust::Unknown),
                    addresses,
                    evidence: acc.evidence,
                    unsubscribe: acc.unsubscribe,
                    still_writing: acc.still_writing,
                }
            })
            .collect();
        list.sort_by(|a, b| {
            b.priority()
                .cmp(&a.priority())
                .then(b.last_seen.cmp(&a.last_seen))
                .then(b.messages.cmp(&a.messages))
                .then(a.domain.cmp(&b.domain))
        });
        report.services = list;
        report.correspondents = people.ranked(&me);
        report.my_addresses = me.into_iter().collect();
        report
    }
}

fn known(domain: &str) -> Option<String> {
    services::known(domain).map(|k| k.name.clone())
}

/// How far the message is tied to its From domain.
fn trust(facts: &HeaderFacts, registrable: &str) -> Trust {
    let aligned = |d: &String| registrable_domain(d).as_deref() == Some(registrable);
    if facts.auth.present {
        if facts.auth.failed {
            return Trust::Failed;
        }
        if facts.auth.dmarc_pass || facts.auth.dkim_pass.iter().any(aligned) {
            return Trust::Verified;
        }
    }
    if facts.dkim_domains.iter().any(aligned) { Trust::Signed } else { Trust::Unknown }
}

fn unsubscribe(facts: &HeaderFacts) -> Option<Unsubscribe> {
    let https = facts.list_unsubscribe.iter().find(|u| u.to_ascii_lowercase().starts_with("https://"));
    if let Some(url) = https {
        return Some(if facts.one_click {
            Unsubscribe::OneClick(url.clone())
        } else {
            Unsubscribe::Link(url.clone())
        });
    }
    facts
        .list_unsubscribe
        .iter()
        .find(|u| u.to_ascii_lowercase().starts_with("mailto:"))
        .map(|m| Unsubscribe::Mailto(m.clone()))
}
