//! Importing an archive (Google Takeout mbox, `.zip`/`.tgz`, Maildir, `.eml` folder) into an
//! IMAP account, with the guarantees of a migration: the destination side is the same
//! (pipelined APPEND, the state file, dedupe by Message-ID and size, a report accounting for
//! every message, memory bounded by a [`ByteBudget`]).
//!
//! The archive is read once, as a stream, on a blocking thread. Each message is placed
//! (Gmail labels or its folder → destination folders and flags), checked against the state
//! and the destination, and queued per destination folder; full batches go to a few
//! destination connections appending in parallel. Landed messages are recorded in the
//! `archive_landed` table; `archive_entries` keeps, per mbox entry, the byte offset below
//! which every message is done, so that a re-run seeks there instead of re-reading.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use demail_archive::gmail::{self, LabelOptions, Role, SkipRule, Target};
use demail_archive::{Archive, Dialect, Item, Origin, Problem, ReadOptions, Sink};
use demail_imap::{AppendRequest, Appended, ByteBudget, Mailbox, Session, SpecialUse, utf7};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::mpsc;

use crate::copy::{Key, message_key, send, unknown_by_key};
use crate::report::FolderReport;
use crate::state::State;
use crate::{Account, Action, MoveError};

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub labels: LabelOptions,
    pub dialect: Dialect,
    /// Most message bytes held in memory at once (default 32 MiB).
    pub byte_budget: u64,
    /// Destination connections appending in parallel (default 2).
    pub connections: usize,
    /// Most messages sent to one folder in one go (default 500).
    pub batch: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            labels: LabelOptions::default(),
            dialect: Dialect::Mboxrd,
            byte_budget: 32 << 20,
            connections: 2,
            batch: 500,
        }
    }
}

/// What an import would do, shown before anything is written (`--plan`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportPlan {
    pub archive: String,
    pub messages: u64,
    pub folders: Vec<PlannedFolder>,
    /// Messages not imported by rule (chats, spam, trash), by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Messages that cannot be imported (cut off, too large).
    pub unreadable: u64,
}

/// One destination folder of the plan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedFolder {
    /// The label or archive folder the messages come from.
    pub source: String,
    pub destination: String,
    /// Whether the folder must be created.
    pub create: bool,
    pub messages: u64,
}

/// The outcome of an import: every message of the archive accounted for.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub archive: String,
    /// Messages in the archive.
    pub messages: u64,
    /// Messages now in every folder they belong to (copied by this run, or found there).
    pub landed: u64,
    /// Messages done by an earlier run and not read again (before its resume point).
    pub done_earlier: u64,
    /// Messages not imported by rule, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub failed: Vec<ArchiveFailure>,
    /// Per destination folder: placements copied, already there, failed.
    pub folders: Vec<FolderReport>,
}

/// A message of the archive that was not imported, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArchiveFailure {
    /// The file or folder of the archive.
    pub entry: String,
    /// Where in it (mbox byte offset, file name).
    pub position: String,
    pub reason: String,
}

impl ImportReport {
    /// Whether landed, skipped, failed and done-earlier messages add up to the archive's.
    pub fn is_accounted(&self) -> bool {
        self.landed + self.done_earlier + self.skipped.values().sum::<u64>() + self.failed.len() as u64
            == self.messages
    }

    /// Every message accounted for and none failed.
    pub fn is_complete(&self) -> bool {
        self.is_accounted() && self.failed.is_empty()
    }

    /// Messages copied by this run (a message in two folders counts twice).
    pub fn copied(&self) -> u64 {
        self.folders.iter().map(|f| f.copied).sum()
    }
}

/// Progress of an import, for a terminal bar or a web page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ImportProgress {
    /// Reading starts; `total_bytes` is the archive's size.
    Started {
        total_bytes: u64,
    },
    /// `read_bytes` of the archive read, `messages` messages seen so far.
    Read {
        read_bytes: u64,
        messages: u64,
    },
    /// `messages` more placements landed at the destination.
    Landed {
        messages: u64,
    },
    Failed(ArchiveFailure),
    Finished(ImportReport),
}

type ProgressTx<'a> = Option<&'a mpsc::UnboundedSender<ImportProgress>>;

/// Longest wait before answers from the destination are committed to the state file.
const GROUP_COMMIT: std::time::Duration = std::time::Duration::from_millis(20);
/// How often resume points are saved (they only save re-reading; the rows are the truth).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Reads the whole archive and the destination's folders; writes nothing.
pub async fn plan_import(
    archive: &Archive,
    destination: &Account,
    options: &ImportOptions,
) -> Result<ImportPlan, MoveError> {
    let mut dst = crate::connect(destination).await.map_err(MoveError::Destination)?;
    let resolver = Resolver::new(dst.list().await.map_err(MoveError::Destination)?, options.labels);
    dst.logout().await;

    /// Keeps where each message wants to go (the plan needs nothing else).
    #[derive(Default)]
    struct Counter {
        items: Vec<(Origin, Option<Problem>)>,
    }
    impl Sink for Counter {
        fn item(&mut self, item: Item) -> bool {
            self.items.push((item.origin, item.problem));
            true
        }
    }
    let items = {
        let archive = archive.clone();
        let read = ReadOptions { dialect: options.dialect };
        tokio::task::spawn_blocking(move || {
            let mut counter = Counter::default();
            archive.read(read, &mut counter).map(|()| counter.items)
        })
        .await
        .map_err(|e| MoveError::Archive(e.to_string()))?
        .map_err(|e| MoveError::Archive(e.to_string()))?
    };
    let mut plan = ImportPlan { archive: archive.path.display().to_string(), ..ImportPlan::default() };
    let mut folders: BTreeMap<String, PlannedFolder> = BTreeMap::new();
    for (origin, problem) in items {
        plan.messages += 1;
        if problem.is_some() {
            plan.unreadable += 1;
            continue;
        }
        match resolver.place(&origin) {
            Placed::Skip(reason) => *plan.skipped.entry(reason).or_default() += 1,
            Placed::To { targets, .. } => {
                for t in targets {
                    let f = folders.entry(t.name.clone()).or_insert_with(|| PlannedFolder {
                        source: t.source.clone(),
                        destination: t.name.clone(),
                        create: t.create,
                        messages: 0,
                    });
                    f.messages += 1;
                }
            }
        }
    }
    plan.folders = folders.into_values().collect();
    Ok(plan)
}

/// Imports the archive, recording in the state file at `state_path` what landed. Running it
/// again (after a stop, a kill, or on a newer copy of the archive) imports only what is
/// missing.
pub async fn import(
    archive: &Archive,
    destination: &Account,
    state_path: &Path,
    options: &ImportOptions,
    progress: ProgressTx<'_>,
) -> Result<ImportReport, MoveError> {
    let mut attempt = 0;
    loop {
        match import_once(archive, destination, state_path, options, progress).await {
            // The state file holds every message that landed: starting over re-reads the
            // archive from its resume points and copies nothing twice.
            Err(e) if e.is_transient() && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(1 << (attempt - 1))).await;
            }
            other => return other,
        }
    }
}

async fn import_once(
    archive: &Archive,
    destination: &Account,
    state_path: &Path,
    options: &ImportOptions,
    progress: ProgressTx<'_>,
) -> Result<ImportReport, MoveError> {
    let label = archive_label(archive);
    let mut state = State::open(state_path, &format!("{label} -> {}", destination.label())).await?;
    ensure_tables(&mut state).await?;
    let checkpoints = load_checkpoints(&mut state).await?;

    let mut ctl = crate::connect(destination).await.map_err(MoveError::Destination)?;
    let resolver = Resolver::new(ctl.list().await.map_err(MoveError::Destination)?, options.labels);
    let mut workers = Vec::new();
    for _ in 0..options.connections.clamp(1, 8) {
        workers.push(crate::connect(destination).await.map_err(MoveError::Destination)?);
    }

    send(progress, ImportProgress::Started { total_bytes: archive.size });
    // Two messages read ahead at most: the rest of the memory is the byte budget's.
    let (item_tx, item_rx) = mpsc::channel::<Event>(2);
    let reader = {
        let archive = archive.clone();
        let read = ReadOptions { dialect: options.dialect };
        let checkpoints = checkpoints.clone();
        tokio::task::spawn_blocking(move || {
            let mut sink = Forward { tx: item_tx, checkpoints };
            archive.read(read, &mut sink)
        })
    };

    let budget = ByteBudget::new(options.byte_budget);
    let (batch_tx, batch_rx) = mpsc::channel::<Batch>(workers.len());
    let batch_rx = std::sync::Arc::new(tokio::sync::Mutex::new(batch_rx));
    let (done_tx, done_rx) = mpsc::unbounded_channel::<(Vec<u8>, Appended)>();
    let appenders = futures_util::future::try_join_all(workers.iter_mut().map(|session| {
        let batch_rx = batch_rx.clone();
        let done_tx = done_tx.clone();
        async move {
            loop {
                let next = batch_rx.lock().await.recv().await;
                let Some(batch) = next else { break };
                append_batch(session, batch, &done_tx).await?;
            }
            Ok::<(), MoveError>(())
        }
    }));
    drop(done_tx);
    // Only the appenders hold the receiver: if they stop on an error, queued batches are
    // dropped (with their budget) and the router's sends fail instead of waiting forever.
    drop(batch_rx);

    let mut run = Run {
        report: ImportReport { archive: label.clone(), ..ImportReport::default() },
        resolver,
        state: &mut state,
        ctl: &mut ctl,
        folders: HashMap::new(),
        order: Vec::new(),
        landed: HashMap::new(),
        checkpoints,
        entries: HashMap::new(),
        messages: HashMap::new(),
        inflight: HashMap::new(),
        batches: HashMap::new(),
        matched: Vec::new(),
        unsent_bytes: 0,
        next_token: 0,
        budget: &budget,
        batch_tx: Some(batch_tx),
        batch_size: options.batch.max(1),
        progress,
    };
    let routed = run.route(item_rx, done_rx);
    let (routed, appended) = tokio::join!(routed, appenders);
    let read = reader.await;
    let mut report = std::mem::take(&mut run.report);
    report.folders = run.order.iter().filter_map(|w| run.folders.get(w).map(|f| f.report.clone())).collect();
    drop(run);
    for s in workers {
        s.logout().await;
    }
    ctl.logout().await;
    routed?;
    appended?;
    read.map_err(|e| MoveError::Archive(e.to_string()))?.map_err(|e| MoveError::Archive(e.to_string()))?;
    send(progress, ImportProgress::Finished(report.clone()));
    Ok(report)
}

/// The archive's name in the state file: its absolute path.
fn archive_label(archive: &Archive) -> String {
    let path = std::fs::canonicalize(&archive.path).unwrap_or_else(|_| archive.path.clone());
    format!("archive {}", path.display())
}

// ---------------------------------------------------------------------------------------------
// Placement: labels and folders to destination folders.

/// A destination folder chosen for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placement {
    /// Label or archive folder it stands for.
    source: String,
    name: String,
    wire: Vec<u8>,
    create: bool,
}

enum Placed {
    To { targets: Vec<Placement>, flags: Option<Vec<String>> },
    Skip(String),
}

/// Maps labels and archive folder names onto the destination's folders.
struct Resolver {
    mailboxes: Vec<Mailbox>,
    delimiter: char,
    labels: LabelOptions,
}

impl Resolver {
    fn new(mailboxes: Vec<Mailbox>, labels: LabelOptions) -> Resolver {
        let delimiter = mailboxes.iter().find_map(|m| m.delimiter).unwrap_or('/');
        Resolver { mailboxes, delimiter, labels }
    }

    /// Where a message goes; `flags` is set when the placement decides them (Gmail labels).
    fn place(&self, origin: &Origin) -> Placed {
        match origin {
            Origin::Labels(labels) => {
                let p = gmail::place(labels, self.labels);
                if let Some(rule) = p.skip {
                    return Placed::Skip(skip_reason(rule).into());
                }
                let targets = p
                    .targets
                    .iter()
                    .map(|t| match t {
                        Target::Role(r) => self.role(*r, role_label(*r)),
                        Target::Label(l) => self.path(l, l),
                    })
                    .collect();
                Placed::To { targets, flags: Some(p.flags) }
            }
            Origin::Folder(name) => {
                let decoded =
                    name.split('/').map(|p| utf7::decode(p.as_bytes()).unwrap_or_else(|| p.to_string()));
                let name = decoded.collect::<Vec<_>>().join("/");
                let target = match folder_role(&name) {
                    Some(Role::Junk) if !self.labels.include_junk => return Placed::Skip("junk".into()),
                    Some(Role::Trash) if !self.labels.include_trash => return Placed::Skip("trash".into()),
                    Some(r) => self.role(r, &name),
                    None => self.path(&name, &name),
                };
                Placed::To { targets: vec![target], flags: None }
            }
        }
    }

    fn role(&self, role: Role, source: &str) -> Placement {
        let special = match role {
            Role::Inbox => return self.named("INBOX".into(), source),
            Role::Sent => SpecialUse::Sent,
            Role::Drafts => SpecialUse::Drafts,
            Role::Junk => SpecialUse::Junk,
            Role::Trash => SpecialUse::Trash,
            Role::Archive => SpecialUse::Archive,
        };
        match self.mailboxes.iter().find(|m| m.special_use() == Some(special)) {
            Some(m) => Placement {
                source: source.into(),
                name: m.name.clone(),
                wire: m.wire_name.clone(),
                create: false,
            },
            None => self.named(crate::plan::default_name(special).into(), source),
        }
    }

    /// A `/`-separated path re-joined with the destination's delimiter.
    fn path(&self, path: &str, source: &str) -> Placement {
        if path.eq_ignore_ascii_case("INBOX") {
            return self.named("INBOX".into(), source);
        }
        let replacement = if self.delimiter == '_' { "-" } else { "_" };
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(|p| p.replace(self.delimiter, replacement))
            .collect();
        self.named(parts.join(&self.delimiter.to_string()), source)
    }

    fn named(&self, name: String, source: &str) -> Placement {
        let existing = self.mailboxes.iter().find(|m| m.name == name);
        Placement {
            source: source.into(),
            wire: existing.map(|m| m.wire_name.clone()).unwrap_or_else(|| utf7::encode(&name).into_bytes()),
            create: existing.is_none(),
            name,
        }
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Inbox => "Inbox",
        Role::Sent => "Sent",
        Role::Drafts => "Drafts",
        Role::Junk => "Spam",
        Role::Trash => "Trash",
        Role::Archive => "(no label)",
    }
}

fn skip_reason(rule: SkipRule) -> &'static str {
    match rule {
        SkipRule::Chat => "chat",
        SkipRule::Junk => "junk",
        SkipRule::Trash => "trash",
    }
}

/// The role of a folder of a Maildir or `.eml` archive, by its usual names (English and
/// French, as mail programs create them).
fn folder_role(name: &str) -> Option<Role> {
    let last = name.rsplit('/').next().unwrap_or(name).to_lowercase();
    if name.contains('/') {
        return None;
    }
    Some(match last.as_str() {
        "inbox" => Role::Inbox,
        "sent"
        | "sent items"
        | "sent messages"
        | "sent mail"
        | "envoyés"
        | "messages envoyés"
        | "éléments envoyés" => Role::Sent,
        "drafts" | "brouillons" => Role::Drafts,
        "junk" | "spam" | "junk e-mail" | "junk email" | "courrier indésirable" | "indésirables" => {
            Role::Junk
        }
        "trash" | "deleted items" | "deleted messages" | "corbeille" | "éléments supprimés" => Role::Trash,
        "archive" | "archives" => Role::Archive,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// The run.

/// What the reading thread sends.
enum Event {
    EntryStarted { entry: String, fingerprint: u32, start: u64 },
    Item(Box<Item>),
}

/// The reading thread's sink: forwards messages, answers resume points.
struct Forward {
    tx: mpsc::Sender<Event>,
    checkpoints: HashMap<String, Checkpoint>,
}

impl Sink for Forward {
    fn entry(&mut self, entry: &str, fingerprint: u32) -> Option<u64> {
        let start = match self.checkpoints.get(entry) {
            Some(c) if c.fingerprint == fingerprint => c.offset,
            _ => 0,
        };
        let started = Event::EntryStarted { entry: entry.to_string(), fingerprint, start };
        self.tx.blocking_send(started).ok().map(|()| start)
    }
    fn item(&mut self, item: Item) -> bool {
        self.tx.blocking_send(Event::Item(Box::new(item))).is_ok()
    }
}

/// Resume point of one archive entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Checkpoint {
    fingerprint: u32,
    /// Every message before this byte offset is done.
    offset: u64,
    /// How many messages that is.
    messages: u64,
}

/// A destination folder in use.
struct Folder {
    uidvalidity: u32,
    /// Messages already there that the state does not know, by Message-ID and size.
    unknown: HashMap<Key, Vec<u32>>,
    report: FolderReport,
}

/// One archive message with appends still out.
struct Pending {
    entry: String,
    key: String,
    offset: u64,
    end: u64,
    mbox: bool,
    position: String,
    remaining: usize,
    failed: Option<String>,
}

/// One APPEND out: which message, where.
struct InFlight {
    message: u64,
    folder: Vec<u8>,
    size: u64,
}

/// Progress of one mbox entry: messages by offset, done or not.
#[derive(Default)]
struct EntryProgress {
    /// The resume point reached (its fingerprint is the entry's).
    base: Checkpoint,
    /// Offset → (done, end offset).
    open: BTreeMap<u64, (bool, u64)>,
    changed: bool,
}

/// Messages queued for one folder.
struct Batch {
    folder: Vec<u8>,
    requests: Vec<AppendRequest>,
}

/// Item key → destination folders (and their UIDVALIDITY) the item landed in.
type LandedIn = HashMap<String, Vec<(Vec<u8>, u32)>>;

struct Run<'a> {
    report: ImportReport,
    resolver: Resolver,
    state: &'a mut State,
    ctl: &'a mut Session,
    folders: HashMap<Vec<u8>, Folder>,
    order: Vec<Vec<u8>>,
    /// Per entry: item key → destination folders (and their UIDVALIDITY) it landed in.
    landed: HashMap<String, LandedIn>,
    checkpoints: HashMap<String, Checkpoint>,
    entries: HashMap<String, EntryProgress>,
    messages: HashMap<u64, Pending>,
    inflight: HashMap<u64, InFlight>,
    batches: HashMap<Vec<u8>, Vec<AppendRequest>>,
    /// Placements found already at the destination, recorded with the next batch of answers
    /// (or before the next resume point), not one transaction each.
    matched: Vec<Row_>,
    unsent_bytes: u64,
    next_token: u64,
    budget: &'a ByteBudget,
    batch_tx: Option<mpsc::Sender<Batch>>,
    batch_size: usize,
    progress: ProgressTx<'a>,
}

impl Run<'_> {
    /// Takes messages from the reader and answers from the appenders until both are done.
    async fn route(
        &mut self,
        items: mpsc::Receiver<Event>,
        done: mpsc::UnboundedReceiver<(Vec<u8>, Appended)>,
    ) -> Result<(), MoveError> {
        let result = self.route_until_done(items, done).await;
        // On an error, the appenders must see the end of their work too.
        self.batch_tx = None;
        self.batches.clear();
        result
    }

    async fn route_until_done(
        &mut self,
        mut items: mpsc::Receiver<Event>,
        mut done: mpsc::UnboundedReceiver<(Vec<u8>, Appended)>,
    ) -> Result<(), MoveError> {
        let mut reading = true;
        let mut last_read = 0u64;
        // The first answers save a resume point at once, later ones every CHECKPOINT_EVERY.
        let mut last_checkpoint = tokio::time::Instant::now() - CHECKPOINT_EVERY;
        loop {
            tokio::select! {
                event = items.recv(), if reading => match event {
                    Some(Event::Item(item)) => {
                        if item.archive_read > last_read + (1 << 20) {
                            last_read = item.archive_read;
                            send(self.progress, ImportProgress::Read {
                                read_bytes: item.archive_read,
                                messages: self.report.messages,
                            });
                        }
                        self.item(*item).await?;
                    }
                    Some(Event::EntryStarted { entry, fingerprint, start }) => {
                        self.entry_started(entry, fingerprint, start).await?;
                    }
                    None => {
                        reading = false;
                        for folder in self.batches.keys().cloned().collect::<Vec<_>>() {
                            self.flush(&folder).await?;
                        }
                        self.batch_tx = None;
                    }
                },
                first = done.recv() => match first {
                    Some(first) => {
                        // Group commit: one durable transaction (one fsync) per burst of answers.
                        // A kill inside the window loses no mail: the next run finds those
                        // messages at the destination by Message-ID and size.
                        let mut results = vec![first];
                        let deadline = tokio::time::Instant::now() + GROUP_COMMIT;
                        while results.len() < 512 {
                            match tokio::time::timeout_at(deadline, done.recv()).await {
                                Ok(Some(more)) => results.push(more),
                                Ok(None) | Err(_) => break,
                            }
                        }
                        self.landed_results(results).await?;
                        if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                            self.save_checkpoints().await?;
                            last_checkpoint = tokio::time::Instant::now();
                        }
                    }
                    None => break,
                },
            }
        }
        self.save_checkpoints().await
    }

    /// Places one archive message and queues what is missing.
    async fn item(&mut self, item: Item) -> Result<(), MoveError> {
        self.report.messages += 1;
        let position =
            if item.offset > 0 || item.end > 0 { format!("byte {}", item.offset) } else { item.key.clone() };
        let mbox = item.end > 0;
        if let Some(problem) = item.problem {
            let reason = match problem {
                Problem::Truncated => {
                    "the archive ends in the middle of this message: download the archive again"
                }
                Problem::TooLarge => "the message is too large to import (over 256 MB)",
            };
            self.fail(&item.entry, &position, reason.into());
            // Not settled: the resume point stays before it, so a re-run reports it again (or
            // imports it from a complete copy of the archive).
            if mbox && let Some(e) = self.entries.get_mut(&item.entry) {
                e.open.insert(item.offset, (false, item.end));
            }
            return Ok(());
        }
        let (targets, flags) = match self.resolver.place(&item.origin) {
            Placed::Skip(reason) => {
                *self.report.skipped.entry(reason).or_default() += 1;
                self.settle(&item.entry, item.offset, item.end, mbox);
                return Ok(());
            }
            Placed::To { targets, flags } => (targets, flags.unwrap_or(item.flags)),
        };
        self.load_landed(&item.entry).await?;
        let body = demail_archive::to_crlf(item.body);
        let size = body.len() as u64;
        let key = header_key(&body).map(|id| (id, size));
        let internal_date = item.date.as_ref().map(demail_archive::imap_date);
        let token = self.next_token;
        self.next_token += 1;
        let mut sends = Vec::new();
        for target in &targets {
            self.open_folder(target).await?;
            let landed_here = self.landed.get(&item.entry).and_then(|m| m.get(&item.key)).is_some_and(|v| {
                v.iter().any(|(f, uv)| *f == target.wire && Some(*uv) == self.uidvalidity(&target.wire))
            });
            let Some(folder) = self.folders.get_mut(&target.wire) else { continue };
            folder.report.source_messages += 1;
            if landed_here {
                folder.report.already_present += 1;
                continue;
            }
            if let Some(uid) = key.as_ref().and_then(|k| folder.unknown.get_mut(k)).and_then(Vec::pop) {
                folder.report.already_present += 1;
                let uidvalidity = folder.uidvalidity;
                self.matched.push((
                    item.entry.clone(),
                    item.key.clone(),
                    target.wire.clone(),
                    uidvalidity,
                    Some(uid),
                    "matched",
                ));
                continue;
            }
            sends.push(target.wire.clone());
        }
        if sends.is_empty() {
            self.report.landed += 1;
            self.settle(&item.entry, item.offset, item.end, mbox);
            return Ok(());
        }
        let pending = Pending {
            entry: item.entry.clone(),
            key: item.key.clone(),
            offset: item.offset,
            end: item.end,
            mbox,
            position,
            remaining: sends.len(),
            failed: None,
        };
        self.messages.insert(token, pending);
        if mbox && let Some(e) = self.entries.get_mut(&item.entry) {
            e.open.insert(item.offset, (false, item.end));
        }
        let last = sends.len() - 1;
        let mut body = Some(body);
        for (i, folder) in sends.into_iter().enumerate() {
            // Queued bytes are not on their way yet: send some before waiting for budget
            // they hold.
            if self.unsent_bytes + size > self.budget.total() / 2 {
                self.flush_largest().await?;
            }
            let permit = self.budget.reserve(size).await;
            let body =
                if i == last { body.take().unwrap_or_default() } else { body.clone().unwrap_or_default() };
            let append = self.next_token;
            self.next_token += 1;
            self.inflight.insert(append, InFlight { message: token, folder: folder.clone(), size });
            self.unsent_bytes += size;
            let queue = self.batches.entry(folder.clone()).or_default();
            queue.push(AppendRequest {
                token: append,
                flags: flags.clone(),
                internal_date: internal_date.clone(),
                body,
                permit,
            });
            if queue.len() >= self.batch_size {
                self.flush(&folder).await?;
            }
        }
        Ok(())
    }
}

impl Run<'_> {
    /// An entry starts: messages before its resume point count as done earlier; rows of an
    /// entry whose file changed no longer say anything (the destination is matched instead).
    async fn entry_started(&mut self, entry: String, fingerprint: u32, start: u64) -> Result<(), MoveError> {
        let base = match self.checkpoints.get(&entry) {
            Some(c) if c.fingerprint == fingerprint && start > 0 => c.clone(),
            Some(c) if c.fingerprint != fingerprint => {
                sqlx::query("DELETE FROM archive_landed WHERE entry = ?")
                    .bind(&entry)
                    .execute(self.state.connection())
                    .await
                    .map_err(|e| self.state.error(e))?;
                self.landed.remove(&entry);
                Checkpoint { fingerprint, offset: 0, messages: 0 }
            }
            _ => Checkpoint { fingerprint, offset: 0, messages: 0 },
        };
        self.report.messages += base.messages;
        self.report.done_earlier += base.messages;
        self.entries.insert(entry, EntryProgress { base, open: BTreeMap::new(), changed: true });
        Ok(())
    }

    /// A message needs nothing more: the entry's resume point may move past it.
    fn settle(&mut self, entry: &str, offset: u64, end: u64, mbox: bool) {
        if !mbox {
            return;
        }
        let Some(e) = self.entries.get_mut(entry) else { return };
        e.open.insert(offset, (true, end));
        while let Some((&first, &(done, end))) = e.open.iter().next() {
            if !done {
                break;
            }
            e.open.remove(&first);
            e.base.offset = end;
            e.base.messages += 1;
            e.changed = true;
        }
    }

    fn fail(&mut self, entry: &str, position: &str, reason: String) {
        let failure = ArchiveFailure { entry: entry.to_string(), position: position.to_string(), reason };
        send(self.progress, ImportProgress::Failed(failure.clone()));
        self.report.failed.push(failure);
    }

    fn uidvalidity(&self, wire: &[u8]) -> Option<u32> {
        self.folders.get(wire).map(|f| f.uidvalidity)
    }

    /// Loads the rows of an entry (once).
    async fn load_landed(&mut self, entry: &str) -> Result<(), MoveError> {
        if self.landed.contains_key(entry) {
            return Ok(());
        }
        let rows =
            sqlx::query("SELECT item, dest_folder, dest_uidvalidity FROM archive_landed WHERE entry = ?")
                .bind(entry)
                .fetch_all(self.state.connection())
                .await
                .map_err(|e| self.state.error(e))?;
        let mut map: HashMap<String, Vec<(Vec<u8>, u32)>> = HashMap::new();
        for r in rows {
            let item: String = r.try_get(0).map_err(|e| self.state.error(e))?;
            let folder: Vec<u8> = r.try_get(1).map_err(|e| self.state.error(e))?;
            let uv: i64 = r.try_get(2).map_err(|e| self.state.error(e))?;
            map.entry(item).or_default().push((folder, u32::try_from(uv).unwrap_or(0)));
        }
        self.landed.insert(entry.to_string(), map);
        Ok(())
    }

    /// Creates a destination folder if needed and learns what it already holds.
    async fn open_folder(&mut self, target: &Placement) -> Result<(), MoveError> {
        if self.folders.contains_key(&target.wire) {
            return Ok(());
        }
        if target.create {
            self.ctl
                .create(&target.wire)
                .await
                .map_err(|error| MoveError::CreateFolder { folder: target.name.clone(), error })?;
        }
        let status = self.ctl.status(&target.wire).await.map_err(MoveError::Destination)?;
        let uidvalidity = status.uidvalidity.unwrap_or(0);
        let rows = sqlx::query(
            "SELECT dest_uid FROM archive_landed WHERE dest_folder = ? AND dest_uidvalidity = ?
             AND dest_uid IS NOT NULL",
        )
        .bind(&target.wire)
        .bind(i64::from(uidvalidity))
        .fetch_all(self.state.connection())
        .await
        .map_err(|e| self.state.error(e))?;
        let known: HashSet<u32> = rows
            .iter()
            .filter_map(|r| r.try_get::<i64, _>(0).ok())
            .map(|v| u32::try_from(v).unwrap_or(0))
            .collect();
        let mut unknown: HashMap<Key, Vec<u32>> = HashMap::new();
        if status.messages as usize > known.len() {
            // Mail there that this state file did not put there (an earlier run killed between
            // APPEND and its record, or mail from elsewhere): matched by Message-ID and size.
            self.ctl.select(&target.wire, true).await.map_err(MoveError::Destination)?;
            unknown = unknown_by_key(self.ctl, &known).await.map_err(MoveError::Destination)?;
        }
        let report = FolderReport::new(target.source.clone(), target.name.clone(), Action::Copy);
        self.order.push(target.wire.clone());
        self.folders.insert(target.wire.clone(), Folder { uidvalidity, unknown, report });
        Ok(())
    }

    /// Sends a folder's queued messages to the appending connections.
    async fn flush(&mut self, folder: &[u8]) -> Result<(), MoveError> {
        let Some(requests) = self.batches.remove(folder) else { return Ok(()) };
        if requests.is_empty() {
            return Ok(());
        }
        let bytes: u64 = requests.iter().map(|r| r.body.len() as u64).sum();
        self.unsent_bytes = self.unsent_bytes.saturating_sub(bytes);
        let Some(tx) = &self.batch_tx else { return Ok(()) };
        // The appenders only stop on an error, which their join reports.
        let _ = tx.send(Batch { folder: folder.to_vec(), requests }).await;
        Ok(())
    }

    async fn flush_largest(&mut self) -> Result<(), MoveError> {
        let largest = self
            .batches
            .iter()
            .max_by_key(|(_, r)| r.iter().map(|r| r.body.len()).sum::<usize>())
            .map(|(f, _)| f.clone());
        match largest {
            Some(f) => self.flush(&f).await,
            None => Ok(()),
        }
    }

    /// Records landed messages durably, then counts them.
    async fn landed_results(&mut self, results: Vec<(Vec<u8>, Appended)>) -> Result<(), MoveError> {
        let mut rows = std::mem::take(&mut self.matched);
        let mut outcomes = Vec::new();
        for (folder, appended) in results {
            let Some(sent) = self.inflight.remove(&appended.token) else { continue };
            let Some(pending) = self.messages.get(&sent.message) else { continue };
            if let Ok(at) = &appended.outcome {
                let uv = at.uidvalidity.or(self.uidvalidity(&folder)).unwrap_or(0);
                rows.push((pending.entry.clone(), pending.key.clone(), folder.clone(), uv, at.uid, "copied"));
            }
            outcomes.push((sent, appended.outcome.err().map(|r| r.text)));
        }
        // Durable before anything is announced.
        record_landed(self.state, &rows).await?;
        let mut landed = 0;
        for (sent, refusal) in outcomes {
            if let Some(f) = self.folders.get_mut(&sent.folder) {
                match &refusal {
                    None => {
                        f.report.copied += 1;
                        f.report.bytes_copied += sent.size;
                        landed += 1;
                    }
                    Some(text) => f.report.failed.push(crate::report::Failure {
                        uid: 0,
                        reason: format!("the destination refused a message: {text}"),
                    }),
                }
            }
            let Some(p) = self.messages.get_mut(&sent.message) else { continue };
            if let Some(text) = refusal {
                p.failed = Some(format!("the destination refused it: {text}"));
            }
            p.remaining -= 1;
            if p.remaining == 0
                && let Some(p) = self.messages.remove(&sent.message)
            {
                match p.failed {
                    Some(reason) => self.fail(&p.entry, &p.position, reason),
                    None => {
                        self.report.landed += 1;
                        self.settle(&p.entry, p.offset, p.end, p.mbox);
                    }
                }
            }
        }
        send(self.progress, ImportProgress::Landed { messages: landed });
        Ok(())
    }

    /// Writes the resume points that moved, after the placements they cover.
    async fn save_checkpoints(&mut self) -> Result<(), MoveError> {
        // A resume point never passes a placement whose record is still in memory.
        let matched = std::mem::take(&mut self.matched);
        record_landed(self.state, &matched).await?;
        for (entry, e) in self.entries.iter_mut().filter(|(_, e)| e.changed) {
            e.changed = false;
            sqlx::query("INSERT OR REPLACE INTO archive_entries (entry, fingerprint, offset, messages) VALUES (?, ?, ?, ?)")
                .bind(entry)
                .bind(i64::from(e.base.fingerprint))
                .bind(i64::try_from(e.base.offset).unwrap_or(i64::MAX))
                .bind(i64::try_from(e.base.messages).unwrap_or(i64::MAX))
                .execute(self.state.connection())
                .await
                .map_err(|err| MoveError::Archive(format!("state file: {err}")))?;
        }
        Ok(())
    }
}

/// Appends one batch on one connection, passing each server answer on.
async fn append_batch(
    session: &mut Session,
    batch: Batch,
    done: &mpsc::UnboundedSender<(Vec<u8>, Appended)>,
) -> Result<(), MoveError> {
    let Batch { folder, requests } = batch;
    let (tx, rx) = mpsc::channel::<AppendRequest>(64);
    let (out_tx, mut out_rx) = mpsc::channel::<Appended>(1024);
    let feed = async move {
        for r in requests {
            if tx.send(r).await.is_err() {
                break;
            }
        }
        Ok::<(), MoveError>(())
    };
    let wire = folder.clone();
    let append = async move {
        let result = session.append_messages(&wire, rx, &out_tx).await;
        drop(out_tx);
        result.map_err(MoveError::Destination)
    };
    let forward = async {
        while let Some(a) = out_rx.recv().await {
            let _ = done.send((folder.clone(), a));
        }
        Ok::<(), MoveError>(())
    };
    tokio::try_join!(feed, append, forward)?;
    Ok(())
}

/// Creates the archive tables beside the migration's.
pub(crate) async fn ensure_tables(state: &mut State) -> Result<(), MoveError> {
    for ddl in [
        "CREATE TABLE IF NOT EXISTS archive_entries (
            entry TEXT PRIMARY KEY,
            fingerprint INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            messages INTEGER NOT NULL
        )",
        "CREATE TABLE IF NOT EXISTS archive_landed (
            entry TEXT NOT NULL,
            item TEXT NOT NULL,
            dest_folder BLOB NOT NULL,
            dest_uidvalidity INTEGER NOT NULL,
            dest_uid INTEGER,
            how TEXT NOT NULL,
            PRIMARY KEY (entry, item, dest_folder)
        )",
        "CREATE INDEX IF NOT EXISTS archive_landed_dest ON archive_landed (dest_folder, dest_uidvalidity)",
    ] {
        sqlx::query(ddl).execute(state.connection()).await.map_err(|e| state.error(e))?;
    }
    Ok(())
}

async fn load_checkpoints(state: &mut State) -> Result<HashMap<String, Checkpoint>, MoveError> {
    let rows = sqlx::query("SELECT entry, fingerprint, offset, messages FROM archive_entries")
        .fetch_all(state.connection())
        .await
        .map_err(|e| state.error(e))?;
    let mut out = HashMap::new();
    for r in rows {
        let get = |i| r.try_get::<i64, _>(i).unwrap_or(0);
        let entry: String = r.try_get(0).map_err(|e| state.error(e))?;
        let checkpoint = Checkpoint {
            fingerprint: u32::try_from(get(1)).unwrap_or(0),
            offset: u64::try_from(get(2)).unwrap_or(0),
            messages: u64::try_from(get(3)).unwrap_or(0),
        };
        out.insert(entry, checkpoint);
    }
    Ok(out)
}

type Row_ = (String, String, Vec<u8>, u32, Option<u32>, &'static str);

/// Records (entry, item, folder, UIDVALIDITY, UID, how) rows in one durable transaction.
async fn record_landed(state: &mut State, rows: &[Row_]) -> Result<(), MoveError> {
    if rows.is_empty() {
        return Ok(());
    }
    use sqlx::Connection;
    let mut tx =
        state.connection().begin().await.map_err(|e| MoveError::Archive(format!("state file: {e}")))?;
    for (entry, item, folder, uv, uid, how) in rows {
        sqlx::query(
            "INSERT OR REPLACE INTO archive_landed (entry, item, dest_folder, dest_uidvalidity, dest_uid, how)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry)
        .bind(item)
        .bind(folder)
        .bind(i64::from(*uv))
        .bind(uid.map(i64::from))
        .bind(*how)
        .execute(&mut *tx)
        .await
        .map_err(|e| MoveError::Archive(format!("state file: {e}")))?;
    }
    tx.commit().await.map_err(|e| MoveError::Archive(format!("state file: {e}")))?;
    Ok(())
}

/// The key of a message (see [`message_key`]) from its header, equal to the one computed from the
/// server's `HEADER.FIELDS` answer for the same message.
fn header_key(body: &[u8]) -> Option<Vec<u8>> {
    message_key(&body[..demail_archive::headers::header_end(body)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_read_like_the_server_gives_it() {
        let body = b"Subject: x\r\nMessage-Id:\r\n <a@b>\r\n\r\nMessage-ID: <other>\r\n";
        assert_eq!(header_key(body), Some(b"<a@b>".to_vec()));
        assert!(header_key(b"Subject: x\r\n\r\n").is_some_and(|k| k.starts_with(b"demail-digest:")));
        assert_eq!(header_key(b"X-Mailer: x\r\n\r\n"), None);
    }

    #[test]
    fn maildir_folder_names_find_their_roles() {
        assert_eq!(folder_role("Envoyés"), Some(Role::Sent));
        assert_eq!(folder_role("Deleted Items"), Some(Role::Trash));
        assert_eq!(folder_role("Work/Sent"), None);
        assert_eq!(folder_role("Famille"), None);
    }
}
