//! The move journey in a real headless Chromium against two throwaway Dovecot accounts: the
//! wizard (new host preselected from the catalogue), both logins tested, the plan, the start,
//! live progress by Server-Sent Events, the report, and every message at the destination.
//! axe-core checks the wizard, the plan and the report pages.

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use demail_catalog::Catalog;
use demail_imap::testing::Dovecot;
use demail_jobs::{Jobs, JobsConfig, Keeper, Runner, RunnerConfig, Vault};
use demail_store::Store;
use serde_json::json;
use support::webdriver::{Browser, Options};
use support::{Result, axe_source, fail};

const FRENCH: Options = Options { accept_language: "fr-FR,fr", javascript: true };
const MESSAGES: usize = 300;

/// Writes `count` messages straight into `user`'s Maildir INBOX.
fn seed(server: &Dovecot, user: &str, count: usize) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, chown};
    let mail = server.dir().join("mail");
    let owner = std::fs::metadata(&mail)?;
    let (uid, gid) = (Some(owner.uid()), Some(owner.gid()));
    let root = mail.join(user);
    for sub in ["", "cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(sub))?;
        chown(root.join(sub), uid, gid)?;
    }
    for i in 0..count {
        let body = format!(
            "Subject: Lettre {i}\r\nMessage-ID: <browser-{i}@demail.test>\r\n\r\n{}\r\n",
            "Bonjour ".repeat(300)
        );
        let path = root.join("cur").join(format!("{i}.demail-test:2,S"));
        std::fs::write(&path, body)?;
        chown(&path, uid, gid)?;
    }
    Ok(())
}

/// Runs axe-core on the current page; returns its violations, described.
async fn axe(browser: &Browser, name: &str) -> Result<Vec<String>> {
    browser.execute(&axe_source()?, vec![]).await?;
    let result = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => done({ violations: r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.html).join(' | ')) }))
  .catch(e => done({ error: String(e) }));"#,
            vec![],
        )
        .await?;
    if let Some(e) = result.get("error") {
        return Err(fail(format!("axe failed on {name}: {e}")));
    }
    Ok(result["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("{name}: {}", v.as_str().unwrap_or_default()))
        .collect())
}

/// Types `value` into the field `id` as a person would (the field gets focus and an input event).
async fn type_into(browser: &Browser, id: &str, value: &str) -> Result<()> {
    browser
        .execute(
            "const e = document.getElementById(arguments[0]); e.focus(); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(id), json!(value)],
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_moves_a_mailbox_in_the_browser_and_watches_it_reach_the_report() -> Result<()> {
    let server = Dovecot::start().map_err(fail)?;
    seed(&server, "alice", MESSAGES)?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("site.sqlite3").to_string_lossy()).await?;
    let jobs = Jobs::new(
        store.clone(),
        Keeper::Memory(Vault::default()),
        JobsConfig { connections: 1, ..JobsConfig::default() },
    );
    let runner = Runner::new(
        jobs.clone(),
        RunnerConfig {
            heartbeat: Duration::from_millis(300),
            poll: Duration::from_millis(200),
            progress_interval: Duration::from_millis(200),
            ..RunnerConfig::new(dir.path().join("state"))
        },
    );
    let settings =
        demail_web::MigrateSettings { starts_per_hour: 100, test_servers: true, client_ip_header: None };
    let site = demail_web::Site::new(Catalog::builtin()?, store, None).with_jobs(jobs, settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let serve = tokio::spawn(demail_web::serve(listener, site));
    let run = tokio::spawn(runner.run(std::future::pending()));
    let browser = Browser::start(FRENCH).await?;
    let mut violations = Vec::new();

    // Coming from a provider's page: that provider is preselected as the new host.
    browser.goto(&format!("{origin}/demenager?fournisseur=posteo")).await?;
    let select = browser.find("#nouveau-choix").await?;
    assert_eq!(browser.property_str(&select, "value").await?, "posteo");
    violations.extend(axe(&browser, "wizard").await?);

    // The test server is "other" on both sides (the catalogue's hosts are real ones).
    browser.click_on("#ancien-autre").await?;
    for (id, value) in [
        ("ancien_serveur", "127.0.0.1".to_owned()),
        ("ancien_port", server.imaps_port.to_string()),
        ("ancien_adresse", "alice".into()),
        ("ancien_mdp", "pw-alice".into()),
        ("nouveau_serveur", "127.0.0.1".into()),
        ("nouveau_port", server.imaps_port.to_string()),
        ("nouveau_adresse", "bob".into()),
        ("nouveau_mdp", "pw-bob".into()),
    ] {
        type_into(&browser, id, &value).await?;
    }
    browser.execute("document.getElementById('nouveau-choix').value = 'autre';", vec![]).await?;
    browser.click_on("#tester").await?;
    let job = browser.wait_for_url("the job page", |u| u.path().starts_with("/demenager/suivi/")).await?;
    let plan = browser.text(&browser.find("#plan").await?).await?;
    assert!(plan.contains("INBOX") && plan.contains(&MESSAGES.to_string()), "{plan}");
    violations.extend(axe(&browser, "plan").await?);
    let _ = browser.requested_urls().await?;

    browser.click_on("#demarrer").await?;
    // Live progress, then the report (the page's script reloads it when the job ends).
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut seen = Vec::new();
    loop {
        if !browser.find_all("#rapport").await?.is_empty() {
            break;
        }
        if let Ok(v) = browser
            .execute("const e = document.getElementById('overall'); return e ? e.value : null;", vec![])
            .await
            && let Some(p) = v.as_f64()
        {
            seen.push(p);
        }
        if Instant::now() > deadline {
            return Err(fail(format!("no report in time; progress seen: {seen:?}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.current_url().await?.path(), job.path(), "the same link shows the report");
    assert!(!seen.is_empty(), "the progress bar was shown while copying");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {seen:?}");
    let urls = browser.requested_urls().await?;
    assert!(urls.iter().any(|u| u.ends_with("/flux")), "progress followed by SSE: {urls:?}");
    let totals = browser.text(&browser.find("#bilan").await?).await?;
    assert_eq!(
        totals,
        format!(
            "{MESSAGES} messages : {MESSAGES} copiés, 0 déjà présents, 0 laissés volontairement, 0 en échec."
        )
    );
    browser.find("#complet").await?;
    let next = browser.find("#transition").await?;
    assert!(browser.property_str(&next, "href").await?.ends_with("/transition"));
    violations.extend(axe(&browser, "report").await?);

    let mut bob = server.session("bob").await?;
    assert_eq!(bob.status(b"INBOX").await?.messages as usize, MESSAGES, "every message arrived once");
    browser.close().await?;
    serve.abort();
    run.abort();
    assert!(violations.is_empty(), "axe found:\n{}", violations.join("\n"));
    Ok(())
}
