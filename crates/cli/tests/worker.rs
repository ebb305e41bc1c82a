//! `demail worker` processes on a real PostgreSQL against a real Dovecot: one is killed with
//! SIGKILL in the middle of a job; its lease expires and the other finishes the job, with every
//! message at the destination exactly once. No password reaches the database or the logs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use demail_imap::testing::Dovecot;
use demail_jobs::{
    DeploymentKey, Endpoint, JobOptions, JobSpec, Jobs, JobsConfig, Keeper, Secrets, State, Transport,
};
use demail_store::Store;
use demail_store::testing::TestPostgres;
use secrecy::SecretString;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

const KEY: &str = "7f3c1a9e5b2d48c6a0e1f2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";

fn worker(dir: &std::path::Path, name: &str, url: &str) -> Result<Child> {
    let out = std::fs::File::create(dir.join(format!("{name}.log")))?;
    Ok(Command::new(env!("CARGO_BIN_EXE_demail"))
        .arg("worker")
        .current_dir(dir)
        .env_clear()
        .env("DEMAIL_DATABASE_URL", url)
        .env("DEMAIL_DEPLOYMENT_KEY", KEY)
        .env("DEMAIL_JOB_STATE_DIR", dir.join(format!("{name}-state")))
        .env("DEMAIL_JOB_LEASE_SECONDS", "2")
        .env("DEMAIL_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()?)
}

/// Writes `count` messages straight into `user`'s Maildir INBOX (much faster than APPEND; Dovecot
/// indexes them at the first SELECT).
fn seed(server: &Dovecot, user: &str, count: usize, size: usize) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, chown};
    let mail = server.dir().join("mail");
    let owner = std::fs::metadata(&mail)?;
    let (uid, gid) = (Some(owner.uid()), Some(owner.gid()));
    let root = mail.join(user);
    for sub in ["", "cur", "new", "tmp"] {
        let d = root.join(sub);
        std::fs::create_dir_all(&d)?;
        chown(&d, uid, gid)?;
    }
    for i in 0..count {
        let mut body = format!("Subject: k{i}\r\nMessage-ID: <kill-{i}@demail.test>\r\n\r\n").into_bytes();
        body.extend(std::iter::repeat_n(b'k', size));
        body.extend_from_slice(b"\r\n");
        let path = root.join("cur").join(format!("{i}.demail-test:2,S"));
        std::fs::write(&path, body)?;
        chown(&path, uid, gid)?;
    }
    Ok(())
}

async fn message_ids(server: &Dovecot, user: &str) -> Result<Vec<String>> {
    let mut s = server.session(user).await?;
    let selected = s.select(b"INBOX", true).await?;
    if selected.exists == 0 {
        return Ok(Vec::new());
    }
    let fetched = s.uid_fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").await?;
    let mut ids: Vec<String> = fetched
        .into_iter()
        .map(|f| String::from_utf8_lossy(&f.header_fields.unwrap_or_default()).trim().to_owned())
        .collect();
    ids.sort();
    Ok(ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_is_replaced_without_losing_or_duplicating_a_message() -> Result<()> {
    const COUNT: usize = 4_000;
    let t0 = Instant::now();
    let server = Dovecot::start()?;
    seed(&server, "alice", COUNT, 3_000)?;
    eprintln!("seeded in {:?}", t0.elapsed());
    let postgres = TestPostgres::start()?;
    let url = postgres.fresh_url().await?;
    let store = Store::open(&url).await?;
    let jobs = Jobs::new(store.clone(), Keeper::Sealed(DeploymentKey::from_hex(KEY)?), JobsConfig::default());
    let side = |user: &str| Endpoint {
        host: "127.0.0.1".into(),
        port: server.imap_port,
        security: Transport::Plaintext,
        user: user.into(),
        insecure: true,
        provider: None,
    };
    let spec = JobSpec {
        source: side("alice"),
        destination: side("bob"),
        options: JobOptions::default(),
        preview: None,
    };
    let secrets =
        Secrets { source: SecretString::from("pw-alice"), destination: SecretString::from("pw-bob") };
    let token = jobs.insert(&spec, secrets, State::Queued).await?;
    let id = store
        .job_by_token_hash(&demail_jobs::token_hash(&token), demail_jobs::now())
        .await?
        .ok_or("job not stored")?
        .id;

    let dir = tempfile::tempdir()?;
    let mut workers = [worker(dir.path(), "a", &url)?, worker(dir.path(), "b", &url)?];

    // Kill whichever worker holds the job once some messages have landed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed = loop {
        let job = store.job(id).await?.ok_or("job vanished")?;
        // Messages already at the destination, read from Dovecot's files (progress rows are
        // written at a throttled rate, too late for a fast copy).
        let copied = server.stored_messages("bob");
        if job.state == State::Running && copied > 0 {
            let pid: u32 = job
                .lease_owner
                .as_deref()
                .and_then(|o| o.rsplit(':').next()?.parse().ok())
                .ok_or("no owner")?;
            let i =
                workers.iter().position(|w| w.id() == pid).ok_or("the owner is not one of our workers")?;
            workers[i].kill()?; // SIGKILL
            workers[i].wait()?;
            eprintln!("killed at {copied} copied, {:?}", t0.elapsed());
            assert!(copied < COUNT, "killed after the end");
            break i;
        }
        assert!(
            job.state != State::Done,
            "the job finished before it could be killed; make the mailbox bigger"
        );
        assert!(Instant::now() < deadline, "the job never started: {job:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };

    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = store.job(id).await?.ok_or("job vanished")?;
        if job.state.is_final() {
            break job;
        }
        assert!(Instant::now() < deadline, "the job was not resumed: {job:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("finished at {:?}", t0.elapsed());
    for (i, w) in workers.iter_mut().enumerate() {
        if i != killed {
            w.kill()?;
            w.wait()?;
        }
    }
    assert_eq!((job.state, job.attempts), (State::Done, 2), "{job:?}");
    assert_eq!(job.sealed, None, "credentials erased at the end");
    let report: demail_jobs::StoredReport = serde_json::from_str(job.report.as_deref().unwrap_or("{}"))?;
    assert!(report.is_complete(), "{report:?}");
    let source = message_ids(&server, "alice").await?;
    assert_eq!(source.len(), COUNT);
    assert_eq!(message_ids(&server, "bob").await?, source, "every message exactly once");

    // No password or token in the logs of either worker, nor in a dump of the database.
    let mut logs = String::new();
    for name in ["a", "b"] {
        logs.push_str(&std::fs::read_to_string(dir.path().join(format!("{name}.log")))?);
    }
    assert!(logs.contains("job claimed"), "the logs are real: {logs}");
    let dump = Command::new("pg_dump").arg(&url).output()?;
    assert!(dump.status.success());
    let dump = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(dump.contains("kill") || dump.contains("INBOX"), "the dump is real");
    for needle in ["pw-alice", "pw-bob", token.as_str(), KEY] {
        assert!(!logs.contains(needle), "{needle} in the logs");
        assert!(!dump.contains(needle), "{needle} in the database");
    }
    Ok(())
}
