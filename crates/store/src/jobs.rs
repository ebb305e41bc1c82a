//! The job queue: migration jobs with states, a lease renewed by heartbeats, retries with
//! back-off, expired leases put back in the queue, a throttled progress snapshot and the report.
//!
//! The queue holds no password: `sealed` is an opaque, already-encrypted value (or NULL), erased
//! as soon as a job ends. Times are Unix seconds given by the caller, so tests control the clock.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Logins checked and plan shown; waiting for the person to press Start.
    Draft,
    Queued,
    Running,
    Paused,
    Done,
    Failed,
    Cancelled,
    /// Credentials were only in the memory of a server that restarted: the person must give
    /// them again.
    NeedsCredentials,
}

impl JobState {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Draft => "draft",
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::NeedsCredentials => "needs_credentials",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Draft,
            JobState::Queued,
            JobState::Running,
            JobState::Paused,
            JobState::Done,
            JobState::Failed,
            JobState::Cancelled,
            JobState::NeedsCredentials,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Whether the job will never run again.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Cancelled)
    }
}

/// What a person asks of a job from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobControl {
    Start,
    Pause,
    Resume,
    Cancel,
}

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub token_hash: &'a str,
    pub spec: &'a str,
    pub sealed: Option<&'a str>,
    pub state: JobState,
    pub max_attempts: i64,
    pub now: i64,
    pub expires_at: i64,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub state: JobState,
    pub spec: String,
    pub sealed: Option<String>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_after: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    /// A pause or cancel asked while the job runs; the worker acts on it at its next heartbeat.
    pub requested: Option<JobControl>,
    pub progress: Option<String>,
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

/// How a run ended, as the worker records it.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// Finished (done or failed for good), with the report and/or error.
    Final { state: JobState, report: Option<&'a str>, error: Option<&'a str> },
    /// Stopped on request (paused or cancelled).
    Stopped(JobState),
    /// A failure worth another try at `run_after`, unless the attempts are used up.
    Retry { run_after: i64, error: &'a str },
    /// Credentials are gone (single-node restart): the person must give them again.
    NeedsCredentials,
}

/// Why a control request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRefused {
    /// No such job (or its link expired).
    NotFound,
    /// The job is in a state where this makes no sense (`Start` twice, `Resume` when running…).
    WrongState(JobState),
}

const COLUMNS: &str = "id, state, spec, sealed, attempts, max_attempts, run_after, lease_owner, lease_until, \
                       requested, progress, report, error, created_at, updated_at, expires_at";

impl Store {
    /// Inserts a job and returns its id.
    pub async fn create_job(&self, job: &NewJob<'_>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO jobs (token_hash, state, spec, sealed, attempts, max_attempts, run_after,
             created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $6, $6, $7) RETURNING id",
        )
        .bind(job.token_hash)
        .bind(job.state.as_str())
        .bind(job.spec)
        .bind(job.sealed)
        .bind(job.max_attempts)
        .bind(job.now)
        .bind(job.expires_at)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The job with this id.
    pub async fn job(&self, id: i64) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM jobs WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| job_from(&r)).transpose()
    }

    /// The job whose link token hashes to `token_hash`, unless it expired before `now`.
    pub async fn job_by_token_hash(&self, token_hash: &str, now: i64) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM jobs WHERE token_hash = $1 AND expires_at > $2"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| job_from(&r)).transpose()
    }

    /// Claims the oldest queued job that is due, for `owner`, with a lease until `lease_until`.
    /// Each queued job is handed to exactly one caller, however many workers ask at once.
    pub async fn claim_job(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<Job>, StoreError> {
        // PostgreSQL: rows another worker is claiming are skipped rather than waited for. SQLite
        // has one writer at a time, so the single UPDATE is already exclusive.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2,
             attempts = attempts + 1, requested = NULL, updated_at = $3
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $3
                         ORDER BY run_after, id LIMIT 1{lock})
             RETURNING {COLUMNS}"
        );
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| job_from(&r)).transpose()
    }

    /// Renews `owner`'s lease on job `id`. `Ok(None)` when the lease was lost (expired and taken
    /// by another worker): the caller must stop. Otherwise returns any pending pause/cancel.
    pub async fn heartbeat_job(
        &self,
        id: i64,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<Option<JobControl>>, StoreError> {
        let row = sqlx::query(
            "UPDATE jobs SET lease_until = $1, updated_at = $2
             WHERE id = $3 AND state = 'running' AND lease_owner = $4 RETURNING requested",
        )
        .bind(lease_until)
        .bind(now)
        .bind(id)
        .bind(owner)
        .fetch_optional(self.pool())
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(r.try_get::<Option<String>, _>(0)?.as_deref().and_then(control_parse))),
        }
    }

    /// Stores the progress snapshot of a running job; false if `owner` lost the lease.
    pub async fn save_job_progress(
        &self,
        id: i64,
        owner: &str,
        progress: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET progress = $1, updated_at = $2 WHERE id = $3 AND state = 'running' AND lease_owner = $4",
        )
        .bind(progress)
        .bind(now)
        .bind(id)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how `owner`'s run of job `id` ended and gives up the lease. Final states and
    /// cancellation erase the sealed credentials. False if the lease was lost meanwhile.
    pub async fn end_job_run(
        &self,
        id: i64,
        owner: &str,
        outcome: &Outcome<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let common = "lease_owner = NULL, lease_until = NULL, requested = NULL, updated_at = $1";
        let guard = "WHERE id = $2 AND state = 'running' AND lease_owner = $3";
        let query = match outcome {
            Outcome::Final { state, report, error } => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = $4, report = $5, error = $6, sealed = NULL, {common} {guard}"
            )))
            .bind(now)
            .bind(id)
            .bind(owner)
            .bind(state.as_str())
            .bind(*report)
            .bind(*error),
            Outcome::Stopped(state) => {
                let erase = if *state == JobState::Paused { "" } else { "sealed = NULL," };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE jobs SET state = $4, {erase} {common} {guard}"
                )))
                .bind(now)
                .bind(id)
                .bind(owner)
                .bind(state.as_str())
            }
            Outcome::Retry { run_after, error } => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET
                   state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                   sealed = CASE WHEN attempts >= max_attempts THEN NULL ELSE sealed END,
                   run_after = $4, error = $5, {common} {guard}"
            )))
            .bind(now)
            .bind(id)
            .bind(owner)
            .bind(*run_after)
            .bind(*error),
            Outcome::NeedsCredentials => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'needs_credentials', attempts = attempts - 1, {common} {guard}"
            )))
            .bind(now)
            .bind(id)
            .bind(owner),
        };
        Ok(query.execute(self.pool()).await?.rows_affected() == 1)
    }

    /// Applies a person's request to the job `id` (checked against its current state in the same
    /// statement, so two clicks cannot both start a job). Returns the state after the request.
    pub async fn control_job(
        &self,
        id: i64,
        control: JobControl,
        now: i64,
        expires_at: i64,
    ) -> Result<Result<JobState, ControlRefused>, StoreError> {
        // (from states, SET clause) per request; a running job is asked through `requested`.
        let (from, set): (&[JobState], String) = match control {
            JobControl::Start => {
                (&[JobState::Draft], "state = 'queued', run_after = $1, expires_at = $4".to_owned())
            }
            JobControl::Resume => (&[JobState::Paused], "state = 'queued', run_after = $1".to_owned()),
            JobControl::Pause => (
                &[JobState::Queued, JobState::Running],
                "state = CASE WHEN state = 'queued' THEN 'paused' ELSE state END,
                 requested = CASE WHEN state = 'running' THEN 'pause' ELSE NULL END"
                    .to_owned(),
            ),
            JobControl::Cancel => (
                &[
                    JobState::Draft,
                    JobState::Queued,
                    JobState::Running,
                    JobState::Paused,
                    JobState::NeedsCredentials,
                ],
                "sealed = CASE WHEN state = 'running' THEN sealed ELSE NULL END,
                 requested = CASE WHEN state = 'running' THEN 'cancel' ELSE NULL END,
                 state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END"
                    .to_owned(),
            ),
        };
        let states = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "UPDATE jobs SET {set}, updated_at = $1 WHERE id = $2 AND state IN ({states}) AND expires_at > $3
             RETURNING state"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(id)
            .bind(now)
            .bind(expires_at)
            .fetch_optional(self.pool())
            .await?;
        if let Some(r) = row {
            let state: String = r.try_get(0)?;
            return Ok(Ok(JobState::parse(&state).unwrap_or(JobState::Failed)));
        }
        Ok(Err(match self.job(id).await? {
            Some(job) if job.expires_at > now => ControlRefused::WrongState(job.state),
            _ => ControlRefused::NotFound,
        }))
    }

    /// Replaces the spec of a job still in draft; false once it started.
    pub async fn update_draft_spec(&self, id: i64, spec: &str, now: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE jobs SET spec = $1, updated_at = $2 WHERE id = $3 AND state = 'draft'")
                .bind(spec)
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a job waiting for credentials its new sealed credentials (or NULL in single-node
    /// mode) and queues it again.
    pub async fn requeue_with_credentials(
        &self,
        id: i64,
        sealed: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', sealed = $1, run_after = $2, updated_at = $2
             WHERE id = $3 AND state = 'needs_credentials'",
        )
        .bind(sealed)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts back in the queue every running job whose lease ended before `now` (its worker
    /// died), or fails it if its attempts are used up. Returns how many were touched.
    pub async fn requeue_expired_leases(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET
               state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
               sealed = CASE WHEN attempts >= max_attempts THEN NULL ELSE sealed END,
               error = CASE WHEN attempts >= max_attempts THEN 'worker-lost' ELSE error END,
               run_after = $1, lease_owner = NULL, lease_until = NULL, updated_at = $1
             WHERE state = 'running' AND lease_until < $1",
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Jobs left `running` or `queued` by a single-node server that stopped: their credentials
    /// were only in its memory, so they wait for the person to give them again.
    pub async fn orphan_unsealed_jobs(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'needs_credentials', lease_owner = NULL, lease_until = NULL,
             requested = NULL, updated_at = $1
             WHERE state IN ('running', 'queued', 'paused') AND sealed IS NULL",
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes jobs whose retention ended before `now` (their links stop working with them).
    pub async fn purge_expired_jobs(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM jobs WHERE expires_at <= $1 AND state != 'running'")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// How many jobs are in each state, for the operator.
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(self.pool())
            .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for r in rows {
            let state: String = r.try_get(0)?;
            if let Some(state) = JobState::parse(&state) {
                counts.push((state, r.try_get::<i64, _>(1)?));
            }
        }
        Ok(counts)
    }
}

fn control_parse(s: &str) -> Option<JobControl> {
    match s {
        "pause" => Some(JobControl::Pause),
        "cancel" => Some(JobControl::Cancel),
        _ => None,
    }
}

fn job_from(r: &AnyRow) -> Result<Job, StoreError> {
    let state: String = r.try_get("state")?;
    let requested: Option<String> = r.try_get("requested")?;
    Ok(Job {
        id: r.try_get("id")?,
        state: JobState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown job state {state:?}").into()))?,
        spec: r.try_get("spec")?,
        sealed: r.try_get("sealed")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_after: r.try_get("run_after")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_until: r.try_get("lease_until")?,
        requested: requested.as_deref().and_then(control_parse),
        progress: r.try_get("progress")?,
        report: r.try_get("report")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}
