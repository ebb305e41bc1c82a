//! The state file: which source message is already in which destination folder.
//!
//! One SQLite file per source/destination pair, in WAL mode with `synchronous = FULL`: a row is
//! written only after the destination accepted the message, and committed (fsync) within
//! 20 ms, so after a kill -9 every message the file names is at the destination. A message
//! can land without its row if the kill falls between the two; the next run finds it there by
//! Message-ID and size (see `copy`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Row, SqliteConnection};

use crate::MoveError;

/// A source message and where it now lives at the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    pub source_folder: Vec<u8>,
    pub source_uidvalidity: u32,
    pub source_uid: u32,
    pub dest_folder: Vec<u8>,
    pub dest_uidvalidity: u32,
    /// Unknown when the destination lacks UIDPLUS.
    pub dest_uid: Option<u32>,
    /// `copied` by this tool, or `matched` with a message already there.
    pub how: &'static str,
}

/// A folder pair copied completely, and where the source stood then: if its UIDVALIDITY,
/// UIDNEXT and message count are unchanged, nothing new arrived and only flags changed since
/// `highest_modseq` (CONDSTORE, RFC 7162) need a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    pub source_uidvalidity: u32,
    pub dest_uidvalidity: u32,
    pub uidnext: u32,
    pub highest_modseq: u64,
    pub messages: u32,
}

/// An open state file.
pub struct State {
    conn: SqliteConnection,
    path: PathBuf,
}

impl State {
    /// Opens (or creates) the state file for the pair `pair` (e.g. `alice@a:993 -> bob@b:993`).
    /// A file made for another pair is refused rather than mixed up.
    pub async fn open(path: &Path, pair: &str) -> Result<State, MoveError> {
        let err = |error| MoveError::State { path: path.to_path_buf(), error };
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let mut conn = SqliteConnection::connect_with(&options).await.map_err(err)?;
        for ddl in [
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS landed (
                source_folder BLOB NOT NULL,
                source_uidvalidity INTEGER NOT NULL,
                source_uid INTEGER NOT NULL,
                dest_folder BLOB NOT NULL,
                dest_uidvalidity INTEGER NOT NULL,
                dest_uid INTEGER,
                how TEXT NOT NULL,
                PRIMARY KEY (source_folder, source_uidvalidity, source_uid, dest_folder)
            )",
            "CREATE INDEX IF NOT EXISTS landed_dest ON landed (dest_folder, dest_uidvalidity)",
            // A folder pair fully copied, and the source's CONDSTORE position at that moment.
            "CREATE TABLE IF NOT EXISTS synced (
                source_folder BLOB NOT NULL,
                dest_folder BLOB NOT NULL,
                source_uidvalidity INTEGER NOT NULL,
                dest_uidvalidity INTEGER NOT NULL,
                uidnext INTEGER NOT NULL,
                highest_modseq INTEGER NOT NULL,
                messages INTEGER NOT NULL,
                PRIMARY KEY (source_folder, dest_folder)
            )",
        ] {
            sqlx::query(ddl).execute(&mut conn).await.map_err(err)?;
        }
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('pair', ?)")
            .bind(pair)
            .execute(&mut conn)
            .await
            .map_err(err)?;
        let stored: String = sqlx::query("SELECT value FROM meta WHERE key = 'pair'")
            .fetch_one(&mut conn)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(err)?;
        if stored != pair {
            return Err(MoveError::StateForAnotherPair { path: path.to_path_buf(), stored });
        }
        Ok(State { conn, path: path.to_path_buf() })
    }

    /// Source UIDs of `source_folder` already landed in `dest_folder` as it is now (a changed
    /// destination UIDVALIDITY voids older rows), each with its destination UID if known.
    pub async fn landed_uids(
        &mut self,
        source_folder: &[u8],
        source_uidvalidity: u32,
        dest_folder: &[u8],
        dest_uidvalidity: u32,
    ) -> Result<HashMap<u32, Option<u32>>, MoveError> {
        let rows = sqlx::query(
            "SELECT source_uid, dest_uid FROM landed WHERE source_folder = ? AND source_uidvalidity = ?
             AND dest_folder = ? AND dest_uidvalidity = ?",
        )
        .bind(source_folder)
        .bind(i64::from(source_uidvalidity))
        .bind(dest_folder)
        .bind(i64::from(dest_uidvalidity))
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        let uid = |v: i64| u32::try_from(v).unwrap_or(0);
        rows.iter()
            .map(|r| {
                let source: i64 = r.try_get(0).map_err(|e| self.error(e))?;
                let dest: Option<i64> = r.try_get(1).map_err(|e| self.error(e))?;
                Ok((uid(source), dest.map(uid)))
            })
            .collect()
    }

    /// Destination UIDs of `dest_folder` that stand for a source message still known: rows of
    /// `source_folder` from another source UIDVALIDITY no longer count (those source messages
    /// have new UIDs, and must be matched again to their copies).
    pub async fn known_dest_uids(
        &mut self,
        dest_folder: &[u8],
        dest_uidvalidity: u32,
        source_folder: &[u8],
        source_uidvalidity: u32,
    ) -> Result<HashSet<u32>, MoveError> {
        let rows = sqlx::query(
            "SELECT dest_uid FROM landed WHERE dest_folder = ? AND dest_uidvalidity = ?
             AND dest_uid IS NOT NULL
             AND NOT (source_folder = ? AND source_uidvalidity != ?)",
        )
        .bind(dest_folder)
        .bind(i64::from(dest_uidvalidity))
        .bind(source_folder)
        .bind(i64::from(source_uidvalidity))
        .fetch_all(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map(|v| u32::try_from(v).unwrap_or(0)).map_err(|e| self.error(e)))
            .collect()
    }

    /// Records landed messages in one durable transaction.
    pub async fn record(&mut self, landed: &[Landed]) -> Result<(), MoveError> {
        if landed.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |error| MoveError::State { path: path.clone(), error };
        let mut tx = self.conn.begin().await.map_err(err)?;
        for l in landed {
            insert_landed(&mut tx, l).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(())
    }

    /// Where the source folder stood (CONDSTORE) when it was last copied completely into
    /// `dest_folder`, if it was.
    pub async fn synced(
        &mut self,
        source_folder: &[u8],
        dest_folder: &[u8],
    ) -> Result<Option<Synced>, MoveError> {
        let row = sqlx::query(
            "SELECT source_uidvalidity, dest_uidvalidity, uidnext, highest_modseq, messages FROM synced
             WHERE source_folder = ? AND dest_folder = ?",
        )
        .bind(source_folder)
        .bind(dest_folder)
        .fetch_optional(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        let Some(r) = row else { return Ok(None) };
        let get = |i: usize| r.try_get::<i64, _>(i).map_err(|e| self.error(e));
        let u32_of = |v: i64| u32::try_from(v).unwrap_or(0);
        Ok(Some(Synced {
            source_uidvalidity: u32_of(get(0)?),
            dest_uidvalidity: u32_of(get(1)?),
            uidnext: u32_of(get(2)?),
            highest_modseq: u64::try_from(get(3)?).unwrap_or(0),
            messages: u32_of(get(4)?),
        }))
    }

    /// Remembers that the folder pair is fully copied up to `synced`.
    pub async fn set_synced(
        &mut self,
        source_folder: &[u8],
        dest_folder: &[u8],
        synced: &Synced,
    ) -> Result<(), MoveError> {
        sqlx::query(
            "INSERT OR REPLACE INTO synced (source_folder, dest_folder, source_uidvalidity,
             dest_uidvalidity, uidnext, highest_modseq, messages) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(source_folder)
        .bind(dest_folder)
        .bind(i64::from(synced.source_uidvalidity))
        .bind(i64::from(synced.dest_uidvalidity))
        .bind(i64::from(synced.uidnext))
        .bind(i64::try_from(synced.highest_modseq).unwrap_or(i64::MAX))
        .bind(i64::from(synced.messages))
        .execute(&mut self.conn)
        .await
        .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Number of recorded messages (all folders).
    pub async fn count(&mut self) -> Result<u64, MoveError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM landed")
            .fetch_one(&mut self.conn)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.error(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The open database, for the archive import and export tables (`archive`), which live
    /// in the same file.
    pub(crate) fn connection(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    pub(crate) fn error(&self, error: sqlx::Error) -> MoveError {
        MoveError::State { path: self.path.clone(), error }
    }
}

/// One landed row, inside the caller's transaction.
pub(crate) async fn insert_landed(conn: &mut sqlx::SqliteConnection, l: &Landed) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT OR REPLACE INTO landed (source_folder, source_uidvalidity, source_uid,
         dest_folder, dest_uidvalidity, dest_uid, how) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&l.source_folder)
    .bind(i64::from(l.source_uidvalidity))
    .bind(i64::from(l.source_uid))
    .bind(&l.dest_folder)
    .bind(i64::from(l.dest_uidvalidity))
    .bind(l.dest_uid.map(i64::from))
    .bind(l.how)
    .execute(conn)
    .await?;
    Ok(())
}
