//! `demail`: the one binary. Thin: each subcommand parses its arguments and calls an engine.

mod admin;
mod dns;
mod export;
mod import;
mod migrate;
mod scan;
mod settings;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use demail_catalog::{Catalog, CheckOptions, Needs, Severity};

/// Help people move their mail away from Gmail & co. to small, ethical hosts.
#[derive(Parser)]
#[command(name = "demail", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the campaign site (SQLite and the built-in catalogue by default).
    #[command(after_help = settings::SETTINGS_HELP)]
    Serve(ServeArgs),
    /// Work with the provider catalogue.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print the short list of providers for some answers, e.g. `demail recommend "pour=moi&lieu=france"`.
    Recommend(RecommendArgs),
    /// Copy a whole mailbox from one IMAP account to another; the source is only read.
    Migrate(migrate::MigrateArgs),
    /// Import a mail archive (Google Takeout .mbox/.zip/.tgz, mbox, Maildir, .eml folder) into an IMAP account.
    Import(import::ImportArgs),
    /// Save an IMAP account to a local Maildir or mbox backup; a second run adds only new mail.
    Export(export::ExportArgs),
    /// Check the mail DNS records of your own domain and print the records to add.
    Dns(dns::DnsArgs),
    /// Find the services and people that know an old address (reads message headers only).
    Scan(scan::ScanArgs),
    /// Manage the volunteers' backoffice (accounts).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Run migration jobs queued by the site (PostgreSQL: on as many machines as needed).
    Worker(worker::WorkerArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Settings file [default: ./demail.toml if present].
    #[arg(long, env = "DEMAIL_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Catalogue directory to use instead of the built-in one.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Database: SQLite file path [default: demail.sqlite3].
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Validate catalogue files and report each problem with file, field and reason.
    Check {
        /// Directory to check [default: the built-in catalogue].
        dir: Option<PathBuf>,
        /// Warn about facts checked more than this many days ago.
        #[arg(long, default_value_t = 365)]
        max_age_days: i64,
    },
}

#[derive(Args)]
struct RecommendArgs {
    /// Answers as a URL query string (the same as the site's results address).
    answers: String,
    /// Catalogue directory to use instead of the built-in one.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Catalog(CatalogCommand::Check { dir, max_age_days }) => catalog_check(dir, max_age_days),
        Command::Recommend(args) => recommend(args),
        Command::Migrate(args) => block_on(migrate::run(args)),
        Command::Import(args) => block_on(import::run(args)),
        Command::Export(args) => block_on(export::run(args)),
        Command::Scan(args) => block_on(scan::run(args)),
        Command::Admin(cmd) => block_on(admin::run(cmd)),
        Command::Dns(args) => load_catalog(None).and_then(|catalog| block_on(dns::run(args, &catalog))),
        Command::Worker(args) => worker::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demail: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let overrides =
        settings::Overrides { listen: args.listen, catalog: args.catalog, database_url: args.database_url };
    let settings = settings::load(args.config.as_deref(), &overrides).context("invalid settings")?;
    init_logs(&settings);
    let catalog = load_catalog(settings.catalog.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = demail_store::Store::open(&settings.database_url).await?;
        let listener = tokio::net::TcpListener::bind(settings.listen).await.with_context(|| {
            format!("cannot listen on {}: is another program using that port?", settings.listen)
        })?;
        let addr = listener.local_addr()?;
        let base_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let help = help_config(&settings, &store, base_url).await?;
        let site = demail_web::Site::new(catalog, store.clone(), settings.public_url.clone()).with_help(help);
        let site = worker::attach(&settings, &store, site).await?;
        demail_web::spawn_maintenance(site.clone(), std::time::Duration::from_secs(600));
        println!("demail is running: open http://{addr}/ in your browser (Ctrl+C to stop)");
        demail_web::serve(listener, site).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Mailer (SMTP, else the outbox directory, said loudly), retention and the form-signing secret.
async fn help_config(
    settings: &settings::Settings,
    store: &demail_store::Store,
    base_url: String,
) -> anyhow::Result<demail_web::HelpConfig> {
    use std::sync::Arc;
    let (mailer, outbox): (Arc<dyn demail_help::Mailer>, _) = match &settings.smtp_host {
        Some(host) => {
            let smtp = demail_help::SmtpSettings {
                host: host.clone(),
                port: settings.smtp_port,
                security: settings.smtp_security.clone(),
                username: settings.smtp_username.clone(),
                password: settings.smtp_password.clone(),
                from: settings.mail_from.clone(),
            };
            (Arc::new(demail_help::SmtpMailer::new(&smtp)?), None)
        }
        None => {
            let dir = settings.outbox.clone();
            println!("No SMTP server set (smtp_host): help mails are written to {}", dir.display());
            (Arc::new(demail_help::OutboxMailer::new(dir.clone(), &settings.mail_from)?), Some(dir))
        }
    };
    let secret = store
        .site_secret("form-signing", || {
            demail_help::Token::generate().map(|t| t.expose().to_owned()).unwrap_or_default()
        })
        .await?;
    if secret.is_empty() {
        anyhow::bail!("cannot create the site secret: the system's random source failed");
    }
    Ok(demail_web::HelpConfig {
        mailer,
        outbox,
        base_url,
        retention: demail_help::Retention {
            confirmed_months: settings.help_retention_months,
            ..demail_help::Retention::default()
        },
        secret,
        form_per_minute: 5,
        login_per_minute: 10,
    })
}

/// Logs to standard error with the settings' filter.
fn init_logs(settings: &settings::Settings) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&settings.log).unwrap_or_else(|_| "info".into()),
        )
        .init();
}

fn block_on<F: std::future::Future<Output = anyhow::Result<ExitCode>>>(f: F) -> anyhow::Result<ExitCode> {
    tokio::runtime::Runtime::new().context("cannot start the async runtime")?.block_on(f)
}

fn load_catalog(dir: Option<&std::path::Path>) -> anyhow::Result<Catalog> {
    match dir {
        Some(d) => Catalog::from_dir(d).with_context(|| format!("catalogue {}", d.display())),
        None => Catalog::builtin().context("built-in catalogue"),
    }
}

fn catalog_check(dir: Option<PathBuf>, max_age_days: i64) -> anyhow::Result<ExitCode> {
    let opts = CheckOptions::now(max_age_days);
    let report = match &dir {
        Some(d) => Catalog::check_dir(d, opts)?,
        None => Catalog::check_builtin(opts),
    };
    for problem in &report.problems {
        println!("{problem}");
    }
    let unverified: usize = report.unverified_counts.values().sum();
    let errors = report.count(Severity::Error);
    println!(
        "{} provider(s) usable, {} error(s), {} warning(s), {} fact(s) marked unverified",
        report.providers.len(),
        errors,
        report.count(Severity::Warning),
        unverified
    );
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn recommend(args: RecommendArgs) -> anyhow::Result<ExitCode> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let query = args.answers.trim_start_matches('?');
    let pairs: Vec<(String, String)> = serde_html_pairs(query);
    let needs = Needs::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .with_context(|| format!("cannot understand the answers {query:?}"))?;
    let list = catalog.recommend(&needs);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&demail_web::api::shortlist_json(&list, "en"))?);
        return Ok(ExitCode::SUCCESS);
    }
    if list.fits.is_empty() {
        println!("No provider fits all the answers.");
        if let Some(q) = list.blocking {
            println!("The answer that excluded the most: {q}");
        }
        for m in &list.nearest {
            println!("  nearest: {} ({}) — misses: {:?}", m.provider.name, m.offer.name, m.unmet);
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (i, m) in list.top().iter().enumerate() {
        println!("{}. {} — {} (score {})  {}", i + 1, m.provider.name, m.offer.name, m.score, m.signup_url());
    }
    if list.fits.len() > list.top().len() {
        println!("… {} provider(s) fit in all.", list.fits.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `a=b&c=d` with percent-decoding.
fn serde_html_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}
