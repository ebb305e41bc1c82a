//! Help requests with their consents, link tokens (hashes only), status history and notes;
//! erasure and the retention purge.

use sqlx::Row;

use crate::{Store, StoreError};

/// Status of a request that has not been confirmed from the mail yet.
pub const PENDING: &str = "pending";

/// A help request as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct HelpRequest {
    pub id: i64,
    pub email: String,
    pub lang: String,
    pub need: String,
    pub channel: String,
    pub region: String,
    pub context: String,
    pub status: String,
    pub assignee: Option<i64>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_action_at: i64,
}

/// One consent as given, kept as proof while the request exists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct ConsentRecord {
    pub purpose: String,
    pub text_version: String,
    pub wording: String,
    pub given_at: i64,
    pub withdrawn_at: Option<i64>,
}

/// A new request, as the form gave it (already checked by the caller).
#[derive(Debug, Clone)]
pub struct NewHelpRequest {
    pub email: String,
    pub lang: String,
    pub need: String,
    pub channel: String,
    pub region: String,
    pub context: String,
    /// (purpose, text version, exact wording shown).
    pub consents: Vec<(String, String, String)>,
    /// Hash of the confirmation link's token, and when it stops working.
    pub confirm_token_hash: String,
    pub confirm_expires_at: i64,
    /// Hash of the `/mes-donnees/{token}` link's token.
    pub data_token_hash: String,
    pub now: i64,
}

/// A change of status, with who made it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StatusChange {
    pub status: String,
    pub by_user: Option<i64>,
    pub at: i64,
}

/// A volunteer's note, a logged reply mail, or a hand-over to a partner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct HelpNote {
    pub kind: String,
    pub author: Option<i64>,
    pub body: String,
    pub at: i64,
}

/// Which confirmed requests to list in the backoffice.
#[derive(Debug, Clone, Default)]
pub struct HelpFilter {
    pub status: Option<String>,
    pub region: Option<String>,
    pub channel: Option<String>,
    /// Only requests created at or before this time (for "older than N days").
    pub created_before: Option<i64>,
    /// Only requests assigned to this user, or (with `include_unassigned`) to nobody.
    pub assignee: Option<i64>,
    pub include_unassigned: bool,
}

/// How many rows a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub unconfirmed: u64,
    pub expired: u64,
}

const REQUEST_COLUMNS: &str = "id, email, lang, need, channel, region, context, status, assignee, \
                               created_at, confirmed_at, last_action_at";

impl Store {
    /// The secret called `name`, created by `generate` the first time (whichever node is first wins).
    pub async fn site_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO site_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(generate())
            .execute(self.pool())
            .await?;
        let row = sqlx::query("SELECT value FROM site_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("value")?)
    }

    /// Stores a new, unconfirmed request with its consents and link tokens; returns its id.
    pub async fn create_help_request(&self, new: &NewHelpRequest) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO help_requests (email, lang, need, channel, region, context, status, created_at,
                                        last_action_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&new.email)
        .bind(&new.lang)
        .bind(&new.need)
        .bind(&new.channel)
        .bind(&new.region)
        .bind(&new.context)
        .bind(PENDING)
        .bind(new.now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for (purpose, version, wording) in &new.consents {
            sqlx::query(
                "INSERT INTO help_consents (request_id, purpose, text_version, wording, given_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(purpose)
            .bind(version)
            .bind(wording)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
        }
        for (hash, kind, expires) in [
            (&new.confirm_token_hash, "confirm", Some(new.confirm_expires_at)),
            (&new.data_token_hash, "data", None),
        ] {
            sqlx::query(
                "INSERT INTO help_tokens (token_hash, request_id, kind, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(hash)
            .bind(id)
            .bind(kind)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
        }
        history(&mut tx, id, PENDING, None, new.now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The request a link token of `kind` opens, if the token exists and has not expired.
    pub async fn help_request_by_token(
        &self,
        token_hash: &str,
        kind: &str,
        now: i64,
    ) -> Result<Option<HelpRequest>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM help_requests WHERE id = (SELECT request_id FROM help_tokens
             WHERE token_hash = $1 AND kind = $2 AND (expires_at IS NULL OR expires_at > $3))"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(kind)
            .bind(now)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Confirms the request whose confirmation token this is (idempotent); returns it.
    pub async fn confirm_help_request(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<HelpRequest>, StoreError> {
        let Some(req) = self.help_request_by_token(token_hash, "confirm", now).await? else {
            return Ok(None);
        };
        if req.confirmed_at.is_none() {
            let mut tx = self.pool().begin().await?;
            let done = sqlx::query(
                "UPDATE help_requests SET confirmed_at = $1, last_action_at = $1, status = 'new'
                 WHERE id = $2 AND confirmed_at IS NULL",
            )
            .bind(now)
            .bind(req.id)
            .execute(&mut *tx)
            .await?;
            // A second click racing the first confirms nothing and writes no history.
            if done.rows_affected() == 1 {
                history(&mut tx, req.id, "new", None, now).await?;
            }
            tx.commit().await?;
        }
        self.help_request(req.id).await
    }

    /// One request by id.
    pub async fn help_request(&self, id: i64) -> Result<Option<HelpRequest>, StoreError> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM help_requests WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.pool()).await?)
    }

    /// Confirmed requests matching `filter`, newest first (at most 500).
    pub async fn help_requests(&self, filter: &HelpFilter) -> Result<Vec<HelpRequest>, StoreError> {
        // Fixed SQL with "no filter" sentinels, rather than SQL assembled from pieces.
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM help_requests WHERE confirmed_at IS NOT NULL
               AND ($1 = '' OR status = $1) AND ($2 = '' OR region = $2) AND ($3 = '' OR channel = $3)
               AND ($4 < 0 OR created_at <= $4)
               AND ($5 < 0 OR assignee = $5 OR ($6 = 1 AND assignee IS NULL))
             ORDER BY created_at DESC, id DESC LIMIT 500"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter.status.clone().unwrap_or_default())
            .bind(filter.region.clone().unwrap_or_default())
            .bind(filter.channel.clone().unwrap_or_default())
            .bind(filter.created_before.unwrap_or(-1))
            .bind(filter.assignee.unwrap_or(-1))
            .bind(i64::from(filter.include_unassigned))
            .fetch_all(self.pool())
            .await?)
    }

    /// The consents given with a request, oldest first.
    pub async fn help_consents(&self, request_id: i64) -> Result<Vec<ConsentRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT purpose, text_version, wording, given_at, withdrawn_at FROM help_consents
             WHERE request_id = $1 ORDER BY id",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Whether a consent for `purpose` is in force on this request.
    pub async fn has_consent(&self, request_id: i64, purpose: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM help_consents WHERE request_id = $1 AND purpose = $2 AND withdrawn_at IS NULL",
        )
        .bind(request_id)
        .bind(purpose)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Withdraws a consent (`None`: all of them); returns how many were in force.
    pub async fn withdraw_consent(
        &self,
        request_id: i64,
        purpose: Option<&str>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE help_consents SET withdrawn_at = $1
             WHERE request_id = $2 AND withdrawn_at IS NULL AND ($3 = '' OR purpose = $3)",
        )
        .bind(now)
        .bind(request_id)
        .bind(purpose.unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, request_id, now).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Erases a request and every row about it (consents, tokens, history, notes, audit lines).
    pub async fn erase_help_request(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self.erase_help_where("id = $1", id).await? > 0)
    }

    /// Deletes requests never confirmed since `unconfirmed_before`, and confirmed ones whose last
    /// action is older than `idle_before`.
    pub async fn purge_help_requests(
        &self,
        unconfirmed_before: i64,
        idle_before: i64,
    ) -> Result<PurgeReport, StoreError> {
        Ok(PurgeReport {
            unconfirmed: self
                .erase_help_where("confirmed_at IS NULL AND created_at < $1", unconfirmed_before)
                .await?,
            expired: self
                .erase_help_where("confirmed_at IS NOT NULL AND last_action_at < $1", idle_before)
                .await?,
        })
    }

    /// Erases, in one transaction, the requests matching `cond` (over `help_requests`, one `$1`
    /// parameter) and every row about them; returns how many requests went.
    async fn erase_help_where(&self, cond: &'static str, arg: i64) -> Result<u64, StoreError> {
        // The foreign keys cascade; the explicit deletes keep erasure complete even on a SQLite
        // connection opened elsewhere without `PRAGMA foreign_keys`.
        let mut tx = self.pool().begin().await?;
        for table in ["help_consents", "help_tokens", "help_history", "help_notes", "audit_log"] {
            let sql = format!(
                "DELETE FROM {table} WHERE request_id IN (SELECT id FROM help_requests WHERE {cond})"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arg).execute(&mut *tx).await?;
        }
        let sql = format!("DELETE FROM help_requests WHERE {cond}");
        let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arg).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Sets the status (and records it in the history).
    pub async fn set_help_status(
        &self,
        id: i64,
        status: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE help_requests SET status = $1, last_action_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        history(&mut tx, id, status, by, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Assigns the request to a volunteer (status becomes `assigned` if it was `new`).
    pub async fn assign_help_request(
        &self,
        id: i64,
        assignee: Option<i64>,
        by: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("SELECT status FROM help_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(()) };
        let status: String = row.try_get("status")?;
        let new_status = if status == "new" && assignee.is_some() { "assigned" } else { status.as_str() };
        sqlx::query("UPDATE help_requests SET assignee = $1, status = $2, last_action_at = $3 WHERE id = $4")
            .bind(assignee)
            .bind(new_status)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if new_status != status {
            history(&mut tx, id, new_status, by, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a note, a logged reply or a hand-over record.
    pub async fn add_help_note(
        &self,
        id: i64,
        kind: &str,
        author: Option<i64>,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO help_notes (request_id, kind, author, body, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(kind)
        .bind(author)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Status history of a request, oldest first.
    pub async fn help_history(&self, id: i64) -> Result<Vec<StatusChange>, StoreError> {
        Ok(sqlx::query_as("SELECT status, by_user, at FROM help_history WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Notes of a request, oldest first.
    pub async fn help_notes(&self, id: i64) -> Result<Vec<HelpNote>, StoreError> {
        Ok(sqlx::query_as("SELECT kind, author, body, at FROM help_notes WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Number of confirmed requests per status.
    pub async fn help_counts_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM help_requests WHERE confirmed_at IS NOT NULL GROUP BY status ORDER BY status",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// Records an action on the request (it restarts the retention period).
async fn touch(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE help_requests SET last_action_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    status: &str,
    by: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO help_history (request_id, status, by_user, at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(status)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Adds another link token to a request (each mail from the backoffice carries a fresh one).
    pub async fn add_help_token(
        &self,
        request_id: i64,
        token_hash: &str,
        kind: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO help_tokens (token_hash, request_id, kind) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(request_id)
            .bind(kind)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// When each request still held was confirmed, from `since` on (for weekly counts; no person).
    pub async fn help_confirmations_since(&self, since: i64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT confirmed_at FROM help_requests WHERE confirmed_at >= $1 ORDER BY confirmed_at",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| r.try_get::<i64, _>("confirmed_at")).collect::<Result<_, _>>()?)
    }
}
