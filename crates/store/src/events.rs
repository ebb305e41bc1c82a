//! Events (webinars, workshops, meetings) and their registrations, with a waiting list.
//! A cancelled registration is deleted, not kept.

use sqlx::{FromRow, Row};

use crate::{Backend, Store, StoreError};

/// An event as a volunteer created it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// Unix seconds (UTC).
    pub starts_at: i64,
    pub minutes: i64,
    pub place: String,
    pub online_url: String,
    pub capacity: i64,
    pub lang: String,
}

/// A new event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub starts_at: i64,
    pub minutes: i64,
    pub place: String,
    pub online_url: String,
    pub capacity: i64,
    pub lang: String,
    pub created_by: Option<i64>,
    pub now: i64,
}

/// An event with how many places are taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    pub event: Event,
    pub confirmed: i64,
    pub waiting: i64,
}

/// One person's registration.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Registration {
    pub id: i64,
    pub event_id: i64,
    pub email: String,
    pub lang: String,
    /// `pending` (not confirmed from the mail yet), `confirmed` or `waiting`.
    pub status: String,
    pub created_at: i64,
}

const EVENT_COLUMNS: &str = "id, title, description, starts_at, minutes, place, online_url, capacity, lang";
const REG_COLUMNS: &str = "id, event_id, email, lang, status, created_at";

impl Store {
    /// Creates an event; returns its id.
    pub async fn create_event(&self, e: &NewEvent) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO events (title, description, starts_at, minutes, place, online_url, capacity, lang,
                                 created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&e.title)
        .bind(&e.description)
        .bind(e.starts_at)
        .bind(e.minutes)
        .bind(&e.place)
        .bind(&e.online_url)
        .bind(e.capacity)
        .bind(&e.lang)
        .bind(e.created_by)
        .bind(e.now)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// One event.
    pub async fn event(&self, id: i64) -> Result<Option<Event>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(Event::from_row).transpose()?)
    }

    /// Events that have not ended at `now`, soonest first, with their places taken.
    pub async fn upcoming_events(&self, now: i64) -> Result<Vec<EventSummary>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS},
                (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = events.id AND r.status = 'confirmed') AS confirmed,
                (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = events.id AND r.status = 'waiting') AS waiting
             FROM events WHERE starts_at + minutes * 60 > $1 ORDER BY starts_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(EventSummary {
                    event: Event::from_row(r)?,
                    confirmed: r.try_get("confirmed")?,
                    waiting: r.try_get("waiting")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records an unconfirmed registration; returns its id.
    #[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
    pub async fn register_for_event(
        &self,
        event_id: i64,
        email: &str,
        lang: &str,
        consent_version: &str,
        consent_wording: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO event_registrations (event_id, email, lang, status, consent_version, consent_wording,
                                              token_hash, created_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7) RETURNING id",
        )
        .bind(event_id)
        .bind(email)
        .bind(lang)
        .bind(consent_version)
        .bind(consent_wording)
        .bind(token_hash)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The registration a link token opens.
    pub async fn registration_by_token(&self, token_hash: &str) -> Result<Option<Registration>, StoreError> {
        let sql = format!("SELECT {REG_COLUMNS} FROM event_registrations WHERE token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(Registration::from_row).transpose()?)
    }

    /// Gives a registration a new link token (each mail carries a fresh one).
    pub async fn set_registration_token(&self, id: i64, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE event_registrations SET token_hash = $1 WHERE id = $2")
            .bind(token_hash)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Confirms a pending registration: a place if one is free, else the waiting list.
    pub async fn confirm_registration(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<Registration>, StoreError> {
        let Some(reg) = self.registration_by_token(token_hash).await? else { return Ok(None) };
        if reg.status == "pending" {
            let mut tx = self.pool().begin().await?;
            self.lock_event(&mut tx, reg.event_id).await?;
            sqlx::query(
                "UPDATE event_registrations SET confirmed_at = $2, status = CASE
                    WHEN (SELECT COUNT(*) FROM event_registrations WHERE event_id = $3 AND status = 'confirmed')
                         < (SELECT capacity FROM events WHERE id = $3) THEN 'confirmed' ELSE 'waiting' END
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(reg.id)
            .bind(now)
            .bind(reg.event_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        self.registration_by_token(token_hash).await
    }

    /// Deletes a registration; if it held a place, the first on the waiting list gets it and is
    /// returned (to be told by mail).
    pub async fn cancel_registration(
        &self,
        token_hash: &str,
    ) -> Result<Option<Option<Registration>>, StoreError> {
        let Some(reg) = self.registration_by_token(token_hash).await? else { return Ok(None) };
        let mut tx = self.pool().begin().await?;
        self.lock_event(&mut tx, reg.event_id).await?;
        // The status as the delete saw it, under the event's lock: two cancels of one place
        // promote one person, not two.
        let held: Option<String> =
            sqlx::query_scalar("DELETE FROM event_registrations WHERE id = $1 RETURNING status")
                .bind(reg.id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut promoted = None;
        if held.as_deref() == Some("confirmed") {
            let sql = format!(
                "UPDATE event_registrations SET status = 'confirmed' WHERE id = (SELECT id FROM event_registrations
                 WHERE event_id = $1 AND status = 'waiting' ORDER BY id LIMIT 1) RETURNING {REG_COLUMNS}"
            );
            let row =
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(reg.event_id).fetch_optional(&mut *tx).await?;
            promoted = row.as_ref().map(Registration::from_row).transpose()?;
        }
        tx.commit().await?;
        Ok(Some(promoted))
    }

    /// Confirmed registrations of events starting between `now` and `until` not yet reminded.
    pub async fn reminders_due(
        &self,
        now: i64,
        until: i64,
    ) -> Result<Vec<(Registration, Event)>, StoreError> {
        let sql = "SELECT r.id, r.event_id, r.email, r.lang, r.status, r.created_at,
                    e.id AS e_id, e.title, e.description, e.starts_at, e.minutes, e.place, e.online_url, e.capacity,
                    e.lang AS e_lang
             FROM event_registrations r JOIN events e ON e.id = r.event_id
             WHERE r.status = 'confirmed' AND r.reminded_at IS NULL AND e.starts_at > $1 AND e.starts_at <= $2
             ORDER BY r.id";
        let rows = sqlx::query(sql).bind(now).bind(until).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let event = Event {
                    id: r.try_get("e_id")?,
                    title: r.try_get("title")?,
                    description: r.try_get("description")?,
                    starts_at: r.try_get("starts_at")?,
                    minutes: r.try_get("minutes")?,
                    place: r.try_get("place")?,
                    online_url: r.try_get("online_url")?,
                    capacity: r.try_get("capacity")?,
                    lang: r.try_get("e_lang")?,
                };
                Ok((Registration::from_row(r)?, event))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Notes that the reminder was sent.
    pub async fn mark_reminded(&self, registration_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE event_registrations SET reminded_at = $1 WHERE id = $2")
            .bind(now)
            .bind(registration_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes registrations never confirmed since `pending_before`, and events (with their
    /// attendee lists) that ended before `ended_before`; returns (registrations, events).
    pub async fn purge_events(
        &self,
        pending_before: i64,
        ended_before: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool().begin().await?;
        let regs =
            sqlx::query("DELETE FROM event_registrations WHERE status = 'pending' AND created_at < $1")
                .bind(pending_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query(
            "DELETE FROM event_registrations WHERE event_id IN (SELECT id FROM events WHERE starts_at + minutes * 60 < $1)",
        )
        .bind(ended_before)
        .execute(&mut *tx)
        .await?;
        let events = sqlx::query("DELETE FROM events WHERE starts_at + minutes * 60 < $1")
            .bind(ended_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((regs, events))
    }

    /// On PostgreSQL, serialises changes to one event's places (SQLite has a single writer).
    async fn lock_event(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        event_id: i64,
    ) -> Result<(), sqlx::Error> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM events WHERE id = $1 FOR UPDATE")
                .bind(event_id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// When each registration still held was confirmed, from `since` on (for weekly counts).
    pub async fn registrations_confirmed_since(&self, since: i64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT confirmed_at FROM event_registrations WHERE confirmed_at >= $1 AND status = 'confirmed'
             ORDER BY confirmed_at",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| r.try_get::<i64, _>("confirmed_at")).collect::<Result<_, _>>()?)
    }
}
