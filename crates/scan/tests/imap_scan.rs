//! Scanning real IMAP accounts on a throwaway Dovecot filled with the labelled corpus.
#![allow(clippy::expect_used)] // #[tokio::test] hides from clippy that these are tests

use demail_imap::Security;
use demail_imap::testing::Dovecot;
use demail_scan::corpus::{self, CorpusMessage};
use demail_scan::{FolderRole, ImapScanOptions, ScanState, Scanner, scan_imap};

fn by_role(c: &corpus::Corpus, role: FolderRole) -> Vec<&CorpusMessage> {
    c.messages.iter().filter(|m| m.role == role).collect()
}

#[tokio::test]
async fn scans_every_folder_once_and_rescans_only_new_mail() {
    let server = Dovecot::start().expect("dovecot");
    let c = corpus::generate(11, 1);
    let (received, sent) = (by_role(&c, FolderRole::Received), by_role(&c, FolderRole::Sent));
    let (inbox, archive) = received.split_at(received.len() / 2);
    let mut s = server.session("alice").await.expect("login");
    assert_eq!(corpus::append_all(&mut s, b"INBOX", false, inbox).await.expect("inbox"), 0);
    corpus::append_all(&mut s, b"Archive", true, archive).await.expect("archive");
    corpus::append_all(&mut s, b"Sent", true, &sent).await.expect("sent");
    // A copy of some inbox mail in another folder, and phishing in Junk: neither counted twice.
    corpus::append_all(&mut s, b"Factures", true, &inbox[..10]).await.expect("copies");
    corpus::append_all(&mut s, b"Junk", true, &inbox[..5]).await.expect("junk");
    s.logout().await;

    let options = server.options(Security::Tls);
    let credentials = server.credentials("alice");
    let mut scanner = Scanner::new([c.owner.as_str()]);
    let scan = ImapScanOptions { previous: None, now: 2_000_000_000 };
    let state = scan_imap(&options, &credentials, &scan, &mut scanner).await.expect("scan");
    let report = scanner.finish();
    assert_eq!(report.messages as usize, c.messages.len(), "every message once");
    assert_eq!(report.duplicates, 10);
    assert!(!state.folders.contains_key("Junk"));
    assert!(report.accounts().count() >= 35);
    assert!(report.correspondents.iter().any(|p| p.sent > 0));
    assert!(report.services.iter().all(|s| !s.still_writing), "first scan: nothing is 'still writing'");

    // Two new messages arrive; the re-scan reads only them and flags their senders.
    let later = corpus::generate(99, 1);
    let news: Vec<&CorpusMessage> = later
        .messages
        .iter()
        .filter(|m| String::from_utf8_lossy(&m.raw).contains("Doctolib"))
        .take(2)
        .collect();
    let mut s = server.session("alice").await.expect("login");
    corpus::append_all(&mut s, b"INBOX", false, &news).await.expect("new mail");
    s.logout().await;
    let path = tempfile::tempdir().expect("tmp");
    let file = path.path().join("state.json");
    let mut old = state.clone();
    old.scanned_at = 0; // every new message counts as "after the last scan"
    old.save(&file).expect("save");
    let scan = ImapScanOptions { previous: Some(ScanState::load(&file).expect("load")), now: 2_000_000_100 };
    let mut scanner = Scanner::new([c.owner.as_str()]);
    let state2 = scan_imap(&options, &credentials, &scan, &mut scanner).await.expect("rescan");
    let report = scanner.finish();
    assert_eq!(report.messages, 2, "only the new messages are read");
    assert_eq!(report.services.len(), 1);
    assert!(report.services[0].still_writing && report.services[0].domain == "doctolib.fr");
    assert!(state2.folders["INBOX"].last_uid > state.folders["INBOX"].last_uid);
}

#[tokio::test]
async fn reads_only_all_mail_and_sent_on_a_gmail_layout() {
    let server = Dovecot::start().expect("dovecot");
    let c = corpus::generate(12, 1);
    let sent = by_role(&c, FolderRole::Sent);
    let all: Vec<&CorpusMessage> = c.messages.iter().collect();
    let mut s = server.session("gmail").await.expect("login");
    corpus::append_all(&mut s, "[Gmail]/Messages envoy&AOk-s".as_bytes(), true, &sent).await.expect("sent");
    corpus::append_all(&mut s, b"[Gmail]/Tous les messages", true, &all).await.expect("all");
    // A label holding copies: must not be read at all on Gmail.
    corpus::append_all(&mut s, b"Travail", true, &all[..20]).await.expect("label");
    s.logout().await;
    let mut scanner = Scanner::new([c.owner.as_str()]);
    let state = scan_imap(
        &server.options(Security::Plaintext),
        &server.credentials("gmail"),
        &ImapScanOptions::default(),
        &mut scanner,
    )
    .await
    .expect("scan");
    let report = scanner.finish();
    assert!(!state.folders.contains_key("Travail") && !state.folders.contains_key("INBOX"));
    assert_eq!(report.messages as usize, c.messages.len());
    assert_eq!(report.duplicates as usize, sent.len(), "sent mail is also in All Mail");
    assert!(report.correspondents.iter().any(|p| p.sent > 0), "sent mail is read as sent");
}
