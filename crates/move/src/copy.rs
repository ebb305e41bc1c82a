//! The copy: per folder, find what is missing at the destination and stream it there.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use demail_imap::{AppendRequest, Appended, ByteBudget, FetchedMessage, Session};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::plan::{Action, FolderMove, FolderPlan};
use crate::report::{CopyReport, Failure, FolderReport, SpaceNeeded};
use crate::state::{Landed, State, Synced};
use crate::{MoveError, Progress};

/// Identity of a message across folders and servers when UIDs cannot tell: its Message-ID and
/// size. Messages without a Message-ID have no key and are never matched (copied rather than
/// risk losing one).
pub(crate) type Key = (Vec<u8>, u64);

/// Progress channel, if anyone listens.
pub(crate) type ProgressTx<'a> = Option<&'a mpsc::UnboundedSender<Progress>>;

/// Longest wait, and most rows, before landed messages are committed to the state file.
const GROUP_COMMIT: std::time::Duration = std::time::Duration::from_millis(20);
const GROUP_COMMIT_ROWS: usize = 512;

const LIST_ITEMS: &str = "(UID RFC822.SIZE FLAGS)";
pub(crate) const KEY_ITEMS: &str =
    "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM TO SUBJECT)])";

/// One message of a folder listing.
pub(crate) struct Listed {
    pub(crate) uid: u32,
    pub(crate) size: u64,
    pub(crate) flags: Vec<String>,
    pub(crate) key: Option<Key>,
}

/// What the folder copies running at once share.
struct Shared<'a> {
    plan: &'a FolderPlan,
    /// The source is Gmail-like: it has an All Mail folder.
    gmail: bool,
    state: tokio::sync::Mutex<&'a mut State>,
    /// On Gmail, the keys of every message that has a label folder: those are not archived.
    labelled: Mutex<HashSet<Key>>,
    /// Set when the destination refuses a message for lack of space: the run stops.
    full: OnceLock<String>,
    /// Bytes of the messages left at the source because the destination is full.
    unsent_bytes: AtomicU64,
    /// Plan indexes of the folders not yet started.
    queue: Mutex<VecDeque<usize>>,
    /// Reports, by plan index.
    reports: Mutex<Vec<Option<FolderReport>>>,
    progress: ProgressTx<'a>,
    /// Only messages received on or after this day are copied.
    since: Option<chrono::NaiveDate>,
}

/// Copies every folder of `plan`, one folder per connection pair at a time, the pairs working
/// in parallel. Gmail's All Mail goes last, on the first pair, once every label is known.
/// Each pair gets an equal share of `budget_bytes`.
pub(crate) async fn copy_plan(
    plan: &FolderPlan,
    pairs: &mut [(Session, Session)],
    state: &mut State,
    budget_bytes: u64,
    since: Option<chrono::NaiveDate>,
    progress: ProgressTx<'_>,
) -> Result<CopyReport, MoveError> {
    let (last, first): (Vec<usize>, Vec<usize>) =
        (0..plan.folders.len()).partition(|&i| plan.folders[i].action == Action::ArchiveUnlabelled);
    let shared = Shared {
        plan,
        gmail: !last.is_empty(),
        state: tokio::sync::Mutex::new(state),
        labelled: Mutex::new(HashSet::new()),
        full: OnceLock::new(),
        unsent_bytes: AtomicU64::new(0),
        queue: Mutex::new(first.into()),
        reports: Mutex::new(vec![None; plan.folders.len()]),
        progress,
        since,
    };
    let share = budget_bytes / pairs.len().max(1) as u64;
    let workers = pairs.iter_mut().map(|(src, dst)| {
        let shared = &shared;
        async move {
            let budget = ByteBudget::new(share);
            while let Some(i) = shared.queue.lock().ok().and_then(|mut q| q.pop_front()) {
                one_folder(i, src, dst, shared, &budget).await?;
            }
            Ok::<(), MoveError>(())
        }
    });
    futures_util::future::try_join_all(workers).await?;
    if let Some((src, dst)) = pairs.first_mut() {
        let budget = ByteBudget::new(budget_bytes);
        for i in last {
            one_folder(i, src, dst, &shared, &budget).await?;
        }
    }
    let stopped = shared.full.get().map(|why| format!("the destination is full ({why})"));
    let mut space = None;
    if stopped.is_some()
        && let Some((_, dst)) = pairs.first_mut()
    {
        // Best effort: a server without QUOTA, or one that refuses the question, only loses
        // the "how much is missing" line.
        let quota = dst.quota_root(b"INBOX").await.unwrap_or_default();
        let storage = quota.iter().find(|q| q.resource == "STORAGE");
        space = Some(SpaceNeeded {
            unsent_bytes: shared.unsent_bytes.load(Ordering::Relaxed),
            used_kib: storage.map(|q| q.usage),
            limit_kib: storage.map(|q| q.limit),
        });
    }
    let folders = shared.reports.into_inner().unwrap_or_default().into_iter().flatten().collect();
    Ok(CopyReport { folders, stopped, space })
}

/// Handles the plan's folder `i` and files its report.
async fn one_folder(
    i: usize,
    src: &mut Session,
    dst: &mut Session,
    shared: &Shared<'_>,
    budget: &ByteBudget,
) -> Result<(), MoveError> {
    let folder = &shared.plan.folders[i];
    let report = match (folder.action, shared.full.get()) {
        (Action::Skip(_), _) => skipped_folder(src, folder).await?,
        (_, Some(why)) => {
            not_attempted(src, folder, &format!("the destination is full ({why})"), &shared.unsent_bytes)
                .await?
        }
        (Action::Copy | Action::ArchiveUnlabelled, None) => {
            copy_folder(src, dst, shared, folder, budget).await?
        }
    };
    send(shared.progress, Progress::FolderDone(report.clone()));
    if let Ok(mut reports) = shared.reports.lock() {
        reports[i] = Some(report);
    }
    Ok(())
}

/// A folder left alone because the run stopped: each message failed, with the reason.
async fn not_attempted(
    src: &mut Session,
    folder: &FolderMove,
    reason: &str,
    unsent_bytes: &AtomicU64,
) -> Result<FolderReport, MoveError> {
    let selected = src.select(&folder.source_wire, true).await.map_err(MoveError::Source)?;
    let listing = list(src, selected.exists, false).await.map_err(MoveError::Source)?;
    unsent_bytes.fetch_add(listing.iter().map(|m| m.size).sum(), Ordering::Relaxed);
    Ok(FolderReport {
        source_messages: listing.len() as u64,
        failed: listing
            .iter()
            .map(|m| Failure { uid: m.uid, reason: format!("not attempted: {reason}") })
            .collect(),
        ..FolderReport::new(folder.source.clone(), folder.destination.clone(), folder.action)
    })
}

/// A folder the plan leaves alone: its messages counted as skipped.
pub(crate) async fn skipped_folder(
    src: &mut Session,
    folder: &FolderMove,
) -> Result<FolderReport, MoveError> {
    let messages = if matches!(folder.action, Action::Skip(crate::plan::SkipReason::NotSelectable)) {
        0
    } else {
        u64::from(src.status(&folder.source_wire).await.map_err(MoveError::Source)?.messages)
    };
    Ok(FolderReport {
        source_messages: messages,
        skipped: messages,
        ..FolderReport::new(folder.source.clone(), String::new(), folder.action)
    })
}

async fn copy_folder(
    src: &mut Session,
    dst: &mut Session,
    shared: &Shared<'_>,
    folder: &FolderMove,
    budget: &ByteBudget,
) -> Result<FolderReport, MoveError> {
    let (gmail, destination_full, progress) = (shared.gmail, &shared.full, shared.progress);
    let mut report = FolderReport::new(folder.source.clone(), folder.destination.clone(), folder.action);
    let selected = src.select(&folder.source_wire, true).await.map_err(MoveError::Source)?;
    // With CONDSTORE, a folder copied completely before and unchanged since needs no listing:
    // only flags changed since then are read and applied.
    let condstore = match (selected.uidnext, selected.highest_modseq) {
        (Some(uidnext), Some(highest_modseq))
            if !gmail && folder.action == Action::Copy && shared.since.is_none() =>
        {
            Some(Synced {
                source_uidvalidity: selected.uidvalidity,
                dest_uidvalidity: 0,
                uidnext,
                highest_modseq,
                messages: selected.exists,
            })
        }
        _ => None,
    };
    // (Read into a variable first: a lock guard in an `if let` chain would live through its body.)
    let before = match condstore {
        Some(_) if !folder.create => {
            shared.state.lock().await.synced(&folder.source_wire, &folder.destination_wire).await?
        }
        _ => None,
    };
    if let (Some(now), Some(before)) = (condstore, before)
        && (before.source_uidvalidity, before.uidnext, before.messages)
            == (now.source_uidvalidity, now.uidnext, now.messages)
    {
        let dest = dst.select(&folder.destination_wire, false).await.map_err(MoveError::Destination)?;
        if dest.uidvalidity == before.dest_uidvalidity {
            report.source_messages = u64::from(selected.exists);
            report.already_present = report.source_messages;
            if now.highest_modseq != before.highest_modseq {
                let landed = shared
                    .state
                    .lock()
                    .await
                    .landed_uids(
                        &folder.source_wire,
                        selected.uidvalidity,
                        &folder.destination_wire,
                        dest.uidvalidity,
                    )
                    .await?;
                let items = format!("(UID FLAGS) (CHANGEDSINCE {})", before.highest_modseq);
                let changed = src.uid_fetch("1:*", &items).await.map_err(MoveError::Source)?;
                let changed: Vec<Listed> = changed
                    .into_iter()
                    .filter_map(|f| {
                        Some(Listed { uid: f.uid?, size: 0, flags: f.flags.unwrap_or_default(), key: None })
                    })
                    .collect();
                report.flags_updated = match store_flags(dst, &changed, &landed, None).await {
                    Ok(n) => n,
                    Err(demail_imap::Error::Refused { .. }) => 0,
                    Err(e) => return Err(MoveError::Destination(e)),
                };
            }
            let synced = Synced { dest_uidvalidity: dest.uidvalidity, ..now };
            shared
                .state
                .lock()
                .await
                .set_synced(&folder.source_wire, &folder.destination_wire, &synced)
                .await?;
            send(
                progress,
                Progress::FolderStarted {
                    folder: folder.source.clone(),
                    messages: report.source_messages,
                    to_copy: 0,
                    bytes: 0,
                },
            );
            return Ok(report);
        }
    }
    let mut listing = list(src, selected.exists, gmail).await.map_err(MoveError::Source)?;
    report.source_messages = listing.len() as u64;
    if let Some(day) = shared.since
        && !listing.is_empty()
    {
        let older = received_before(src, day).await.map_err(MoveError::Source)?;
        let before = listing.len();
        listing.retain(|m| !older.contains(&m.uid));
        report.skipped += (before - listing.len()) as u64;
    }

    if folder.action == Action::ArchiveUnlabelled {
        // Mail that has a label folder was copied there; only the rest goes to Archive.
        let before = listing.len();
        if let Ok(labelled) = shared.labelled.lock() {
            listing.retain(|m| m.key.as_ref().is_none_or(|k| !labelled.contains(k)));
        }
        report.skipped += (before - listing.len()) as u64;
    } else if gmail && let Ok(mut labelled) = shared.labelled.lock() {
        labelled.extend(listing.iter().filter_map(|m| m.key.clone()));
    }

    if folder.create {
        dst.create(&folder.destination_wire)
            .await
            .map_err(|error| MoveError::CreateFolder { folder: folder.destination.clone(), error })?;
    }
    let dest = dst.select(&folder.destination_wire, false).await.map_err(MoveError::Destination)?;

    let landed = shared
        .state
        .lock()
        .await
        .landed_uids(&folder.source_wire, selected.uidvalidity, &folder.destination_wire, dest.uidvalidity)
        .await?;
    let (already, mut todo): (Vec<Listed>, Vec<Listed>) =
        listing.into_iter().partition(|m| landed.contains_key(&m.uid));
    report.already_present = already.len() as u64;
    if !already.is_empty() {
        // A destination that refuses some flag (no keywords) keeps its flags; mail is safe.
        report.flags_updated = match sync_flags(dst, &already, &landed).await {
            Ok(n) => n,
            Err(demail_imap::Error::Refused { .. }) => 0,
            Err(e) => return Err(MoveError::Destination(e)),
        };
    }

    // Messages at the destination that the state does not know (an earlier run killed between
    // APPEND and its record, a changed UIDVALIDITY, or mail put there by someone else):
    // recognise them by Message-ID and size instead of copying them twice.
    let known = shared
        .state
        .lock()
        .await
        .known_dest_uids(
            &folder.destination_wire,
            dest.uidvalidity,
            &folder.source_wire,
            selected.uidvalidity,
        )
        .await?;
    if !todo.is_empty() && dest.exists as usize > known.len() {
        let matched = match_existing(src, dst, &mut todo, &known).await?;
        let rows: Vec<Landed> = matched
            .iter()
            .map(|&(source_uid, dest_uid)| Landed {
                source_folder: folder.source_wire.clone(),
                source_uidvalidity: selected.uidvalidity,
                source_uid,
                dest_folder: folder.destination_wire.clone(),
                dest_uidvalidity: dest.uidvalidity,
                dest_uid: Some(dest_uid),
                how: "matched",
            })
            .collect();
        shared.state.lock().await.record(&rows).await?;
        report.already_present += rows.len() as u64;
    }

    let sizes: HashMap<u32, u64> = todo.iter().map(|m| (m.uid, m.size)).collect();
    let wanted: Vec<(u32, u64)> = todo.iter().map(|m| (m.uid, m.size)).collect();
    send(
        progress,
        Progress::FolderStarted {
            folder: folder.source.clone(),
            messages: report.source_messages,
            to_copy: wanted.len() as u64,
            bytes: sizes.values().sum(),
        },
    );
    if wanted.is_empty() {
        mark_synced(shared, folder, &report, condstore, dest.uidvalidity).await?;
        return Ok(report);
    }

    let (fetch_tx, mut fetch_rx) = mpsc::channel::<FetchedMessage>(64);
    let (append_tx, append_rx) = mpsc::channel::<AppendRequest>(64);
    let (done_tx, mut done_rx) = mpsc::channel::<Appended>(1024);

    let fetch = async {
        let tx = fetch_tx;
        src.fetch_messages(&wanted, budget, &tx).await.map_err(MoveError::Source)
    };
    let forward = async {
        let tx = append_tx;
        let mut dropped = Vec::new();
        while let Some(m) = fetch_rx.recv().await {
            // Once the destination is full, sending more only earns more refusals.
            if destination_full.get().is_some() {
                dropped.push(m.uid);
                continue;
            }
            let req = AppendRequest {
                token: u64::from(m.uid),
                flags: m.flags,
                internal_date: m.internal_date,
                body: m.body,
                permit: m.permit,
            };
            if tx.send(req).await.is_err() {
                break;
            }
        }
        Ok::<_, MoveError>(dropped)
    };
    let append = async {
        let tx = done_tx;
        dst.append_messages(&folder.destination_wire, append_rx, &tx).await.map_err(MoveError::Destination)
    };
    let record = async {
        let mut copied = 0u64;
        let mut bytes = 0u64;
        let mut failed = Vec::new();
        while let Some(first) = done_rx.recv().await {
            // Group commit: one durable transaction per burst of landed messages (each costs an
            // fsync). A kill inside the window loses no mail: the next run finds those messages
            // at the destination by Message-ID and size.
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + GROUP_COMMIT;
            while batch.len() < GROUP_COMMIT_ROWS {
                match tokio::time::timeout_at(deadline, done_rx.recv()).await {
                    Ok(Some(more)) => batch.push(more),
                    Ok(None) | Err(_) => break,
                }
            }
            let mut rows = Vec::with_capacity(batch.len());
            let (mut n, mut b) = (0u64, 0u64);
            for a in batch {
                let uid = u32::try_from(a.token).unwrap_or(0);
                match a.outcome {
                    Ok(at) => {
                        rows.push(Landed {
                            source_folder: folder.source_wire.clone(),
                            source_uidvalidity: selected.uidvalidity,
                            source_uid: uid,
                            dest_folder: folder.destination_wire.clone(),
                            dest_uidvalidity: at.uidvalidity.unwrap_or(dest.uidvalidity),
                            dest_uid: at.uid,
                            how: "copied",
                        });
                        n += 1;
                        b += sizes.get(&uid).copied().unwrap_or(0);
                    }
                    Err(refusal) => {
                        if is_quota(&refusal) {
                            let _ = destination_full.set(refusal.text.clone());
                            shared
                                .unsent_bytes
                                .fetch_add(sizes.get(&uid).copied().unwrap_or(0), Ordering::Relaxed);
                        }
                        send(
                            progress,
                            Progress::Failed {
                                folder: folder.source.clone(),
                                uid,
                                reason: refusal.text.clone(),
                            },
                        );
                        failed.push(Failure {
                            uid,
                            reason: format!("the destination refused it: {}", refusal.text),
                        });
                    }
                }
            }
            // Durable before the progress is announced.
            shared.state.lock().await.record(&rows).await?;
            copied += n;
            bytes += b;
            send(progress, Progress::Copied { folder: folder.source.clone(), messages: n, bytes: b });
        }
        Ok::<_, MoveError>((copied, bytes, failed))
    };
    let (missing, dropped, (), (copied, bytes, failed)) = tokio::try_join!(fetch, forward, append, record)?;
    report.copied = copied;
    report.bytes_copied = bytes;
    report.failed = failed;
    let why = destination_full.get().cloned().unwrap_or_default();
    shared.unsent_bytes.fetch_add(dropped.iter().filter_map(|uid| sizes.get(uid)).sum(), Ordering::Relaxed);
    report.failed.extend(
        dropped
            .into_iter()
            .map(|uid| Failure { uid, reason: format!("not sent: the destination is full ({why})") }),
    );
    report.failed.extend(missing.into_iter().map(|uid| Failure {
        uid,
        reason: "the message disappeared from the source during the copy".into(),
    }));
    mark_synced(shared, folder, &report, condstore, dest.uidvalidity).await?;
    Ok(report)
}

/// After a folder copied without any failure, remembers where the source stood (CONDSTORE), so
/// that the next run can skip the folder if nothing changed.
async fn mark_synced(
    shared: &Shared<'_>,
    folder: &FolderMove,
    report: &FolderReport,
    condstore: Option<Synced>,
    dest_uidvalidity: u32,
) -> Result<(), MoveError> {
    if let Some(now) = condstore
        && report.failed.is_empty()
        && shared.full.get().is_none()
        && report.is_accounted()
    {
        let synced = Synced { dest_uidvalidity, ..now };
        shared.state.lock().await.set_synced(&folder.source_wire, &folder.destination_wire, &synced).await?;
    }
    Ok(())
}

/// Gives messages copied by an earlier run the flags they have now at the source (read,
/// answered, flagged, keywords…). Returns how many changed.
async fn sync_flags(
    dst: &mut Session,
    already: &[Listed],
    landed: &HashMap<u32, Option<u32>>,
) -> Result<u64, demail_imap::Error> {
    let there: HashMap<u32, Vec<String>> = dst
        .uid_fetch("1:*", "(UID FLAGS)")
        .await?
        .into_iter()
        .filter_map(|f| Some((f.uid?, f.flags.unwrap_or_default())))
        .collect();
    store_flags(dst, already, landed, Some(&there)).await
}

/// Gives the destination copies of `messages` the source's flags; with `there` (the
/// destination's current flags) only those that differ. Returns how many were set.
async fn store_flags(
    dst: &mut Session,
    messages: &[Listed],
    landed: &HashMap<u32, Option<u32>>,
    there: Option<&HashMap<u32, Vec<String>>>,
) -> Result<u64, demail_imap::Error> {
    // Destination UIDs grouped by the flags they should get: one STORE per distinct set.
    let mut wanted: HashMap<Vec<String>, Vec<u32>> = HashMap::new();
    for m in messages {
        let Some(Some(dest_uid)) = landed.get(&m.uid) else { continue };
        let target = comparable(&m.flags);
        if let Some(there) = there {
            let Some(current) = there.get(dest_uid) else { continue };
            if target == comparable(current) {
                continue;
            }
        }
        wanted.entry(target).or_default().push(*dest_uid);
    }
    let mut changed = 0;
    for (flags, uids) in wanted {
        dst.uid_store_flags(&demail_imap::uid_set(&uids), &flags).await?;
        changed += uids.len() as u64;
    }
    Ok(changed)
}

/// Flags as a sorted set, without `\Recent` (which no client can set).
fn comparable(flags: &[String]) -> Vec<String> {
    let mut f: Vec<String> = flags.iter().filter(|f| !f.eq_ignore_ascii_case("\\Recent")).cloned().collect();
    f.sort();
    f.dedup();
    f
}

/// Whether a refusal means the destination account has no room left (RFC 5530 OVERQUOTA, or
/// a server that only says so in words).
fn is_quota(refusal: &demail_imap::Refusal) -> bool {
    matches!(&refusal.code, Some(demail_imap::Code::Other(c)) if c == "OVERQUOTA")
        || refusal.text.to_ascii_lowercase().contains("quota")
}

/// The selected folder's messages (UID and size; Message-ID too when `keys`).
/// UIDs of the selected folder's messages received before `day` (by INTERNALDATE); a message
/// whose date cannot be read is kept (copied), never dropped.
async fn received_before(
    src: &mut Session,
    day: chrono::NaiveDate,
) -> Result<HashSet<u32>, demail_imap::Error> {
    let fetched = src.uid_fetch("1:*", "(UID INTERNALDATE)").await?;
    Ok(fetched
        .into_iter()
        .filter_map(|f| {
            let date = demail_archive::parse_imap_date(f.internal_date.as_deref()?)?;
            (date.date_naive() < day).then_some(f.uid?)
        })
        .collect())
}

pub(crate) async fn list(
    src: &mut Session,
    exists: u32,
    keys: bool,
) -> Result<Vec<Listed>, demail_imap::Error> {
    if exists == 0 {
        return Ok(Vec::new());
    }
    let items = if keys { KEY_ITEMS } else { LIST_ITEMS };
    let fetched = src.uid_fetch("1:*", items).await?;
    Ok(fetched
        .into_iter()
        .filter_map(|f| {
            let size = f.size.unwrap_or(0);
            Some(Listed {
                uid: f.uid?,
                size,
                flags: f.flags.unwrap_or_default(),
                key: keys.then(|| message_key(f.header_fields.as_deref()?).map(|id| (id, size))).flatten(),
            })
        })
        .collect())
}

/// The messages of the selected destination folder that `known` does not list, by key (in
/// UID order for each key).
pub(crate) async fn unknown_by_key(
    dst: &mut Session,
    known: &HashSet<u32>,
) -> Result<HashMap<Key, Vec<u32>>, demail_imap::Error> {
    let mut by_key: HashMap<Key, Vec<u32>> = HashMap::new();
    for f in dst.uid_fetch("1:*", KEY_ITEMS).await? {
        let (Some(uid), Some(size)) = (f.uid, f.size) else { continue };
        if known.contains(&uid) {
            continue;
        }
        if let Some(id) = f.header_fields.as_deref().and_then(message_key) {
            by_key.entry((id, size)).or_default().push(uid);
        }
    }
    Ok(by_key)
}

/// Pairs source messages in `todo` with unknown destination messages of the same key; removes
/// the matched ones from `todo` and returns (source UID, destination UID) pairs.
async fn match_existing(
    src: &mut Session,
    dst: &mut Session,
    todo: &mut Vec<Listed>,
    known: &HashSet<u32>,
) -> Result<Vec<(u32, u32)>, MoveError> {
    let mut by_key = unknown_by_key(dst, known).await.map_err(MoveError::Destination)?;
    if by_key.is_empty() {
        return Ok(Vec::new());
    }
    if todo.iter().any(|m| m.key.is_none()) {
        let uids: Vec<u32> = todo.iter().map(|m| m.uid).collect();
        let keyed =
            src.uid_fetch(&demail_imap::uid_set(&uids), KEY_ITEMS).await.map_err(MoveError::Source)?;
        let keys: HashMap<u32, Key> = keyed
            .into_iter()
            .filter_map(|f| Some((f.uid?, (message_key(f.header_fields.as_deref()?)?, f.size?))))
            .collect();
        for m in todo.iter_mut() {
            m.key = keys.get(&m.uid).cloned();
        }
    }
    let mut matched = Vec::new();
    todo.retain(|m| {
        let hit = m.key.as_ref().and_then(|k| by_key.get_mut(k)).and_then(|uids| uids.pop());
        match hit {
            Some(dest_uid) => {
                matched.push((m.uid, dest_uid));
                false
            }
            None => true,
        }
    });
    Ok(matched)
}

/// The Message-ID from a `HEADER.FIELDS (MESSAGE-ID)` section, unfolded and trimmed.
/// What recognises a message on both sides (with its size): its Message-ID, or for a message
/// without one, a digest of its Date, From, To and Subject — so that a message copied just before
/// a crash, or found in two Gmail labels, is still recognised. `header` is a header block (the
/// server's answer to `HEADER.FIELDS`, or a whole header); `None` when none of them is there.
pub(crate) fn message_key(header: &[u8]) -> Option<Vec<u8>> {
    let mut fields: [Option<Vec<u8>>; 5] = Default::default();
    const NAMES: [&[u8]; 5] = [b"message-id", b"date", b"from", b"to", b"subject"];
    let mut lines = header.split_inclusive(|&c| c == b'\n').peekable();
    while let Some(line) = lines.next() {
        let mut field = line.to_vec();
        while let Some(next) = lines.peek() {
            if next.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
                field.extend_from_slice(next);
                lines.next();
            } else {
                break;
            }
        }
        let Some(colon) = field.iter().position(|&b| b == b':') else { continue };
        let name = field[..colon].trim_ascii().to_ascii_lowercase();
        if let Some(i) = NAMES.iter().position(|n| *n == name.as_slice())
            && fields[i].is_none()
        {
            fields[i] = Some(field);
        }
    }
    if let Some(id) = fields[0].as_deref().and_then(message_id) {
        return Some(id);
    }
    if fields[1..].iter().all(Option::is_none) {
        return None;
    }
    // Values with every run of white space made one space: refolding cannot change the key.
    let mut digest = Sha256::new();
    for f in &fields[1..] {
        if let Some(f) = f {
            let colon = f.iter().position(|&b| b == b':').unwrap_or(0);
            let words: Vec<&[u8]> =
                f[colon + 1..].split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect();
            digest.update(words.join(&b' '));
        }
        digest.update([0u8]);
    }
    let hex: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("demail-digest:{hex}").into_bytes())
}

pub(crate) fn message_id(header: &[u8]) -> Option<Vec<u8>> {
    let colon = header.iter().position(|&b| b == b':')?;
    let name = &header[..colon];
    if !name.trim_ascii().eq_ignore_ascii_case(b"message-id") {
        return None;
    }
    let value: Vec<u8> =
        header[colon + 1..].iter().copied().filter(|b| !matches!(b, b'\r' | b'\n')).collect();
    let value = value.trim_ascii();
    (!value.is_empty()).then(|| value.to_vec())
}

/// Passes a progress event on to whoever listens, if anyone does.
pub(crate) fn send<T>(progress: Option<&mpsc::UnboundedSender<T>>, event: T) {
    if let Some(tx) = progress {
        let _ = tx.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::{message_id, message_key};

    #[test]
    fn a_message_without_message_id_is_known_by_its_date_sender_and_subject() {
        let server = b"Date: Mon, 1 Jan 2001 10:00:00 +0000\r\nFrom: a@b\r\nSubject: hi\r\n there\r\n\r\n";
        let raw = b"Received: x\r\nSubject: hi there\r\nFrom: a@b\r\nX: y\r\nDate: Mon, 1 Jan 2001 10:00:00 +0000\r\n";
        let key = message_key(server);
        assert!(key.as_deref().is_some_and(|k| k.starts_with(b"demail-digest:")), "{key:?}");
        assert_eq!(key, message_key(raw), "same fields, other order and folding: same key");
        assert_ne!(
            key,
            message_key(b"Date: Mon, 1 Jan 2001 10:00:01 +0000\r\nFrom: a@b\r\nSubject: hi there\r\n")
        );
        assert_eq!(message_key(b"Subject: x\r\nMessage-ID: <a@b>\r\n"), Some(b"<a@b>".to_vec()));
        assert_eq!(message_key(b"X-Other: 1\r\n\r\n"), None);
    }

    #[test]
    fn message_id_is_unfolded_and_trimmed() {
        assert_eq!(message_id(b"Message-ID: <a@b>\r\n\r\n"), Some(b"<a@b>".to_vec()));
        assert_eq!(message_id(b"Message-Id:\r\n <a@b>\r\n\r\n"), Some(b"<a@b>".to_vec()));
        assert_eq!(message_id(b"\r\n"), None);
    }
}
