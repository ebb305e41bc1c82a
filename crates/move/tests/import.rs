//! Archive import and export against a real, throwaway Dovecot.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use demail_archive::Archive;
use demail_archive::gmail::LabelOptions;
use demail_move::{ExportFormat, ExportOptions, ImportOptions, ImportReport};
use support::*;

const FROM: &str = "From 1768412345678901234@xxx Wed Jan 14 10:00:00 +0000 2026";
const DATE: &str = "14-Jan-2026 10:00:00 +0000";

/// One Takeout message: its mbox text (LF, as Takeout writes) and what should land (CRLF).
struct Takeout {
    mbox: Vec<u8>,
    landed: Vec<u8>,
}

fn takeout(id: &str, labels: Option<&str>, body: &str) -> Takeout {
    let labels = labels.map(|l| format!("X-Gmail-Labels: {l}\n")).unwrap_or_default();
    let message = format!(
        "{labels}From: Alice <alice@example.org>\nSubject: {id}\nMessage-ID: <{id}@demail.test>\n\n{body}\n"
    );
    let mbox = format!("{FROM}\n{message}\n").into_bytes();
    Takeout { mbox, landed: message.replace('\n', "\r\n").into_bytes() }
}

/// A message whose body has a `From ` line after a blank line and a `>From ` line, escaped
/// by hand as mboxrd does.
fn escaped_message() -> Takeout {
    let head =
        "X-Gmail-Labels: Inbox,Opened\nMessage-ID: <escaped@demail.test>\nSubject: escaped\n\nHello\n\n";
    let landed = format!("{head}From the desk of Bob\n>From a quote\nbye\n");
    let in_file = format!("{head}>From the desk of Bob\n>>From a quote\nbye\n");
    Takeout {
        mbox: format!("{FROM}\n{in_file}\n").into_bytes(),
        landed: landed.replace('\n', "\r\n").into_bytes(),
    }
}

/// A message with a 10 MB base64 attachment.
fn big_attachment() -> Takeout {
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\n";
    let data = line.repeat(10 * 1024 * 1024 / line.len() + 1);
    let message = format!(
        "X-Gmail-Labels: Inbox,Opened\nMessage-ID: <big@demail.test>\nSubject: big\nContent-Type: multipart/mixed; boundary=\"BIG\"\n\n--BIG\nContent-Type: text/plain\n\nSee attached.\n--BIG\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n{data}--BIG--\n"
    );
    Takeout {
        mbox: format!("{FROM}\n{message}\n").into_bytes(),
        landed: message.replace('\n', "\r\n").into_bytes(),
    }
}

fn write_takeout(dir: &Path, messages: &[&Takeout], tail: &str) -> PathBuf {
    let path = dir.join("Takeout/Mail/All mail Including Spam and Trash.mbox");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&path).unwrap();
    for m in messages {
        f.write_all(&m.mbox).unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
    path
}

fn truncated_tail() -> String {
    format!(
        "{FROM}\nX-Gmail-Labels: Inbox\nMessage-ID: <cut@demail.test>\nContent-Type: multipart/mixed; boundary=\"CUT\"\n\n--CUT\nContent-Type: text/plain\n\nhalf a mess"
    )
}

fn expected_in(messages: &[(&Takeout, &[&str])]) -> Vec<(String, Vec<String>, String)> {
    let msgs: Vec<Msg> = messages
        .iter()
        .map(|(t, flags)| Msg {
            body: t.landed.clone(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            date: DATE.into(),
        })
        .collect();
    expected(&msgs)
}

async fn import(
    server: &demail_imap::testing::Dovecot,
    user: &str,
    path: &Path,
    state: &Path,
) -> ImportReport {
    let archive = Archive::open(path).unwrap();
    demail_move::import(&archive, &account(server, user), state, &ImportOptions::default(), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn imports_a_takeout_mbox_with_every_label_case_and_reports_a_truncated_tail() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let inbox_read = takeout("inbox-read", Some("Inbox,Opened"), "hello");
    let unread_starred = takeout("unread-starred", Some("Inbox,Unread,Starred,Important"), "star");
    let comma = takeout("comma", Some("\"Travail, 2024\",Opened"), "work");
    let nested = takeout("nested", Some("Famille/Été,Opened,Category Personal"), "summer");
    let sent = takeout("sent", Some("Sent,Opened"), "sent");
    let draft = takeout("draft", Some("Drafts"), "draft");
    let spam = takeout("spam", Some("Spam,Unread"), "buy");
    let trash = takeout("trash", Some("Trash,Opened"), "old");
    let chat = takeout("chat", Some("Chat,Opened"), "hi!");
    let archived = takeout("archived", Some("Archived,Opened"), "archived");
    let no_label = takeout("nolabel", None, "none");
    let encoded = takeout("encoded", Some("Opened,=?UTF-8?Q?Re=C3=A7us?="), "encoded");
    let two = takeout("two", Some("Inbox,\"Travail, 2024\",Opened"), "both");
    let escaped = escaped_message();
    let big = big_attachment();
    let all = [
        &inbox_read,
        &unread_starred,
        &comma,
        &nested,
        &sent,
        &draft,
        &spam,
        &trash,
        &chat,
        &archived,
        &no_label,
        &encoded,
        &two,
        &escaped,
        &big,
    ];
    let path = write_takeout(dir.path(), &all, &truncated_tail());
    let state = dir.path().join("state.sqlite3");

    let report = import(&server, "alice", &path, &state).await;
    assert_eq!(report.messages, 16, "{report:#?}");
    assert_eq!(report.landed, 12, "{report:#?}");
    assert_eq!(report.skipped.get("junk"), Some(&1));
    assert_eq!(report.skipped.get("trash"), Some(&1));
    assert_eq!(report.skipped.get("chat"), Some(&1));
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].reason.contains("download the archive again"), "{:?}", report.failed);
    assert!(report.is_accounted() && !report.is_complete());

    let seen: &[&str] = &["\\Seen"];
    assert_eq!(
        snapshot(&server, "alice", "INBOX").await,
        expected_in(&[
            (&inbox_read, seen),
            (&unread_starred, &["\\Flagged"]),
            (&two, seen),
            (&escaped, seen),
            (&big, seen)
        ])
    );
    assert_eq!(
        snapshot(&server, "alice", "Travail, 2024").await,
        expected_in(&[(&comma, seen), (&two, seen)])
    );
    assert_eq!(snapshot(&server, "alice", "Famille/Été").await, expected_in(&[(&nested, seen)]));
    assert_eq!(snapshot(&server, "alice", "Sent").await, expected_in(&[(&sent, seen)]));
    assert_eq!(snapshot(&server, "alice", "Drafts").await, expected_in(&[(&draft, &["\\Draft", "\\Seen"])]));
    assert_eq!(
        snapshot(&server, "alice", "Archive").await,
        expected_in(&[(&archived, seen), (&no_label, seen)])
    );
    assert_eq!(snapshot(&server, "alice", "Reçus").await, expected_in(&[(&encoded, seen)]));
    let names = folders(&server, "alice").await;
    assert!(!names.iter().any(|n| n == "Junk" || n == "Trash" || n == "Chats"), "{names:?}");

    // Again: nothing new, every message accounted for as already there.
    let again = import(&server, "alice", &path, &state).await;
    assert_eq!(again.copied(), 0, "{again:#?}");
    // Read again only from the cut message on: the 15 before it are done.
    assert_eq!((again.messages, again.done_earlier, again.landed), (16, 15, 0), "{again:#?}");
    assert_eq!(again.failed.len(), 1, "the cut message is reported again");
    assert!(again.is_accounted());
    assert_eq!(maildir_count(&server, "alice"), 13);
}

#[tokio::test]
async fn plan_shows_the_folders_and_writes_nothing() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let a = takeout("a", Some("Inbox,Famille/Été"), "a");
    let b = takeout("b", Some("Chat"), "b");
    let path = write_takeout(dir.path(), &[&a, &b], "");
    let archive = Archive::open(&path).unwrap();
    let plan = demail_move::plan_import(&archive, &account(&server, "bob"), &ImportOptions::default())
        .await
        .unwrap();
    let folders_planned: Vec<(&str, bool, u64)> =
        plan.folders.iter().map(|f| (f.destination.as_str(), f.create, f.messages)).collect();
    assert_eq!(folders_planned, vec![("Famille/Été", true, 1), ("INBOX", false, 1)]);
    assert_eq!((plan.messages, plan.skipped.get("chat")), (2, Some(&1)));
    assert_eq!(folders(&server, "bob").await, vec!["INBOX"]);
    assert_eq!(maildir_count(&server, "bob"), 0);
}

#[tokio::test]
async fn a_message_already_at_the_destination_is_recognised_not_copied_twice() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let a = takeout("a", Some("Inbox,Opened"), "a");
    let b = takeout("b", Some("Inbox,Opened"), "b");
    // `a` is already in the inbox, put there by someone else (no state file knows it).
    seed(&server, "carol", "INBOX", &[Msg { body: a.landed.clone(), flags: vec![], date: DATE.into() }])
        .await;
    let path = write_takeout(dir.path(), &[&a, &b], "");
    let report = import(&server, "carol", &path, &dir.path().join("s.sqlite3")).await;
    assert_eq!((report.landed, report.copied()), (2, 1), "{report:#?}");
    assert_eq!(maildir_count(&server, "carol"), 2);
}

#[tokio::test]
async fn a_message_without_message_id_already_at_the_destination_is_recognised_too() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let strip = |t: Takeout, id: &str| {
        let drop_id = |b: Vec<u8>, eol: &str| {
            String::from_utf8(b)
                .unwrap()
                .replace(&format!("Message-ID: <{id}@demail.test>{eol}"), "")
                .into_bytes()
        };
        Takeout { mbox: drop_id(t.mbox, "\n"), landed: drop_id(t.landed, "\r\n") }
    };
    let a = strip(takeout("na", Some("Inbox,Opened"), "a"), "na");
    let b = strip(takeout("nb", Some("Inbox,Opened"), "b"), "nb");
    assert!(!a.landed.windows(10).any(|w| w == b"Message-ID"));
    // `a` is there already (a crash between APPEND and its record, or another tool).
    seed(&server, "carol", "INBOX", &[Msg { body: a.landed.clone(), flags: vec![], date: DATE.into() }])
        .await;
    let path = write_takeout(dir.path(), &[&a, &b], "");
    let report = import(&server, "carol", &path, &dir.path().join("s.sqlite3")).await;
    assert_eq!((report.landed, report.copied()), (2, 1), "{report:#?}");
    assert_eq!(maildir_count(&server, "carol"), 2);
}

#[tokio::test]
async fn imports_a_maildir_with_flags_folders_and_dates() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Maildir");
    let write = |folder: &str, name: &str, id: &str| -> Vec<u8> {
        let body =
            format!("Message-ID: <{id}@demail.test>\r\nSubject: {id}\r\n\r\nbody {id}\r\n").into_bytes();
        let d = root.join(folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let p = d.join(name);
        std::fs::write(&p, &body).unwrap();
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_609_834_150); // 05-Jan-2021 08:09:10
        std::fs::File::options().write(true).open(&p).unwrap().set_modified(when).unwrap();
        body
    };
    let new = write("", "new/1.a.host", "new");
    let replied = write("", "cur/2.b.host:2,RS", "replied");
    let work = write(".Work.2024", "cur/3.c.host:2,FSa", "work");
    std::fs::write(root.join(".Work.2024/dovecot-keywords"), "0 $Important\n").unwrap();
    let sent = write(".Sent", "cur/4.d.host:2,S", "sent");
    write(".Trash", "cur/5.e.host:2,ST", "deleted");

    let report = import(&server, "alice", &root, &dir.path().join("s.sqlite3")).await;
    assert_eq!(
        (report.messages, report.landed, report.skipped.get("trash")),
        (5, 4, Some(&1)),
        "{report:#?}"
    );
    let date = "05-Jan-2021 08:09:10 +0000";
    let msg = |body: &Vec<u8>, flags: &[&str]| Msg {
        body: body.clone(),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        date: date.into(),
    };
    assert_eq!(
        snapshot(&server, "alice", "INBOX").await,
        expected(&[msg(&new, &[]), msg(&replied, &["\\Answered", "\\Seen"])])
    );
    assert_eq!(
        snapshot(&server, "alice", "Work/2024").await,
        expected(&[msg(&work, &["$Important", "\\Flagged", "\\Seen"])])
    );
    assert_eq!(snapshot(&server, "alice", "Sent").await, expected(&[msg(&sent, &["\\Seen"])]));
}

#[tokio::test]
async fn imports_a_folder_of_eml_files_with_sub_folders() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("emails");
    std::fs::create_dir_all(root.join("Projets")).unwrap();
    let body = |id: &str| {
        format!(
            "Message-ID: <{id}@demail.test>\nDate: Tue, 3 Feb 2026 10:00:00 +0100\nSubject: {id}\n\n{id}\n"
        )
    };
    std::fs::write(root.join("one.eml"), body("one")).unwrap();
    std::fs::write(root.join("two.EML"), body("two")).unwrap();
    std::fs::write(root.join("notes.txt"), "not mail").unwrap();
    std::fs::write(root.join("Projets/three.eml"), body("three")).unwrap();
    let report = import(&server, "bob", &root, &dir.path().join("s.sqlite3")).await;
    assert_eq!((report.messages, report.landed), (3, 3), "{report:#?}");
    let msg = |id: &str| Msg {
        body: body(id).replace('\n', "\r\n").into_bytes(),
        flags: vec!["\\Seen".into()],
        date: "03-Feb-2026 09:00:00 +0000".into(),
    };
    assert_eq!(snapshot(&server, "bob", "INBOX").await, expected(&[msg("one"), msg("two")]));
    assert_eq!(snapshot(&server, "bob", "Projets").await, expected(&[msg("three")]));
}

#[tokio::test]
async fn a_zipped_and_a_tgz_takeout_import_like_the_mbox() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let a = takeout("a", Some("Inbox,Opened"), "a");
    let b = takeout("b", Some("Famille,Opened"), "b");
    let mbox: Vec<u8> = [a.mbox.clone(), b.mbox.clone()].concat();
    let member = "Takeout/Mail/All mail Including Spam and Trash.mbox";
    let zip_path = dir.path().join("takeout-001.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        zip.start_file(member, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&mbox).unwrap();
        zip.finish().unwrap();
    }
    let tgz_path = dir.path().join("takeout-001.tgz");
    {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&tgz_path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.set_size(mbox.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, member, &mbox[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let seen: &[&str] = &["\\Seen"];
    for (user, path) in [("alice", &zip_path), ("bob", &tgz_path)] {
        let report = import(&server, user, path, &dir.path().join(format!("{user}.sqlite3"))).await;
        assert_eq!((report.messages, report.landed), (2, 2), "{report:#?}");
        assert_eq!(snapshot(&server, user, "INBOX").await, expected_in(&[(&a, seen)]));
        assert_eq!(snapshot(&server, user, "Famille").await, expected_in(&[(&b, seen)]));
    }
}

#[tokio::test]
async fn export_then_reimport_gives_byte_identical_messages() {
    let server = dovecot();
    let dir = tempfile::tempdir().unwrap();
    let mut long = Msg::numbered("e2", 0).flags(&["\\Flagged"]).date("01-Feb-2020 10:00:00 +0100");
    long.body.extend_from_slice(format!("{}\r\n", "long line ".repeat(300)).as_bytes());
    let inbox = vec![Msg::numbered("e1", 0).flags(&["\\Seen", "\\Answered"]), long];
    let mut from_line = Msg::numbered("e3", 0);
    from_line.body.extend_from_slice(b"\r\nFrom here\r\n>From there\r\n");
    let work = vec![from_line, Msg::numbered("e4", 0).flags(&["\\Seen"])];
    seed(&server, "alice", "INBOX", &inbox).await;
    seed(&server, "alice", "Travail/Été", &work).await;

    let backup = dir.path().join("backup");
    let state = dir.path().join("export.sqlite3");
    let options = ExportOptions::default();
    let report =
        demail_move::export(&account(&server, "alice"), &backup, &state, &options, None).await.unwrap();
    assert!(report.is_complete(), "{report:#?}");
    assert_eq!(report.totals().copied, 4);

    // Incremental: a second run writes nothing; a new message is the only one added.
    let again =
        demail_move::export(&account(&server, "alice"), &backup, &state, &options, None).await.unwrap();
    assert_eq!((again.totals().copied, again.totals().already_present), (0, 4));
    let late = Msg::numbered("e5", 0).flags(&["\\Seen"]);
    seed(&server, "alice", "INBOX", std::slice::from_ref(&late)).await;
    let third =
        demail_move::export(&account(&server, "alice"), &backup, &state, &options, None).await.unwrap();
    assert_eq!(third.totals().copied, 1);

    let report = import(&server, "bob", &backup, &dir.path().join("import.sqlite3")).await;
    assert!(report.is_complete(), "{report:#?}");
    let mut inbox_all = inbox.clone();
    inbox_all.push(late);
    // A Maildir keeps the received date as a file time, in UTC: the same instant.
    let utc = |s: Vec<(String, Vec<String>, String)>| -> Vec<(String, Vec<String>, i64)> {
        let mut v: Vec<_> = s
            .into_iter()
            .map(|(h, f, d)| (h, f, demail_archive::parse_imap_date(&d).map(|d| d.timestamp()).unwrap_or(0)))
            .collect();
        v.sort();
        v
    };
    assert_eq!(utc(snapshot(&server, "bob", "INBOX").await), utc(expected(&inbox_all)));
    assert_eq!(utc(snapshot(&server, "bob", "Travail/Été").await), utc(expected(&work)));

    // mbox: bodies and dates come back byte for byte (mbox keeps no flags).
    let mbox_dir = dir.path().join("mbox");
    let mbox_options = ExportOptions { format: ExportFormat::Mbox, ..ExportOptions::default() };
    let r = demail_move::export(
        &account(&server, "alice"),
        &mbox_dir,
        &dir.path().join("m.sqlite3"),
        &mbox_options,
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.totals().copied, 5);
    let r = import(&server, "carol", &mbox_dir, &dir.path().join("carol.sqlite3")).await;
    assert!(r.is_complete(), "{r:#?}");
    let bodies = |s: Vec<(String, Vec<String>, String)>| -> Vec<(String, i64)> {
        let mut v: Vec<_> = utc(s).into_iter().map(|(h, _, d)| (h, d)).collect();
        v.sort();
        v
    };
    assert_eq!(bodies(snapshot(&server, "carol", "INBOX").await), bodies(expected(&inbox_all)));
    assert_eq!(bodies(snapshot(&server, "carol", "Travail/Été").await), bodies(expected(&work)));
}

#[test]
fn label_options_default_leaves_chats_spam_and_trash_out() {
    assert_eq!(
        LabelOptions::default(),
        LabelOptions { include_chats: false, include_junk: false, include_trash: false }
    );
}
