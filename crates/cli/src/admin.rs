//! `demail admin …`: backoffice accounts. Passwords come from a prompt or the environment,
//! never from the command line (which other users of the machine can read).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use demail_help::{Role, hash_password};

use crate::settings;

/// Environment variable that may hold the new account's password (for scripts).
pub const PASSWORD_VAR: &str = "DEMAIL_ADMIN_PASSWORD";

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a backoffice account, or reset its password and role.
    CreateUser(CreateUserArgs),
}

#[derive(Args)]
pub struct CreateUserArgs {
    /// Name used to log in.
    pub username: String,
    /// `admin` (everything) or `volunteer` (requests given to them and unassigned ones).
    #[arg(long, default_value = "admin")]
    pub role: String,
    /// Settings file [default: ./demail.toml if present].
    #[arg(long, env = "DEMAIL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Turn on two-step verification: prints a secret to add to an authenticator app.
    #[arg(long)]
    pub totp: bool,
    /// Database [default: the one in the settings].
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn run(cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AdminCommand::CreateUser(args) => create_user(args).await,
    }
}

async fn create_user(args: CreateUserArgs) -> anyhow::Result<ExitCode> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("unknown role {:?}: use admin or volunteer", args.role);
    };
    let username = args.username.trim();
    if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
        bail!("the user name must be 1 to 64 characters without spaces");
    }
    let overrides = settings::Overrides { database_url: args.database_url, ..Default::default() };
    let settings = settings::load(args.config.as_deref(), &overrides).context("invalid settings")?;
    let password = match std::env::var(PASSWORD_VAR) {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let first = rpassword::prompt_password(format!("Password for {username}: ")).context(
                "cannot read the password; set DEMAIL_ADMIN_PASSWORD to give it without a terminal",
            )?;
            let again =
                rpassword::prompt_password("Same password again: ").context("cannot read the password")?;
            if first != again {
                bail!("the two passwords differ; nothing was changed");
            }
            first
        }
    };
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let store = demail_store::Store::open(&settings.database_url).await?;
    let now = chrono::Utc::now().timestamp();
    let totp = if args.totp { Some(demail_help::new_totp_secret(username)?) } else { None };
    store
        .upsert_admin_user(username, &hash, role.as_str(), totp.as_ref().map(|(s, _)| s.as_str()), now)
        .await?;
    store.audit(None, "create-user", &format!("{username} ({})", role.as_str()), None, now).await?;
    println!("Account {username} ({}) is ready: log in at /admin on the site.", role.as_str());
    if let Some((secret, url)) = totp {
        println!("Two-step verification is on. Add this account to an authenticator app:");
        println!("  secret: {secret}");
        println!("  or the address: {url}");
        println!("Keep them private: anyone with the secret can make codes.");
    }
    Ok(ExitCode::SUCCESS)
}
