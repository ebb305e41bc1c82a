//! `demail migrate`: copy a whole mailbox from one IMAP account to another.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use demail_imap::{ConnectOptions, Credentials, Security};
use demail_move::presets::{self, Preset};
use demail_move::{
    Account, Action, CopyOptions, CopyReport, FolderPlan, PlanOptions, Progress, VerifyReport,
};
use secrecy::{ExposeSecret, SecretString};

/// Copy every message of one mailbox to another: folders, flags and dates kept; safe to stop
/// and run again (only what is missing is copied).
#[derive(clap::Args, Debug)]
#[command(after_help = "Passwords are never given on the command line: demail reads them from \
    --from-password-file / --to-password-file, else from $DEMAIL_FROM_PASSWORD / \
    $DEMAIL_TO_PASSWORD, else asks for them. Many providers (Gmail, Yahoo…) need an \
    \"app password\" created in the account's security settings; Outlook.com needs an OAuth 2.0 \
    token (--oauth-token-file).\n\n\
    For Gmail, Outlook.com/Hotmail/Live, Yahoo, Orange, Free, SFR and La Poste an address is \
    enough: demail knows their servers.\n\n\
    Examples:\n  demail migrate --from alice@gmail.com --to imaps://alice@mail.example.org\n  \
    demail migrate --from imaps://alice%40example.net@imap.example.net --to imaps://alice@mail.example.org --verify")]
pub struct MigrateArgs {
    /// Account to copy from: an address of a known provider (alice@gmail.com), or
    /// imaps://user@host[:port] (TLS, port 993) or imap://user@host[:port] (STARTTLS, port 143).
    /// Write an @ inside the user name as %40.
    #[arg(long, value_name = "ADDRESS|URL")]
    pub from: String,
    /// Account to copy to, in the same forms as --from.
    #[arg(long, value_name = "ADDRESS|URL")]
    pub to: String,
    /// File holding the source password (first line).
    #[arg(long, value_name = "PATH")]
    pub from_password_file: Option<PathBuf>,
    /// File holding the destination password (first line).
    #[arg(long, value_name = "PATH")]
    pub to_password_file: Option<PathBuf>,
    /// File holding an OAuth 2.0 access token for the source (first line); demail then logs in
    /// with OAUTHBEARER or XOAUTH2 instead of a password.
    #[arg(long, value_name = "PATH", visible_alias = "from-oauth-token-file")]
    pub oauth_token_file: Option<PathBuf>,
    /// File holding an OAuth 2.0 access token for the destination.
    #[arg(long, value_name = "PATH")]
    pub to_oauth_token_file: Option<PathBuf>,
    /// After copying, read every copied message again on both sides and compare sizes and
    /// hashes; any difference is reported and makes the exit code 1.
    #[arg(long)]
    pub verify: bool,
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
    /// Copy only mail received on or after this day (YYYY-MM-DD); older mail is counted as
    /// skipped.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub since: Option<chrono::NaiveDate>,
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
    let lang = user_language();
    let from = Secret {
        password_file: args.from_password_file.as_deref(),
        token_file: args.oauth_token_file.as_deref(),
        env: "DEMAIL_FROM_PASSWORD",
    };
    let (source, source_preset) =
        account(&args.from, args.insecure, &from, &lang).context("source account (--from)")?;
    let to = Secret {
        password_file: args.to_password_file.as_deref(),
        token_file: args.to_oauth_token_file.as_deref(),
        env: "DEMAIL_TO_PASSWORD",
    };
    let (destination, destination_preset) =
        account(&args.to, args.insecure, &to, &lang).context("destination account (--to)")?;
    // A refused login gets the provider's own advice (app password, OAuth token…).
    let login_help = |e: demail_move::MoveError| -> anyhow::Error {
        use demail_imap::Error as E;
        use demail_move::MoveError as M;
        let preset = match &e {
            M::Source(E::AuthenticationFailed(_) | E::OAuthUnavailable) => source_preset.as_ref(),
            M::Destination(E::AuthenticationFailed(_) | E::OAuthUnavailable) => destination_preset.as_ref(),
            _ => None,
        };
        match preset {
            Some(p) => anyhow::Error::new(e).context(format!("{}: {}", p.name, help(p, &lang))),
            None => anyhow::Error::new(e),
        }
    };
    let plan_options = PlanOptions {
        include_junk: args.include_junk,
        include_trash: args.include_trash,
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    };

    if args.plan {
        let plan = demail_move::plan(&source, &destination, &plan_options).await.map_err(login_help)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print_plan(&plan);
        }
        return Ok(ExitCode::SUCCESS);
    }

    let state = args.state.clone().unwrap_or_else(|| default_state_path(&source, &destination));
    let options = CopyOptions { plan: plan_options, since: args.since, ..CopyOptions::default() };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let display = tokio::spawn(show_progress(rx, std::io::stderr().is_terminal()));
    let result = demail_move::run(&source, &destination, &state, &options, Some(&tx)).await;
    drop(tx);
    let _ = display.await;
    let report = result.map_err(login_help).with_context(|| {
        format!(
            "the copy stopped; what was copied is remembered in {}: run the same command again to continue",
            state.display()
        )
    })?;
    let verification = if args.verify {
        if !args.json {
            eprintln!("Verifying: reading every copied message again on both sides…");
        }
        Some(demail_move::verify(&source, &destination, &state, &options).await.context("verification")?)
    } else {
        None
    };

    if args.json {
        let out = serde_json::json!({ "report": &report, "verification": &verification });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_report(&report, &lang);
        if let Some(v) = &verification {
            print_verification(v);
        }
    }
    let verified = verification.as_ref().is_none_or(VerifyReport::is_ok);
    Ok(if report.is_complete() && verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Where an account's secret comes from.
pub(crate) struct Secret<'a> {
    pub(crate) password_file: Option<&'a Path>,
    pub(crate) token_file: Option<&'a Path>,
    pub(crate) env: &'a str,
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a day written YYYY-MM-DD (for example 2020-01-31)"))
}

/// Presets for the built-in catalogue's providers that publish an IMAP server: an address at the
/// provider's own domain (its website's, or its IMAP server's) is enough.
pub(crate) fn catalogue_presets() -> &'static [Preset] {
    static PRESETS: std::sync::OnceLock<Vec<Preset>> = std::sync::OnceLock::new();
    PRESETS.get_or_init(|| demail_catalog::Catalog::builtin().map(|c| presets_of(&c)).unwrap_or_default())
}

fn presets_of(catalog: &demail_catalog::Catalog) -> Vec<Preset> {
    catalog
        .providers()
        .iter()
        .filter_map(|p| {
            let host = p.mail_settings.imap_host.as_ref()?;
            let port = p.mail_settings.imap_port.as_ref().map_or(993, |f| f.value);
            let security = if port == 143 { Security::StartTls } else { Security::Tls };
            let site = url::Url::parse(&p.website).ok().and_then(|u| u.host_str().map(str::to_owned));
            let mut domains: Vec<String> = [site.as_deref(), Some(host.value.as_str())]
                .into_iter()
                .flatten()
                .map(|h| {
                    let labels: Vec<&str> = h.trim_end_matches('.').split('.').collect();
                    labels[labels.len().saturating_sub(2)..].join(".").to_ascii_lowercase()
                })
                .collect();
            domains.dedup();
            let verified = !host.unverified && host.source.is_some();
            Some(Preset {
                id: p.id.clone(),
                name: p.name.clone(),
                domains,
                host: host.value.clone(),
                port,
                security,
                oauth_only: false,
                password_help_fr: format!(
                    "utilisez le mot de passe de votre compte {} (voir ses pages d'aide : {})",
                    p.name, p.website
                ),
                password_help_en: format!(
                    "use your {} account password (see its help pages: {})",
                    p.name, p.website
                ),
                source_url: host.source.clone().unwrap_or_else(|| format!("demail catalogue ({})", p.id)),
                verified,
            })
        })
        .collect()
}

/// `fr` when the user's locale is French, `en` otherwise.
pub(crate) fn user_language() -> String {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .filter(|v| v.starts_with("fr"))
        .map_or_else(|| "en".to_string(), |_| "fr".to_string())
}

fn help<'p>(preset: &'p Preset, lang: &str) -> &'p str {
    if lang == "fr" { &preset.password_help_fr } else { &preset.password_help_en }
}

/// Parses `imaps://user@host[:port]`, or an address of a provider demail knows, and finds the
/// password or token.
pub(crate) fn account(
    text: &str,
    insecure: bool,
    secret: &Secret<'_>,
    lang: &str,
) -> anyhow::Result<(Account, Option<Preset>)> {
    let (user, mut options, preset) = if text.contains("://") {
        let (user, options) = parse_url(text, secret.env)?;
        (user, options, None)
    } else {
        let preset = presets::for_address(text, catalogue_presets()).with_context(|| {
            format!(
                "demail does not know the mail server of {text:?}: give it as imaps://user@server \
                 (your provider's help pages name its IMAP server)"
            )
        })?;
        if !preset.verified {
            eprintln!(
                "{}: using {}:{} (from {}, not checked by demail)",
                preset.name, preset.host, preset.port, preset.source_url
            );
        }
        let options = ConnectOptions::new(preset.host.clone(), preset.port, preset.security);
        (text.trim().to_string(), options, Some(preset))
    };
    options.insecure = insecure;
    let credentials = match secret.token_file {
        Some(path) => Credentials::oauth2(user, read_first_line(path, "token")?),
        None => {
            if let Some(p) = preset.as_ref().filter(|p| p.oauth_only) {
                bail!("{}: {}", p.name, help(p, lang));
            }
            let password = password(&user, &options.host, secret.password_file, secret.env)?;
            Credentials::password(user, password)
        }
    };
    Ok((Account { options, credentials }, preset))
}

/// `imaps://user@host[:port]` → user name and connection options.
fn parse_url(url: &str, env: &str) -> anyhow::Result<(String, ConnectOptions)> {
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
    Ok((user, ConnectOptions::new(host, port, security)))
}

/// The first line of a secret file, wrapped at once.
fn read_first_line(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let text = SecretString::from(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?,
    );
    let line = text.expose_secret().lines().next().unwrap_or_default().trim_end_matches('\r').to_string();
    if line.is_empty() {
        bail!("the {what} file {} is empty", path.display());
    }
    Ok(SecretString::from(line))
}

/// Password from the file, else the environment variable, else a prompt on the terminal.
fn password(user: &str, host: &str, file: Option<&Path>, env: &str) -> anyhow::Result<SecretString> {
    if let Some(path) = file {
        return read_first_line(path, "password");
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
    PathBuf::from(format!("demail-{}-to-{}.sqlite3", account_label(source), account_label(destination)))
}

/// `s` with anything but letters, digits and `@.-_` replaced by `_`: safe in a file name.
pub(crate) fn file_name_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' }).collect()
}

/// `user@host` of an account, safe in a file name.
pub(crate) fn account_label(a: &Account) -> String {
    file_name_part(&format!("{}@{}", a.credentials.user, a.options.host))
}

/// One account from a URL or a known address, for the commands that use a single account
/// (import, export, scan); the caller adds which option it came from.
pub(crate) fn one_account(
    text: &str,
    insecure: bool,
    password_file: Option<&Path>,
    token_file: Option<&Path>,
    env: &str,
    lang: &str,
) -> anyhow::Result<Account> {
    Ok(account(text, insecure, &Secret { password_file, token_file, env }, lang)?.0)
}

pub(crate) async fn show_progress(mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>, terminal: bool) {
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

fn print_verification(v: &VerifyReport) {
    let mut out = std::io::stdout().lock();
    for m in &v.mismatches {
        let _ = writeln!(
            out,
            "  verification: {} message {} (destination {}): {}",
            m.folder, m.source_uid, m.dest_uid, m.reason
        );
    }
    let _ = writeln!(
        out,
        "Verification: {} identical, {} different{}",
        v.identical,
        v.mismatches.len(),
        if v.not_checked > 0 {
            format!(", {} not checked (the destination does not tell new message numbers)", v.not_checked)
        } else {
            String::new()
        }
    );
    if !v.is_ok() {
        let _ = writeln!(
            out,
            "Some copies differ from the original: run the same command again (without --verify) to copy \
             missing messages; the originals are untouched at the source."
        );
    }
}

pub(crate) fn print_report(report: &CopyReport, lang: &str) {
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
        let _ = match &report.space {
            Some(space) => writeln!(out, "Stopped early: {why}.\n{}", space.explain(lang)),
            None => writeln!(
                out,
                "Stopped early: {why}. Free some space at the destination, then run the same command again."
            ),
        };
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

    fn no_secret() -> Secret<'static> {
        Secret { password_file: None, token_file: None, env: "DEMAIL_TEST_UNSET_PW_VAR" }
    }

    #[test]
    fn parses_an_imaps_address_with_an_encoded_at_sign() {
        let (user, options) = parse_url("imaps://alice%40gmail.com@imap.gmail.com", "X").expect("parse");
        assert_eq!(
            (user.as_str(), options.host.as_str(), options.port, options.security),
            ("alice@gmail.com", "imap.gmail.com", 993, Security::Tls)
        );
        let (_, options) = parse_url("imap://bob@mail.example.org:1143", "X").expect("parse");
        assert_eq!((options.port, options.security), (1143, Security::StartTls));
    }

    #[test]
    fn refuses_a_password_in_the_address() {
        let err =
            account("imaps://alice:secret@host", false, &no_secret(), "en").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("never put a password")));
    }

    #[test]
    fn a_bare_address_of_a_known_provider_uses_its_preset_and_a_token_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let token = dir.path().join("token");
        std::fs::write(&token, "ya29.secret-token\n").expect("write");
        let secret = Secret { token_file: Some(&token), ..no_secret() };
        let (a, preset) = account("alice@gmail.com", false, &secret, "en").expect("account");
        assert_eq!((a.options.host.as_str(), a.options.port), ("imap.gmail.com", 993));
        assert_eq!(a.credentials.method, demail_imap::AuthMethod::OAuth2);
        assert_eq!(a.credentials.password.expose_secret(), "ya29.secret-token");
        assert!(!format!("{a:?}").contains("secret-token"));
        assert_eq!(preset.map(|p| p.id), Some("gmail".into()));
    }

    #[test]
    fn an_address_at_a_catalogue_provider_uses_its_imap_server() {
        let presets = catalogue_presets();
        let posteo = presets.iter().find(|p| p.id == "posteo").expect("posteo publishes an IMAP server");
        assert_eq!((posteo.host.as_str(), posteo.port, posteo.security), ("posteo.de", 993, Security::Tls));
        assert!(posteo.domains.contains(&"posteo.de".to_owned()), "{:?}", posteo.domains);
        assert!(!posteo.verified, "the catalogue marks this fact unverified");
        let found = presets::for_address("anne@posteo.de", presets).map(|p| p.id);
        assert_eq!(found.as_deref(), Some("posteo"));
    }

    #[test]
    fn outlook_without_a_token_says_how_to_log_in_and_an_unknown_domain_asks_for_the_server() {
        let err = account("bob@hotmail.fr", false, &no_secret(), "fr").err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("--oauth-token-file")), "{err:?}");
        let err = account("bob@example.org", false, &no_secret(), "en").err().map(|e| e.to_string());
        assert!(err.as_deref().is_some_and(|e| e.contains("imaps://")), "{err:?}");
    }
}
