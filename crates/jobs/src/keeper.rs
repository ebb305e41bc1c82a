//! Where credentials live while a job needs them: in this process's memory (single node), or
//! sealed with the deployment key in the job row (several workers). Never in clear on disk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};

use crate::Secrets;

/// Associated data of every sealed value: a sealed blob only opens as demail job credentials.
const AAD: &[u8] = b"demail job credentials v1";

/// The deployment key shared by web nodes and workers (32 bytes, given as 64 hex digits).
#[derive(Clone)]
pub struct DeploymentKey(Arc<XChaCha20Poly1305>);

impl std::fmt::Debug for DeploymentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeploymentKey(…)")
    }
}

/// A deployment key that is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error(
    "the deployment key must be 64 hexadecimal digits (32 random bytes), e.g. from `openssl rand -hex 32`"
)]
pub struct BadKey;

impl DeploymentKey {
    /// Parses 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<DeploymentKey, BadKey> {
        let mut bytes = hex::decode(hex_key.trim()).map_err(|_| BadKey)?;
        if bytes.len() != 32 {
            bytes.zeroize();
            return Err(BadKey);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| BadKey);
        bytes.zeroize();
        Ok(DeploymentKey(Arc::new(cipher?)))
    }

    /// Seals both passwords: base64 of a random 24-byte nonce followed by the ciphertext.
    pub fn seal(&self, secrets: &Secrets) -> Result<String, crate::JobsError> {
        let mut plain =
            serde_json::to_vec(&[secrets.source.expose_secret(), secrets.destination.expose_secret()])
                .map_err(|_| crate::JobsError::Seal)?;
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| crate::JobsError::Random)?;
        let sealed = self.0.encrypt(&XNonce::from(nonce), Payload { msg: &plain, aad: AAD });
        plain.zeroize();
        let mut out = nonce.to_vec();
        out.extend(sealed.map_err(|_| crate::JobsError::Seal)?);
        Ok(STANDARD.encode(out))
    }

    /// Opens a sealed value; fails if it was sealed with another key or altered.
    pub fn unseal(&self, sealed: &str) -> Result<Secrets, crate::JobsError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| crate::JobsError::Unseal)?;
        if bytes.len() < 24 {
            return Err(crate::JobsError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| crate::JobsError::Unseal)?;
        let mut plain = self
            .0
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: AAD })
            .map_err(|_| crate::JobsError::Unseal)?;
        let parsed: Result<[String; 2], _> = serde_json::from_slice(&plain);
        plain.zeroize();
        let [source, destination] = parsed.map_err(|_| crate::JobsError::Unseal)?;
        Ok(Secrets { source: SecretString::from(source), destination: SecretString::from(destination) })
    }
}

/// How this deployment keeps credentials.
#[derive(Clone, Debug)]
pub enum Keeper {
    /// In this process only (`demail serve` running its own jobs); lost on restart.
    Memory(Vault),
    /// Sealed in the job row with the deployment key, for workers elsewhere.
    Sealed(DeploymentKey),
}

/// Credentials of running jobs, by job id, in memory only.
#[derive(Clone, Default)]
pub struct Vault(Arc<Mutex<HashMap<i64, Secrets>>>);

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({} job(s))", self.ids().len())
    }
}

impl Vault {
    pub fn put(&self, id: i64, secrets: Secrets) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, secrets);
        }
    }

    pub fn get(&self, id: i64) -> Option<Secrets> {
        self.0.lock().ok().and_then(|map| map.get(&id).cloned())
    }

    /// Forgets a job's credentials (they are zeroed when dropped).
    pub fn remove(&self, id: i64) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&id);
        }
    }

    pub fn ids(&self) -> Vec<i64> {
        self.0.lock().map(|map| map.keys().copied().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets { source: SecretString::from("pw-source"), destination: SecretString::from("pw-dest") }
    }

    #[test]
    fn sealed_credentials_open_only_with_the_same_key_and_hide_the_passwords() {
        let key = DeploymentKey::from_hex(&"11".repeat(32)).map_err(|e| e.to_string());
        let other = DeploymentKey::from_hex(&"22".repeat(32)).map_err(|e| e.to_string());
        let (Ok(key), Ok(other)) = (key, other) else { panic!("keys") };
        let sealed = key.seal(&secrets()).unwrap_or_default();
        assert!(!sealed.contains("pw-source") && !sealed.contains("pw-dest"));
        let opened = key
            .unseal(&sealed)
            .map(|s| (s.source.expose_secret().to_owned(), s.destination.expose_secret().to_owned()));
        assert_eq!(opened.ok(), Some(("pw-source".to_owned(), "pw-dest".to_owned())));
        assert!(other.unseal(&sealed).is_err());
        // Two seals of the same secrets differ (random nonce).
        assert_ne!(key.seal(&secrets()).unwrap_or_default(), sealed);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(key.unseal(&String::from_utf8_lossy(&tampered)).is_err());
    }

    #[test]
    fn keys_must_be_32_bytes_of_hex() {
        assert!(DeploymentKey::from_hex("abcd").is_err());
        assert!(DeploymentKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(DeploymentKey::from_hex(&format!(" {} ", "0a".repeat(32))).is_ok());
    }
}
