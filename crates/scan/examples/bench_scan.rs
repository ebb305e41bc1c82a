//! Header scan benchmark: fills a throwaway Dovecot with N corpus messages (default 10,000) and
//! times `scan_imap` over TLS. Run through `scripts/bench-scan`.

use std::time::Instant;

use demail_imap::Security;
use demail_imap::testing::Dovecot;
use demail_scan::corpus::{self, CorpusMessage};
use demail_scan::{FolderRole, ImapScanOptions, Scanner, scan_imap};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wanted: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let server = Dovecot::start()?;
    let mut messages: Vec<CorpusMessage> = Vec::new();
    let mut seed = 1;
    while messages.len() < wanted {
        messages.extend(corpus::generate(seed, 4).messages);
        seed += 1;
    }
    messages.truncate(wanted);
    let received: Vec<&CorpusMessage> = messages.iter().filter(|m| m.role == FolderRole::Received).collect();
    let sent: Vec<&CorpusMessage> = messages.iter().filter(|m| m.role == FolderRole::Sent).collect();
    let mut s = server.session("alice").await?;
    let t = Instant::now();
    corpus::append_all(&mut s, b"INBOX", false, &received).await?;
    corpus::append_all(&mut s, b"Sent", true, &sent).await?;
    s.logout().await;
    eprintln!("filled {} messages in {:.1} s", messages.len(), t.elapsed().as_secs_f64());

    for run in 1..=3 {
        let mut scanner = Scanner::new([corpus::OWNER]);
        let t = Instant::now();
        scan_imap(
            &server.options(Security::Tls),
            &server.credentials("alice"),
            &ImapScanOptions::default(),
            &mut scanner,
        )
        .await?;
        let report = scanner.finish();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "run {run}: {} messages in {:.3} s = {:.0} messages/s ({} services, {} people)",
            report.messages + report.duplicates,
            secs,
            (report.messages + report.duplicates) as f64 / secs,
            report.services.len(),
            report.correspondents.len()
        );
    }
    Ok(())
}
