//! The facts demail reads from one message's header block.

use mail_parser::MessageParser;

/// What the scan needs from one message, taken from its headers only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderFacts {
    /// `From` address, lower case.
    pub from: Option<String>,
    /// `From` display name, if any.
    pub from_name: Option<String>,
    /// `To` and `Cc` addresses, lower case, with display names.
    pub recipients: Vec<(String, Option<String>)>,
    /// Every `Delivered-To` / `X-Original-To`, top first.
    pub delivered_to: Vec<String>,
    /// Seconds since 1970 (from `Date`).
    pub date: Option<i64>,
    /// Decoded `Subject`.
    pub subject: String,
    pub message_id: Option<String>,
    pub list_unsubscribe: Vec<String>,
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
    pub one_click: bool,
    pub list_id: Option<String>,
    /// `Precedence: bulk` or `list`.
    pub bulk: bool,
    /// `Auto-Submitted` other than `no` (RFC 3834), or `X-Autoreply`.
    pub auto_submitted: bool,
    /// `d=` of each `DKIM-Signature`, lower case.
    pub dkim_domains: Vec<String>,
    /// The receiving server's verdict (topmost `Authentication-Results`).
    pub auth: AuthVerdict,
    /// Old address from `X-Forwarded-For: <old> <new>` or `X-Forwarded-To`.
    pub forwarded_for: Option<String>,
}

/// What the topmost `Authentication-Results` (RFC 8601) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthVerdict {
    /// Domains (`header.d` / `header.i`) of DKIM signatures that passed.
    pub dkim_pass: Vec<String>,
    pub dmarc_pass: bool,
    /// Some method failed (dkim, spf or dmarc `fail`).
    pub failed: bool,
    /// The header was present.
    pub present: bool,
}

impl HeaderFacts {
    /// Reads the facts from a header block (or a whole message: the body is not looked at).
    /// Returns `None` when there is no header at all. Never panics.
    pub fn parse(headers: &[u8]) -> Option<HeaderFacts> {
        let message = MessageParser::default().parse_headers(headers)?;
        if message.headers().is_empty() {
            return None;
        }
        let mut facts = HeaderFacts::default();
        if let Some(addr) = message.from().and_then(|a| a.first()) {
            facts.from = addr.address().map(|a| a.trim().to_ascii_lowercase());
            facts.from_name = addr.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        }
        for list in [message.to(), message.cc()].into_iter().flatten() {
            for a in list.iter() {
                if let Some(address) = a.address() {
                    facts
                        .recipients
                        .push((address.trim().to_ascii_lowercase(), a.name().map(str::to_string)));
                }
            }
        }
        facts.date = message.date().map(|d| d.to_timestamp());
        facts.subject = message.subject().unwrap_or_default().trim().to_string();
        facts.message_id = message.message_id().map(str::to_string);
        for (name, raw) in message.headers_raw() {
            let value = raw.trim();
            match name.to_ascii_lowercase().as_str() {
                "delivered-to" | "x-original-to" => {
                    if let Some(a) = bare_address(value) {
                        facts.delivered_to.push(a);
                    }
                }
                "list-unsubscribe" => facts.list_unsubscribe.extend(angle_items(value)),
                "list-unsubscribe-post" => {
                    facts.one_click |= unfold(value).eq_ignore_ascii_case("List-Unsubscribe=One-Click")
                }
                "list-id" => facts.list_id = Some(unfold(value)),
                "precedence" => {
                    let v = value.to_ascii_lowercase();
                    facts.bulk |= v.starts_with("bulk") || v.starts_with("list");
                }
                "auto-submitted" => facts.auto_submitted |= !value.eq_ignore_ascii_case("no"),
                "x-autoreply" | "x-autorespond" => facts.auto_submitted = true,
                "dkim-signature" => {
                    if let Some(d) = tag_value(value, "d") {
                        facts.dkim_domains.push(d.to_ascii_lowercase());
                    }
                }
                "authentication-results" if !facts.auth.present => facts.auth = parse_auth_results(value),
                "x-forwarded-for" => {
                    // Gmail writes `old@example.com new@example.org`: the first is the old address.
                    facts.forwarded_for =
                        value.split_whitespace().next().and_then(bare_address).or(facts.forwarded_for);
                }
                "x-forwarded-to" if facts.forwarded_for.is_none() => {
                    // Only the new address is named: the old one is the top Delivered-To, found later.
                    facts.forwarded_for = Some(String::new());
                }
                _ => {}
            }
        }
        if facts.forwarded_for.as_deref() == Some("") {
            facts.forwarded_for = facts.delivered_to.get(1).or(facts.delivered_to.first()).cloned();
        }
        Some(facts)
    }
}

/// Why hand-written: DKIM tag lists (`k=v; k=v`, RFC 6376 §3.2) and Authentication-Results need
/// only a few fields here, and mail-auth 0.13 has no public parser for either without verifying.
/// Returns the value of tag `name`, unfolded and trimmed.
pub fn tag_value(list: &str, name: &str) -> Option<String> {
    list.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.split_whitespace().collect::<String>())
    })
}

/// Reads `dkim=pass header.d=x`, `dmarc=pass`… from one Authentication-Results value.
pub fn parse_auth_results(value: &str) -> AuthVerdict {
    let mut verdict = AuthVerdict { present: true, ..AuthVerdict::default() };
    // The first item is the authserv-id; each result is `method=result props…`, `;`-separated.
    for result in value.split(';').skip(1) {
        let mut words = result.split_whitespace();
        let Some((method, outcome)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let method = method.to_ascii_lowercase();
        let outcome = outcome.to_ascii_lowercase();
        if outcome == "fail" && matches!(method.as_str(), "dkim" | "spf" | "dmarc") {
            verdict.failed = true;
        }
        if outcome != "pass" {
            continue;
        }
        match method.as_str() {
            "dmarc" => verdict.dmarc_pass = true,
            "dkim" => {
                for prop in words {
                    let Some((k, v)) = prop.split_once('=') else { continue };
                    let k = k.to_ascii_lowercase();
                    if k == "header.d" || k == "header.i" {
                        let v = v.trim_matches(|c| c == '"' || c == '(' || c == ')');
                        let domain = v.rsplit('@').next().unwrap_or(v).to_ascii_lowercase();
                        if !domain.is_empty() {
                            verdict.dkim_pass.push(domain);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    verdict
}

/// `<a@b>` or `a@b` → `a@b` (lower case); `None` if it does not look like an address.
fn bare_address(value: &str) -> Option<String> {
    let v = value.trim().trim_start_matches('<').trim_end_matches('>').trim();
    let (local, domain) = v.rsplit_once('@')?;
    (!local.is_empty() && domain.contains('.') && !v.contains(char::is_whitespace))
        .then(|| v.to_ascii_lowercase())
}

/// The `<…>` items of a List-Unsubscribe value.
fn angle_items(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let item: String = after[..end].split_whitespace().collect();
        if !item.is_empty() {
            out.push(item);
        }
        rest = &after[end + 1..];
    }
    out
}

fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_lists_dkim_and_authentication_results() {
        let raw = b"From: =?UTF-8?Q?Caf=C3=A9?= <News@Cafe.example.fr>\r\n\
To: Alice <alice@example.net>, bob@example.org\r\n\
Delivered-To: alice@example.net\r\n\
Subject: =?UTF-8?Q?R=C3=A9initialisation_du_mot_de_passe?=\r\n\
Date: Tue, 3 Mar 2026 10:00:00 +0100\r\n\
List-Unsubscribe: <mailto:u@cafe.example.fr>,\r\n <https://cafe.example.fr/u?x=1>\r\n\
List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=Cafe.example.fr;\r\n s=s1; h=from; bh=x; b=y\r\n\
Authentication-Results: mx.example.net; dkim=pass header.d=cafe.example.fr; spf=pass; dmarc=pass\r\n\
Authentication-Results: other.example; dkim=fail\r\n\r\n";
        let f = HeaderFacts::parse(raw).unwrap_or_default();
        assert_eq!(f.from.as_deref(), Some("news@cafe.example.fr"));
        assert_eq!(f.from_name.as_deref(), Some("Café"));
        assert_eq!(f.subject, "Réinitialisation du mot de passe");
        assert_eq!(f.recipients.len(), 2);
        assert_eq!(f.delivered_to, vec!["alice@example.net"]);
        assert_eq!(f.list_unsubscribe, vec!["mailto:u@cafe.example.fr", "https://cafe.example.fr/u?x=1"]);
        assert!(f.one_click);
        assert_eq!(f.dkim_domains, vec!["cafe.example.fr"]);
        assert!(f.auth.dmarc_pass && !f.auth.failed);
        assert_eq!(f.auth.dkim_pass, vec!["cafe.example.fr"]);
        assert_eq!(f.date, Some(1_772_528_400));
    }

    #[test]
    fn finds_the_old_address_in_forwarding_traces() {
        let raw = b"From: a@shop.example\r\nX-Forwarded-For: old@gmail.com new@mail.example\r\n\
Delivered-To: new@mail.example\r\nDelivered-To: old@gmail.com\r\n\r\n";
        let f = HeaderFacts::parse(raw).unwrap_or_default();
        assert_eq!(f.forwarded_for.as_deref(), Some("old@gmail.com"));
        let raw = b"From: a@shop.example\r\nX-Forwarded-To: new@mail.example\r\n\
Delivered-To: new@mail.example\r\nDelivered-To: old@gmail.com\r\n\r\n";
        let f = HeaderFacts::parse(raw).unwrap_or_default();
        assert_eq!(f.forwarded_for.as_deref(), Some("old@gmail.com"));
    }

    #[test]
    fn empty_input_has_no_facts() {
        assert_eq!(HeaderFacts::parse(b""), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = HeaderFacts::parse(&bytes);
        }

        #[test]
        fn never_panics_on_header_like_text(
            lines in proptest::collection::vec(
                ("(From|To|Cc|Delivered-To|DKIM-Signature|Authentication-Results|List-Unsubscribe|X-Forwarded-For|Subject)",
                 "[ -~\u{e9}<>@;=]{0,60}"), 0..12)
        ) {
            let raw: String = lines.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            let _ = HeaderFacts::parse(raw.as_bytes());
        }

        #[test]
        fn tag_lists_never_panic(s in "[ -~]{0,80}") {
            let _ = tag_value(&s, "d");
            let _ = parse_auth_results(&s);
        }
    }
}
