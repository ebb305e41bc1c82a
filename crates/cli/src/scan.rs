//! `demail scan`: read the headers of a mailbox and list the services that know the address,
//! the people to tell, and (with --since-last) who still writes to it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use demail_scan::{
    ChangeLink, ImapScanOptions, ScanReport, ScanState, Scanner, Service, Trust, Unsubscribe, announcement,
    correspondents_csv, correspondents_vcard,
};

/// Find the services and people that know an address, by reading message headers only (never
/// message bodies). Nothing leaves this computer.
#[derive(clap::Args, Debug)]
#[command(after_help = "The password is never given on the command line: demail reads it from \
    --from-password-file, else from $DEMAIL_FROM_PASSWORD, else asks for it.\n\n\
    Example: demail scan --from imaps://alice%40gmail.com@imap.gmail.com --csv contacts.csv\n\
    A week later: demail scan --from imaps://alice%40gmail.com@imap.gmail.com --since-last\n\
    From a Google Takeout export: demail scan --archive takeout-20260101T000000Z-001.zip")]
pub struct ScanArgs {
    /// Account to read: imaps://user@host[:port] or imap://user@host[:port] (STARTTLS). Write an
    /// @ inside the user name as %40.
    #[arg(long, value_name = "URL", required_unless_present = "archive", conflicts_with = "archive")]
    pub from: Option<String>,
    /// Read an archive instead: a Google Takeout export (.mbox, or the .zip/.tgz as downloaded),
    /// another mbox file, a Maildir or a folder of .eml files.
    #[arg(long, value_name = "PATH", conflicts_with = "since_last")]
    pub archive: Option<PathBuf>,
    /// File holding the password (first line).
    #[arg(long, value_name = "PATH")]
    pub from_password_file: Option<PathBuf>,
    /// File holding an OAuth 2.0 access token (first line), to log in with OAUTHBEARER or
    /// XOAUTH2 instead of a password (Outlook.com accepts nothing else).
    #[arg(long, value_name = "PATH", conflicts_with = "from_password_file")]
    pub oauth_token_file: Option<PathBuf>,
    /// Accept any server certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the correspondents to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the correspondents to this vCard file (contacts apps import it).
    #[arg(long, value_name = "FILE")]
    pub vcard: Option<PathBuf>,
    /// Read only mail that arrived since the last scan and list who still writes to this address.
    #[arg(long)]
    pub since_last: bool,
    /// Where the scan remembers how far it read [default: ./demail-scan-<user>@<host>.json].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Your other addresses, so that mail to them is recognised as yours (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    pub me: Vec<String>,
    /// Also print a ready message announcing this new address to your correspondents.
    #[arg(long, value_name = "ADDRESS")]
    pub new_address: Option<String>,
    /// Language of that message: fr or en.
    #[arg(long, value_name = "LANG", default_value = "fr")]
    pub lang: String,
}

/// Runs `demail scan`.
pub async fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let Some(from) = &args.from else {
        let path = args.archive.clone().unwrap_or_default();
        let mut scanner = Scanner::new(&args.me);
        let counts = tokio::task::spawn_blocking(move || {
            let archive = demail_archive::Archive::open(&path)?;
            let counts = demail_scan::scan_archive(&archive, &mut scanner)?;
            Ok::<_, demail_archive::ArchiveError>((counts, scanner))
        })
        .await?;
        let (counts, scanner) = counts.context("cannot read the archive (--archive)")?;
        if counts.skipped > 0 && !args.json {
            eprintln!("{} messages left aside (spam, trash, chats).", counts.skipped);
        }
        return report(&args, scanner.finish(), "");
    };
    let account = crate::migrate::one_account(
        from,
        args.insecure,
        args.from_password_file.as_deref(),
        args.oauth_token_file.as_deref(),
        "DEMAIL_FROM_PASSWORD",
        &crate::migrate::user_language(),
    )
    .context("account to scan (--from)")?;
    let state_path = args.state.clone().unwrap_or_else(|| default_state_path(&account));
    let previous = if args.since_last {
        let state = ScanState::load(&state_path)?;
        if state.folders.is_empty() {
            anyhow::bail!(
                "no earlier scan recorded in {}: run `demail scan` once without --since-last first",
                state_path.display()
            );
        }
        Some(state)
    } else {
        None
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut scanner = Scanner::new(&args.me);
    let options = ImapScanOptions { previous, now };
    let state = demail_scan::scan_imap(&account.options, &account.credentials, &options, &mut scanner)
        .await
        .context("the scan stopped; nothing was changed in the mailbox, run the same command again")?;
    state.save(&state_path)?;
    report(&args, scanner.finish(), &account.credentials.user)
}

/// Writes the exports and prints the report.
fn report(args: &ScanArgs, report: ScanReport, login: &str) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.csv {
        write_file(path, &correspondents_csv(&report.correspondents))?;
    }
    if let Some(path) = &args.vcard {
        write_file(path, &correspondents_vcard(&report.correspondents))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report, args.since_last));
        if let Some(new) = &args.new_address {
            let old = report.my_addresses.first().map_or(login, String::as_str);
            println!("\n---- {} ----\n{}", new, announcement(&args.lang, old, new, ""));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `./demail-scan-<user>@<host>.json`, with anything unusual replaced.
fn default_state_path(account: &demail_move::Account) -> PathBuf {
    PathBuf::from(format!("demail-scan-{}.json", crate::migrate::account_label(account)))
}

/// The report as plain text.
pub fn render(report: &ScanReport, since_last: bool) -> String {
    let mut out = Vec::new();
    let _ = writeln!(
        out,
        "{} messages read (headers only), {} copies counted once.",
        report.messages, report.duplicates
    );
    if since_last {
        let still: Vec<&Service> = report.services.iter().filter(|s| s.still_writing).collect();
        let _ = writeln!(out, "\nStill writing to this address since the last scan: {}", still.len());
        for s in still {
            let _ = writeln!(out, "  {} ({}) — {}", s.name, s.domain, link(&s.change_link));
        }
        for p in report.correspondents.iter().filter(|p| p.still_writing) {
            let _ = writeln!(out, "  {} <{}>", p.name.as_deref().unwrap_or("?"), p.address);
        }
        return String::from_utf8_lossy(&out).into_owned();
    }
    let accounts: Vec<&Service> = report.accounts().collect();
    let _ = writeln!(out, "\nAccounts to update ({}), most important first:", accounts.len());
    for s in &accounts {
        let _ = writeln!(
            out,
            "  {:<28} {:<24} {} message(s), last {}{}",
            s.name,
            s.domain,
            s.messages,
            day(s.last_seen),
            if s.trust == Trust::Verified { "" } else { " (signature not checked)" }
        );
        let _ = writeln!(out, "      change the address: {}", link(&s.change_link));
        if !s.addresses.is_empty() {
            let _ = writeln!(out, "      writes to: {}", s.addresses.join(", "));
        }
    }
    let maybe: Vec<&Service> = report.services.iter().filter(|s| s.maybe_account()).collect();
    if !maybe.is_empty() {
        let _ = writeln!(out, "\nMaybe (nothing proves who sent these; beware of phishing):");
        for s in maybe {
            let subject = s.evidence.first().map(|e| e.subject.as_str()).unwrap_or_default();
            let _ = writeln!(out, "  {:<28} {:<24} «{subject}»", s.name, s.domain);
        }
    }
    let news: Vec<&Service> =
        report.services.iter().filter(|s| !s.has_account() && s.unsubscribe.is_some()).collect();
    if !news.is_empty() {
        let _ = writeln!(out, "\nNewsletters and lists ({}): change the address or unsubscribe", news.len());
        for s in news {
            let how = match &s.unsubscribe {
                Some(Unsubscribe::OneClick(u)) => format!("one-click unsubscribe: {u}"),
                Some(Unsubscribe::Link(u)) => format!("unsubscribe: {u}"),
                Some(Unsubscribe::Mailto(m)) => format!("unsubscribe by mail: {m}"),
                None => String::new(),
            };
            let _ = writeln!(out, "  {:<28} {how}", s.name);
        }
    }
    let _ = writeln!(out, "\nPeople to tell ({}), most important first:", report.correspondents.len());
    for p in report.correspondents.iter().take(30) {
        let _ = writeln!(
            out,
            "  {:<28} {:<36} you wrote {}, they wrote {}",
            p.name.as_deref().unwrap_or(""),
            p.address,
            p.sent,
            p.received
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn link(l: &ChangeLink) -> &str {
    match l {
        ChangeLink::Known(u) | ChangeLink::WellKnown(u) => u,
    }
}

fn day(t: Option<i64>) -> String {
    // Days since 1970 → civil date (Howard Hinnant's algorithm), to avoid a date dependency here.
    let Some(t) = t else { return "?".into() };
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use demail_imap::testing::Dovecot;
    use demail_scan::{FolderRole, corpus};

    #[test]
    fn formats_days() {
        assert_eq!(day(Some(0)), "1970-01-01");
        assert_eq!(day(Some(1_772_528_400)), "2026-03-03");
    }

    #[tokio::test]
    #[allow(clippy::expect_used)] // the test attribute hides that this is a test from clippy
    async fn scans_a_dovecot_account_and_writes_exports() {
        let server = Dovecot::start().expect("dovecot");
        let c = corpus::generate(21, 1);
        let received: Vec<_> = c.messages.iter().filter(|m| m.role == FolderRole::Received).collect();
        let sent: Vec<_> = c.messages.iter().filter(|m| m.role == FolderRole::Sent).collect();
        let mut s = server.session("bob").await.expect("login");
        corpus::append_all(&mut s, b"INBOX", false, &received).await.expect("inbox");
        corpus::append_all(&mut s, b"Sent", true, &sent).await.expect("sent");
        s.logout().await;

        let dir = tempfile::tempdir().expect("tmp");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "pw-bob\n").expect("pw");
        let args = |since_last: bool| ScanArgs {
            from: Some(format!("imaps://bob@127.0.0.1:{}", server.imaps_port)),
            archive: None,
            from_password_file: Some(pw.clone()),
            oauth_token_file: None,
            insecure: true,
            json: false,
            csv: Some(dir.path().join("people.csv")),
            vcard: Some(dir.path().join("people.vcf")),
            since_last,
            state: Some(dir.path().join("state.json")),
            me: vec![c.owner.clone()],
            new_address: Some("camille@nouvelle.example".into()),
            lang: "fr".into(),
        };
        // Without an earlier scan, --since-last says what to do.
        let err = run(args(true)).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("run `demail scan` once"), "{err}");
        assert_eq!(run(args(false)).await.ok(), Some(ExitCode::SUCCESS));
        let csv = std::fs::read_to_string(dir.path().join("people.csv")).expect("csv");
        assert!(csv.starts_with("name,email,") && csv.contains("jeanne.martin@orange.fr"));
        let vcf = std::fs::read_to_string(dir.path().join("people.vcf")).expect("vcf");
        assert!(vcf.contains("BEGIN:VCARD") && vcf.contains("EMAIL:paul.leroy@gmail.com"));
        let state = ScanState::load(&dir.path().join("state.json")).expect("state");
        assert!(state.folders["INBOX"].last_uid as usize >= received.len());
        assert_eq!(run(args(true)).await.ok(), Some(ExitCode::SUCCESS));
        // With an OAuth 2.0 token instead of a password (this Dovecot takes the password as token).
        let token = dir.path().join("token");
        std::fs::write(&token, "pw-bob\n").expect("token");
        let with_token = ScanArgs {
            from_password_file: None,
            oauth_token_file: Some(token),
            state: Some(dir.path().join("state-oauth.json")),
            ..args(false)
        };
        assert_eq!(run(with_token).await.ok(), Some(ExitCode::SUCCESS));
    }

    #[tokio::test]
    #[allow(clippy::expect_used)] // the test attribute hides that this is a test from clippy
    async fn scans_a_takeout_archive_like_a_mailbox() {
        let c = corpus::generate(21, 1);
        let dir = tempfile::tempdir().expect("tmp");
        let mut mbox = Vec::new();
        for (i, m) in c.messages.iter().enumerate() {
            let label = if m.role == FolderRole::Sent { "Sent" } else { "Inbox" };
            mbox.extend_from_slice(format!("From {i}@xxx Mon Jan 04 10:00:00 +0000 2021\r\n").as_bytes());
            mbox.extend_from_slice(format!("X-Gmail-Labels: {label}\r\n").as_bytes());
            for line in m.raw.split_inclusive(|&b| b == b'\n') {
                if line.starts_with(b"From ") {
                    mbox.push(b'>');
                }
                mbox.extend_from_slice(line);
            }
            mbox.extend_from_slice(b"\r\n");
        }
        let path = dir.path().join("Tous les messages.mbox");
        std::fs::write(&path, mbox).expect("mbox");
        let args = ScanArgs {
            from: None,
            archive: Some(path),
            from_password_file: None,
            oauth_token_file: None,
            insecure: false,
            json: false,
            csv: Some(dir.path().join("people.csv")),
            vcard: None,
            since_last: false,
            state: None,
            me: vec![c.owner.clone()],
            new_address: None,
            lang: "fr".into(),
        };
        assert_eq!(run(args).await.ok(), Some(ExitCode::SUCCESS));
        let csv = std::fs::read_to_string(dir.path().join("people.csv")).expect("csv");
        assert!(csv.contains("jeanne.martin@orange.fr"), "{csv}");
        let missing = ScanArgs { archive: Some(dir.path().join("absent.mbox")), ..args_default(&c.owner) };
        let err = run(missing).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("cannot read the archive") && err.contains("absent.mbox"), "{err}");
    }

    fn args_default(owner: &str) -> ScanArgs {
        ScanArgs {
            from: None,
            archive: None,
            from_password_file: None,
            oauth_token_file: None,
            insecure: false,
            json: true,
            csv: None,
            vcard: None,
            since_last: false,
            state: None,
            me: vec![owner.to_owned()],
            new_address: None,
            lang: "fr".into(),
        }
    }

    #[test]
    fn the_text_report_lists_accounts_and_people() {
        let c = corpus::generate(3, 1);
        let mut scanner = Scanner::new([c.owner.as_str()]);
        for m in &c.messages {
            scanner.add_message(&m.raw, m.role);
        }
        let text = render(&scanner.finish(), false);
        assert!(text.contains("Accounts to update"));
        assert!(text.contains("https://myaccount.google.com/email"));
        assert!(text.contains("Maybe (nothing proves"));
        assert!(text.contains("one-click unsubscribe: https://"));
        assert!(text.contains("jeanne.martin@orange.fr"));
    }
}
