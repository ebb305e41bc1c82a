//! Jobs against a real Dovecot and real databases: drafts check logins, runners copy every
//! message once, credentials never reach the database or the logs in clear.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use demail_imap::testing::{Dovecot, User};
use demail_jobs::{
    Control, DeploymentKey, DraftError, Jobs, JobsConfig, Keeper, LoginProblem, Runner, RunnerConfig, State,
    Vault,
};
use demail_store::Store;
use demail_store::testing::TestPostgres;
use support::{inbox_count, inbox_ids, messages, secrets, seed, spec};

/// Log lines written by every thread of this test process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn quick(state_dir: &std::path::Path, owner: &str) -> RunnerConfig {
    RunnerConfig {
        owner: owner.to_owned(),
        lease: Duration::from_secs(3),
        heartbeat: Duration::from_millis(500),
        poll: Duration::from_millis(300),
        progress_interval: Duration::from_millis(200),
        retry_base: Duration::from_secs(1),
        ..RunnerConfig::new(state_dir.to_path_buf())
    }
}

/// Waits until `ids` are all in a final state; returns their (state, attempts).
async fn wait_final(store: &Store, ids: &[i64], limit: Duration) -> Result<Vec<(State, i64)>, String> {
    let deadline = Instant::now() + limit;
    loop {
        let mut out = Vec::new();
        for &id in ids {
            let job = store.job(id).await.map_err(|e| e.to_string())?.ok_or("job vanished")?;
            out.push((job.state, job.attempts));
        }
        if out.iter().all(|(s, _)| s.is_final()) {
            return Ok(out);
        }
        if Instant::now() > deadline {
            return Err(format!("jobs not finished in time: {out:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn id_of(store: &Store, token: &str) -> Result<i64, String> {
    let hash = demail_jobs::token_hash(token);
    let job = store.job_by_token_hash(&hash, demail_jobs::now()).await.map_err(|e| e.to_string())?;
    job.map(|j| j.id).ok_or_else(|| "no job for the token".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_node_job_copies_every_message_and_leaves_no_password_in_the_database_or_logs()
-> Result<(), String> {
    let logs = Captured::default();
    let writer = logs.clone();
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .try_init();
    let server = Dovecot::start()?;
    seed(&server, "alice", messages("single", 30, 2_000)).await?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("demail.sqlite3");
    let store = Store::open(&db.to_string_lossy()).await.map_err(|e| e.to_string())?;
    let jobs = Jobs::new(store.clone(), Keeper::Memory(Vault::default()), JobsConfig::default());

    let token = match jobs.draft(spec(&server, "alice", "bob"), secrets("alice", "bob")).await {
        Ok(t) => t,
        Err(e) => return Err(format!("{e:?}")),
    };
    let (id, view) = jobs.find(&token).await.map_err(|e| e.to_string())?.ok_or("draft not found")?;
    assert_eq!(view.state, State::Draft);
    let preview = view.spec.preview.ok_or("no preview")?;
    assert_eq!(preview.to_copy().0, 30);
    assert_eq!(jobs.control(id, Control::Start).await.map_err(|e| e.to_string())?, Ok(State::Queued));

    let runner = Runner::new(jobs.clone(), quick(&dir.path().join("state"), "single"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(runner.run(async move {
        let _ = stopped.await;
    }));
    let states = wait_final(&store, &[id], Duration::from_secs(60)).await?;
    let _ = stop.send(());
    let _ = task.await;
    assert_eq!(states, vec![(State::Done, 1)]);

    let (_, view) = jobs.find(&token).await.map_err(|e| e.to_string())?.ok_or("job gone")?;
    let report = view.report.ok_or("no report")?;
    assert!(report.is_complete(), "{report:?}");
    let (source, copied, ..) = report.totals();
    assert_eq!((source, copied), (30, 30));
    assert_eq!(inbox_ids(&server, "bob").await?, inbox_ids(&server, "alice").await?);
    let snapshot = view.snapshot.ok_or("no progress")?;
    assert_eq!(snapshot.messages_accounted(), 30);
    // The anonymous statistics count the move and its messages (written just after the end).
    let today = chrono::Utc::now().date_naive();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let moved = store
            .counters(demail_store::CounterKind::MessagesMoved, today)
            .await
            .map_err(|e| e.to_string())?;
        if !moved.is_empty() {
            let done = store
                .counters(demail_store::CounterKind::Migration, today)
                .await
                .map_err(|e| e.to_string())?;
            assert_eq!(done.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), [("done", 1)]);
            assert_eq!(moved.iter().map(|c| c.count).sum::<i64>(), 30);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the move was not counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Nothing in clear: not in the database files, not in the logs.
    store.pool().close().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).map_err(|e| e.to_string())?.flatten() {
        if entry.path().is_file() {
            bytes.extend(std::fs::read(entry.path()).map_err(|e| e.to_string())?);
        }
    }
    assert!(bytes.windows(b"single".len()).count() > 0);
    let logs = logs.0.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(String::from_utf8_lossy(&logs).contains("job claimed"), "the log capture works");
    for (what, haystack) in [("database", &bytes), ("logs", &logs)] {
        for needle in ["pw-alice", "pw-bob", token.as_str()] {
            assert!(
                !haystack.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle:?} found in the {what}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn wrong_passwords_and_unreachable_servers_are_told_apart_before_any_job_exists() -> Result<(), String>
{
    let server = Dovecot::start()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(&dir.path().join("db").to_string_lossy()).await.map_err(|e| e.to_string())?;
    let jobs = Jobs::new(store.clone(), Keeper::Memory(Vault::default()), JobsConfig::default());
    let mut bad = secrets("alice", "bob");
    bad.source = secrecy::SecretString::from("wrong");
    bad.destination = secrecy::SecretString::from("wrong too");
    match jobs.draft(spec(&server, "alice", "bob"), bad).await {
        Err(DraftError::Login(p)) => {
            assert_eq!(p.source, Some(LoginProblem::WrongPassword));
            assert_eq!(p.destination, Some(LoginProblem::WrongPassword));
        }
        other => return Err(format!("expected two login problems, got {other:?}")),
    }
    let mut unreachable = spec(&server, "alice", "bob");
    unreachable.destination.port = 1;
    match jobs.draft(unreachable, secrets("alice", "bob")).await {
        Err(DraftError::Login(p)) => {
            assert_eq!(p.source, None);
            assert_eq!(p.destination, Some(LoginProblem::Unreachable));
        }
        other => return Err(format!("expected an unreachable destination, got {other:?}")),
    }
    let small = Jobs::new(
        store.clone(),
        Keeper::Memory(Vault::default()),
        JobsConfig { max_mailbox_bytes: Some(1_000), ..JobsConfig::default() },
    );
    seed(&server, "carol", messages("big", 3, 1_000)).await?;
    match small.draft(spec(&server, "carol", "bob"), secrets("carol", "bob")).await {
        Err(DraftError::TooBig { max: 1_000, bytes }) => assert!(bytes > 3_000),
        other => return Err(format!("expected too big, got {other:?}")),
    }
    assert!(store.job_counts().await.map_err(|e| e.to_string())?.is_empty(), "no job was stored");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_run_twenty_queued_jobs_each_exactly_once() -> Result<(), String> {
    let users: Vec<User> =
        std::iter::once(User::new("alice")).chain((0..20).map(|i| User::new(&format!("u{i}")))).collect();
    let server = Dovecot::start_with(&users)?;
    seed(&server, "alice", messages("fan", 5, 500)).await?;
    let postgres = TestPostgres::start()?;
    let url = postgres.fresh_url().await?;
    let key = DeploymentKey::from_hex(&"5a".repeat(32)).map_err(|e| e.to_string())?;
    let config = JobsConfig { connections: 1, ..JobsConfig::default() };
    let web = Jobs::new(
        Store::open(&url).await.map_err(|e| e.to_string())?,
        Keeper::Sealed(key.clone()),
        config.clone(),
    );
    let mut ids = Vec::new();
    for i in 0..20 {
        let to = format!("u{i}");
        let token = web
            .insert(&spec(&server, "alice", &to), secrets("alice", &to), State::Queued)
            .await
            .map_err(|e| e.to_string())?;
        ids.push(id_of(web.store(), &token).await?);
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut workers = Vec::new();
    for w in ["w1", "w2"] {
        let store = Store::open(&url).await.map_err(|e| e.to_string())?;
        let jobs = Jobs::new(store, Keeper::Sealed(key.clone()), config.clone());
        let runner = Runner::new(
            jobs,
            RunnerConfig {
                max_concurrent: 3,
                listen_url: Some(url.clone()),
                ..quick(&dir.path().join(w), w)
            },
        );
        let mut stopped = stop.subscribe();
        workers.push(tokio::spawn(runner.run(async move {
            let _ = stopped.recv().await;
        })));
    }
    let states = wait_final(web.store(), &ids, Duration::from_secs(120)).await?;
    let _ = stop.send(());
    for w in workers {
        let _ = w.await;
    }
    assert!(states.iter().all(|&s| s == (State::Done, 1)), "{states:?}");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(inbox_count(&server, &format!("u{i}")).await?, 5, "u{i}");
        let job = web.store().job(*id).await.map_err(|e| e.to_string())?.ok_or("gone")?;
        assert_eq!(job.sealed, None, "credentials erased");
    }
    // A dump of the whole database holds no password.
    let dump = std::process::Command::new("pg_dump").arg(&url).output().map_err(|e| e.to_string())?;
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("fan") || dump.contains("jobs"), "the dump is real");
    assert!(!dump.contains("pw-alice") && !dump.contains("pw-u1"), "a password is in the dump");
    Ok(())
}
