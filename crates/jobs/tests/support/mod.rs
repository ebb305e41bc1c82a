//! Shared pieces of the job tests: a throwaway Dovecot, seeded mailboxes, job specs.
#![allow(dead_code)]

use demail_imap::testing::Dovecot;
use demail_imap::{AppendRequest, ByteBudget};
use demail_jobs::{Endpoint, JobOptions, JobSpec, Secrets, Transport};
use secrecy::SecretString;
use tokio::sync::mpsc;

/// `count` small messages with distinct Message-IDs, each padded to about `size` bytes.
pub fn messages(prefix: &str, count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut body = format!(
                "From: a@example.org\r\nSubject: {prefix} {i}\r\nMessage-ID: <{prefix}-{i}@demail.test>\r\n\r\n"
            )
            .into_bytes();
            body.extend(std::iter::repeat_n(b'x', size));
            body.extend_from_slice(b"\r\n");
            body
        })
        .collect()
}

/// Appends `bodies` to `user`'s INBOX.
pub async fn seed(server: &Dovecot, user: &str, bodies: Vec<Vec<u8>>) -> Result<(), String> {
    let mut s = server.session(user).await.map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel(64);
    let (out_tx, mut out_rx) = mpsc::channel(bodies.len().max(1));
    let feed = tokio::spawn(async move {
        let budget = ByteBudget::new(8 << 20);
        for (i, body) in bodies.into_iter().enumerate() {
            let permit = budget.reserve(body.len() as u64).await;
            let req = AppendRequest { token: i as u64, flags: vec![], internal_date: None, body, permit };
            if tx.send(req).await.is_err() {
                break;
            }
        }
    });
    s.append_messages(b"INBOX", rx, &out_tx).await.map_err(|e| e.to_string())?;
    feed.await.map_err(|e| e.to_string())?;
    drop(out_tx);
    while let Some(a) = out_rx.recv().await {
        a.outcome.map_err(|r| format!("seeding: {r:?}"))?;
    }
    s.logout().await;
    Ok(())
}

/// Messages in `user`'s INBOX.
pub async fn inbox_count(server: &Dovecot, user: &str) -> Result<u32, String> {
    let mut s = server.session(user).await.map_err(|e| e.to_string())?;
    let n = s.status(b"INBOX").await.map_err(|e| e.to_string())?.messages;
    s.logout().await;
    Ok(n)
}

/// Message-IDs in `user`'s INBOX, sorted (duplicates kept).
pub async fn inbox_ids(server: &Dovecot, user: &str) -> Result<Vec<String>, String> {
    let mut s = server.session(user).await.map_err(|e| e.to_string())?;
    let selected = s.select(b"INBOX", true).await.map_err(|e| e.to_string())?;
    if selected.exists == 0 {
        return Ok(Vec::new());
    }
    let fetched =
        s.uid_fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").await.map_err(|e| e.to_string())?;
    let mut ids: Vec<String> = fetched
        .into_iter()
        .map(|f| String::from_utf8_lossy(&f.header_fields.unwrap_or_default()).trim().to_owned())
        .collect();
    ids.sort();
    Ok(ids)
}

/// A job copying `from` to `to` on `server` (plain IMAP on loopback).
pub fn spec(server: &Dovecot, from: &str, to: &str) -> JobSpec {
    let side = |user: &str| Endpoint {
        host: "127.0.0.1".into(),
        port: server.imap_port,
        security: Transport::Plaintext,
        user: user.into(),
        insecure: true,
        provider: None,
    };
    JobSpec { source: side(from), destination: side(to), options: JobOptions::default(), preview: None }
}

/// The test passwords of `from` and `to` (`pw-<user>`).
pub fn secrets(from: &str, to: &str) -> Secrets {
    Secrets {
        source: SecretString::from(format!("pw-{from}")),
        destination: SecretString::from(format!("pw-{to}")),
    }
}
