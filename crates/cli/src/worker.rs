//! `demail worker`, and the job runner `demail serve` starts for itself on a single node.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use demail_jobs::{DeploymentKey, Jobs, JobsConfig, Keeper, Runner, RunnerConfig, Vault};
use demail_store::{Backend, Store};

use crate::settings::{self, Settings};

/// Run migration jobs queued by the site: claim them from the shared database (PostgreSQL for
/// several machines), copy, report. Needs the same deployment_key as the web nodes.
#[derive(clap::Args, Debug)]
#[command(after_help = settings::SETTINGS_HELP)]
pub struct WorkerArgs {
    /// Settings file [default: ./demail.toml if present].
    #[arg(long, env = "DEMAIL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL, e.g. postgres://demail@db/demail.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs `demail worker` until Ctrl+C or SIGTERM.
pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let overrides = settings::Overrides { database_url: args.database_url, ..Default::default() };
    let settings = settings::load(args.config.as_deref(), &overrides).context("invalid settings")?;
    crate::init_logs(&settings);
    let Some(key) = settings.deployment_key.as_deref() else {
        bail!(
            "a worker needs the deployment key of the web nodes to open credentials: set deployment_key \
             (DEMAIL_DEPLOYMENT_KEY) to the same 64 hex digits on every web node and worker"
        );
    };
    let key = DeploymentKey::from_hex(key)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&settings.database_url).await?;
        let jobs = Jobs::new(store.clone(), Keeper::Sealed(key), jobs_config(&settings));
        let mut config = runner_config(&settings);
        if store.backend() == Backend::Postgres {
            config.listen_url = Some(settings.database_url.clone());
        }
        tracing::info!(owner = %config.owner, "worker started; waiting for jobs");
        println!("demail worker {} is running (Ctrl+C to stop)", config.owner);
        Runner::new(jobs, config).run(shutdown()).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Offers migrations on `site` if the settings allow them. When credentials stay in memory (no
/// deployment key), this process also runs the jobs, and jobs a previous run left behind wait
/// for their credentials to be given again.
pub async fn attach(
    settings: &Settings,
    store: &Store,
    site: demail_web::Site,
) -> anyhow::Result<demail_web::Site> {
    if !settings.migrations {
        return Ok(site);
    }
    let keeper = match settings.deployment_key.as_deref() {
        Some(hex) => Keeper::Sealed(DeploymentKey::from_hex(hex)?),
        // Several web nodes share a PostgreSQL: credentials held in one node's memory could
        // not be used by the node or worker that claims the job.
        None if store.backend() == Backend::Postgres => bail!(
            "migrations on PostgreSQL need deployment_key (DEMAIL_DEPLOYMENT_KEY), the same on every web \
             node and worker (create one with `openssl rand -hex 32`), or set migrations = false"
        ),
        None => Keeper::Memory(Vault::default()),
    };
    let jobs = Jobs::new(store.clone(), keeper.clone(), jobs_config(settings));
    let in_memory = matches!(keeper, Keeper::Memory(_));
    if in_memory {
        let orphans = store.orphan_unsealed_jobs(demail_jobs::now()).await?;
        if orphans > 0 {
            tracing::info!("{orphans} job(s) from before the restart wait for their passwords again");
        }
    }
    // Credentials only here, or one machine (SQLite) even with a key: this server runs the jobs.
    if in_memory || store.backend() == Backend::Sqlite {
        tokio::spawn(Runner::new(jobs.clone(), runner_config(settings)).run(std::future::pending()));
    }
    let options = demail_web::MigrateSettings {
        starts_per_hour: settings.job_starts_per_hour,
        test_servers: false,
        client_ip_header: settings.client_ip_header.clone(),
    };
    Ok(site.with_jobs(jobs, options))
}

fn jobs_config(settings: &Settings) -> JobsConfig {
    JobsConfig {
        retention: Duration::from_secs(settings.job_retention_days.max(1) * 24 * 3600),
        max_mailbox_bytes: (settings.max_mailbox_mb > 0).then(|| settings.max_mailbox_mb * 1_000_000),
        ..JobsConfig::default()
    }
}

fn runner_config(settings: &Settings) -> RunnerConfig {
    let lease = Duration::from_secs(settings.job_lease_seconds.max(1));
    RunnerConfig {
        lease,
        heartbeat: lease / 4,
        poll: (lease / 4).min(Duration::from_secs(5)),
        max_concurrent: settings.max_concurrent_jobs.max(1),
        ..RunnerConfig::new(settings.job_state_dir.clone())
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
