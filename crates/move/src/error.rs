//! Errors of a migration run.

use std::path::PathBuf;

/// Why a migration run stopped. What was copied before is recorded in the state file: running
/// again continues from there.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    // The inner error is part of the message (not a `source`), so that it is shown once.
    #[error("source server: {0}")]
    Source(demail_imap::Error),
    #[error("destination server: {0}")]
    Destination(demail_imap::Error),
    #[error("the destination refused to create the folder {folder:?}: {error}")]
    CreateFolder { folder: String, error: demail_imap::Error },
    #[error("state file {path}: {error}; check that the path is writable and the disk not full")]
    State { path: PathBuf, error: sqlx::Error },
    #[error("archive: {0}")]
    Archive(String),
    #[error("local folder {path}: {error}; check that the path is writable and the disk not full")]
    Local { path: PathBuf, error: std::io::Error },
    #[error("state file {path} belongs to another migration ({stored}); choose another state path")]
    StateForAnotherPair { path: PathBuf, stored: String },
}

impl MoveError {
    /// Whether trying again on a new connection may succeed (the network or server dropped
    /// the connection), as opposed to a refusal that will happen again.
    pub fn is_transient(&self) -> bool {
        use demail_imap::Error as E;
        match self {
            MoveError::Source(e) | MoveError::Destination(e) => {
                matches!(e, E::Connect { .. } | E::Closed(_) | E::Timeout | E::Io(_))
            }
            _ => false,
        }
    }
}
