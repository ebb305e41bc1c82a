//! The embedded SQLite backend: one file, migrations at start-up, WAL mode.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Counter, CounterKind, Store, StoreError};

/// A store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// `:memory:` gives a private in-memory database.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open { url: path.to_owned(), source };
        let memory = path == ":memory:";
        let options = if memory {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(open_err)?
        } else {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        };
        let options = options.foreign_keys(true).busy_timeout(std::time::Duration::from_secs(5));
        // An in-memory database lives in one connection; a file can be shared by a few.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn increment(&self, day: NaiveDate, kind: CounterKind, key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO daily_counters (day, kind, key, count) VALUES (?, ?, ?, 1)
             ON CONFLICT (day, kind, key) DO UPDATE SET count = count + 1",
        )
        .bind(day.to_string())
        .bind(kind.as_str())
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn counters(&self, kind: CounterKind, since: NaiveDate) -> Result<Vec<Counter>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, kind, key, count FROM daily_counters WHERE kind = ? AND day >= ? ORDER BY day, key",
        )
        .bind(kind.as_str())
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let day: String = r.try_get("day")?;
                let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(Counter {
                    day,
                    kind: r.try_get("kind")?,
                    key: r.try_get("key")?,
                    count: r.try_get("count")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[tokio::test]
    async fn counts_accumulate_per_day_and_key() -> Result<(), StoreError> {
        let store = SqliteStore::open(":memory:").await?;
        store.increment(day("2026-11-23"), CounterKind::Signup, "posteo").await?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "posteo").await?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "posteo").await?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "mailo").await?;
        store.increment(day("2026-11-24"), CounterKind::Results, "x").await?;
        let rows = store.counters(CounterKind::Signup, day("2026-11-24")).await?;
        let got: Vec<(String, i64)> = rows.iter().map(|c| (c.key.clone(), c.count)).collect();
        assert_eq!(got, vec![("mailo".to_owned(), 1), ("posteo".to_owned(), 2)]);
        Ok(())
    }

    #[tokio::test]
    async fn file_database_is_created_and_reopened_with_its_data() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Query(sqlx::Error::Io(e)))?;
        let path = dir.path().join("demail.sqlite3");
        let path = path.to_string_lossy().into_owned();
        {
            let store = SqliteStore::open(&path).await?;
            store.increment(day("2026-11-24"), CounterKind::Signup, "zaclys").await?;
        }
        let store = SqliteStore::open(&path).await?;
        let rows = store.counters(CounterKind::Signup, day("2026-01-01")).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].count, 1);
        Ok(())
    }
}
