//! Form tokens against cross-site request forgery, without cookies: each form carries a hidden
//! `{issued-at}.{HMAC-SHA256(site secret, scope | issued-at)}` that the server checks on post.
//!
//! Hand-written over the `hmac` crate because the CSRF crates we found all rely on a cookie, and
//! public pages set none. The scope ties a token to its use: `public` for the visitors' forms,
//! `admin:{session hash}` for the backoffice, so a token cannot be replayed across sessions.

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2_011::Sha256>;

/// How long a form stays valid after it was shown (a day: no hurry for anybody, WCAG 2.2.1).
pub const VALID_SECONDS: i64 = 24 * 3600;

/// Name of the hidden field.
pub const FIELD: &str = "jeton";

/// Signs and checks form tokens with the per-site secret.
#[derive(Clone)]
pub struct FormSigner {
    key: Vec<u8>,
}

impl FormSigner {
    pub fn new(secret: &str) -> FormSigner {
        FormSigner { key: secret.as_bytes().to_vec() }
    }

    fn mac(&self, scope: &str, issued: i64) -> Option<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(scope.as_bytes());
        mac.update(b"|");
        mac.update(issued.to_string().as_bytes());
        Some(mac)
    }

    /// A token for a form of `scope` shown at `now`.
    pub fn issue(&self, scope: &str, now: i64) -> String {
        let sig = self.mac(scope, now).map(|m| hex(&m.finalize().into_bytes())).unwrap_or_default();
        format!("{now}.{sig}")
    }

    /// Whether `token` was issued by this site for `scope` within the validity period.
    pub fn verify(&self, scope: &str, token: &str, now: i64) -> bool {
        let Some((issued, sig)) = token.split_once('.') else { return false };
        let Ok(issued) = issued.parse::<i64>() else { return false };
        if issued > now + 60 || now - issued > VALID_SECONDS || sig.len() != 64 {
            return false;
        }
        let Some(bytes) = unhex(sig) else { return false };
        // verify_slice compares in constant time.
        self.mac(scope, issued).is_some_and(|m| m.verify_slice(&bytes).is_ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_scope_secret_and_time() {
        let s = FormSigner::new("secret");
        let t = s.issue("public", 1000);
        assert!(s.verify("public", &t, 1000));
        assert!(s.verify("public", &t, 1000 + VALID_SECONDS));
        assert!(!s.verify("public", &t, 1001 + VALID_SECONDS), "expired");
        assert!(!s.verify("admin:x", &t, 1000), "other scope");
        assert!(!FormSigner::new("other").verify("public", &t, 1000), "other site");
        assert!(!s.verify("public", &t.replace("1000.", "1001."), 1001), "changed time");
        for bad in ["", ".", "1000.", "x.y", "1000.zz", &format!("1000.{}", "0".repeat(64))] {
            assert!(!s.verify("public", bad, 1000), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_tokens_never_verify_and_never_panic(token in ".{0,100}") {
            let s = FormSigner::new("secret");
            proptest::prop_assert!(!s.verify("public", &token, 1000));
        }
    }
}
