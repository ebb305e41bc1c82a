//! Backoffice accounts: roles and password hashing (argon2id through the `argon2` crate).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything: all requests, assigning, catalogue status, audit log, statistics.
    Admin,
    /// Requests assigned to them and unassigned new ones.
    Volunteer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Volunteer => "volunteer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "volunteer" => Some(Role::Volunteer),
            _ => None,
        }
    }
}

/// A password that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: use at least 12 characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Shortest password accepted for a backoffice account.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() -> Result<(), PasswordError> {
        let h = hash_password("correct horse battery")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(hash_password("correct horse battery")?, h, "salts differ");
        Ok(())
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(hash_password("short"), Err(PasswordError::TooShort)));
    }
}

/// A new TOTP secret (160 random bits, RFC 6238's recommendation), base32 as authenticator apps
/// expect it, and the `otpauth://` address to give them.
pub fn new_totp_secret(username: &str) -> Result<(String, String), PasswordError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let encoded = totp_rs::Secret::new_stack(bytes).to_base32();
    let user: String = url_escape(username);
    let url = format!(
        "otpauth://totp/demail:{user}?secret={encoded}&issuer=demail&algorithm=SHA1&digits=6&period=30"
    );
    Ok((encoded, url))
}

/// Whether `code` is the 6-digit TOTP of `secret` (base32) at `unix_time`, one step either side.
pub fn verify_totp(secret: &str, code: &str, unix_time: u64) -> bool {
    totp_for(secret).is_some_and(|t| t.check(code.trim(), unix_time).is_some())
}

/// The code an authenticator app shows at `unix_time` (for tests and the set-up check).
pub fn totp_code(secret: &str, unix_time: u64) -> Option<String> {
    totp_for(secret).map(|t| t.generate(unix_time).to_string())
}

fn totp_for(secret: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret).ok()?;
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .build()
        .ok()
}

/// Percent-encodes what is not a letter, digit, `-`, `.` or `_` (user names in an otpauth label).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod totp_tests {
    use super::*;

    #[test]
    fn a_totp_code_verifies_in_its_window_only() -> Result<(), PasswordError> {
        let (secret, url) = new_totp_secret("anne marie")?;
        assert!(url.starts_with("otpauth://totp/demail:anne%20marie?secret="), "{url}");
        let now = 1_790_000_000;
        let code = totp_code(&secret, now).unwrap_or_default();
        assert_eq!(code.len(), 6);
        assert!(verify_totp(&secret, &code, now));
        assert!(verify_totp(&secret, &code, now + 30), "one step of clock drift is fine");
        assert!(!verify_totp(&secret, &code, now + 300));
        assert!(!verify_totp(&secret, "000000x", now));
        assert!(!verify_totp("not base32!", &code, now));
        Ok(())
    }
}
