//! Typed settings: built-in defaults < `demail.toml` < `DEMAIL_*` environment variables < flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting of `demail serve`, with its default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port the site listens on.
    pub listen: SocketAddr,
    /// Database: a SQLite file path (created if missing) or `sqlite://PATH`.
    pub database_url: String,
    /// A catalogue directory to use instead of the built-in one.
    pub catalog: Option<PathBuf>,
    /// Public address of the site (used in links and the OpenAPI document), e.g. `https://demail.example.org`.
    pub public_url: Option<String>,
    /// Log filter, e.g. `info` or `demail_web=debug`.
    pub log: String,
    // --- Help requests and mail (issue 7) ---
    /// SMTP server for the help mails; without it, mails are written to `outbox`.
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls`, `tls` (implicit TLS) or `none` (a server on this machine only).
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// Sender of the help mails, e.g. `Démailnagement <aide@example.org>`.
    pub mail_from: String,
    /// Directory where mails go when no SMTP server is set.
    pub outbox: PathBuf,
    /// Confirmed help requests are erased this many months after the last action.
    pub help_retention_months: u32,

    // --- Migrations started from the site (`/demenager`) and their workers ---
    /// Offer migrations run by this server (the `/demenager` wizard).
    pub migrations: bool,
    /// Jobs one process (`serve` on SQLite, or each `worker`) runs at once.
    pub max_concurrent_jobs: usize,
    /// Migrations one IP address may check or start per hour.
    pub job_starts_per_hour: u32,
    /// Largest mailbox accepted, in megabytes (0: no limit).
    pub max_mailbox_mb: u64,
    /// 64 hex digits shared by web nodes and workers to seal credentials; without it, credentials
    /// stay in the memory of `demail serve`, which then runs the jobs itself.
    pub deployment_key: Option<String>,
    /// Days a job, its report and its link are kept after it starts.
    pub job_retention_days: u64,
    /// Directory of the per-job state files (which message already landed).
    pub job_state_dir: PathBuf,
    /// Seconds a worker keeps a job without renewing its lease (renewed 4 times as often).
    pub job_lease_seconds: u64,
    /// Behind a reverse proxy: the header holding the visitor's address (e.g. `x-forwarded-for`),
    /// for the per-IP limit. Leave unset when people connect directly.
    pub client_ip_header: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "demail.sqlite3".to_owned(),
            catalog: None,
            public_url: None,
            log: "info".to_owned(),
            smtp_host: None,
            smtp_port: 587,
            smtp_security: "starttls".to_owned(),
            smtp_username: None,
            smtp_password: None,
            mail_from: "Démailnagement <demail@localhost>".to_owned(),
            outbox: PathBuf::from("outbox"),
            help_retention_months: 12,
            migrations: true,
            max_concurrent_jobs: 2,
            job_starts_per_hour: 10,
            max_mailbox_mb: 0,
            deployment_key: None,
            job_retention_days: 7,
            job_state_dir: PathBuf::from("demail-jobs"),
            job_lease_seconds: 60,
            client_ip_header: None,
        }
    }
}

/// What `demail serve --help` prints about settings.
pub const SETTINGS_HELP: &str = "\
SETTINGS (defaults < demail.toml < DEMAIL_* environment variables < command-line flags):
  listen        DEMAIL_LISTEN        address:port to listen on        [default: 127.0.0.1:8080]
  database_url  DEMAIL_DATABASE_URL  SQLite file, or postgres://…    [default: demail.sqlite3]
  catalog       DEMAIL_CATALOG       catalogue directory              [default: the built-in catalogue]
  public_url    DEMAIL_PUBLIC_URL    public address of the site       [default: none]
  log           DEMAIL_LOG           log filter (info, debug, …)      [default: info]
  smtp_host     DEMAIL_SMTP_HOST     SMTP server for help mails       [default: none: mails go to outbox]
  smtp_port     DEMAIL_SMTP_PORT     SMTP port                        [default: 587]
  smtp_security DEMAIL_SMTP_SECURITY starttls, tls or none            [default: starttls]
  smtp_username DEMAIL_SMTP_USERNAME SMTP user name                   [default: none]
  smtp_password DEMAIL_SMTP_PASSWORD SMTP password (prefer the environment variable)
  mail_from     DEMAIL_MAIL_FROM     sender of help mails             [default: Démailnagement <demail@localhost>]
  outbox        DEMAIL_OUTBOX        directory of .eml files when no SMTP server is set [default: outbox]
  help_retention_months DEMAIL_HELP_RETENTION_MONTHS  erase confirmed help requests after [default: 12]

Migrations from the site (/demenager) and workers:
  migrations           DEMAIL_MIGRATIONS           offer the wizard                  [default: true]
  max_concurrent_jobs  DEMAIL_MAX_CONCURRENT_JOBS  jobs per process at once          [default: 2]
  job_starts_per_hour  DEMAIL_JOB_STARTS_PER_HOUR  checks/starts per IP per hour     [default: 10]
  max_mailbox_mb       DEMAIL_MAX_MAILBOX_MB       largest mailbox, MB (0: no limit) [default: 0]
  deployment_key       DEMAIL_DEPLOYMENT_KEY       64 hex digits sealing credentials for workers
                                                   (openssl rand -hex 32)          [default: none]
  job_retention_days   DEMAIL_JOB_RETENTION_DAYS   days a job and its link are kept  [default: 7]
  job_state_dir        DEMAIL_JOB_STATE_DIR        per-job state files               [default: demail-jobs]
  job_lease_seconds    DEMAIL_JOB_LEASE_SECONDS    lease of a running job            [default: 60]
  client_ip_header     DEMAIL_CLIENT_IP_HEADER     visitor address header set by your reverse
                                                   proxy (x-forwarded-for)          [default: none]

demail.toml is read from the working directory, or from the file given with --config / DEMAIL_CONFIG.
Example demail.toml:
  listen = \"0.0.0.0:8080\"
  database_url = \"/var/lib/demail/demail.sqlite3\"";

/// Loads settings from the layers, then applies `overrides` (flags given on the command line).
pub fn load(config: Option<&Path>, overrides: &Overrides) -> Result<Settings, Box<figment::Error>> {
    let file = config.map_or_else(|| PathBuf::from("demail.toml"), Path::to_path_buf);
    let mut fig = Figment::from(Serialized::defaults(Settings::default()))
        .merge(Toml::file(&file))
        // Only the settings' own keys: other DEMAIL_* variables (passwords for `migrate`, say)
        // belong to other commands and must never be read, let alone echoed in an error.
        .merge(Env::prefixed("DEMAIL_").only(&[
            "listen",
            "database_url",
            "catalog",
            "public_url",
            "log",
            // help requests and mail
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "mail_from",
            "outbox",
            "help_retention_months",
            "migrations",
            "max_concurrent_jobs",
            "job_starts_per_hour",
            "max_mailbox_mb",
            "deployment_key",
            "job_retention_days",
            "job_state_dir",
            "job_lease_seconds",
            "client_ip_header",
        ]));
    if let Some(l) = overrides.listen {
        fig = fig.merge(("listen", l));
    }
    if let Some(c) = &overrides.catalog {
        fig = fig.merge(("catalog", c));
    }
    if let Some(d) = &overrides.database_url {
        fig = fig.merge(("database_url", d));
    }
    fig.extract().map_err(Box::new)
}

/// Settings given as command-line flags.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub catalog: Option<PathBuf>,
    pub database_url: Option<String>,
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its large error type
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_file_then_env_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "demail.toml",
                "listen = \"127.0.0.1:9000\"\ndatabase_url = \"from-file.sqlite3\"\nlog = \"debug\"",
            )?;
            jail.set_env("DEMAIL_DATABASE_URL", "from-env.sqlite3");
            let overrides =
                Overrides { listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))), ..Default::default() };
            let s = load(None, &overrides).map_err(|e| *e)?;
            assert_eq!(s.listen, SocketAddr::from(([127, 0, 0, 1], 9100)));
            assert_eq!(s.database_url, "from-env.sqlite3");
            assert_eq!(s.log, "debug");
            Ok(())
        });
    }

    #[test]
    fn migration_settings_have_defaults_and_read_their_variables() {
        figment::Jail::expect_with(|jail| {
            let s = load(None, &Overrides::default()).map_err(|e| *e)?;
            assert!(s.migrations && s.deployment_key.is_none());
            assert_eq!((s.max_concurrent_jobs, s.job_retention_days, s.job_lease_seconds), (2, 7, 60));
            jail.create_file("demail.toml", "migrations = false\nmax_mailbox_mb = 5000")?;
            jail.set_env("DEMAIL_DEPLOYMENT_KEY", "ab".repeat(32));
            jail.set_env("DEMAIL_JOB_LEASE_SECONDS", "2");
            jail.set_env("DEMAIL_CLIENT_IP_HEADER", "x-forwarded-for");
            let s = load(None, &Overrides::default()).map_err(|e| *e)?;
            assert!(!s.migrations);
            assert_eq!(s.max_mailbox_mb, 5000);
            assert_eq!(s.deployment_key, Some("ab".repeat(32)));
            assert_eq!(s.job_lease_seconds, 2);
            assert_eq!(s.client_ip_header.as_deref(), Some("x-forwarded-for"));
            Ok(())
        });
    }

    #[test]
    fn other_demail_variables_are_not_settings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DEMAIL_FROM_PASSWORD", "hunter2");
            jail.set_env("DEMAIL_LOG", "warn");
            let s = load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(s.log, "warn");
            Ok(())
        });
    }

    #[test]
    fn unknown_setting_in_file_is_an_error_naming_it() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("demail.toml", "lisen = \"127.0.0.1:9000\"")?;
            let err = load(None, &Overrides::default()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("lisen"), "{err}");
            Ok(())
        });
    }
}
