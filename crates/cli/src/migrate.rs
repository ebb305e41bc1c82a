//! `demail migrate`: copy a whole mailbox from one IMAP account to another.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use demail_imap::{ConnectOptions, Credentials, Security};
use demail_move::{Account, Action, CopyOptions, CopyReport, FolderPlan, PlanOptions, Progress};
use secrecy::SecretString;

/// Copy every message of one mailbox to another: folders, flags and dates kept; safe to stop
/// and run again (only what is missing is copied).
#[derive(clap::Args, Debug)]
#[command(after_help = "Passwords are never given on the command line: demail reads them from \
    --from-password-file / --to-password-file, else from $DEMAIL_FROM_PASSWORD / \
    $DEMAIL_TO_PASSWORD, else asks for them. Many providers (Gmail, Outlook, Yahoo…) need an \
    \"app password\" created in the account's security settings.\n\n\
    Example: demail migrate --from imaps://alice%40gmail.com@imap.gmail.com --to imaps://alice@mail.example.org")]
pub struct MigrateArgs {
    /// Account to copy from: imaps://user@host[:port] (TLS, port 993) or imap://user@host[:port]
    /// (STARTTLS, port 143). Write an @ inside the user name as %40.
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// Account to copy to, in the same form as --from.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// File holding the source password (first line).
    #[arg(long, value_name = "PATH")]
    pub from_password_file: Option<PathBuf>,
    /// File holding the destination password (first line).
    #[arg(long, value_name = "PATH")]
    pub to_password_file: Option<PathBuf>,
    /// Only show what would be copied where; change nothing.
    #[arg(long)]
    pub plan: bool,
    /// Print the plan or the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept any server certificate (self-signed test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// State file that remembers what was copied [default: ./demail-<from>-to-<to>.sqlite3].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Copy the Junk/Spam folder too.
    #[arg(long)]
    pub include_junk: bool,
    /// Copy the Trash folder too.
    #[arg(long)]
    pub include_trash: bool,
    /// Copy only these folders (`Name` or `Prefix*`; repeatable).
    #[arg(long, value_name = "FOLDER")]
    pub include: Vec<String>,
    /// Never copy these folders (`Name` or `Prefix*`; repeatable).
    #[arg(long, value_name = "FOLDER")]
    pub exclude: Vec<String>,
}

/// Runs `demail migrate`. Exit code 0 when every source message is accounted for and none
/// failed, 1 otherwise.
pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let source =
        account(&args.from, args.insecure, args.from_password_file.as_deref(), "DEMAIL_FROM_PASSWORD")
            .context("source account (--from)")?;
    let destination =
        account(&args.to, args.insecure, args.to_password_file.as_deref(), "DEMAIL_TO_PASSWORD")
            .context("destination account (--to)")?;
    let plan_options = PlanOptions {
        include_junk: args.include_junk,
        include_trash: args.include_trash,
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    };

    if args.plan {
        let plan = demail_move::plan(&source, &destination, &plan_options).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_plan(&plan);
        }
        return Ok(ExitCode::SUCCESS);
    }

    let state = args.state.clone().unwrap_or_else(|| default_state_path(&source, &destination));
    let options = CopyOptions { plan: plan_options, ..CopyOptions::default() };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let display = tokio::spawn(show_progress(rx, std::io::stderr().is_terminal()));
    let result = demail_move::run(&source, &destination, &state, &options, Some(&tx)).await;
    drop(tx);
    let _ = display.await;
    let report = result.with_context(|| {
        format!(
            "the copy stopped; what was copied is remembered in {}: run the same command again to continue",
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

/// Parses `imaps://user@host[:port]` and finds the password.
pub(crate) fn account(
    url: &str,
    insecure: bool,
    password_file: Option<&Path>,
    env: &str,
) -> anyhow::Result<Account> {
    let parsed =
        url::Url::parse(url).with_context(|| format!("{url:?} is not an address like imaps://user@host"))?;
    let (security, default_port) = match parsed.scheme() {
        "imaps" => (Security::Tls, 993),
        "imap" => (Security::StartTls, 143),
        other => bail!("unknown scheme {other:?}: use imaps:// (TLS) or imap:// (STARTTLS)"),
    };
    if parsed.password().is_some() {
        bail!("never put a password in the address: use a password file, ${env}, or the prompt");
    }
    let user = percent_decode(parsed.username())?;
    if user.is_empty() {
        bail!("{url:?} has no user name: write imaps://user@host");
    }
    let host = parsed.host_str().context("the address has no server name")?.to_string();
    let port = parsed.port().unwrap_or(default_port);
    let password = password(&user, &host, password_file, env)?;
    let mut options = ConnectOptions::new(host, port, security);
    options.insecure = insecure;
    Ok(Account { options, credentials: Credentials { user, password } })
}

/// Password from the file, else the environment variable, else a prompt on the terminal.
fn password(user: &str, host: &str, file: Option<&Path>, env: &str) -> anyhow::Result<SecretString> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        let line = text.lines().next().unwrap_or_default().to_string();
        return Ok(SecretString::from(line));
    }
    if let Ok(value) = std::env::var(env) {
        return Ok(SecretString::from(value));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password for {user}@{host}: set ${env} or give a password file");
    }
    let typed = rpassword::prompt_password(format!("Password for {user}@{host}: "))
        .context("cannot read the password from the terminal")?;
    Ok(SecretString::from(typed))
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte =
                hex.and_then(|h| u8::from_str_radix(h, 16).ok()).context("bad %-escape in the user name")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("the user name is not valid UTF-8")
}

/// `./demail-<from>-to-<to>.sqlite3`, with anything unusual in the names replaced.
fn default_state_path(source: &Account, destination: &Account) -> PathBuf {
    let clean = |a: &Account| -> String {
        format!("{}@{}", a.credentials.user, a.options.host)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' })
            .collect()
    };
    PathBuf::from(format!("demail-{}-to-{}.sqlite3", clean(source), clean(destination)))
}

async fn show_progress(mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>, terminal: bool) {
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        let style = indicatif::ProgressStyle::with_template(
            "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar
    });
    while let Some(event) = rx.recv().await {
        match (&bar, event) {
            (Some(bar), Progress::FolderStarted { folder, bytes, .. }) => {
                bar.inc_length(bytes);
                bar.set_message(folder);
            }
            (Some(bar), Progress::Copied { bytes, .. }) => bar.inc(bytes),
            (Some(bar), Progress::Failed { folder, uid, reason }) => {
                bar.println(format!("{folder}: message {uid} not copied: {reason}"));
            }
            (Some(bar), Progress::Reconnecting { attempt, reason }) => {
                bar.println(format!("connection lost ({reason}); reconnecting (attempt {attempt})"));
            }
            (Some(bar), Progress::Finished(_)) => bar.finish_and_clear(),
            (None, Progress::Reconnecting { attempt, reason }) => {
                eprintln!("connection lost ({reason}); reconnecting (attempt {attempt})");
            }
            (None, Progress::FolderStarted { folder, messages, to_copy, .. }) => {
                eprintln!("{folder}: {messages} messages, {to_copy} to copy");
            }
            (None, Progress::Failed { folder, uid, reason }) => {
                eprintln!("{folder}: message {uid} not copied: {reason}");
            }
            (None, Progress::FolderDone(r)) => {
                eprintln!("{}: {} copied, {} already there", r.source, r.copied, r.already_present);
            }
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn print_plan(plan: &FolderPlan) {
    let mut out = std::io::stdout().lock();
    for f in &plan.folders {
        let _ = match f.action {
            Action::Copy => {
                writeln!(
                    out,
                    "{} → {}{}",
                    f.source,
                    f.destination,
                    if f.create { " (new folder)" } else { "" }
                )
            }
            Action::ArchiveUnlabelled => {
                writeln!(out, "{} → {} (only mail that is in no other folder)", f.source, f.destination)
            }
            Action::Skip(reason) => writeln!(out, "{} — not copied ({reason:?})", f.source),
        };
    }
}

fn print_report(report: &CopyReport) {
    let mut out = std::io::stdout().lock();
    for f in &report.folders {
        let _ = writeln!(
            out,
            "{}: {} messages — {} copied, {} already there, {} skipped, {} failed",
            f.source,
            f.source_messages,
            f.copied,
            f.already_present,
            f.skipped,
            f.failed.len()
        );
        if f.flags_updated > 0 {
            let _ = writeln!(out, "  flags brought up to date on {} messages", f.flags_updated);
        }
        for failure in &f.failed {
            let _ = writeln!(out, "  message {}: {}", failure.uid, failure.reason);
        }
    }
    if let Some(why) = &report.stopped {
        let _ = writeln!(
            out,
            "Stopped early: {why}. Free some space at the destination, then run the same command again."
        );
    }
    let t = report.totals();
    let _ = writeln!(
        out,
        "Total: {} messages — {} copied ({} bytes), {} already there, {} skipped, {} failed",
        t.source_messages, t.copied, t.bytes_copied, t.already_present, t.skipped, t.failed
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_imaps_address_with_an_encoded_at_sign() {
        let a = account("imaps://alice%40gmail.com@imap.gmail.com", false, None, "DEMAIL_TEST_UNSET_PW_VAR")
            .map(|a| (a.credentials.user, a.options.host, a.options.port, a.options.security));
        // No password source and no terminal in tests: the only failure allowed is the password.
        match a {
            Ok(v) => assert_eq!(v, ("alice@gmail.com".into(), "imap.gmail.com".into(), 993, Security::Tls)),
            Err(e) => assert!(format!("{e}").contains("no password"), "{e}"),
        }
    }

    #[test]
    fn refuses_a_password_in_the_address() {
        let err = account("imaps://alice:secret@host", false, None, "X").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("never put a password")));
    }
}
