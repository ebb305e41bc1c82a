//! `demail import`: put a mail archive (Google Takeout, mbox, Maildir, .eml folder) into an
//! IMAP account.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use demail_archive::Archive;
use demail_archive::gmail::LabelOptions;
use demail_move::{Account, ImportOptions, ImportPlan, ImportProgress, ImportReport};

/// Import a mail archive into an IMAP account: a Google Takeout (.mbox, or the .zip/.tgz as
/// downloaded), any mbox file, a Maildir, or a folder of .eml files. Safe to stop and run
/// again: only what is missing is imported.
#[derive(clap::Args, Debug)]
#[command(after_help = "Passwords are never given on the command line: demail reads the password \
    from --to-password-file, else from $DEMAIL_TO_PASSWORD, else asks for it.\n\n\
    Gmail labels become folders (a message with several labels goes in each); Starred messages \
    are flagged, Unread ones stay unread; mail with no label goes to Archive. Chats, Spam and \
    Trash are left out unless asked.\n\n\
    Example: demail import takeout-20260101T000000Z-001.zip --to imaps://alice@mail.example.org")]
pub struct ImportArgs {
    /// The archive: a .mbox, .zip or .tgz file, a Maildir, or a folder of .eml files.
    #[arg(value_name = "ARCHIVE")]
    pub archive: PathBuf,
    /// Account to import into: imaps://user@host[:port] (TLS) or imap://user@host[:port]
    /// (STARTTLS). Write an @ inside the user name as %40.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// File holding the account's password (first line).
    #[arg(long, value_name = "PATH")]
    pub to_password_file: Option<PathBuf>,
    /// Only show which folders the messages would go to; change nothing.
    #[arg(long)]
    pub plan: bool,
    /// Print the plan or the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept any server certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// State file that remembers what was imported [default: ./demail-import-<archive>-to-<account>.sqlite3].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Import Google Chat conversations too.
    #[arg(long)]
    pub include_chats: bool,
    /// Import Spam too.
    #[arg(long)]
    pub include_junk: bool,
    /// Import Trash too.
    #[arg(long)]
    pub include_trash: bool,
    /// The mbox protects only `From ` lines (mboxo) rather than `>From ` lines too (mboxrd, as
    /// Google Takeout writes).
    #[arg(long)]
    pub mboxo: bool,
    /// Connections appending in parallel.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub connections: u8,
}

/// Runs `demail import`. Exit code 0 when every message of the archive is accounted for and
/// none failed, 1 otherwise.
pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let archive = Archive::open(&args.archive)?;
    let destination = crate::migrate::one_account(
        &args.to,
        args.insecure,
        args.to_password_file.as_deref(),
        None,
        "DEMAIL_TO_PASSWORD",
        &crate::migrate::user_language(),
    )
    .context("account to import into (--to)")?;
    let options = ImportOptions {
        labels: LabelOptions {
            include_chats: args.include_chats,
            include_junk: args.include_junk,
            include_trash: args.include_trash,
        },
        dialect: if args.mboxo { demail_archive::Dialect::Mboxo } else { demail_archive::Dialect::Mboxrd },
        connections: usize::from(args.connections),
        ..ImportOptions::default()
    };
    if args.plan {
        let plan = demail_move::plan_import(&archive, &destination, &options).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_plan(&plan);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let state = args.state.clone().unwrap_or_else(|| default_state_path(&args.archive, &destination));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let display = tokio::spawn(show_progress(rx, std::io::stderr().is_terminal()));
    let result = demail_move::import(&archive, &destination, &state, &options, Some(&tx)).await;
    drop(tx);
    let _ = display.await;
    let report = result.with_context(|| {
        format!(
            "the import stopped; what was imported is remembered in {}: run the same command again to continue",
            state.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn default_state_path(archive: &Path, destination: &Account) -> PathBuf {
    let name = archive.file_name().and_then(|n| n.to_str()).unwrap_or("archive");
    let (name, account) = (crate::migrate::file_name_part(name), crate::migrate::account_label(destination));
    PathBuf::from(format!("demail-import-{name}-to-{account}.sqlite3"))
}

async fn show_progress(mut rx: tokio::sync::mpsc::UnboundedReceiver<ImportProgress>, terminal: bool) {
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        let style = indicatif::ProgressStyle::with_template(
            "{msg:20!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar
    });
    let mut landed = 0u64;
    while let Some(event) = rx.recv().await {
        match (&bar, event) {
            (Some(bar), ImportProgress::Started { total_bytes }) => bar.set_length(total_bytes),
            (Some(bar), ImportProgress::Read { read_bytes, .. }) => bar.set_position(read_bytes),
            (Some(bar), ImportProgress::Landed { messages }) => {
                landed += messages;
                bar.set_message(format!("{landed} imported"));
            }
            (Some(bar), ImportProgress::Failed(f)) => {
                bar.println(format!("{} ({}): not imported: {}", f.entry, f.position, f.reason));
            }
            (Some(bar), ImportProgress::Finished(_)) => bar.finish_and_clear(),
            (None, ImportProgress::Failed(f)) => {
                eprintln!("{} ({}): not imported: {}", f.entry, f.position, f.reason);
            }
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn print_plan(plan: &ImportPlan) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}: {} messages", plan.archive, plan.messages);
    for f in &plan.folders {
        let new = if f.create { " (new folder)" } else { "" };
        let _ = writeln!(out, "  {} → {}{}: {} messages", f.source, f.destination, new, f.messages);
    }
    for (reason, n) in &plan.skipped {
        let _ = writeln!(out, "  not imported ({reason}): {n} messages");
    }
    if plan.unreadable > 0 {
        let _ = writeln!(out, "  cannot be imported (cut off or too large): {} messages", plan.unreadable);
    }
}

fn print_report(report: &ImportReport) {
    let mut out = std::io::stdout().lock();
    for f in &report.folders {
        let _ = writeln!(
            out,
            "{} → {}: {} messages — {} copied, {} already there, {} failed",
            f.source,
            f.destination,
            f.source_messages,
            f.copied,
            f.already_present,
            f.failed.len()
        );
    }
    for (reason, n) in &report.skipped {
        let _ = writeln!(out, "Not imported ({reason}): {n} messages");
    }
    for f in &report.failed {
        let _ = writeln!(out, "Failed: {} ({}): {}", f.entry, f.position, f.reason);
    }
    let skipped: u64 = report.skipped.values().sum();
    let _ = writeln!(
        out,
        "Total: {} messages in the archive — {} imported or already there, {} done by an earlier run, {} not imported by rule, {} failed",
        report.messages,
        report.landed,
        report.done_earlier,
        skipped,
        report.failed.len()
    );
}
