//! `demail export`: a local backup (Maildir or mbox) of an IMAP account.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use demail_move::{ExportFormat, ExportOptions, PlanOptions};

/// Save a whole IMAP account to a local folder before leaving: a Maildir (flags and dates kept)
/// or one mbox file per folder. Running it again adds only new mail.
#[derive(clap::Args, Debug)]
#[command(after_help = "Passwords are never given on the command line: demail reads the password \
    from --from-password-file, else from $DEMAIL_FROM_PASSWORD, else asks for it.\n\n\
    Example: demail export --from imaps://alice%40gmail.com@imap.gmail.com --to ~/mail-backup")]
pub struct ExportArgs {
    /// Account to save: imaps://user@host[:port] (TLS) or imap://user@host[:port] (STARTTLS).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// Local folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// maildir (keeps flags) or mbox (one file per folder).
    #[arg(long, value_enum, default_value_t = Format::Maildir)]
    pub format: Format,
    /// File holding the account's password (first line).
    #[arg(long, value_name = "PATH")]
    pub from_password_file: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept any server certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// State file that remembers what was saved [default: DIR/.demail-export.sqlite3].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Save the Junk/Spam folder too.
    #[arg(long)]
    pub include_junk: bool,
    /// Save the Trash folder too.
    #[arg(long)]
    pub include_trash: bool,
}

/// The local layout.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    Maildir,
    Mbox,
}

/// Runs `demail export`. Exit code 0 when every message is saved, 1 otherwise.
pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let lang = crate::migrate::user_language();
    let source = crate::migrate::one_account(
        &args.from,
        args.insecure,
        args.from_password_file.as_deref(),
        None,
        "DEMAIL_FROM_PASSWORD",
        &lang,
    )
    .context("account to save (--from)")?;
    let options = ExportOptions {
        plan: PlanOptions {
            include_junk: args.include_junk,
            include_trash: args.include_trash,
            ..PlanOptions::default()
        },
        format: match args.format {
            Format::Maildir => ExportFormat::Maildir,
            Format::Mbox => ExportFormat::Mbox,
        },
        ..ExportOptions::default()
    };
    let state = args.state.clone().unwrap_or_else(|| args.to.join(".demail-export.sqlite3"));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let display = tokio::spawn(crate::migrate::show_progress(rx, std::io::stderr().is_terminal()));
    let result = demail_move::export(&source, &args.to, &state, &options, Some(&tx)).await;
    drop(tx);
    let _ = display.await;
    let report = result.with_context(|| {
        format!(
            "the export stopped; what was saved is remembered in {}: run the same command again to continue",
            state.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::migrate::print_report(&report, &lang);
    }
    Ok(if report.is_complete() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
