//! Progress events, for any front-end (terminal bar, web page).

use serde::Serialize;

use crate::report::{CopyReport, FolderReport};

/// Something happened during a run. Sent on an unbounded channel; a slow reader never slows
/// the copy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Progress {
    /// The plan is known: how many folders will be read.
    Planned {
        folders: usize,
    },
    /// A folder starts; `to_copy` messages (`bytes` in total) will be sent.
    FolderStarted {
        folder: String,
        messages: u64,
        to_copy: u64,
        bytes: u64,
    },
    /// Some messages landed at the destination.
    Copied {
        folder: String,
        messages: u64,
        bytes: u64,
    },
    /// A message was refused.
    Failed {
        folder: String,
        uid: u32,
        reason: String,
    },
    FolderDone(FolderReport),
    /// A connection dropped; the run starts again from the state file after a pause.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    Finished(CopyReport),
}
