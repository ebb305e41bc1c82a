//! `demail import` killed with SIGKILL mid-way, then run again: every message lands once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use demail_imap::testing::Dovecot;

const MESSAGES: usize = 2400;

fn write_takeout(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..MESSAGES {
        let labels = match i % 3 {
            0 => "Inbox,Opened",
            1 => "Travail,Opened",
            _ => "Inbox,Travail,Unread",
        };
        write!(
            f,
            "From 17000{i}@xxx Wed Jan 14 10:00:00 +0000 2026\nX-Gmail-Labels: {labels}\nMessage-ID: <m{i}@demail.test>\nSubject: message {i}\n\n{}\n\n",
            "Lorem ipsum dolor sit amet. ".repeat(60)
        )
        .unwrap();
    }
}

/// The largest byte offset the state file records as fully imported (0 when none yet).
async fn resume_point(state: &Path) -> i64 {
    use sqlx::ConnectOptions;
    let Ok(mut c) = sqlx::sqlite::SqliteConnectOptions::new().filename(state).read_only(true).connect().await
    else {
        return 0;
    };
    let offset: Option<i64> = sqlx::query_scalar("SELECT MAX(\"offset\") FROM archive_entries")
        .fetch_one(&mut c)
        .await
        .unwrap_or(None);
    offset.unwrap_or(0)
}

fn demail(server: &Dovecot, mbox: &Path, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_demail"));
    c.arg("import")
        .arg(mbox)
        .arg("--to")
        .arg(format!("imap://alice@127.0.0.1:{}", server.imap_port))
        .arg("--insecure")
        .arg("--json")
        .arg("--state")
        .arg(state)
        .env("DEMAIL_TO_PASSWORD", "pw-alice")
        .stdin(Stdio::null());
    c
}

/// Message-IDs in a folder, with how many times each is there.
async fn ids(server: &Dovecot, folder: &str) -> HashMap<String, usize> {
    let mut s = server.session("alice").await.unwrap();
    s.select(folder.as_bytes(), true).await.unwrap();
    let fetched = s.uid_fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").await.unwrap();
    let mut out = HashMap::new();
    for f in fetched {
        let text = String::from_utf8_lossy(&f.header_fields.unwrap_or_default()).trim().to_string();
        *out.entry(text).or_insert(0) += 1;
    }
    s.logout().await;
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn import_resumes_after_sigkill_without_loss_or_duplicates() {
    let server = Dovecot::start().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("All mail Including Spam and Trash.mbox");
    write_takeout(&mbox);
    let state = dir.path().join("state.sqlite3");

    let mut child =
        demail(&server, &mbox, &state).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed_at = loop {
        let n = server.stored_messages("alice");
        // Killed once the state file holds a resume point (so that the re-run can be seen to
        // use it) and some messages are stored, whatever the machine's speed.
        if n >= 800 && resume_point(&state).await > 0 {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break n;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("demail finished ({status}) before it could be killed; {n} messages stored");
        }
        assert!(Instant::now() < deadline, "demail stored only {n} messages in 60 s");
        std::thread::sleep(Duration::from_millis(5));
    };
    // Dovecot goes on storing what the killed client had already sent: wait until it settles.
    let mut last = server.stored_messages("alice");
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = server.stored_messages("alice");
        if now == last {
            break;
        }
        last = now;
    }
    let placements = MESSAGES + MESSAGES / 3;
    assert!(last < placements, "killed mid-way ({killed_at} stored at the kill, {last} after)");

    let output = demail(&server, &mbox, &state).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let field = |k: &str| report[k].as_u64().unwrap();
    assert_eq!(field("messages"), MESSAGES as u64, "{report}");
    assert_eq!(field("landed") + field("done_earlier"), MESSAGES as u64, "{report}");
    assert!(field("done_earlier") > 0, "the re-run starts from the recorded offset: {report}");

    let inbox = ids(&server, "INBOX").await;
    let work = ids(&server, "Travail").await;
    let expect = |keep: &dyn Fn(usize) -> bool| -> HashMap<String, usize> {
        (0..MESSAGES).filter(|i| keep(*i)).map(|i| (format!("Message-ID: <m{i}@demail.test>"), 1)).collect()
    };
    assert_eq!(inbox, expect(&|i| i % 3 != 1), "INBOX: every message once");
    assert_eq!(work, expect(&|i| i % 3 != 0), "Travail: every message once");
    assert_eq!(server.stored_messages("alice"), placements);
}
