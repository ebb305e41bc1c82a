//! Exporting an IMAP account to a local backup (Maildir or mbox), with the source side of a
//! migration (folder plan, pipelined `UID FETCH`, byte budget) and its state file: a second
//! run adds only new mail, and a killed run loses or doubles nothing.
//!
//! Maildir: each message is written to `tmp`, synced and renamed into `cur` under a name that
//! holds the source UIDVALIDITY and UID, so a message written just before a kill is found on
//! disk by the next run. mbox: messages are appended, and the file's length is recorded with
//! the messages in one transaction; the next run cuts off whatever a kill left after it.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use demail_archive::{MboxWriter, maildir};
use demail_imap::{ByteBudget, FetchedMessage, Session};
use sqlx::{Connection, Row};
use tokio::sync::mpsc;

use crate::copy::{Key, Listed, list, send};
use crate::plan::{Action, FolderMove, PlanOptions};
use crate::report::{CopyReport, FolderReport};
use crate::state::{Landed, State, insert_landed};
use crate::{Account, MoveError, Progress};

/// The local layout written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// A Maildir++ tree (flags kept in file names, dates in file times).
    #[default]
    Maildir,
    /// One mboxrd file per folder (flags are not kept).
    Mbox,
}

/// How an export runs.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub plan: PlanOptions,
    pub format: ExportFormat,
    /// Most message bytes held in memory at once (default 32 MiB).
    pub byte_budget: u64,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { plan: PlanOptions::default(), format: ExportFormat::Maildir, byte_budget: 32 << 20 }
    }
}

/// Longest wait before written messages are recorded.
const GROUP_COMMIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Copies every planned folder of `source` into `dir`, recording each message in the state
/// file at `state_path` once it is safely on disk.
pub async fn export(
    source: &Account,
    dir: &Path,
    state_path: &Path,
    options: &ExportOptions,
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> Result<CopyReport, MoveError> {
    let local = |error| MoveError::Local { path: dir.to_path_buf(), error };
    std::fs::create_dir_all(dir).map_err(local)?;
    let canonical = std::fs::canonicalize(dir).map_err(local)?;
    let format = match options.format {
        ExportFormat::Maildir => "maildir",
        ExportFormat::Mbox => "mbox",
    };
    let pair = format!("{} -> local {format} {}", source.label(), canonical.display());
    let mut state = State::open(state_path, &pair).await?;
    crate::import::ensure_tables(&mut state).await?;

    let mut src = crate::connect(source).await.map_err(MoveError::Source)?;
    let mailboxes = src.list().await.map_err(MoveError::Source)?;
    let plan = crate::plan::build_plan(&mailboxes, &[], &options.plan);
    send(progress, Progress::Planned { folders: plan.folders.len() });
    let gmail = plan.folders.iter().any(|f| f.action == Action::ArchiveUnlabelled);
    let budget = ByteBudget::new(options.byte_budget);
    let mut labelled: HashSet<Key> = HashSet::new();
    let mut report = CopyReport::default();
    for folder in &plan.folders {
        let r = match folder.action {
            Action::Skip(_) => crate::copy::skipped_folder(&mut src, folder).await?,
            Action::Copy | Action::ArchiveUnlabelled => {
                let target = Target::new(&canonical, &folder.destination, options.format);
                export_folder(&mut src, &mut state, folder, &target, gmail, &mut labelled, &budget, progress)
                    .await?
            }
        };
        send(progress, Progress::FolderDone(r.clone()));
        report.folders.push(r);
    }
    src.logout().await;
    send(progress, Progress::Finished(report.clone()));
    Ok(report)
}

/// Where one folder goes on disk.
struct Target {
    format: ExportFormat,
    /// The Maildir folder directory, or the mbox file.
    path: PathBuf,
    /// Its name in the state file.
    key: Vec<u8>,
}

impl Target {
    fn new(root: &Path, name: &str, format: ExportFormat) -> Target {
        let path = match format {
            ExportFormat::Maildir => maildir::folder_path(root, name),
            ExportFormat::Mbox => {
                let safe: Vec<String> = name
                    .split('/')
                    .filter(|p| !p.is_empty() && *p != "." && *p != "..")
                    .map(String::from)
                    .collect();
                let mut p = root.to_path_buf();
                for part in &safe {
                    p.push(part);
                }
                p.with_extension("mbox")
            }
        };
        Target { format, key: path.to_string_lossy().into_owned().into_bytes(), path }
    }
}

#[allow(clippy::too_many_arguments)]
async fn export_folder(
    src: &mut Session,
    state: &mut State,
    folder: &FolderMove,
    target: &Target,
    gmail: bool,
    labelled: &mut HashSet<Key>,
    budget: &ByteBudget,
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> Result<FolderReport, MoveError> {
    let local = |error| MoveError::Local { path: target.path.clone(), error };
    let selected = src.select(&folder.source_wire, true).await.map_err(MoveError::Source)?;
    let mut listing: Vec<Listed> = list(src, selected.exists, gmail).await.map_err(MoveError::Source)?;
    let mut r = FolderReport {
        source_messages: listing.len() as u64,
        ..FolderReport::new(folder.source.clone(), target.path.display().to_string(), folder.action)
    };
    if folder.action == Action::ArchiveUnlabelled {
        let before = listing.len();
        listing.retain(|m| m.key.as_ref().is_none_or(|k| !labelled.contains(k)));
        r.skipped = (before - listing.len()) as u64;
    } else if gmail {
        labelled.extend(listing.iter().filter_map(|m| m.key.clone()));
    }

    let uidvalidity = selected.uidvalidity;
    let entry = format!("export:{}", target.path.display());
    let mut landed: HashSet<u32> =
        state.landed_uids(&folder.source_wire, uidvalidity, &target.key, 0).await?.into_keys().collect();
    let mut mbox_length = 0u64;
    match target.format {
        ExportFormat::Maildir => {
            maildir::create_folder(&target.path).map_err(local)?;
            // Written before a kill, not yet recorded: on disk under its UID.
            let on_disk: Vec<u32> = maildir::messages(&target.path)
                .map_err(local)?
                .iter()
                .filter_map(|m| uid_from_unique(&m.unique, uidvalidity))
                .filter(|uid| !landed.contains(uid))
                .collect();
            let rows: Vec<(u32, u64)> = on_disk.iter().map(|&u| (u, 0)).collect();
            record(state, folder, uidvalidity, target, &rows, None, &entry).await?;
            landed.extend(on_disk);
        }
        ExportFormat::Mbox => {
            if let Some(parent) = target.path.parent() {
                std::fs::create_dir_all(parent).map_err(local)?;
            }
            let recorded = mbox_checkpoint(state, &entry).await?;
            let file = OpenOptions::new().create(true).append(true).open(&target.path).map_err(local)?;
            let actual = file.metadata().map_err(local)?.len();
            if actual < recorded {
                // The file was cut or replaced since: what the state says it holds is not there.
                forget_folder(state, folder, uidvalidity, target).await?;
                landed.clear();
                file.set_len(0).map_err(local)?;
            } else {
                // Whatever a killed run wrote after its last record is written again below.
                file.set_len(recorded).map_err(local)?;
                mbox_length = recorded;
            }
        }
    }
    let (already, todo): (Vec<Listed>, Vec<Listed>) =
        listing.into_iter().partition(|m| landed.contains(&m.uid));
    r.already_present = already.len() as u64;
    let wanted: Vec<(u32, u64)> = todo.iter().map(|m| (m.uid, m.size)).collect();
    send(
        progress,
        Progress::FolderStarted {
            folder: folder.source.clone(),
            messages: r.source_messages,
            to_copy: wanted.len() as u64,
            bytes: wanted.iter().map(|w| w.1).sum(),
        },
    );
    if wanted.is_empty() {
        return Ok(r);
    }

    let (tx, mut rx) = mpsc::channel::<FetchedMessage>(64);
    let fetch = async move {
        let tx = tx;
        src.fetch_messages(&wanted, budget, &tx).await.map_err(MoveError::Source)
    };
    let write = async {
        let mut mbox = match target.format {
            ExportFormat::Mbox => Some(MboxWriter::new(BufWriter::new(
                OpenOptions::new().append(true).open(&target.path).map_err(local)?,
            ))),
            ExportFormat::Maildir => None,
        };
        let mut copied = 0u64;
        let mut bytes = 0u64;
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + GROUP_COMMIT;
            while batch.len() < 256 {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) => batch.push(m),
                    Ok(None) | Err(_) => break,
                }
            }
            let mut rows = Vec::with_capacity(batch.len());
            for m in batch {
                let date = m.internal_date.as_deref().and_then(demail_archive::parse_imap_date);
                match &mut mbox {
                    Some(w) => {
                        let date = date.unwrap_or_default();
                        mbox_length += w.write_message("MAILER-DAEMON", date, &m.body).map_err(local)?;
                    }
                    None => {
                        let secs = date.map(|d| d.timestamp()).unwrap_or(0);
                        let unique = format!("{secs}.demail_{uidvalidity}_{}.export", m.uid);
                        let modified = date.and_then(|d| {
                            std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(
                                u64::try_from(d.timestamp()).ok()?,
                            ))
                        });
                        maildir::deliver(&target.path, &unique, &m.flags, modified, &m.body)
                            .map_err(local)?;
                    }
                }
                rows.push((m.uid, m.body.len() as u64));
            }
            if let Some(w) = &mut mbox {
                w.get_mut().flush().map_err(local)?;
                w.get_mut().get_ref().sync_data().map_err(local)?;
            }
            // Durable (on disk and in the state) before it counts.
            let length = mbox.as_ref().map(|_| mbox_length);
            record(state, folder, uidvalidity, target, &rows, length, &entry).await?;
            let b: u64 = rows.iter().map(|r| r.1).sum();
            copied += rows.len() as u64;
            bytes += b;
            send(
                progress,
                Progress::Copied { folder: folder.source.clone(), messages: rows.len() as u64, bytes: b },
            );
        }
        Ok::<_, MoveError>((copied, bytes))
    };
    let (missing, (copied, bytes)) = tokio::try_join!(fetch, write)?;
    r.copied = copied;
    r.bytes_copied = bytes;
    r.failed = missing
        .into_iter()
        .map(|uid| crate::report::Failure {
            uid,
            reason: "the message disappeared from the source during the export".into(),
        })
        .collect();
    Ok(r)
}

/// The source UID in a file name this exporter wrote for the given UIDVALIDITY.
fn uid_from_unique(unique: &str, uidvalidity: u32) -> Option<u32> {
    let tag = unique.split('.').find_map(|p| p.strip_prefix("demail_"))?;
    let (uv, uid) = tag.split_once('_')?;
    (uv.parse::<u32>().ok()? == uidvalidity).then(|| uid.parse().ok())?
}

/// Records written messages and, for mbox, the file length they end at, in one transaction.
async fn record(
    state: &mut State,
    folder: &FolderMove,
    uidvalidity: u32,
    target: &Target,
    rows: &[(u32, u64)],
    mbox_length: Option<u64>,
    entry: &str,
) -> Result<(), MoveError> {
    if rows.is_empty() && mbox_length.is_none() {
        return Ok(());
    }
    let err = |e: sqlx::Error| MoveError::Archive(format!("state file: {e}"));
    let mut tx = state.connection().begin().await.map_err(err)?;
    for (uid, _) in rows {
        let landed = Landed {
            source_folder: folder.source_wire.clone(),
            source_uidvalidity: uidvalidity,
            source_uid: *uid,
            dest_folder: target.key.clone(),
            dest_uidvalidity: 0,
            dest_uid: None,
            how: "copied",
        };
        insert_landed(&mut tx, &landed).await.map_err(err)?;
    }
    if let Some(length) = mbox_length {
        sqlx::query(
            "INSERT OR REPLACE INTO archive_entries (entry, fingerprint, offset, messages) VALUES (?, 0, ?, 0)",
        )
        .bind(entry)
        .bind(i64::try_from(length).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

async fn mbox_checkpoint(state: &mut State, entry: &str) -> Result<u64, MoveError> {
    let row = sqlx::query("SELECT offset FROM archive_entries WHERE entry = ?")
        .bind(entry)
        .fetch_optional(state.connection())
        .await
        .map_err(|e| MoveError::Archive(format!("state file: {e}")))?;
    Ok(row.and_then(|r| r.try_get::<i64, _>(0).ok()).and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
}

async fn forget_folder(
    state: &mut State,
    folder: &FolderMove,
    uidvalidity: u32,
    target: &Target,
) -> Result<(), MoveError> {
    sqlx::query("DELETE FROM landed WHERE source_folder = ? AND source_uidvalidity = ? AND dest_folder = ?")
        .bind(&folder.source_wire)
        .bind(i64::from(uidvalidity))
        .bind(&target.key)
        .execute(state.connection())
        .await
        .map_err(|e| MoveError::Archive(format!("state file: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_uid_of_its_own_file_names() {
        assert_eq!(uid_from_unique("1700000000.demail_42_7.export", 42), Some(7));
        assert_eq!(uid_from_unique("1700000000.demail_41_7.export", 42), None);
        assert_eq!(uid_from_unique("1700000000.M1P2.host", 42), None);
    }
}
