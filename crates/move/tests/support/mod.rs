//! Helpers shared by the integration tests: seeding accounts and reading them back.

// Test helpers: a failed expectation is a failed test.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use demail_imap::testing::Dovecot;
use demail_imap::{AppendRequest, ByteBudget, Security, Session, utf7};
use demail_move::Account;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

/// A message to put in a test account.
#[derive(Debug, Clone)]
pub struct Msg {
    pub body: Vec<u8>,
    pub flags: Vec<String>,
    pub date: String,
}

impl Msg {
    /// A plain message with a unique Message-ID and `extra` bytes of body.
    pub fn numbered(id: &str, extra: usize) -> Msg {
        let mut body = format!(
            "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: {id}\r\nMessage-ID: <{id}@demail.test>\r\n\r\nHello {id}\r\n"
        )
        .into_bytes();
        body.extend(std::iter::repeat_n(b'z', extra));
        Msg { body, flags: vec![], date: "05-Jan-2021 08:09:10 +0000".into() }
    }

    pub fn flags(mut self, flags: &[&str]) -> Msg {
        self.flags = flags.iter().map(|f| f.to_string()).collect();
        self
    }

    pub fn date(mut self, date: &str) -> Msg {
        self.date = date.into();
        self
    }
}

pub fn dovecot() -> Dovecot {
    Dovecot::start().unwrap_or_else(|e| panic!("{e}"))
}

pub fn account(server: &Dovecot, user: &str) -> Account {
    account_over(server, user, Security::Plaintext)
}

/// An account reached with the given protection (the test certificate is self-signed).
pub fn account_over(server: &Dovecot, user: &str, security: Security) -> Account {
    Account { options: server.options(security), credentials: server.credentials(user) }
}

/// Creates `folder` (unless INBOX) and appends `messages` to it.
pub async fn seed(server: &Dovecot, user: &str, folder: &str, messages: &[Msg]) {
    let mut s = server.session(user).await.expect("login");
    let wire = utf7::encode(folder);
    if folder != "INBOX" {
        s.create(wire.as_bytes()).await.expect("create");
    }
    let (tx, rx) = mpsc::channel(16);
    let (out_tx, mut out_rx) = mpsc::channel(messages.len().max(1));
    let feed = {
        let messages = messages.to_vec();
        tokio::spawn(async move {
            let budget = ByteBudget::new(1 << 20);
            for (i, m) in messages.into_iter().enumerate() {
                let permit = budget.reserve(m.body.len() as u64).await;
                let req = AppendRequest {
                    token: i as u64,
                    flags: m.flags,
                    internal_date: Some(m.date),
                    body: m.body,
                    permit,
                };
                if tx.send(req).await.is_err() {
                    break;
                }
            }
        })
    };
    s.append_messages(wire.as_bytes(), rx, &out_tx).await.expect("append");
    feed.await.expect("feeder");
    drop(out_tx);
    while let Some(a) = out_rx.recv().await {
        a.outcome.unwrap_or_else(|r| panic!("seeding {folder}: {r:?}"));
    }
    s.logout().await;
}

/// What a folder holds, order-free: (SHA-256 of the bytes, sorted flags, internal date).
pub async fn snapshot(server: &Dovecot, user: &str, folder: &str) -> Vec<(String, Vec<String>, String)> {
    let mut s = server.session(user).await.expect("login");
    let selected =
        s.select(utf7::encode(folder).as_bytes(), true).await.unwrap_or_else(|e| panic!("{folder}: {e}"));
    if selected.exists == 0 {
        return Vec::new();
    }
    let fetched = s.uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])").await.expect("fetch");
    let mut out: Vec<_> = fetched
        .into_iter()
        .map(|f| {
            let mut flags: Vec<String> =
                f.flags.unwrap_or_default().into_iter().filter(|f| f != "\\Recent").collect();
            flags.sort();
            (hex(&Sha256::digest(f.body.unwrap_or_default())), flags, f.internal_date.unwrap_or_default())
        })
        .collect();
    out.sort();
    s.logout().await;
    out
}

/// Expected snapshot of messages as seeded.
pub fn expected(messages: &[Msg]) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<_> = messages
        .iter()
        .map(|m| {
            let mut flags = m.flags.clone();
            flags.sort();
            (hex(&Sha256::digest(&m.body)), flags, m.date.clone())
        })
        .collect();
    out.sort();
    out
}

/// Names of an account's mailboxes.
pub async fn folders(server: &Dovecot, user: &str) -> Vec<String> {
    let mut s = server.session(user).await.expect("login");
    let mut names: Vec<String> =
        s.list().await.expect("list").into_iter().filter(|m| m.is_selectable()).map(|m| m.name).collect();
    names.sort();
    names
}

/// Messages stored in a user's Maildir (any folder), counted from the file system.
pub fn maildir_count(server: &Dovecot, user: &str) -> usize {
    server.stored_messages(user)
}

pub async fn connect(server: &Dovecot, user: &str) -> Session {
    server.session(user).await.expect("login")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
