//! `--verify`: read every copied message again on both sides and compare size and SHA-256.

use std::collections::HashMap;

use demail_imap::{ByteBudget, FetchedMessage, Session};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::MoveError;
use crate::plan::{Action, FolderPlan};
use crate::state::State;

/// What a verification pass found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    /// Messages read on both sides and found identical.
    pub identical: u64,
    /// Messages whose destination UID is unknown (destination without UIDPLUS): not compared.
    pub not_checked: u64,
    pub mismatches: Vec<Mismatch>,
}

/// A copied message that is not the same at the destination.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mismatch {
    pub folder: String,
    pub source_uid: u32,
    pub dest_uid: u32,
    pub reason: String,
}

impl VerifyReport {
    /// True when no copied message differs.
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Size and SHA-256 of a message.
type Digested = (u64, [u8; 32]);

/// Compares, folder by folder, every message the state file says landed at the destination.
/// Bodies stream through the byte budget (half for each side) and are dropped once hashed.
pub(crate) async fn verify_plan(
    plan: &FolderPlan,
    src: &mut Session,
    dst: &mut Session,
    state: &mut State,
    budget_bytes: u64,
) -> Result<VerifyReport, MoveError> {
    let mut report = VerifyReport::default();
    let (src_budget, dst_budget) = (ByteBudget::new(budget_bytes / 2), ByteBudget::new(budget_bytes / 2));
    for folder in &plan.folders {
        if matches!(folder.action, Action::Skip(_)) || folder.create {
            continue;
        }
        let selected = src.select(&folder.source_wire, true).await.map_err(MoveError::Source)?;
        let dest = dst.select(&folder.destination_wire, true).await.map_err(MoveError::Destination)?;
        let landed = state
            .landed_uids(
                &folder.source_wire,
                selected.uidvalidity,
                &folder.destination_wire,
                dest.uidvalidity,
            )
            .await?;
        let pairs: Vec<(u32, u32)> = landed.iter().filter_map(|(&s, &d)| Some((s, d?))).collect();
        report.not_checked += (landed.len() - pairs.len()) as u64;
        if pairs.is_empty() {
            continue;
        }
        let source_uids: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        let dest_uids: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        let (theirs, ours) = tokio::try_join!(
            async { digest_all(src, &source_uids, &src_budget).await.map_err(MoveError::Source) },
            async { digest_all(dst, &dest_uids, &dst_budget).await.map_err(MoveError::Destination) },
        )?;
        let mut pairs = pairs;
        pairs.sort_unstable();
        for (source_uid, dest_uid) in pairs {
            let reason = match (theirs.get(&source_uid), ours.get(&dest_uid)) {
                // Gone from the source since: nothing to compare with.
                (None, _) => continue,
                (Some(_), None) => "missing at the destination".to_string(),
                (Some((a, _)), Some((b, _))) if a != b => {
                    format!("size differs: {a} bytes at the source, {b} at the destination")
                }
                (Some((_, a)), Some((_, b))) if a != b => "same size but different content".to_string(),
                _ => {
                    report.identical += 1;
                    continue;
                }
            };
            report.mismatches.push(Mismatch { folder: folder.source.clone(), source_uid, dest_uid, reason });
        }
    }
    Ok(report)
}

/// Fetches the messages `uids` of the selected mailbox and hashes each as it arrives.
async fn digest_all(
    session: &mut Session,
    uids: &[u32],
    budget: &ByteBudget,
) -> Result<HashMap<u32, Digested>, demail_imap::Error> {
    let sizes = session.uid_fetch(&demail_imap::uid_set(uids), "(UID RFC822.SIZE)").await?;
    let wanted: Vec<(u32, u64)> =
        sizes.into_iter().filter_map(|f| Some((f.uid?, f.size.unwrap_or(0)))).collect();
    let (tx, mut rx) = mpsc::channel::<FetchedMessage>(16);
    let fetch = async move {
        let tx = tx;
        session.fetch_messages(&wanted, budget, &tx).await
    };
    let hash = async {
        let mut out = HashMap::new();
        while let Some(m) = rx.recv().await {
            out.insert(m.uid, (m.body.len() as u64, Sha256::digest(&m.body).into()));
        }
        Ok(out)
    };
    let (_, out) = tokio::try_join!(fetch, hash)?;
    Ok(out)
}
