//! The run's report: every source message accounted for.

use serde::Serialize;

use crate::plan::Action;

/// What happened to every message of every planned folder.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CopyReport {
    pub folders: Vec<FolderReport>,
    /// Why the run stopped before trying every message (the destination is full), if it did.
    pub stopped: Option<String>,
}

/// One source folder's outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FolderReport {
    pub source: String,
    pub destination: String,
    pub action: Action,
    /// Messages in the source folder when it was read.
    pub source_messages: u64,
    /// Copied by this run.
    pub copied: u64,
    /// Already at the destination (copied by an earlier run, or found there).
    pub already_present: u64,
    /// Not copied because of a rule (Junk, Trash, excluded folder, All Mail message that has a
    /// label folder).
    pub skipped: u64,
    /// Not copied, with the reason.
    pub failed: Vec<Failure>,
    pub bytes_copied: u64,
    /// Messages copied by an earlier run whose flags were brought up to date.
    pub flags_updated: u64,
}

/// A message that could not be copied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub uid: u32,
    pub reason: String,
}

/// Sums over all folders.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub source_messages: u64,
    pub copied: u64,
    pub already_present: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes_copied: u64,
    pub flags_updated: u64,
}

impl FolderReport {
    /// Whether the four outcomes add up to the source count.
    pub fn is_accounted(&self) -> bool {
        self.copied + self.already_present + self.skipped + self.failed.len() as u64 == self.source_messages
    }
}

impl CopyReport {
    pub fn totals(&self) -> Totals {
        self.folders.iter().fold(Totals::default(), |t, f| Totals {
            source_messages: t.source_messages + f.source_messages,
            copied: t.copied + f.copied,
            already_present: t.already_present + f.already_present,
            skipped: t.skipped + f.skipped,
            failed: t.failed + f.failed.len() as u64,
            bytes_copied: t.bytes_copied + f.bytes_copied,
            flags_updated: t.flags_updated + f.flags_updated,
        })
    }

    /// True when every message is accounted for and none failed.
    pub fn is_complete(&self) -> bool {
        self.folders.iter().all(|f| f.is_accounted() && f.failed.is_empty())
    }
}
