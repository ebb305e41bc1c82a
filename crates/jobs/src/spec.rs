//! What a job is: two servers, two user names, options; and, apart, the two passwords.

use demail_imap::{ConnectOptions, Credentials, Security};
use demail_move::{Account, CopyOptions, PlanOptions};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// A migration asked for from the site. Holds no secret: it is stored as is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobSpec {
    pub source: Endpoint,
    pub destination: Endpoint,
    pub options: JobOptions,
    /// The folder plan and sizes shown before the start (set by [`crate::Jobs::check`]).
    #[serde(default)]
    pub preview: Option<crate::Preview>,
}

/// One side: server, port, security and user name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Transport,
    pub user: String,
    /// Accept a self-signed certificate (test servers; set by the instance, never by the form).
    #[serde(default)]
    pub insecure: bool,
    /// The provider's name as the person picked it, for the pages.
    #[serde(default)]
    pub provider: Option<String>,
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TLS from the first byte (port 993).
    Tls,
    /// STARTTLS (port 143).
    StartTls,
    /// No encryption: loopback test servers only.
    Plaintext,
}

/// What the person chose.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobOptions {
    pub include_junk: bool,
    pub include_trash: bool,
    /// Only mail received on or after this day.
    #[serde(default)]
    pub since: Option<chrono::NaiveDate>,
}

/// The two passwords, kept apart from the spec and never stored in clear.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub source: SecretString,
    pub destination: SecretString,
}

impl Endpoint {
    /// The engine's account for this side with `password`.
    pub fn account(&self, password: &SecretString) -> Account {
        let security = match self.security {
            Transport::Tls => Security::Tls,
            Transport::StartTls => Security::StartTls,
            Transport::Plaintext => Security::Plaintext,
        };
        let mut options = ConnectOptions::new(self.host.clone(), self.port, security);
        options.insecure = self.insecure;
        Account { options, credentials: Credentials::password(self.user.clone(), password.clone()) }
    }
}

impl JobOptions {
    /// The engine's plan options.
    pub fn plan(&self) -> PlanOptions {
        PlanOptions {
            include_junk: self.include_junk,
            include_trash: self.include_trash,
            ..PlanOptions::default()
        }
    }

    /// The engine's copy options, with `connections` parallel connection pairs.
    pub fn copy(&self, connections: usize) -> CopyOptions {
        CopyOptions { plan: self.plan(), connections, since: self.since, ..CopyOptions::default() }
    }
}
