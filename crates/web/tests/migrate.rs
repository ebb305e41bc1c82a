//! The `/demenager` wizard and job pages over real HTTP, against a throwaway Dovecot and the
//! in-process runner: a whole move without JavaScript, and every kind of bad input answered with
//! a clear page, never a 500.

use std::time::{Duration, Instant};

use demail_catalog::Catalog;
use demail_imap::testing::Dovecot;
use demail_jobs::{Jobs, JobsConfig, Keeper, Runner, RunnerConfig, Vault};
use demail_store::Store;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

struct TestSite {
    base: String,
    client: reqwest::Client,
    jobs: Jobs,
    dir: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for TestSite {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn start(config: JobsConfig, starts_per_hour: u32) -> Result<TestSite> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("site.sqlite3").to_string_lossy()).await?;
    let jobs = Jobs::new(store.clone(), Keeper::Memory(Vault::default()), config);
    let runner = Runner::new(
        jobs.clone(),
        RunnerConfig {
            lease: Duration::from_secs(5),
            heartbeat: Duration::from_millis(300),
            poll: Duration::from_millis(200),
            progress_interval: Duration::from_millis(100),
            ..RunnerConfig::new(dir.path().join("state"))
        },
    );
    let settings =
        demail_web::MigrateSettings { starts_per_hour, test_servers: true, client_ip_header: None };
    let site = demail_web::Site::new(Catalog::builtin()?, store, None).with_jobs(jobs.clone(), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let serve = tokio::spawn(async move {
        let _ = demail_web::serve(listener, site).await;
    });
    let run = tokio::spawn(runner.run(std::future::pending()));
    let client = reqwest::Client::builder().redirect(Policy::none()).build()?;
    Ok(TestSite { base, client, jobs, dir, tasks: vec![serve, run] })
}

impl TestSite {
    async fn get(&self, path: &str) -> Result<(StatusCode, String)> {
        let res =
            self.client.get(format!("{}{path}", self.base)).header("accept-language", "fr").send().await?;
        Ok((res.status(), res.text().await?))
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
    ) -> Result<(StatusCode, Option<String>, String)> {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept-language", "fr")
            .form(form)
            .send()
            .await?;
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok((res.status(), location, res.text().await?))
    }
}

/// The wizard's fields for moving `from` to `to` on the test server ("other" servers).
fn form(server: &Dovecot, from: &str, from_pw: &str, to: &str, to_pw: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ancien", "autre".into()),
        ("ancien_serveur", "127.0.0.1".into()),
        ("ancien_port", server.imaps_port.to_string()),
        ("ancien_adresse", from.into()),
        ("ancien_mdp", from_pw.into()),
        ("nouveau", "autre".into()),
        ("nouveau_serveur", "127.0.0.1".into()),
        ("nouveau_port", server.imaps_port.to_string()),
        ("nouveau_adresse", to.into()),
        ("nouveau_mdp", to_pw.into()),
    ]
}

async fn seed(server: &Dovecot, user: &str, count: usize) -> Result<()> {
    let mut s = server.session(user).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel(count.max(1));
    let feed = tokio::spawn(async move {
        let budget = demail_imap::ByteBudget::new(1 << 20);
        for i in 0..count {
            let body = format!("Subject: m{i}\r\nMessage-ID: <web-{i}@demail.test>\r\n\r\nbody {i}\r\n")
                .into_bytes();
            let permit = budget.reserve(body.len() as u64).await;
            let req = demail_imap::AppendRequest {
                token: i as u64,
                flags: vec![],
                internal_date: None,
                body,
                permit,
            };
            if tx.send(req).await.is_err() {
                break;
            }
        }
    });
    s.append_messages(b"INBOX", rx, &out_tx).await?;
    feed.await?;
    drop(out_tx);
    while let Some(a) = out_rx.recv().await {
        a.outcome.map_err(|r| format!("{r:?}"))?;
    }
    s.logout().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_moves_a_mailbox_through_the_wizard_without_javascript() -> Result<()> {
    let server = Dovecot::start()?;
    seed(&server, "alice", 12).await?;
    let site = start(JobsConfig::default(), 100).await?;

    let (status, page) = site.get("/demenager").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Proton") && page.contains("Bridge") && page.contains("name=\"ancien_mdp\""));

    let (status, location, _) =
        site.post("/demenager", &form(&server, "alice", "pw-alice", "bob", "pw-bob")).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = location.ok_or("no job link")?;
    assert!(job.starts_with("/demenager/suivi/") && job.len() > 50, "{job}");

    // The plan, with the count, before anything is copied.
    let (status, page) = site.get(&job).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"plan\"") && page.contains("12 messages"), "{page}");
    assert!(!page.contains("http-equiv=\"refresh\""), "a draft does not refresh");

    // A date the wizard cannot read is told, and nothing starts.
    let (status, _, page) =
        site.post(&format!("{job}/demarrer"), &[("depuis", "31/12/2020".to_owned())]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("AAAA-MM-JJ") && page.contains("a été lancé"), "{page}");
    assert!(
        page.contains("id=\"erreur-options\"") && page.contains("id=\"demarrer\""),
        "the plan again: {page}"
    );
    assert!(site.get(&job).await?.1.contains("id=\"demarrer\""), "still a draft");

    let (status, location, _) =
        site.post(&format!("{job}/demarrer"), &[("depuis", "2000-01-01".to_owned())]).await?;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some(job.as_str())));
    // A second start is refused with a clear page.
    let (status, _, page) = site.post(&format!("{job}/demarrer"), &[]).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Déjà fait"), "{page}");

    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let (status, page) = site.get(&job).await?;
        assert_eq!(status, StatusCode::OK);
        if page.contains("id=\"rapport\"") {
            break page;
        }
        assert!(page.contains("http-equiv=\"refresh\""), "a moving job refreshes itself without JavaScript");
        assert!(Instant::now() < deadline, "the move did not finish: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        page.contains("12 messages : 12 copiés, 0 déjà présents, 0 laissés volontairement, 0 en échec."),
        "{page}"
    );
    assert!(page.contains("id=\"complet\"") && page.contains("href=\"/transition\""));
    let mut bob = server.session("bob").await?;
    assert_eq!(bob.status(b"INBOX").await?.messages, 12);

    // Nothing to pause any more; a forged token and a garbage token are unknown.
    let (status, _, page) = site.post(&format!("{job}/pause"), &[]).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    let forged = format!("/demenager/suivi/{}", "A".repeat(43));
    assert_eq!(site.get(&forged).await?.0, StatusCode::NOT_FOUND);
    assert_eq!(site.post(&format!("{forged}/annuler"), &[]).await?.0, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/demenager/suivi/1").await?.0, StatusCode::NOT_FOUND);

    // No password in the database files.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(site.dir.path())?.flatten() {
        if entry.path().is_file() {
            bytes.extend(std::fs::read(entry.path())?);
        }
    }
    for needle in [&b"pw-alice"[..], b"pw-bob", job.trim_start_matches("/demenager/suivi/").as_bytes()] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{:?} in the database",
            String::from_utf8_lossy(needle)
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_pages_and_never_a_500() -> Result<()> {
    let server = Dovecot::start()?;
    let config = JobsConfig { draft_ttl: Duration::from_secs(1), ..JobsConfig::default() };
    let site = start(config, 6).await?;

    // Both passwords wrong: both sides say so at once.
    let (status, _, page) = site.post("/demenager", &form(&server, "alice", "nope", "bob", "nope")).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Ancienne adresse : adresse ou mot de passe refusé"), "{page}");
    assert!(page.contains("Nouvelle adresse : adresse ou mot de passe refusé"), "{page}");
    assert!(!page.contains("nope"), "passwords are never sent back");

    // An unreachable server.
    let mut unreachable = form(&server, "alice", "pw-alice", "bob", "pw-bob");
    unreachable[7].1 = "1".into();
    let (status, _, page) = site.post("/demenager", &unreachable).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Nouvelle adresse : le serveur ne répond pas"), "{page}");

    // Missing and malformed fields, Proton, garbage bodies.
    let (status, _, page) =
        site.post("/demenager", &[("ancien", "proton".into()), ("nouveau_port", "x".into())]).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Proton ne peut pas être lu depuis un serveur"));
    assert!(page.contains("Choisissez votre nouvel hébergeur"));
    let res =
        site.client.post(format!("{}/demenager", site.base)).body(vec![0xff, b'%', b'=', 0]).send().await?;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An expired link (drafts live one second here).
    let (status, location, _) =
        site.post("/demenager", &form(&server, "alice", "pw-alice", "bob", "pw-bob")).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let job = location.ok_or("no link")?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, page) = site.get(&job).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Lien inconnu ou expiré"));
    assert_eq!(site.post(&format!("{job}/demarrer"), &[]).await?.0, StatusCode::NOT_FOUND);

    // The per-IP limit: six checks an hour here, five were made.
    let (status, _, _) = site.post("/demenager", &form(&server, "alice", "nope", "bob", "nope")).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, page) = site.post("/demenager", &form(&server, "alice", "nope", "bob", "nope")).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Trop d&#39;essais"), "{page}");
    Ok(())
}

#[tokio::test]
async fn a_site_without_migrations_says_so_and_keeps_the_strict_policy() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("s.sqlite3").to_string_lossy()).await?;
    let site = demail_web::Site::new(Catalog::builtin()?, store, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = demail_web::serve(listener, site).await;
    });
    let res = reqwest::get(format!("{base}/demenager")).await?;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(!csp.contains("script-src"), "{csp}");
    assert!(res.text().await?.contains("demail migrate"));
    task.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_job_page_asks_for_the_passwords_again_and_the_move_continues() -> Result<()> {
    let server = Dovecot::start()?;
    seed(&server, "alice", 5).await?;
    let site = start(JobsConfig::default(), 100).await?;
    // A job queued by an earlier run of the server: its passwords were in that process's memory.
    let side = |user: &str| demail_jobs::Endpoint {
        host: "127.0.0.1".into(),
        port: server.imaps_port,
        security: demail_jobs::Transport::Tls,
        user: user.into(),
        insecure: true,
        provider: None,
    };
    let spec = demail_jobs::JobSpec {
        source: side("alice"),
        destination: side("bob"),
        options: demail_jobs::JobOptions::default(),
        preview: None,
    };
    let before =
        Jobs::new(site.jobs.store().clone(), Keeper::Memory(Vault::default()), JobsConfig::default());
    let secrets = demail_jobs::Secrets {
        source: secrecy::SecretString::from("pw-alice"),
        destination: secrecy::SecretString::from("pw-bob"),
    };
    let token = before.insert(&spec, secrets, demail_jobs::State::Queued).await?;
    let job = format!("/demenager/suivi/{token}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, page) = site.get(&job).await?;
        assert_eq!(status, StatusCode::OK);
        if page.contains("action=\"/demenager/suivi/") && page.contains("/identifiants\"") {
            break;
        }
        assert!(Instant::now() < deadline, "the page never asked for the passwords: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Wrong passwords are told, right ones resume the move.
    let wrong = [("ancien_mdp", "x".to_owned()), ("nouveau_mdp", "pw-bob".to_owned())];
    let (status, _, page) = site.post(&format!("{job}/identifiants"), &wrong).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Ancienne adresse : adresse ou mot de passe refusé"), "{page}");
    let right = [("ancien_mdp", "pw-alice".to_owned()), ("nouveau_mdp", "pw-bob".to_owned())];
    let (status, _, _) = site.post(&format!("{job}/identifiants"), &right).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = site.get(&job).await?;
        if page.contains("id=\"rapport\"") {
            assert!(page.contains("5 messages : 5 copiés"), "{page}");
            break;
        }
        assert!(Instant::now() < deadline, "the move did not continue: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Giving them twice is refused clearly.
    let (status, _, _) = site.post(&format!("{job}/identifiants"), &right).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    Ok(())
}
