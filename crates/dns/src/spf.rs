//! SPF (RFC 7208): which servers may send for the domain. Records are parsed with mail-auth; the
//! include/redirect tree is walked here to count DNS-querying terms and find loops.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf};

use crate::lookup::{Answer, Dns};
use crate::report::{Check, CheckKind, DnsRecord, Finding, Fix, Note, RecordData, SpfIncludeProblem, Status};
use crate::{DomainName, ProviderExpectations};

/// RFC 7208 §4.6.4: more DNS-querying terms than this is a permanent error.
pub const LOOKUP_LIMIT: usize = 10;

/// Bounds the work on hostile or broken trees; far above what any valid record needs.
const MAX_RECORDS_FOLLOWED: usize = 40;

pub(crate) async fn check(dns: &Dns<'_>, domain: &DomainName, expected: &ProviderExpectations) -> Check {
    let name = domain.as_str();
    let texts = match dns.txt(name).await {
        Ok(answer) => answer.records(),
        Err(error) => {
            let finding = Finding::LookupFailed { name: name.to_owned(), record_type: "TXT".into(), error };
            return Check::new(CheckKind::Spf, vec![Note::new(Status::Error, finding)], Vec::new());
        }
    };
    let records: Vec<String> = texts.into_iter().filter(|t| is_spf_record(t)).collect();
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    let txt = |text: String| DnsRecord::new(name, RecordData::Txt { text });

    match records.as_slice() {
        [] => {
            notes.push(Note::new(Status::Missing, Finding::SpfMissing));
            if let Some(include) = &expected.spf_include {
                fixes.push(Fix::add(txt(suggested_record(include))));
            }
        }
        [record] => match parse(record) {
            Err(term) => {
                notes.push(Note::new(Status::Error, Finding::SpfSyntax { record: record.clone(), term }));
                if let Some(include) = &expected.spf_include {
                    fixes.push(Fix::remove(txt(record.clone())));
                    fixes.push(Fix::add(txt(suggested_record(include))));
                }
            }
            Ok(spf) => {
                let walk = Walk::run(dns, name, record, &spf).await;
                notes.push(Note::new(
                    Status::Ok,
                    Finding::SpfFound { record: record.clone(), lookups: walk.lookups },
                ));
                if walk.lookups > LOOKUP_LIMIT {
                    notes.push(Note::new(
                        Status::Error,
                        Finding::SpfTooManyLookups { lookups: walk.lookups, limit: LOOKUP_LIMIT },
                    ));
                }
                notes.extend(walk.notes);
                match all_qualifier(&spf) {
                    Some(Qualifier::Pass) => notes.push(Note::new(Status::Error, Finding::SpfAllowsEveryone)),
                    Some(Qualifier::Neutral) => {
                        notes.push(Note::new(Status::Warning, Finding::SpfNeutralDefault))
                    }
                    None if spf.redirect.is_none() => {
                        notes.push(Note::new(Status::Warning, Finding::SpfNeutralDefault))
                    }
                    _ => {}
                }
                if let Some(include) = &expected.spf_include
                    && !walk.targets.contains(include)
                {
                    notes.push(Note::new(
                        Status::Error,
                        Finding::SpfProviderIncludeMissing { include: include.clone() },
                    ));
                    fixes.push(Fix::remove(txt(record.clone())));
                    fixes.push(Fix::add(txt(insert_include(record, include))));
                }
            }
        },
        many => {
            notes.push(Note::new(Status::Error, Finding::SpfMultiple { count: many.len() }));
            fixes.extend(many.iter().map(|r| Fix::remove(txt(r.clone()))));
            fixes.push(Fix::add(txt(merge_records(many, expected.spf_include.as_deref()))));
        }
    }
    Check::new(CheckKind::Spf, notes, fixes)
}

/// Parses a record strictly: mail-auth's parser, plus the RFC 7208 term grammar it is lenient
/// about (unknown mechanisms, bad addresses and prefix lengths). The error is the first invalid
/// term, when one is known.
fn parse(record: &str) -> Result<Spf, Option<String>> {
    if let Some(term) = first_invalid_term(record) {
        return Err(Some(term.to_owned()));
    }
    Spf::parse(record.as_bytes()).map_err(|_| None)
}

/// The first term of `record` that RFC 7208 §12 does not allow, skipping the version.
pub fn first_invalid_term(record: &str) -> Option<&str> {
    let mut modifiers_seen = Vec::new();
    record.split_whitespace().skip(1).find(|term| !valid_term(term, &mut modifiers_seen))
}

fn valid_term(term: &str, modifiers_seen: &mut Vec<String>) -> bool {
    // A modifier: name=value, where a name starts with a letter; redirect and exp at most once.
    if let Some((name, value)) = term.split_once('=')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        let name = name.to_ascii_lowercase();
        if matches!(name.as_str(), "redirect" | "exp") {
            if value.is_empty() || modifiers_seen.contains(&name) {
                return false;
            }
            modifiers_seen.push(name);
        }
        return true;
    }
    let bare = term.strip_prefix(['+', '-', '~', '?']).unwrap_or(term);
    let (name, rest) = match bare.find([':', '/']) {
        Some(i) => bare.split_at(i),
        None => (bare, ""),
    };
    let (arg, cidr) = match rest.strip_prefix(':') {
        Some(after) => match after.find('/') {
            Some(i) => (Some(&after[..i]), &after[i..]),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    match name.to_ascii_lowercase().as_str() {
        "all" => rest.is_empty(),
        "include" | "exists" => arg.is_some_and(valid_domain_spec) && cidr.is_empty(),
        "ptr" => arg.is_none_or(valid_domain_spec) && cidr.is_empty(),
        "a" | "mx" => arg.is_none_or(valid_domain_spec) && valid_dual_cidr(cidr),
        "ip4" => arg.is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok()) && valid_prefix(cidr, 32),
        "ip6" => {
            // An IPv6 address contains ':', so take everything after "ip6:" up to the prefix.
            let after = bare.get(4..).unwrap_or_default();
            let (addr, prefix) = after.find('/').map_or((after, ""), |i| after.split_at(i));
            rest.starts_with(':') && addr.parse::<std::net::Ipv6Addr>().is_ok() && valid_prefix(prefix, 128)
        }
        _ => false,
    }
}

/// A domain-spec: non-empty, no spaces; macros allowed.
fn valid_domain_spec(spec: &str) -> bool {
    !spec.is_empty() && spec.chars().all(|c| c.is_ascii_graphic())
}

/// Empty, or `/n` with n ≤ max.
fn valid_prefix(cidr: &str, max: u8) -> bool {
    cidr.is_empty()
        || cidr
            .strip_prefix('/')
            .is_some_and(|n| !n.is_empty() && n.len() <= 3 && n.parse::<u8>().is_ok_and(|n| n <= max))
}

/// `a` and `mx` take `/ip4-prefix`, `//ip6-prefix`, or both.
fn valid_dual_cidr(cidr: &str) -> bool {
    match cidr.find("//") {
        Some(i) => valid_prefix(&cidr[..i], 32) && valid_prefix(&cidr[i + 1..], 128),
        None => valid_prefix(cidr, 32),
    }
}

/// Whether a TXT string is an SPF record: `v=spf1` (any case) followed by a space or nothing.
pub fn is_spf_record(text: &str) -> bool {
    let text = text.trim_start();
    text.get(..6).is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
        && text[6..].chars().next().is_none_or(|c| c == ' ')
}

/// The record to publish when there is none: the provider's include, soft-fail for the rest.
pub fn suggested_record(include: &str) -> String {
    format!("v=spf1 include:{include} ~all")
}

/// `record` with `include:<include>` added before its `all` or `redirect=` term (or at the end).
pub fn insert_include(record: &str, include: &str) -> String {
    let mut terms: Vec<&str> = record.split_whitespace().collect();
    let at = terms
        .iter()
        .position(|t| is_all_term(t) || starts_with_ignore_case(t, "redirect="))
        .unwrap_or(terms.len());
    let new_term = format!("include:{include}");
    terms.insert(at.max(1).min(terms.len()), &new_term);
    terms.join(" ")
}

/// One record from several: every mechanism once, the provider's include, and one final `all`
/// (`-all` if any record had it, else `~all`).
pub fn merge_records(records: &[String], include: Option<&str>) -> String {
    let mut terms: Vec<String> = vec!["v=spf1".into()];
    let mut hard_fail = false;
    for record in records {
        for term in record.split_whitespace().skip(1) {
            if is_all_term(term) {
                hard_fail |= term.starts_with('-');
            } else if !starts_with_ignore_case(term, "redirect=")
                && !terms.iter().any(|t| t.eq_ignore_ascii_case(term))
            {
                terms.push(term.to_owned());
            }
        }
    }
    if let Some(include) = include {
        let term = format!("include:{include}");
        if !terms.iter().any(|t| t.eq_ignore_ascii_case(&term)) {
            terms.push(term);
        }
    }
    terms.push(if hard_fail { "-all".into() } else { "~all".into() });
    terms.join(" ")
}

fn is_all_term(term: &str) -> bool {
    let bare = term.trim_start_matches(['+', '-', '~', '?']);
    bare.eq_ignore_ascii_case("all") && term.len() <= 4
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn all_qualifier(spf: &Spf) -> Option<Qualifier> {
    spf.directives.iter().find(|d| d.mechanism == Mechanism::All).map(|d| d.qualifier.clone())
}

/// The outcome of walking an SPF tree.
struct Walk {
    /// DNS-querying terms in the whole tree.
    lookups: usize,
    /// Every include and redirect target met, lowercase.
    targets: Vec<String>,
    notes: Vec<Note>,
}

/// A term whose target is another SPF record.
enum Target {
    Domain(String),
    /// The target uses macros: it depends on the message.
    Macro,
}

impl Walk {
    async fn run(dns: &Dns<'_>, domain: &str, record: &str, spf: &Spf) -> Walk {
        let mut walk = Walk { lookups: 0, targets: Vec::new(), notes: Vec::new() };
        let mut followed = 0;
        // Depth-first, each entry carrying the chain of domains that led to it.
        let mut stack: Vec<(Vec<String>, Option<String>, Spf)> =
            vec![(vec![domain.to_owned()], Some(record.to_owned()), spf.clone())];
        while let Some((chain, raw, spf)) = stack.pop() {
            let (count, targets) = querying_terms(&spf);
            walk.lookups += count;
            for target in targets {
                let target = match target {
                    Target::Macro => {
                        let term = raw.as_deref().and_then(macro_term).unwrap_or_else(|| "%{…}".into());
                        walk.note(Status::Warning, Finding::SpfMacroNotFollowed { term });
                        continue;
                    }
                    Target::Domain(d) => d,
                };
                walk.targets.push(target.clone());
                if chain.contains(&target) {
                    let mut chain = chain.clone();
                    chain.push(target);
                    walk.note(Status::Error, Finding::SpfLoop { chain });
                    continue;
                }
                if followed >= MAX_RECORDS_FOLLOWED {
                    continue;
                }
                followed += 1;
                match fetch(dns, &target).await {
                    Ok((text, child)) => {
                        let mut chain = chain.clone();
                        chain.push(target);
                        stack.push((chain, Some(text), child));
                    }
                    Err(problem) => {
                        walk.note(Status::Error, Finding::SpfIncludeBroken { domain: target, problem })
                    }
                }
            }
        }
        walk
    }

    fn note(&mut self, status: Status, finding: Finding) {
        let note = Note::new(status, finding);
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// The SPF record of an included or redirected-to domain.
async fn fetch(dns: &Dns<'_>, domain: &str) -> Result<(String, Spf), SpfIncludeProblem> {
    let records = match dns.txt(domain).await {
        Err(error) => return Err(SpfIncludeProblem::Lookup { error }),
        Ok(Answer::NxDomain) => return Err(SpfIncludeProblem::DomainNotFound),
        Ok(answer) => answer.records(),
    };
    let mut spf = records.into_iter().filter(|t| is_spf_record(t));
    match (spf.next(), spf.next()) {
        (None, _) => Err(SpfIncludeProblem::NoSpfRecord),
        (Some(_), Some(_)) => Err(SpfIncludeProblem::MultipleRecords),
        (Some(text), None) => match parse(&text) {
            Ok(parsed) => Ok((text, parsed)),
            Err(_) => Err(SpfIncludeProblem::Syntax { record: text }),
        },
    }
}

/// How many DNS-querying terms one record has (include, a, mx, ptr, exists, and redirect when
/// there is no `all`), and the targets to follow.
fn querying_terms(spf: &Spf) -> (usize, Vec<Target>) {
    let mut count = 0;
    let mut targets = Vec::new();
    let mut has_all = false;
    for directive in spf.directives.iter() {
        match &directive.mechanism {
            Mechanism::Include { macro_string } => {
                count += 1;
                targets.push(target(macro_string));
            }
            Mechanism::A { .. } | Mechanism::Mx { .. } | Mechanism::Ptr { .. } | Mechanism::Exists { .. } => {
                count += 1
            }
            Mechanism::All => has_all = true,
            Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
        }
    }
    // RFC 7208 §6.1: redirect is ignored when the record has an `all` mechanism.
    if let Some(redirect) = &spf.redirect
        && !has_all
    {
        count += 1;
        targets.push(target(redirect));
    }
    (count, targets)
}

fn target(m: &Macro) -> Target {
    match m {
        Macro::Literal(bytes) => {
            Target::Domain(String::from_utf8_lossy(bytes).trim_end_matches('.').to_ascii_lowercase())
        }
        _ => Target::Macro,
    }
}

/// The first include/redirect term of a raw record that uses a macro.
fn macro_term(raw: &str) -> Option<String> {
    raw.split_whitespace()
        .map(|t| t.trim_start_matches(['+', '-', '~', '?']))
        .find(|t| {
            t.contains('%')
                && (starts_with_ignore_case(t, "include:") || starts_with_ignore_case(t, "redirect="))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recognises_spf_records_by_their_version_tag_only() {
        assert!(is_spf_record("v=spf1 -all"));
        assert!(is_spf_record("V=SPF1"));
        assert!(is_spf_record("  v=spf1 mx"));
        assert!(!is_spf_record("v=spf10 -all"));
        assert!(!is_spf_record("google-site-verification=abc"));
        assert!(!is_spf_record("v=spf"));
        assert!(!is_spf_record("v=spé1"));
    }

    #[test]
    fn finds_terms_that_rfc_7208_does_not_allow() {
        let valid = "v=spf1 a mx/24 a:x.tld/24//64 ptr include:%{d}.x.tld exists:%{i}.x.tld \
                     ip4:192.0.2.0/24 ip6:2001:db8::/32 -all redirect=x.tld exp=e.x.tld custom=1";
        assert_eq!(first_invalid_term(valid), None);
        for bad in [
            "ip4:999.1.1.1",
            "ip4:192.0.2.1/33",
            "ip6:zz::1",
            "ip6:2001:db8::/129",
            "foo:bar",
            "??all",
            "include:",
            "all:x",
            "mx/",
            "a//200",
        ] {
            assert_eq!(first_invalid_term(&format!("v=spf1 {bad} -all")), Some(bad), "{bad}");
        }
        assert_eq!(first_invalid_term("v=spf1 redirect=a.tld redirect=b.tld"), Some("redirect=b.tld"));
    }

    #[test]
    fn inserts_the_include_before_the_all_term() {
        assert_eq!(insert_include("v=spf1 mx ~all", "host.tld"), "v=spf1 mx include:host.tld ~all");
        assert_eq!(
            insert_include("v=spf1 redirect=x.tld", "host.tld"),
            "v=spf1 include:host.tld redirect=x.tld"
        );
        assert_eq!(insert_include("v=spf1 mx", "host.tld"), "v=spf1 mx include:host.tld");
        assert_eq!(insert_include("v=spf1", "host.tld"), "v=spf1 include:host.tld");
    }

    #[test]
    fn merges_records_into_one_with_a_single_all() {
        let merged =
            merge_records(&["v=spf1 mx -all".into(), "v=spf1 include:a.tld MX ~all".into()], Some("h.tld"));
        assert_eq!(merged, "v=spf1 mx include:a.tld include:h.tld -all");
    }

    #[test]
    fn counts_querying_terms_and_ignores_redirect_after_all() {
        let spf = Spf::parse(b"v=spf1 a mx ptr exists:x.tld include:i.tld ip4:192.0.2.1 -all redirect=r.tld")
            .unwrap();
        let (count, targets) = querying_terms(&spf);
        assert_eq!(count, 5);
        assert!(matches!(targets.as_slice(), [Target::Domain(d)] if d == "i.tld"));
        let spf = Spf::parse(b"v=spf1 redirect=r.tld").unwrap();
        assert_eq!(querying_terms(&spf).0, 1);
    }

    proptest! {
        #[test]
        fn record_helpers_never_panic_and_keep_the_version_first(
            record in "v=spf1( [ -~]{0,20}){0,8}",
            include in "[a-z]{1,10}\\.[a-z]{2,4}",
        ) {
            let inserted = insert_include(&record, &include);
            prop_assert!(inserted.starts_with("v=spf1"));
            let needle = format!("include:{include}");
            prop_assert!(inserted.contains(&needle));
            let merged = merge_records(std::slice::from_ref(&record), Some(&include));
            prop_assert!(merged.starts_with("v=spf1 "));
            prop_assert_eq!(merged.split_whitespace().filter(|t| is_all_term(t)).count(), 1);
            let _ = Spf::parse(record.as_bytes());
            let _ = is_spf_record(&record);
        }

        #[test]
        fn arbitrary_txt_never_panics_the_spf_helpers(text in "\\PC{0,200}") {
            let _ = is_spf_record(&text);
            let _ = insert_include(&text, "h.tld");
            let _ = first_invalid_term(&text);
            let _ = parse(&text);
            let _ = merge_records(std::slice::from_ref(&text), None);
            if let Ok(spf) = Spf::parse(text.as_bytes()) {
                let _ = querying_terms(&spf);
            }
        }
    }
}
