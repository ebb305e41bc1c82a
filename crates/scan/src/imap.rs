//! Scanning an IMAP account: headers only, each message once, Spam and Trash left out.

use std::collections::BTreeMap;
use std::path::Path;

use demail_imap::{ConnectOptions, Credentials, Session, SpecialUse};
use serde::{Deserialize, Serialize};

use crate::{FolderRole, Scanner};

/// The header fields the scan asks for (`BODY.PEEK[HEADER.FIELDS (…)]`): never the body.
pub const HEADER_FIELDS: &str = "FROM TO CC DELIVERED-TO X-ORIGINAL-TO DATE SUBJECT MESSAGE-ID \
LIST-UNSUBSCRIBE LIST-UNSUBSCRIBE-POST LIST-ID PRECEDENCE AUTO-SUBMITTED X-AUTOREPLY DKIM-SIGNATURE \
AUTHENTICATION-RESULTS RETURN-PATH REPLY-TO SENDER X-FORWARDED-FOR X-FORWARDED-TO";

/// UIDs per `UID FETCH` command.
const CHUNK: usize = 2_000;

/// What went wrong during an IMAP scan, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot reach or log in to the mail server: {0}")]
    Imap(#[from] demail_imap::Error),
    #[error("cannot read or write the scan state file {path}: {reason}")]
    State { path: String, reason: String },
}

/// Where the previous scan stopped, per folder: the next scan reads only newer messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanState {
    /// When the previous scan ended (seconds since 1970).
    pub scanned_at: i64,
    pub folders: BTreeMap<String, FolderState>,
}

/// One folder's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    pub uidvalidity: u32,
    /// The highest UID read.
    pub last_uid: u32,
}

impl ScanState {
    /// Reads a state file; a missing file is an empty state (first scan).
    pub fn load(path: &Path) -> Result<ScanState, ScanError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| state_error(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ScanState::default()),
            Err(e) => Err(state_error(path, e)),
        }
    }

    /// Writes the state file (to a temporary file first, then renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), ScanError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| state_error(path, e))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(|e| state_error(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| state_error(path, e))
    }
}

fn state_error(path: &Path, e: impl std::fmt::Display) -> ScanError {
    ScanError::State { path: path.display().to_string(), reason: e.to_string() }
}

/// How to scan an account.
#[derive(Debug, Clone, Default)]
pub struct ImapScanOptions {
    /// Read only messages newer than this state (an incremental re-scan); their senders are
    /// marked as still writing.
    pub previous: Option<ScanState>,
    /// Clock for `scanned_at` (seconds since 1970); the caller passes "now".
    pub now: i64,
}

/// Reads the headers of every message of the account into `scanner` and returns the new state.
/// Folders: with a `\All` folder (Gmail) only it and `\Sent`; otherwise every folder except
/// `\Junk`, `\Trash` and `\Drafts`. Sent mail is read first so that a copy in another folder is
/// counted once (by Message-ID) and as sent.
pub async fn scan_imap(
    options: &ConnectOptions,
    credentials: &Credentials,
    scan: &ImapScanOptions,
    scanner: &mut Scanner,
) -> Result<ScanState, ScanError> {
    let mut session = Session::connect(options).await?;
    session.login(credentials).await?;
    if credentials.user.contains('@') {
        scanner.me.insert(credentials.user.to_ascii_lowercase());
    }
    let mailboxes = session.list().await?;
    let has_all = mailboxes.iter().any(|m| m.special_use() == Some(SpecialUse::All));
    let mut folders: Vec<(&demail_imap::Mailbox, FolderRole)> = mailboxes
        .iter()
        .filter(|m| m.is_selectable())
        .filter_map(|m| match m.special_use() {
            Some(SpecialUse::Sent) => Some((m, FolderRole::Sent)),
            Some(SpecialUse::Junk | SpecialUse::Trash | SpecialUse::Drafts) => None,
            Some(SpecialUse::All) => Some((m, FolderRole::Received)),
            _ if has_all => None,
            _ => Some((m, FolderRole::Received)),
        })
        .collect();
    folders.sort_by_key(|(m, role)| (*role != FolderRole::Sent, m.name.clone()));

    let previous = scan.previous.clone().unwrap_or_default();
    if scan.previous.is_some() {
        scanner.still_writing_since(Some(previous.scanned_at));
    }
    let mut state = ScanState { scanned_at: scan.now, folders: BTreeMap::new() };
    let items = format!("(UID BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])");
    for (mailbox, role) in folders {
        let selected = session.select(&mailbox.wire_name, true).await?;
        let start = previous
            .folders
            .get(&mailbox.name)
            .filter(|f| f.uidvalidity == selected.uidvalidity)
            .map_or(1, |f| f.last_uid.saturating_add(1));
        let mut last_uid = start.saturating_sub(1);
        if selected.exists > 0 {
            // One cheap round trip for the UID list, then the headers in chunks of real UIDs.
            let mut uids: Vec<u32> = session
                .uid_fetch(&format!("{start}:*"), "(UID)")
                .await?
                .into_iter()
                .filter_map(|d| d.uid)
                .filter(|&u| u >= start) // `n:*` also returns the last message when n is beyond it
                .collect();
            uids.sort_unstable();
            for chunk in uids.chunks(CHUNK) {
                for data in session.uid_fetch(&demail_imap::uid_set(chunk), &items).await? {
                    let Some(uid) = data.uid.filter(|&u| u >= start) else { continue };
                    last_uid = last_uid.max(uid);
                    if let Some(headers) = data.header_fields {
                        scanner.add_message(&headers, role);
                    }
                }
            }
        }
        state
            .folders
            .insert(mailbox.name.clone(), FolderState { uidvalidity: selected.uidvalidity, last_uid });
    }
    session.logout().await;
    Ok(state)
}
