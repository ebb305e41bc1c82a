//! A domain name someone typed, checked before any DNS question is asked.

use std::fmt;

/// A syntactically valid domain of at least two labels, lowercase ASCII (IDNA "xn--" form for
/// internationalised names), without the final dot. The only constructor is [`DomainName::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

/// Why a typed domain cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("no domain given: type a domain such as example.org")]
    Empty,
    #[error("{input:?} is an IP address, not a domain: type the domain of your e-mail address")]
    IpAddress { input: String },
    #[error("{input:?} has a single label: type the full domain, such as example.org")]
    SingleLabel { input: String },
    #[error("{input:?} is longer than the 253 characters a domain may have")]
    TooLong { input: String },
    #[error("{input:?} has an empty part between dots")]
    EmptyLabel { input: String },
    #[error("{input:?} has a part longer than 63 characters")]
    LabelTooLong { input: String },
    #[error("{input:?} contains {character:?}, which a domain cannot contain")]
    InvalidCharacter { input: String, character: char },
    #[error("{input:?} has a part that starts or ends with a hyphen")]
    HyphenAtLabelEdge { input: String },
    #[error("{input:?} ends with a number, which no top-level domain is")]
    NumericTopLevel { input: String },
    #[error("{input:?} is not a valid international domain name")]
    Idna { input: String },
}

impl DomainName {
    /// Parses what a person typed: surrounding spaces, a final dot and an e-mail address's
    /// local part (`me@example.org`) are tolerated; letters are lowercased and accents converted
    /// to their IDNA form (`exemple-été.fr` → `xn--exemple-t-d1ag.fr`).
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        let trimmed = trimmed.rsplit_once('@').map_or(trimmed, |(_, domain)| domain);
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        let owned = || trimmed.to_owned();
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        if trimmed.parse::<std::net::IpAddr>().is_ok() || trimmed.starts_with('[') {
            return Err(DomainError::IpAddress { input: owned() });
        }
        let ascii = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(trimmed).map_err(|_| DomainError::Idna { input: owned() })?
        };
        if ascii.len() > 253 {
            return Err(DomainError::TooLong { input: owned() });
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        for label in &labels {
            if label.is_empty() {
                return Err(DomainError::EmptyLabel { input: owned() });
            }
            if label.len() > 63 {
                return Err(DomainError::LabelTooLong { input: owned() });
            }
            if let Some(character) =
                label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            {
                return Err(DomainError::InvalidCharacter { input: owned(), character });
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainError::HyphenAtLabelEdge { input: owned() });
            }
        }
        if labels.len() < 2 {
            return Err(DomainError::SingleLabel { input: owned() });
        }
        if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
            return Err(DomainError::NumericTopLevel { input: owned() });
        }
        Ok(DomainName(ascii))
    }

    /// The name, e.g. `example.org`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `label.` prefixed to the domain, e.g. `prefixed("_dmarc")` → `_dmarc.example.org`.
    pub(crate) fn prefixed(&self, label: &str) -> String {
        format!("{label}.{}", self.0)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_typed_variants_of_one_domain() {
        for input in ["example.org", " Example.ORG. ", "moi@example.org"] {
            assert_eq!(DomainName::parse(input).map(|d| d.as_str().to_owned()), Ok("example.org".to_owned()));
        }
    }

    #[test]
    fn converts_accented_domains_to_idna() {
        assert_eq!(DomainName::parse("café.fr").map(|d| d.to_string()), Ok("xn--caf-dma.fr".to_owned()));
    }

    #[test]
    fn rejects_inputs_that_are_not_domains() {
        type Expected = fn(&DomainError) -> bool;
        let cases: [(&str, Expected); 8] = [
            ("", |e| matches!(e, DomainError::Empty)),
            ("192.0.2.1", |e| matches!(e, DomainError::IpAddress { .. })),
            ("localhost", |e| matches!(e, DomainError::SingleLabel { .. })),
            ("a..org", |e| matches!(e, DomainError::EmptyLabel { .. })),
            ("exa mple.org", |e| matches!(e, DomainError::InvalidCharacter { character: ' ', .. })),
            ("-bad.org", |e| matches!(e, DomainError::HyphenAtLabelEdge { .. })),
            ("host.123", |e| matches!(e, DomainError::NumericTopLevel { .. })),
            ("https://example.org/", |e| matches!(e, DomainError::InvalidCharacter { character: ':', .. })),
        ];
        for (input, expected) in cases {
            let err = DomainName::parse(input).expect_err(input);
            assert!(expected(&err), "{input:?} gave {err:?}");
        }
        let long = format!("{}.org", "a".repeat(64));
        assert!(matches!(DomainName::parse(&long), Err(DomainError::LabelTooLong { .. })));
        let too_long = format!("{}org", "abcdefghi.".repeat(26));
        assert!(matches!(DomainName::parse(&too_long), Err(DomainError::TooLong { .. })));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepted_names_are_valid_dns_names(input in "\\PC{0,80}") {
            if let Ok(domain) = DomainName::parse(&input) {
                let name = domain.as_str();
                prop_assert!(name.len() <= 253);
                prop_assert!(name.contains('.'));
                prop_assert!(name.split('.').all(|l| !l.is_empty() && l.len() <= 63));
                prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'));
                prop_assert_eq!(DomainName::parse(name), Ok(domain.clone()));
            }
        }
    }
}
