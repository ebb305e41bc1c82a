//! What one message says about its sender: account created, security, order, newsletter…

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::headers::HeaderFacts;

/// The kind of a message, strongest evidence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Password reset, new sign-in, verification code.
    Security,
    /// Welcome, confirm your address, account created.
    Account,
    /// Order, invoice, receipt, subscription.
    Transaction,
    /// Terms or privacy policy update.
    Policy,
    /// Mailing list or newsletter (list headers, bulk).
    Newsletter,
    /// Other automatic mail.
    Notification,
    /// Written by a person.
    Personal,
}

impl Kind {
    /// Whether this kind shows that the user has an account with the sender.
    pub fn proves_account(self) -> bool {
        matches!(self, Kind::Security | Kind::Account | Kind::Transaction)
    }
}

/// Keyword lists, one per language, from `data/keywords.toml`.
#[derive(Debug, Deserialize)]
struct Keywords {
    account: Langs,
    security: Langs,
    transaction: Langs,
    policy: Langs,
    newsletter: Langs,
}

#[derive(Debug, Deserialize)]
struct Langs {
    fr: Vec<String>,
    en: Vec<String>,
    de: Vec<String>,
    es: Vec<String>,
    it: Vec<String>,
}

/// A keyword list ready for matching: each keyword in NFC lower case and without accents.
struct List(Vec<(String, String)>);

struct Lists {
    account: List,
    security: List,
    transaction: List,
    policy: List,
    newsletter: List,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    // The file is part of the build and checked by `keyword_file_loads`: a mistake there is a
    // build bug, so an empty list (no match) is the fallback rather than a panic.
    let k: Option<Keywords> = toml::from_str(include_str!("../data/keywords.toml")).ok();
    let list = |pick: fn(&Keywords) -> &Langs| {
        List(
            k.as_ref()
                .map(|k| {
                    let l = pick(k);
                    [&l.fr, &l.en, &l.de, &l.es, &l.it]
                        .into_iter()
                        .flatten()
                        .map(|w| (normalise(w), strip_accents(&normalise(w))))
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    Lists {
        account: list(|k| &k.account),
        security: list(|k| &k.security),
        transaction: list(|k| &k.transaction),
        policy: list(|k| &k.policy),
        newsletter: list(|k| &k.newsletter),
    }
});

impl List {
    /// The first keyword found in `subject` (given as normalised and accent-free forms).
    fn find(&self, subject: &str, plain: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, p)| subject.contains(k.as_str()) || plain.contains(p.as_str()))
            .map(|(k, _)| k.as_str())
    }
}

/// The kind of one message and the keyword that decided it, if any.
pub fn classify(facts: &HeaderFacts) -> (Kind, Option<String>) {
    let subject = normalise(&facts.subject);
    let plain = strip_accents(&subject);
    let lists = &*LISTS;
    let listed = !facts.list_unsubscribe.is_empty() || facts.list_id.is_some() || facts.bulk;
    let newsletter_word = lists.newsletter.find(&subject, &plain).is_some();
    if let Some(k) = lists.security.find(&subject, &plain) {
        return (Kind::Security, Some(k.to_string()));
    }
    if let Some(k) = lists.account.find(&subject, &plain)
        && !newsletter_word
    {
        return (Kind::Account, Some(k.to_string()));
    }
    if let Some(k) = lists.transaction.find(&subject, &plain)
        && !newsletter_word
    {
        return (Kind::Transaction, Some(k.to_string()));
    }
    if let Some(k) = lists.policy.find(&subject, &plain) {
        return (Kind::Policy, Some(k.to_string()));
    }
    if listed || newsletter_word {
        return (Kind::Newsletter, None);
    }
    if facts.auto_submitted || facts.from.as_deref().is_some_and(looks_automatic) {
        return (Kind::Notification, None);
    }
    (Kind::Personal, None)
}

/// Local parts robots send from (`no-reply@`, `notifications@`…).
pub fn looks_automatic(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or_default().to_ascii_lowercase();
    const ROBOTS: [&str; 16] = [
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "ne-pas-repondre",
        "nepasrepondre",
        "notification",
        "notify",
        "alert",
        "info",
        "news",
        "mailer",
        "bounce",
        "service",
        "support",
    ];
    ROBOTS.iter().any(|r| local.contains(r))
}

fn normalise(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase()
}

fn strip_accents(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(subject: &str, list: bool) -> Kind {
        let facts = HeaderFacts {
            subject: subject.into(),
            from: Some("hello@shop.example".into()),
            list_id: list.then(|| "x".into()),
            ..HeaderFacts::default()
        };
        classify(&facts).0
    }

    #[test]
    fn keyword_file_loads() {
        assert!(LISTS.account.0.len() > 20 && LISTS.security.0.len() > 15 && LISTS.newsletter.0.len() > 5);
    }

    #[test]
    fn recognises_lifecycle_mail_in_five_languages() {
        assert_eq!(kind("Réinitialisation de votre mot de passe", false), Kind::Security);
        assert_eq!(kind("REINITIALISATION DU MOT DE PASSE", false), Kind::Security);
        assert_eq!(kind("Willkommen bei Zalando", false), Kind::Account);
        assert_eq!(kind("Tu pedido ha sido enviado", false), Kind::Transaction);
        assert_eq!(kind("Il tuo ordine è stato spedito", false), Kind::Transaction);
        assert_eq!(kind("Verify your email address", false), Kind::Account);
        assert_eq!(kind("Bienvenue dans notre newsletter", true), Kind::Newsletter);
        assert_eq!(kind("Les promos de la semaine", true), Kind::Newsletter);
        assert_eq!(kind("On se voit samedi ?", false), Kind::Personal);
    }
}
