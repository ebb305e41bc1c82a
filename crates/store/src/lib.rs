//! Storage behind demail: one [`Store`] over SQLite (the embedded default) or PostgreSQL
//! (several web nodes and workers), chosen by the database URL.
//!
//! Each feature writes its SQL once, in the subset both databases share (`$1` placeholders,
//! `ON CONFLICT`, `RETURNING`, integers and text only; times as Unix seconds), in its own
//! module with `impl Store { … }`. Each backend has its own migration directory. Where the
//! two must differ (claiming jobs), the code branches on [`Backend`].

pub mod admin;
mod counters;
pub mod events;
pub mod help;
mod jobs;
#[cfg(feature = "test-support")]
pub mod testing;
mod transition;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use admin::{AdminUser, AuditEntry, ProviderStatus};
pub use counters::{Counter, CounterKind};
pub use events::{Event, EventSummary, NewEvent, Registration};
pub use help::{ConsentRecord, HelpFilter, HelpNote, HelpRequest, NewHelpRequest, PurgeReport, StatusChange};
pub use jobs::{ControlRefused, Job, JobControl, JobState, NewJob, Outcome};
pub use transition::{Checklist, ChecklistItem, ItemStatus};

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

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database of a demail site: cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens the store named by `url` and brings its schema up to date: a file path or
    /// `sqlite://PATH` (created if missing), `:memory:`, or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let open_err = |source| StoreError::Open { url: redact(url), source };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(open_err)?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            return Ok(Store { pool, backend: Backend::Postgres });
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.contains("://") {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        }
        let memory = path == ":memory:";
        let any_url = if memory { "sqlite::memory:".to_owned() } else { format!("sqlite://{path}?mode=rwc") };
        // An in-memory database lives in one connection; a file is shared by a few.
        let pool = AnyPoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Per connection: wait for a writer instead of failing at once, enforce
                    // foreign keys, and fsync at checkpoints only (WAL keeps commits durable
                    // against crashes of the process).
                    conn.execute(
                        "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&any_url)
            .await
            .map_err(open_err)?;
        if !memory {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await.map_err(open_err)?;
        }
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store { pool, backend: Backend::Sqlite })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the modules that add their own queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(redact("postgres://demail:s3cret@db:5432/demail"), "postgres://demail:***@db:5432/demail");
        assert_eq!(redact("postgres://demail@db/demail"), "postgres://demail@db/demail");
        assert_eq!(redact("demail.sqlite3"), "demail.sqlite3");
    }

    #[tokio::test]
    async fn other_schemes_are_refused_with_a_clear_error() {
        let err = Store::open("mysql://u:p@h/db").await.err();
        assert!(matches!(err, Some(StoreError::UnsupportedUrl(u)) if u == "mysql://u:***@h/db"));
    }
}
