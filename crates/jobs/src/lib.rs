//! Migration jobs started from the site: a [`JobSpec`] (no secret) stored in the job queue,
//! credentials kept by a [`Keeper`] (in memory on a single node, sealed with the deployment key
//! for remote workers, erased when the job ends), and a [`Runner`] that claims jobs with a lease,
//! renews it by heartbeats, runs `demail-move`, writes throttled progress and stores the report.
//!
//! The job page is reached through an unguessable token; only its SHA-256 is stored.

mod check;
mod keeper;
mod progress;
mod runner;
mod spec;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use demail_store::{Backend, ControlRefused, JobControl, JobState, NewJob, Store, StoreError};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

pub use check::{LoginProblem, LoginProblems, Preview, PreviewFolder, check};
pub use demail_store::{JobControl as Control, JobState as State};
pub use keeper::{BadKey, DeploymentKey, Keeper, Vault};
pub use progress::{FolderProgress, ReportFolder, Snapshot, StoredReport};
pub use runner::{Runner, RunnerConfig};
pub use spec::{Endpoint, JobOptions, JobSpec, Secrets, Transport};

/// The PostgreSQL channel on which new work is announced to workers.
pub const CHANNEL: &str = "demail_jobs";

/// What can go wrong around jobs.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot seal the credentials")]
    Seal,
    #[error("cannot open sealed credentials: was the deployment key changed?")]
    Unseal,
    #[error("the system's random generator failed")]
    Random,
    #[error("stored job data cannot be read: {0}")]
    Corrupt(String),
}

/// Why a job could not be drafted.
#[derive(Debug)]
pub enum DraftError {
    /// One or both logins failed.
    Login(LoginProblems),
    /// The mailbox is bigger than this instance accepts.
    TooBig {
        bytes: u64,
        max: u64,
    },
    Jobs(JobsError),
}

/// Limits and durations of this instance's jobs.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// How long a job and its link are kept once started.
    pub retention: Duration,
    /// How long a checked, not yet started job is kept.
    pub draft_ttl: Duration,
    /// Runs of a job before it fails for good.
    pub max_attempts: i64,
    /// Largest mailbox (bytes to copy) accepted, if limited.
    pub max_mailbox_bytes: Option<u64>,
    /// Connection pairs per job.
    pub connections: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            retention: Duration::from_secs(7 * 24 * 3600),
            draft_ttl: Duration::from_secs(3600),
            max_attempts: 5,
            max_mailbox_bytes: None,
            connections: 2,
        }
    }
}

/// A job as its page shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub state: JobState,
    pub spec: JobSpec,
    pub snapshot: Option<Snapshot>,
    pub report: Option<StoredReport>,
    /// The last error, if any (in the server's or engine's words; never a password).
    pub error: Option<String>,
    pub attempts: i64,
    pub expires_at: i64,
}

/// The job queue as the site and the runners use it; cheap to clone.
#[derive(Clone, Debug)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    keeper: Keeper,
    config: JobsConfig,
    wake: Notify,
}

impl Jobs {
    pub fn new(store: Store, keeper: Keeper, config: JobsConfig) -> Jobs {
        Jobs { inner: Arc::new(Inner { store, keeper, config, wake: Notify::new() }) }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn keeper(&self) -> &Keeper {
        &self.inner.keeper
    }

    pub fn config(&self) -> &JobsConfig {
        &self.inner.config
    }

    /// Checks both logins, reads the plan and sizes, and stores a draft job with its credentials
    /// kept by the keeper. Returns the secret token of the job page.
    pub async fn draft(&self, mut spec: JobSpec, secrets: Secrets) -> Result<String, DraftError> {
        let preview = check(&spec, &secrets).await.map_err(DraftError::Login)?;
        let (_, bytes) = preview.to_copy();
        if let Some(max) = self.inner.config.max_mailbox_bytes
            && bytes > max
        {
            return Err(DraftError::TooBig { bytes, max });
        }
        spec.preview = Some(preview);
        self.insert(&spec, secrets, JobState::Draft).await.map_err(DraftError::Jobs)
    }

    /// Stores a job in `state` without checking logins (workers, tests, `demail` tools).
    pub async fn insert(
        &self,
        spec: &JobSpec,
        secrets: Secrets,
        state: JobState,
    ) -> Result<String, JobsError> {
        let token = new_token()?;
        let spec_json = serde_json::to_string(spec).map_err(|e| JobsError::Corrupt(e.to_string()))?;
        let sealed = match &self.inner.keeper {
            Keeper::Sealed(key) => Some(key.seal(&secrets)?),
            Keeper::Memory(_) => None,
        };
        let now = now();
        let ttl = match state {
            JobState::Draft => self.inner.config.draft_ttl,
            _ => self.inner.config.retention,
        };
        let id = self
            .inner
            .store
            .create_job(&NewJob {
                token_hash: &token_hash(&token),
                spec: &spec_json,
                sealed: sealed.as_deref(),
                state,
                max_attempts: self.inner.config.max_attempts,
                now,
                expires_at: now + ttl.as_secs() as i64,
            })
            .await?;
        if let Keeper::Memory(vault) = &self.inner.keeper {
            vault.put(id, secrets);
        }
        if state == JobState::Queued {
            self.wake().await;
        }
        Ok(token)
    }

    /// The job behind a page token, unless unknown or expired.
    pub async fn find(&self, token: &str) -> Result<Option<(i64, JobView)>, JobsError> {
        let Some(job) = self.inner.store.job_by_token_hash(&token_hash(token), now()).await? else {
            return Ok(None);
        };
        let parse = |what: &str, s: &str| JobsError::Corrupt(format!("{what}: {s}"));
        let spec: JobSpec = serde_json::from_str(&job.spec).map_err(|e| parse("spec", &e.to_string()))?;
        let snapshot = job.progress.as_deref().and_then(|p| serde_json::from_str(p).ok());
        let report = job.report.as_deref().and_then(|r| serde_json::from_str(r).ok());
        Ok(Some((
            job.id,
            JobView {
                state: job.state,
                spec,
                snapshot,
                report,
                error: job.error,
                attempts: job.attempts,
                expires_at: job.expires_at,
            },
        )))
    }

    /// Changes the options of a draft (before it starts); false if it is no longer a draft.
    pub async fn set_options(&self, id: i64, spec: &JobSpec) -> Result<bool, JobsError> {
        let json = serde_json::to_string(spec).map_err(|e| JobsError::Corrupt(e.to_string()))?;
        Ok(self.inner.store.update_draft_spec(id, &json, now()).await?)
    }

    /// Starts, pauses, resumes or cancels job `id`; wakes the runners when there is work.
    pub async fn control(
        &self,
        id: i64,
        control: JobControl,
    ) -> Result<Result<JobState, ControlRefused>, JobsError> {
        let now = now();
        let expires = now + self.inner.config.retention.as_secs() as i64;
        let result = self.inner.store.control_job(id, control, now, expires).await?;
        match result {
            Ok(JobState::Queued) => self.wake().await,
            Ok(JobState::Cancelled) => {
                if let Keeper::Memory(vault) = &self.inner.keeper {
                    vault.remove(id);
                }
            }
            _ => {}
        }
        Ok(result)
    }

    /// Gives again the credentials of a job that lost them (single-node restart) and queues it.
    pub async fn give_credentials(&self, id: i64, secrets: Secrets) -> Result<bool, JobsError> {
        let sealed = match &self.inner.keeper {
            Keeper::Sealed(key) => Some(key.seal(&secrets)?),
            Keeper::Memory(vault) => {
                vault.put(id, secrets);
                None
            }
        };
        let done = self.inner.store.requeue_with_credentials(id, sealed.as_deref(), now()).await?;
        if done {
            self.wake().await;
        }
        Ok(done)
    }

    /// Tells runners in this process, and workers listening on PostgreSQL, that work is waiting.
    pub async fn wake(&self) {
        self.notify_local();
        if self.inner.store.backend() == Backend::Postgres
            && let Err(e) =
                sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(self.inner.store.pool()).await
        {
            tracing::warn!("cannot notify workers (they will find the job at their next poll): {e}");
        }
    }

    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Wakes the runners of this process only.
    pub(crate) fn notify_local(&self) {
        self.inner.wake.notify_waiters();
        // A runner between two waits keeps the permit and looks at the queue at once.
        self.inner.wake.notify_one();
    }
}

/// A new page token: 32 random bytes, URL-safe base64.
fn new_token() -> Result<String, JobsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| JobsError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
