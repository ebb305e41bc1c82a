//! Anonymous per-day counters: what happened and how often, never who.

use chrono::NaiveDate;
use sqlx::Row;

use crate::{Store, StoreError};

/// What was counted (never who).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// A hand-off to a provider's sign-up page; key = provider id.
    Signup,
    /// A results page was shown; key = the answer profile.
    Results,
    /// A migration from the site ended; key = `done` or `failed`.
    Migration,
    /// Messages copied by migrations from the site; key is empty, the count is the number.
    MessagesMoved,
}

impl CounterKind {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CounterKind::Signup => "signup",
            CounterKind::Results => "results",
            CounterKind::Migration => "migration",
            CounterKind::MessagesMoved => "messages-moved",
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

impl Store {
    /// Adds one to the counter of `kind` for `key` on `day`.
    pub async fn increment(&self, day: NaiveDate, kind: CounterKind, key: &str) -> Result<(), StoreError> {
        self.add_to_counter(day, kind, key, 1).await
    }

    /// Adds `n` to the counter of `kind` for `key` on `day`.
    pub async fn add_to_counter(
        &self,
        day: NaiveDate,
        kind: CounterKind,
        key: &str,
        n: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO daily_counters (day, kind, key, count) VALUES ($1, $2, $3, $4)
             ON CONFLICT (day, kind, key) DO UPDATE SET count = daily_counters.count + $4",
        )
        .bind(day.to_string())
        .bind(kind.as_str())
        .bind(key)
        .bind(n)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Counters of `kind` from `since` (inclusive), by day then key.
    pub async fn counters(&self, kind: CounterKind, since: NaiveDate) -> Result<Vec<Counter>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, kind, key, count FROM daily_counters WHERE kind = $1 AND day >= $2 ORDER BY day, key",
        )
        .bind(kind.as_str())
        .bind(since.to_string())
        .fetch_all(self.pool())
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
}
