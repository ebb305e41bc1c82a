//! A real PostgreSQL for tests, and the same test run on both backends.
//!
//! `DEMAIL_TEST_POSTGRES_URL` names a server where the account may `CREATE DATABASE`
//! (`scripts/test` starts one throwaway cluster for the whole suite). Without it, each
//! [`TestPostgres`] starts its own cluster from Debian's `postgresql` package in a temporary
//! directory on a free loopback port, and stops it when dropped. Either way every call to
//! [`TestPostgres::fresh_url`] gives a new empty database.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

use crate::Store;

/// The environment variable naming an existing PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "DEMAIL_TEST_POSTGRES_URL";

/// A PostgreSQL server that tests may create databases on.
pub struct TestPostgres {
    admin_url: String,
    _cluster: Option<Cluster>,
}

impl TestPostgres {
    /// The server of `DEMAIL_TEST_POSTGRES_URL`, or a throwaway cluster started now.
    pub fn start() -> Result<TestPostgres, String> {
        if let Ok(url) = std::env::var(POSTGRES_URL_VAR)
            && !url.is_empty()
        {
            return Ok(TestPostgres { admin_url: url, _cluster: None });
        }
        let cluster = Cluster::start()?;
        Ok(TestPostgres { admin_url: cluster.url.clone(), _cluster: Some(cluster) })
    }

    /// A URL to a new, empty database on this server.
    pub async fn fresh_url(&self) -> Result<String, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name =
            format!("demail_test_{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos);
        let mut admin = PgConnection::connect(&self.admin_url).await.map_err(|e| {
            format!("cannot reach the test PostgreSQL at {}: {e}", crate::redact(&self.admin_url))
        })?;
        let create = format!("CREATE DATABASE {name}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&mut admin).await.map_err(|e| e.to_string())?;
        admin.close().await.map_err(|e| e.to_string())?;
        let (without_query, query) = match self.admin_url.split_once('?') {
            Some((u, q)) => (u, format!("?{q}")),
            None => (self.admin_url.as_str(), String::new()),
        };
        let after_scheme = without_query.find("://").map_or(0, |i| i + 3);
        let base = match without_query[after_scheme..].find('/') {
            Some(slash) => &without_query[..after_scheme + slash],
            None => without_query,
        };
        Ok(format!("{base}/{name}{query}"))
    }
}

/// One store per backend, each on a new empty database; keep the value alive while testing.
pub struct Backends {
    pub stores: Vec<Store>,
    _dir: TempDir,
    _postgres: TestPostgres,
}

/// A fresh SQLite file store and a fresh PostgreSQL store, for tests that must pass on both.
pub async fn both_backends() -> Result<Backends, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("demail.sqlite3");
    let sqlite = Store::open(&path.to_string_lossy()).await.map_err(|e| e.to_string())?;
    let postgres = TestPostgres::start()?;
    let pg = Store::open(&postgres.fresh_url().await?).await.map_err(|e| e.to_string())?;
    Ok(Backends { stores: vec![sqlite, pg], _dir: dir, _postgres: postgres })
}

/// A throwaway cluster: its own data directory, socket directory and port; never the system's.
struct Cluster {
    dir: TempDir,
    bin: PathBuf,
    as_postgres_user: bool,
    url: String,
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bin = postgres_bin_dir().ok_or(
            "PostgreSQL is not installed: run scripts/test (it installs Debian's postgresql) \
             or set DEMAIL_TEST_POSTGRES_URL",
        )?;
        let dir = tempfile::Builder::new().prefix("demail-pg-").tempdir().map_err(|e| e.to_string())?;
        // PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` account.
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown").arg("postgres:postgres").arg(dir.path()))?;
        }
        let data = dir.path().join("data");
        let mut cluster = Cluster { dir, bin, as_postgres_user, url: String::new() };
        cluster.pg(
            "initdb",
            &["-D", &path_str(&data), "-U", "demail", "--auth=trust", "-E", "UTF8", "--no-sync"],
        )?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            path_str(cluster.dir.path())
        );
        let log = cluster.dir.path().join("postgres.log");
        cluster
            .pg("pg_ctl", &["-D", &path_str(&data), "-o", &options, "-l", &path_str(&log), "-w", "start"])?;
        cluster.url = format!("postgres://demail@127.0.0.1:{port}/postgres");
        Ok(cluster)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(self.dir.path());
        run(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = path_str(&self.dir.path().join("data"));
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// The newest `/usr/lib/postgresql/N/bin` that has `initdb`.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false)
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
