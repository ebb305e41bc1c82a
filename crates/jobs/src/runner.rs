//! The runner: claims jobs, keeps their lease alive, runs the copy, and records how it ended.
//! The same code runs inside `demail serve` (single node) and in `demail worker` processes.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use demail_move::MoveError;
use demail_store::{Job, JobControl, JobState, Outcome};
use tokio::task::JoinSet;

use crate::{JobSpec, Jobs, Keeper, Snapshot, StoredReport, now};

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This runner's name in leases (host and process id by default).
    pub owner: String,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// How often the lease is renewed and pause/cancel requests read.
    pub heartbeat: Duration,
    /// How often the queue is looked at when nothing wakes the runner.
    pub poll: Duration,
    /// Jobs this runner runs at once.
    pub max_concurrent: usize,
    /// Where the per-job state files live (which message already landed where).
    pub state_dir: PathBuf,
    /// Least time between two progress writes of a job.
    pub progress_interval: Duration,
    /// First wait before a retry; doubled at each attempt, at most one hour.
    pub retry_base: Duration,
    /// A PostgreSQL URL to LISTEN on, to hear of new jobs at once.
    pub listen_url: Option<String>,
}

impl RunnerConfig {
    /// Defaults: 60 s lease renewed every 10 s, 2 jobs at once, progress every second.
    pub fn new(state_dir: PathBuf) -> RunnerConfig {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
        RunnerConfig {
            owner: format!("{}:{}", host.trim(), std::process::id()),
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(10),
            poll: Duration::from_secs(5),
            max_concurrent: 2,
            state_dir,
            progress_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            listen_url: None,
        }
    }
}

/// Claims and runs jobs until told to stop.
pub struct Runner {
    jobs: Jobs,
    config: Arc<RunnerConfig>,
}

/// How one run ended, before it is recorded.
enum Ended {
    Done(StoredReport),
    Failed(String),
    Retry(String),
    Stopped(JobState),
    NeedsCredentials,
    /// Another worker has the job now: record nothing.
    LeaseLost,
}

impl Runner {
    pub fn new(jobs: Jobs, config: RunnerConfig) -> Runner {
        Runner { jobs, config: Arc::new(config) }
    }

    /// Runs until `shutdown` completes. Jobs still running then are dropped: their leases
    /// expire and another runner takes them up where their state files say.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        if let Err(e) = std::fs::create_dir_all(&self.config.state_dir) {
            tracing::error!("cannot create the job state directory {}: {e}", self.config.state_dir.display());
        }
        let listener = self.config.listen_url.clone().map(|url| tokio::spawn(listen(self.jobs.clone(), url)));
        let mut tasks = JoinSet::new();
        loop {
            self.housekeeping().await;
            while tasks.try_join_next().is_some() {}
            while tasks.len() < self.config.max_concurrent.max(1) {
                let now = now();
                let lease_until = now + self.config.lease.as_secs().max(1) as i64;
                match self.jobs.store().claim_job(&self.config.owner, now, lease_until).await {
                    Ok(Some(job)) => {
                        tracing::info!(job = job.id, attempt = job.attempts, owner = %self.config.owner, "job claimed");
                        tasks.spawn(run_job(self.jobs.clone(), self.config.clone(), job));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!("cannot claim a job: {e}");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.jobs.woken() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        tasks.abort_all();
        if let Some(l) = listener {
            l.abort();
        }
    }

    /// Puts back jobs of dead workers, deletes expired jobs, forgets credentials of ended jobs.
    async fn housekeeping(&self) {
        let store = self.jobs.store();
        let now = now();
        match store.requeue_expired_leases(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("{n} job(s) whose worker stopped answering put back in the queue"),
            Err(e) => tracing::warn!("cannot requeue expired leases: {e}"),
        }
        if let Err(e) = store.purge_expired_jobs(now).await {
            tracing::warn!("cannot delete expired jobs: {e}");
        }
        if let Keeper::Memory(vault) = self.jobs.keeper() {
            for id in vault.ids() {
                match store.job(id).await {
                    Ok(Some(job)) if !job.state.is_final() => {}
                    Ok(_) => vault.remove(id),
                    Err(_) => {}
                }
            }
        }
    }
}

/// Wakes this process's runners whenever a web node announces work on PostgreSQL.
async fn listen(jobs: Jobs, url: String) {
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect(&url).await?;
            l.listen(crate::CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut l) => loop {
                match l.recv().await {
                    Ok(_) => jobs.notify_local(),
                    Err(e) => {
                        tracing::warn!("job notifications interrupted: {e}");
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!("cannot listen for job notifications (polling instead): {e}"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Anonymous statistics: how many migrations ended and how many messages they copied (never whose).
async fn count(jobs: &Jobs, ended: &Ended) {
    use demail_store::CounterKind;
    let day = chrono::Utc::now().date_naive();
    let store = jobs.store();
    let result = match ended {
        Ended::Done(report) => {
            let copied: u64 = report.folders.iter().map(|f| f.copied).sum();
            match store.increment(day, CounterKind::Migration, "done").await {
                Ok(()) => {
                    store
                        .add_to_counter(
                            day,
                            CounterKind::MessagesMoved,
                            "",
                            i64::try_from(copied).unwrap_or(i64::MAX),
                        )
                        .await
                }
                Err(e) => Err(e),
            }
        }
        Ended::Failed(_) => store.increment(day, CounterKind::Migration, "failed").await,
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("cannot count a finished migration in the statistics: {e}");
    }
}

async fn run_job(jobs: Jobs, config: Arc<RunnerConfig>, job: Job) {
    let id = job.id;
    let ended = execute(&jobs, &config, &job).await;
    let now = now();
    let report_json;
    let outcome = match &ended {
        Ended::Done(report) => {
            report_json = serde_json::to_string(report).ok();
            Outcome::Final { state: JobState::Done, report: report_json.as_deref(), error: None }
        }
        Ended::Failed(error) => Outcome::Final { state: JobState::Failed, report: None, error: Some(error) },
        Ended::Retry(error) => {
            let factor = 1u32 << (job.attempts.clamp(1, 12) - 1);
            let wait = (config.retry_base * factor).min(Duration::from_secs(3600));
            Outcome::Retry { run_after: now + wait.as_secs() as i64, error }
        }
        Ended::Stopped(state) => Outcome::Stopped(*state),
        Ended::NeedsCredentials => Outcome::NeedsCredentials,
        Ended::LeaseLost => {
            tracing::warn!(job = id, "lease lost: another worker has this job now");
            return;
        }
    };
    match jobs.store().end_job_run(id, &config.owner, &outcome, now).await {
        Ok(true) => {
            tracing::info!(job = id, outcome = outcome_name(&ended), "job run ended");
            count(&jobs, &ended).await;
        }
        Ok(false) => tracing::warn!(job = id, "job run ended after its lease was lost; not recorded"),
        Err(e) => tracing::error!(job = id, "cannot record the end of a job run: {e}"),
    }
    if matches!(ended, Ended::Done(_) | Ended::Failed(_) | Ended::Stopped(JobState::Cancelled)) {
        if let Keeper::Memory(vault) = jobs.keeper() {
            vault.remove(id);
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(config.state_dir.join(format!("job-{id}.sqlite3{suffix}")));
        }
    }
}

fn outcome_name(ended: &Ended) -> &'static str {
    match ended {
        Ended::Done(_) => "done",
        Ended::Failed(_) => "failed",
        Ended::Retry(_) => "retry",
        Ended::Stopped(JobState::Paused) => "paused",
        Ended::Stopped(_) => "cancelled",
        Ended::NeedsCredentials => "needs credentials",
        Ended::LeaseLost => "lease lost",
    }
}

async fn execute(jobs: &Jobs, config: &RunnerConfig, job: &Job) -> Ended {
    let spec: JobSpec = match serde_json::from_str(&job.spec) {
        Ok(s) => s,
        Err(e) => return Ended::Failed(format!("the job cannot be read ({e})")),
    };
    let secrets = match (&job.sealed, jobs.keeper()) {
        (Some(sealed), Keeper::Sealed(key)) => match key.unseal(sealed) {
            Ok(s) => s,
            Err(e) => return Ended::Failed(e.to_string()),
        },
        (None, Keeper::Memory(vault)) => match vault.get(job.id) {
            Some(s) => s,
            None => return Ended::NeedsCredentials,
        },
        (None, Keeper::Sealed(_)) => return Ended::NeedsCredentials,
        (Some(_), Keeper::Memory(_)) => {
            return Ended::Failed("this worker has no deployment key to open the credentials".to_owned());
        }
    };
    let source = spec.source.account(&secrets.source);
    let destination = spec.destination.account(&secrets.destination);
    drop(secrets);
    let state_path = config.state_dir.join(format!("job-{}.sqlite3", job.id));
    let options = spec.options.copy(jobs.config().connections);
    let store = jobs.store();
    let save = |snapshot: &Snapshot| {
        let json = serde_json::to_string(snapshot).unwrap_or_default();
        async move {
            if let Err(e) = store.save_job_progress(job.id, &config.owner, &json, now()).await {
                tracing::warn!(job = job.id, "cannot save progress: {e}");
            }
        }
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = now();
    let mut snapshot = Snapshot { started_at: started, at: started, ..Snapshot::default() };
    save(&snapshot).await;
    let run = demail_move::run(&source, &destination, &state_path, &options, Some(&tx));
    tokio::pin!(run);
    let mut beat = tokio::time::interval(config.heartbeat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    let mut last_save = Instant::now();
    let mut dirty = false;
    let result = loop {
        tokio::select! {
            result = &mut run => break result,
            Some(event) = rx.recv() => {
                let force = matches!(event, demail_move::Progress::FolderDone(_));
                snapshot.apply(&event, now());
                dirty = true;
                if force || last_save.elapsed() >= config.progress_interval {
                    save(&snapshot).await;
                    (dirty, last_save) = (false, Instant::now());
                }
            }
            _ = beat.tick() => {
                let now = now();
                let lease_until = now + config.lease.as_secs().max(1) as i64;
                match store.heartbeat_job(job.id, &config.owner, now, lease_until).await {
                    Ok(None) => return Ended::LeaseLost,
                    Ok(Some(Some(JobControl::Cancel))) => return Ended::Stopped(JobState::Cancelled),
                    Ok(Some(Some(JobControl::Pause))) => {
                        save(&snapshot).await;
                        return Ended::Stopped(JobState::Paused);
                    }
                    Ok(Some(_)) => {}
                    Err(e) => tracing::warn!(job = job.id, "heartbeat failed: {e}"),
                }
                if dirty {
                    save(&snapshot).await;
                    (dirty, last_save) = (false, Instant::now());
                }
            }
        }
    };
    while let Ok(event) = rx.try_recv() {
        snapshot.apply(&event, now());
    }
    save(&snapshot).await;
    match result {
        Ok(report) => Ended::Done(StoredReport::from(&report)),
        Err(e @ MoveError::State { .. }) => Ended::Retry(e.to_string()),
        Err(e) if e.is_transient() => Ended::Retry(e.to_string()),
        Err(e) => Ended::Failed(e.to_string()),
    }
}
