//! What the job page shows: a progress snapshot built from the engine's events, and the stored
//! report.

use demail_move::{Action, CopyReport, Progress};
use serde::{Deserialize, Serialize};

/// The state of a run, folder by folder, as last saved.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    /// Unix seconds when this run started.
    pub started_at: i64,
    /// Unix seconds of this snapshot.
    pub at: i64,
    pub folders: Vec<FolderProgress>,
    /// Set while a dropped connection is being re-opened.
    #[serde(default)]
    pub reconnecting: Option<String>,
}

/// One source folder's progress.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FolderProgress {
    pub name: String,
    /// Messages in the folder.
    pub messages: u64,
    /// Messages to send in this run (the rest were already there).
    pub to_copy: u64,
    pub copied: u64,
    pub failed: u64,
    pub bytes_total: u64,
    pub bytes_copied: u64,
    pub done: bool,
}

impl Snapshot {
    /// Takes one engine event into account.
    pub fn apply(&mut self, event: &Progress, now: i64) {
        self.at = now;
        match event {
            Progress::FolderStarted { folder, messages, to_copy, bytes } => {
                self.reconnecting = None;
                let f = self.folder(folder);
                (f.messages, f.to_copy, f.bytes_total, f.copied, f.bytes_copied, f.failed) =
                    (*messages, *to_copy, *bytes, 0, 0, 0);
                f.done = false;
            }
            Progress::Copied { folder, messages, bytes } => {
                let f = self.folder(folder);
                f.copied += messages;
                f.bytes_copied += bytes;
            }
            Progress::Failed { folder, .. } => self.folder(folder).failed += 1,
            Progress::FolderDone(report) => {
                let f = self.folder(&report.source);
                f.messages = report.source_messages;
                f.done = true;
            }
            Progress::Reconnecting { reason, .. } => self.reconnecting = Some(reason.clone()),
            Progress::Planned { .. } | Progress::Finished(_) => {}
        }
    }

    fn folder(&mut self, name: &str) -> &mut FolderProgress {
        let i = match self.folders.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                self.folders.push(FolderProgress { name: name.to_owned(), ..FolderProgress::default() });
                self.folders.len() - 1
            }
        };
        &mut self.folders[i]
    }

    /// Bytes sent by this run.
    pub fn bytes_copied(&self) -> u64 {
        self.folders.iter().map(|f| f.bytes_copied).sum()
    }

    /// Bytes still to send in the folders already started.
    pub fn bytes_left(&self) -> u64 {
        self.folders.iter().map(|f| f.bytes_total.saturating_sub(f.bytes_copied)).sum()
    }

    /// Messages accounted for (already there, copied or failed) in the folders started.
    pub fn messages_accounted(&self) -> u64 {
        self.folders
            .iter()
            .map(|f| {
                if f.done { f.messages } else { f.messages - f.to_copy.min(f.messages) + f.copied + f.failed }
            })
            .sum()
    }

    /// Average rate of this run, bytes per second.
    pub fn rate(&self) -> Option<f64> {
        let secs = self.at - self.started_at;
        (secs > 0 && self.bytes_copied() > 0).then(|| self.bytes_copied() as f64 / secs as f64)
    }
}

/// The end report as stored and shown: every source message accounted for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredReport {
    pub folders: Vec<ReportFolder>,
    pub stopped: Option<String>,
}

/// One folder of the end report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportFolder {
    pub source: String,
    pub destination: String,
    /// `copy`, `archive`, or `skip_<reason>` (`skip_junk`, `skip_trash`…).
    pub action: String,
    pub source_messages: u64,
    pub copied: u64,
    pub already_present: u64,
    pub skipped: u64,
    /// UID and reason of each message that could not be copied.
    pub failed: Vec<(u32, String)>,
    pub bytes_copied: u64,
}

impl From<&CopyReport> for StoredReport {
    fn from(r: &CopyReport) -> Self {
        StoredReport {
            folders: r
                .folders
                .iter()
                .map(|f| ReportFolder {
                    source: f.source.clone(),
                    destination: f.destination.clone(),
                    action: action_name(f.action),
                    source_messages: f.source_messages,
                    copied: f.copied,
                    already_present: f.already_present,
                    skipped: f.skipped,
                    failed: f.failed.iter().map(|x| (x.uid, x.reason.clone())).collect(),
                    bytes_copied: f.bytes_copied,
                })
                .collect(),
            stopped: r.stopped.clone(),
        }
    }
}

impl StoredReport {
    /// Sums: (source messages, copied, already there, skipped, failed, bytes copied).
    pub fn totals(&self) -> (u64, u64, u64, u64, u64, u64) {
        self.folders.iter().fold((0, 0, 0, 0, 0, 0), |t, f| {
            (
                t.0 + f.source_messages,
                t.1 + f.copied,
                t.2 + f.already_present,
                t.3 + f.skipped,
                t.4 + f.failed.len() as u64,
                t.5 + f.bytes_copied,
            )
        })
    }

    /// Whether every message is copied, already there or skipped by a rule.
    pub fn is_complete(&self) -> bool {
        self.folders
            .iter()
            .all(|f| f.failed.is_empty() && f.copied + f.already_present + f.skipped == f.source_messages)
    }
}

/// Stable name of a folder action, for pages and translations.
pub fn action_name(action: Action) -> String {
    match action {
        Action::Copy => "copy".to_owned(),
        Action::ArchiveUnlabelled => "archive".to_owned(),
        Action::Skip(reason) => {
            let reason = serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned));
            format!("skip_{}", reason.unwrap_or_else(|| "other".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_follows_events_and_accounts_for_messages() {
        let mut s = Snapshot { started_at: 100, ..Snapshot::default() };
        let started =
            Progress::FolderStarted { folder: "INBOX".into(), messages: 10, to_copy: 4, bytes: 4000 };
        s.apply(&started, 100);
        s.apply(&Progress::Copied { folder: "INBOX".into(), messages: 2, bytes: 2000 }, 102);
        assert_eq!(s.messages_accounted(), 8);
        assert_eq!((s.bytes_copied(), s.bytes_left()), (2000, 2000));
        assert_eq!(s.rate(), Some(1000.0));
        assert_eq!(action_name(Action::Skip(demail_move::SkipReason::Junk)), "skip_junk");
    }
}
