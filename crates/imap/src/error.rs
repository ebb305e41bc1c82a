//! What can go wrong talking to an IMAP server, in terms a user can act on.

use crate::codec::Code;

/// An IMAP session error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot reach {host}:{port} ({source}); check the server name, the port and the network")]
    Connect { host: String, port: u16, source: std::io::Error },
    #[error(
        "secure connection to {host} failed ({source}); for a test server with a self-signed certificate, use the insecure mode"
    )]
    Tls { host: String, source: std::io::Error },
    #[error("{0:?} is not a valid server name for TLS")]
    InvalidServerName(String),
    #[error("the server does not offer STARTTLS; use implicit TLS (port 993) instead")]
    StartTlsUnavailable,
    #[error(
        "the server refused the login ({0}); check the address and password — many providers require an app password"
    )]
    AuthenticationFailed(String),
    #[error(
        "the server offers no OAuth 2.0 login (OAUTHBEARER or XOAUTH2); use a password or an app password instead of a token"
    )]
    OAuthUnavailable,
    #[error("the server refuses passwords on an unencrypted connection; connect with TLS")]
    LoginDisabled,
    #[error("the server refused {command}: {text}")]
    Refused { command: String, code: Option<Code>, text: String },
    #[error("the server closed the connection {0}")]
    Closed(String),
    #[error("the server did not answer in time")]
    Timeout,
    #[error("the server sent something demail cannot read ({0})")]
    Protocol(String),
    #[error("the mailbox name {0:?} cannot be sent to this server")]
    BadMailboxName(String),
    #[error("the operation was cancelled")]
    Cancelled,
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
}
