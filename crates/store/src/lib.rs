//! Storage behind demail: one [`Store`] interface; SQLite is the embedded default.
//!
//! The trait is what the web and the workers see; a PostgreSQL implementation slots in beside
//! [`sqlite::SqliteStore`] with its own migrations (see docs/OPERATIONS.md).

pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use sqlite::SqliteStore;

/// A storage failure, with what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}. Check the path or URL and its permissions.")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot update the database schema: {0}. Is this database used by a newer demail?")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("unsupported database URL {0:?}: use a file path, sqlite://PATH, or postgres://…")]
    UnsupportedUrl(String),
}

/// What was counted (never who).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// A hand-off to a provider's sign-up page; key = provider id.
    Signup,
    /// A results page was shown; key = the answer profile.
    Results,
}

impl CounterKind {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CounterKind::Signup => "signup",
            CounterKind::Results => "results",
        }
    }
}

/// One row of the anonymous statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub day: NaiveDate,
    pub kind: String,
    pub key: String,
    pub count: i64,
}

/// The storage interface shared by every backend.
#[async_trait]
pub trait Store: Send + Sync {
    /// Adds one to today's counter of `kind` for `key`.
    async fn increment(&self, day: NaiveDate, kind: CounterKind, key: &str) -> Result<(), StoreError>;

    /// Counters of `kind` from `since` (inclusive), by day then key.
    async fn counters(&self, kind: CounterKind, since: NaiveDate) -> Result<Vec<Counter>, StoreError>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store named by `url`: a file path or `sqlite://PATH` (created if missing).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The PostgreSQL backend arrives with the workers (issue "jobs, workers and PostgreSQL").
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.contains("://") {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    }
    Ok(Arc::new(SqliteStore::open(path).await?))
}
