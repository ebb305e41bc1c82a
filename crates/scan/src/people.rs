//! Correspondents: people the user wrote to and who wrote to them, and how to tell them.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// A person to tell about the new address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correspondent {
    pub address: String,
    pub name: Option<String>,
    /// Messages the user sent them.
    pub sent: u64,
    /// Messages they sent the user.
    pub received: u64,
    pub last_seen: Option<i64>,
    /// They wrote to the old address after the last scan (or by forwarding).
    pub still_writing: bool,
    /// Recency- and frequency-weighted rank; higher first.
    pub score: f64,
}

#[derive(Default)]
struct Acc {
    names: HashMap<String, u64>,
    sent: u64,
    received: u64,
    last: Option<i64>,
    still: bool,
}

#[derive(Default)]
pub(crate) struct People(HashMap<String, Acc>);

impl People {
    pub(crate) fn sent_to(&mut self, address: &str, name: Option<&str>, date: Option<i64>) {
        let acc = self.touch(address, name, date);
        acc.sent += 1;
    }

    pub(crate) fn received_from(
        &mut self,
        address: &str,
        name: Option<&str>,
        date: Option<i64>,
        still: bool,
    ) {
        let acc = self.touch(address, name, date);
        acc.received += 1;
        acc.still |= still;
    }

    fn touch(&mut self, address: &str, name: Option<&str>, date: Option<i64>) -> &mut Acc {
        let acc = self.0.entry(address.to_ascii_lowercase()).or_default();
        if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty() && !n.contains('@')) {
            *acc.names.entry(n.to_string()).or_default() += 1;
        }
        if let Some(d) = date {
            acc.last = Some(acc.last.map_or(d, |l| l.max(d)));
        }
        acc
    }

    /// People other than the user, ranked: a sent message weighs three received ones, and the
    /// weight halves for each year since the last exchange (counted from the newest message).
    pub(crate) fn ranked(self, me: &BTreeSet<String>) -> Vec<Correspondent> {
        let newest = self.0.values().filter_map(|a| a.last).max().unwrap_or(0);
        let mut list: Vec<Correspondent> = self
            .0
            .into_iter()
            .filter(|(address, _)| !me.contains(address))
            .map(|(address, acc)| {
                let years = acc.last.map_or(10.0, |l| (newest - l).max(0) as f64 / 31_557_600.0);
                let score = (acc.sent as f64 * 3.0 + acc.received as f64) * 0.5f64.powf(years);
                let name =
                    acc.names.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(n, _)| n);
                Correspondent {
                    address,
                    name,
                    sent: acc.sent,
                    received: acc.received,
                    last_seen: acc.last,
                    still_writing: acc.still,
                    score,
                }
            })
            .collect();
        list.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.address.cmp(&b.address)));
        list
    }
}

/// A ready-to-edit message announcing the new address, in French (`fr`) or English.
pub fn announcement(lang: &str, old: &str, new: &str, signature: &str) -> String {
    let signature = if signature.trim().is_empty() { "" } else { signature.trim() };
    if lang.starts_with("en") {
        format!(
            "Subject: My new e-mail address\n\nHello,\n\nI am changing my e-mail address. From now on, please write to me at:\n\n    {new}\n\nMy old address ({old}) will stay open for a while, but I will read it less and less.\nPlease update my address in your contacts.\n\nThank you, and see you soon,\n{signature}\n"
        )
    } else {
        format!(
            "Objet : Ma nouvelle adresse e-mail\n\nBonjour,\n\nJe change d'adresse e-mail. Désormais, écrivez-moi à :\n\n    {new}\n\nMon ancienne adresse ({old}) reste ouverte quelque temps, mais je la lirai de moins en moins.\nPensez à mettre à jour mon adresse dans vos contacts.\n\nMerci, et à bientôt,\n{signature}\n"
        )
    }
}

/// The correspondents as a CSV file (`name,email,sent,received,last_seen`), RFC 4180 quoting.
/// Written by hand: five columns do not justify a CSV dependency; quoting is tested below.
pub fn correspondents_csv(people: &[Correspondent]) -> String {
    let mut out = String::from("name,email,sent,received,last_seen\r\n");
    for p in people {
        let last = p.last_seen.map(|t| t.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "{},{},{},{},{}\r\n",
            csv_field(p.name.as_deref().unwrap_or_default()),
            csv_field(&p.address),
            p.sent,
            p.received,
            last
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would make spreadsheets run a formula: prefix with a quote (OWASP advice).
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\r', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The correspondents as vCard 4.0 (RFC 6350), one card each. Hand-written for the same reason
/// as the CSV: two properties, escaping and line folding are all that is needed.
pub fn correspondents_vcard(people: &[Correspondent]) -> String {
    let mut out = String::new();
    for p in people {
        out.push_str("BEGIN:VCARD\r\nVERSION:4.0\r\n");
        out.push_str(&fold(&format!("FN:{}", vcard_text(p.name.as_deref().unwrap_or(&p.address)))));
        out.push_str(&fold(&format!("EMAIL:{}", vcard_text(&p.address))));
        out.push_str("END:VCARD\r\n");
    }
    out
}

fn vcard_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (RFC 6350 §3.2).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(name: &str, address: &str) -> Correspondent {
        Correspondent {
            address: address.into(),
            name: Some(name.into()),
            sent: 1,
            received: 2,
            last_seen: Some(5),
            still_writing: false,
            score: 1.0,
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_formulas() {
        let csv = correspondents_csv(&[person("Dupont, \"Jo\"", "jo@x.fr"), person("=cmd()", "a@b.fr")]);
        assert_eq!(
            csv,
            "name,email,sent,received,last_seen\r\n\"Dupont, \"\"Jo\"\"\",jo@x.fr,1,2,5\r\n'=cmd(),a@b.fr,1,2,5\r\n"
        );
    }

    #[test]
    fn vcard_escapes_and_folds() {
        let card = correspondents_vcard(&[person("Élodie; Martin", "elodie@x.fr")]);
        assert!(card.contains("FN:Élodie\\; Martin\r\n"));
        assert!(card.contains("EMAIL:elodie@x.fr\r\n"));
    }

    #[test]
    fn announcement_names_both_addresses() {
        let fr = announcement("fr", "old@gmail.com", "new@ex.org", "Alice");
        assert!(fr.contains("new@ex.org") && fr.contains("old@gmail.com") && fr.starts_with("Objet"));
        assert!(announcement("en", "o@x", "n@y", "").starts_with("Subject"));
    }

    proptest! {
        #[test]
        fn vcard_lines_stay_short_and_unfold_back(name in "\\PC{0,200}") {
            let card = correspondents_vcard(&[person(&name, "a@b.fr")]);
            for line in card.split("\r\n") {
                prop_assert!(line.len() <= 76);
            }
            let unfolded = card.replace("\r\n ", "");
            let expected = format!("FN:{}\r\n", vcard_text(if name.is_empty() { "" } else { &name }));
            prop_assert!(unfolded.contains(&expected));
        }

        #[test]
        fn csv_has_one_record_per_person(name in "\\PC{0,40}") {
            let csv = correspondents_csv(&[person(&name, "a@b.fr")]);
            // Outside quotes there are exactly two record ends.
            let mut quoted = false;
            let mut ends = 0;
            for c in csv.chars() {
                match c { '"' => quoted = !quoted, '\n' if !quoted => ends += 1, _ => {} }
            }
            prop_assert_eq!(ends, 2);
        }
    }
}
