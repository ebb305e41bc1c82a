//! demail's migration engine: copy a whole mailbox from one IMAP account to another without
//! losing or duplicating a message.
//!
//! Source → [`FolderPlan`] (special-use roles mapped by attribute, Gmail's layout understood,
//! include/exclude rules) → copy (pipelined `UID FETCH` on the source, pipelined `APPEND` on
//! the destination, several folders at once on parallel connection pairs, bodies byte-exact,
//! flags, keywords and internal dates kept, memory bounded by a
//! [`ByteBudget`](demail_imap::ByteBudget); a dropped connection is re-opened with back-off)
//! → [`State`] (SQLite, written as messages land) → [`CopyReport`] (every source message
//! accounted for). Progress goes out as [`Progress`] events. Running again copies only what is
//! new.

mod copy;
mod error;
pub mod export;
pub mod import;
pub mod plan;
pub mod presets;
mod progress;
pub mod report;
pub mod state;
mod verify;

use std::path::Path;

use demail_imap::{ConnectOptions, Credentials, Session};
use tokio::sync::mpsc;

pub use error::MoveError;
pub use export::{ExportFormat, ExportOptions, export};
pub use import::{ImportOptions, ImportPlan, ImportProgress, ImportReport, import, plan_import};
pub use plan::{Action, FolderMove, FolderPlan, PlanOptions, SkipReason, build_plan};
pub use progress::Progress;
pub use report::{CopyReport, Failure, FolderReport, SpaceNeeded, Totals};
pub use state::State;
pub use verify::{Mismatch, VerifyReport};

/// One side of a migration: where to connect and who to log in as.
#[derive(Debug, Clone)]
pub struct Account {
    pub options: ConnectOptions,
    pub credentials: Credentials,
}

impl Account {
    /// `user@host:port`, the account's name in state files and messages (no password).
    pub fn label(&self) -> String {
        format!("{}@{}:{}", self.credentials.user, self.options.host, self.options.port)
    }
}

/// How a run copies.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub plan: PlanOptions,
    /// Most message bytes held in memory at once (default 32 MiB).
    pub byte_budget: u64,
    /// Connection pairs (source + destination) copying folders in parallel (default 3).
    pub connections: usize,
    /// How many times a dropped connection is re-opened (waiting 1 s, 2 s, 4 s…) before the
    /// run gives up (default 5).
    pub max_reconnects: u32,
    /// Copy only messages received on or after this day (by INTERNALDATE); older ones are
    /// counted as skipped by a rule.
    pub since: Option<chrono::NaiveDate>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            plan: PlanOptions::default(),
            byte_budget: 32 << 20,
            connections: 3,
            max_reconnects: 5,
            since: None,
        }
    }
}

/// Connects to both sides and builds the folder plan; writes nothing.
pub async fn plan(
    source: &Account,
    destination: &Account,
    options: &PlanOptions,
) -> Result<FolderPlan, MoveError> {
    let mut src = connect(source).await.map_err(MoveError::Source)?;
    let mut dst = connect(destination).await.map_err(MoveError::Destination)?;
    let plan = plan_with(&mut src, &mut dst, options).await?;
    src.logout().await;
    dst.logout().await;
    Ok(plan)
}

/// Reads again, on both sides, every message the state file at `state_path` says was copied
/// (or found already there), and compares sizes and SHA-256 hashes. Writes nothing.
pub async fn verify(
    source: &Account,
    destination: &Account,
    state_path: &Path,
    options: &CopyOptions,
) -> Result<VerifyReport, MoveError> {
    let pair = format!("{} -> {}", source.label(), destination.label());
    let mut state = State::open(state_path, &pair).await?;
    let mut src = connect(source).await.map_err(MoveError::Source)?;
    let mut dst = connect(destination).await.map_err(MoveError::Destination)?;
    let plan = plan_with(&mut src, &mut dst, &options.plan).await?;
    let report = verify::verify_plan(&plan, &mut src, &mut dst, &mut state, options.byte_budget).await?;
    src.logout().await;
    dst.logout().await;
    Ok(report)
}

/// Plans and copies everything missing at the destination, recording each message in the
/// state file at `state_path` as it lands.
pub async fn run(
    source: &Account,
    destination: &Account,
    state_path: &Path,
    options: &CopyOptions,
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> Result<CopyReport, MoveError> {
    let pair = format!("{} -> {}", source.label(), destination.label());
    let mut state = State::open(state_path, &pair).await?;
    let mut attempt = 0;
    loop {
        match run_once(source, destination, &mut state, options, progress).await {
            Ok(report) => {
                copy::send(progress, Progress::Finished(report.clone()));
                return Ok(report);
            }
            // The state file holds every message that landed: starting over costs only a new
            // listing, and copies nothing twice.
            Err(e) if e.is_transient() && attempt < options.max_reconnects => {
                attempt += 1;
                let wait = std::time::Duration::from_secs(1 << (attempt - 1).min(5));
                copy::send(progress, Progress::Reconnecting { attempt, reason: e.to_string() });
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn run_once(
    source: &Account,
    destination: &Account,
    state: &mut State,
    options: &CopyOptions,
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> Result<CopyReport, MoveError> {
    // All pairs log in at once: a login costs a few round trips, a re-run little more.
    let mut pairs =
        futures_util::future::try_join_all((0..options.connections.clamp(1, 16)).map(|_| async {
            let src = connect(source).await.map_err(MoveError::Source)?;
            let dst = connect(destination).await.map_err(MoveError::Destination)?;
            Ok::<_, MoveError>((src, dst))
        }))
        .await?;
    let plan = match pairs.first_mut() {
        Some((src, dst)) => plan_with(src, dst, &options.plan).await?,
        None => FolderPlan { folders: Vec::new() },
    };
    copy::send(progress, Progress::Planned { folders: plan.folders.len() });
    let report =
        copy::copy_plan(&plan, &mut pairs, state, options.byte_budget, options.since, progress).await?;
    for (src, dst) in pairs {
        src.logout().await;
        dst.logout().await;
    }
    Ok(report)
}

async fn connect(account: &Account) -> Result<Session, demail_imap::Error> {
    let mut session = Session::connect(&account.options).await?;
    session.login(&account.credentials).await?;
    Ok(session)
}

async fn plan_with(
    src: &mut Session,
    dst: &mut Session,
    options: &PlanOptions,
) -> Result<FolderPlan, MoveError> {
    let source = src.list().await.map_err(MoveError::Source)?;
    let destination = dst.list().await.map_err(MoveError::Destination)?;
    Ok(build_plan(&source, &destination, options))
}
