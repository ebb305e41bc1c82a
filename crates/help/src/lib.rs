//! Help requests with real consent: who may be contacted, for what, for how long, and the mail that
//! goes with it. Storage is in `demail-store`; pages are in `demail-web`.

pub mod accounts;
pub mod events;
pub mod mail;

use std::fmt;

use base64::Engine;
use sha2::{Digest, Sha256};

pub use accounts::{Role, hash_password, new_totp_secret, totp_code, verify_password, verify_totp};
pub use events::{Invitation, invitation_ics};
pub use mail::{MailAttachment, MailError, Mailer, OutboxMailer, OutgoingMail, SmtpMailer, SmtpSettings};

/// A contact address that has been checked: the only way to get one is [`ContactEmail::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEmail(String);

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is too long (254 characters at most)")]
    TooLong,
    #[error("this is not an e-mail address (it should look like name@example.org)")]
    Invalid,
}

impl ContactEmail {
    /// Checks the syntax (RFC 5321 limits, a dot in the domain) and normalises the domain to lowercase.
    pub fn parse(raw: &str) -> Result<ContactEmail, EmailError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let address: lettre::Address = s.parse().map_err(|_| EmailError::Invalid)?;
        let domain = address.domain();
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || address.user().len() > 64
        {
            return Err(EmailError::Invalid);
        }
        Ok(ContactEmail(format!("{}@{}", address.user(), domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContactEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One thing a person may agree to; each has its own unticked box.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Volunteers contact the person about the help they asked for.
    FollowUp,
    /// Occasional news of the campaign.
    News,
    /// The request is passed to this named partner host (a catalogue id).
    Partner(String),
}

impl Purpose {
    /// Stored spelling: `followup`, `news`, `partner:<id>`.
    pub fn as_string(&self) -> String {
        match self {
            Purpose::FollowUp => "followup".into(),
            Purpose::News => "news".into(),
            Purpose::Partner(id) => format!("partner:{id}"),
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "followup" => Some(Purpose::FollowUp),
            "news" => Some(Purpose::News),
            _ => s
                .strip_prefix("partner:")
                .filter(|id| {
                    !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                })
                .map(|id| Purpose::Partner(id.to_owned())),
        }
    }
}

/// How the person wants to be helped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Mail,
    Phone,
    InPerson,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Phone => "phone",
            Channel::InPerson => "in-person",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "mail" => Some(Channel::Mail),
            "phone" => Some(Channel::Phone),
            "in-person" => Some(Channel::InPerson),
            _ => None,
        }
    }
}

/// A secret for a link sent by mail. Only its hash is stored, so the database alone opens nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// 256 random bits, URL-safe.
    pub fn generate() -> Result<Token, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Token(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token read from a URL; `None` unless it has the exact shape we issue.
    pub fn from_url(s: &str) -> Option<Token> {
        (s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Token(s.to_owned()))
    }

    /// The text to put in a link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps: SHA-256, hex.
    pub fn hash(&self) -> String {
        Sha256::digest(self.0.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Version of the consent wording shown on the form; stored with each consent as proof.
pub const CONSENT_TEXT_VERSION: &str = "2026-11-24";

/// How long data is kept (the numbers shown to people come from here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// An unconfirmed request is deleted after this many hours.
    pub unconfirmed_hours: i64,
    /// A confirmed request is deleted this many months after the last action on it.
    pub confirmed_months: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { unconfirmed_hours: 48, confirmed_months: 12 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_email_accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            ContactEmail::parse("  Jeanne.Dupont@Exemple.FR ").map(|e| e.0),
            Ok("Jeanne.Dupont@exemple.fr".into())
        );
        assert!(ContactEmail::parse("a+b@sub.example.org").is_ok());
    }

    #[test]
    fn contact_email_refuses_what_cannot_receive_mail() {
        for bad in
            ["", "jeanne", "jeanne@", "@exemple.fr", "jeanne@localhost", "a b@c.fr", "x@y.", "<script>@x.fr"]
        {
            assert!(ContactEmail::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(ContactEmail::parse(&format!("{}@x.fr", "a".repeat(300))), Err(EmailError::TooLong));
    }

    #[test]
    fn purposes_round_trip_and_reject_odd_partner_ids() {
        for p in [Purpose::FollowUp, Purpose::News, Purpose::Partner("le-pic".into())] {
            assert_eq!(Purpose::parse(&p.as_string()), Some(p));
        }
        assert_eq!(Purpose::parse("partner:"), None);
        assert_eq!(Purpose::parse("partner:Le Pic"), None);
        assert_eq!(Purpose::parse("marketing"), None);
    }

    #[test]
    fn tokens_are_unique_url_safe_and_stored_only_as_hashes() -> Result<(), getrandom::Error> {
        let a = Token::generate()?;
        let b = Token::generate()?;
        assert_ne!(a, b);
        assert_eq!(Token::from_url(a.expose()), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.expose());
        assert_eq!(format!("{a:?}"), "Token(…)");
        assert_eq!(Token::from_url("short"), None);
        assert_eq!(Token::from_url(&"a".repeat(42).replace('a', "é")), None);
        Ok(())
    }
}
