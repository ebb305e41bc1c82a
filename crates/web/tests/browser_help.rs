//! The help journey and the backoffice in a real headless Chromium (Debian's chromium and
//! chromium-driver), with a real SMTP server, and axe-core on the new pages in both languages.

mod helpsite;
#[allow(dead_code)] // the journey tests' site is not used here
mod support;

use helpsite::{GENEROUS, HelpSite, MailTo, SmtpServer, link, parse_mail};
use serde_json::json;
use support::webdriver::{Browser, Options};
use support::{Result, axe_source, fail};

const FRENCH: Options = Options { accept_language: "fr-FR,fr", javascript: true };
const ENGLISH: Options = Options { accept_language: "en-US,en", javascript: true };

fn err(e: helpsite::Error) -> support::Error {
    fail(e.to_string())
}

/// Types `text` into the field `css` (WebDriver scripts are not bound by the page's CSP).
async fn type_into(b: &Browser, css: &str, text: &str) -> Result<()> {
    b.execute("document.querySelector(arguments[0]).value = arguments[1];", vec![json!(css), json!(text)])
        .await?;
    Ok(())
}

async fn title_is(b: &Browser, expected: &str) -> Result<()> {
    for _ in 0..50 {
        if b.title().await?.starts_with(expected) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(fail(format!("expected a page titled {expected:?}, got {:?}", b.title().await?)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_asks_for_help_after_the_results_confirms_from_the_mail_and_erases_everything() -> Result<()>
{
    let smtp = SmtpServer::start().await.map_err(err)?;
    let site = HelpSite::start(MailTo::Smtp(&smtp), GENEROUS).await.map_err(err)?;
    let b = Browser::start(Options { javascript: false, ..FRENCH }).await?;

    b.goto(&site.url("/resultats?pour=moi&lieu=france&budget=15")).await?;
    assert!(!b.find_all("ol.matches > li.match").await?.is_empty(), "results come first");
    b.click_on("section.help-offer button[type=submit]").await?;
    b.wait_for_url("the help form", |u| u.path() == "/accompagnement").await?;
    title_is(&b, "Demander de l'aide").await?;

    type_into(&b, "#email", "jeanne@exemple.fr").await?;
    type_into(&b, "#besoin", "Je veux quitter Gmail.").await?;
    b.click_on("label[for=canal-in-person]").await?;
    b.execute("document.querySelector('#region').value = 'FR-BRE';", vec![]).await?;
    b.click_on("label[for=joindre]").await?;
    b.click_on("label[for=accord-suivi]").await?;
    b.click_on("form.help-form button[type=submit]").await?;
    title_is(&b, "Regardez votre boîte mail").await?;

    let mail = parse_mail(&smtp.wait_for(1).await.map_err(err)?[0]).map_err(err)?;
    b.goto(&link(&mail.text, &format!("{}/accompagnement/confirmer/", site.origin)).map_err(err)?).await?;
    b.click_on("main form button[type=submit]").await?;
    title_is(&b, "Merci, votre demande est confirmée").await?;
    let listed = site.store.help_requests(&Default::default()).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].region.as_str(), listed[0].channel.as_str()), ("FR-BRE", "in-person"));
    assert!(!listed[0].context.is_empty(), "the short list was attached");

    b.goto(&link(&mail.text, &format!("{}/mes-donnees/", site.origin)).map_err(err)?).await?;
    title_is(&b, "Mes informations").await?;
    b.click_on("#erase").await?;
    title_is(&b, "Tout est effacé").await?;
    for table in ["help_requests", "help_consents", "help_tokens", "help_history"] {
        assert_eq!(site.count(table).await.map_err(err)?, 0, "{table}");
    }
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_logs_in_triages_and_assigns_a_request() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await.map_err(err)?;
    let hash = demail_help::hash_password("a long enough password")?;
    site.store.upsert_admin_user("victor", &hash, "volunteer", None, 0).await?;
    confirmed_request(&site).await?;

    let b = Browser::start(FRENCH).await?;
    b.goto(&site.url("/admin")).await?;
    b.wait_for_url("the log-in page", |u| u.path() == "/admin/connexion").await?;
    type_into(&b, "#utilisateur", "victor").await?;
    type_into(&b, "#mot-de-passe", "a long enough password").await?;
    b.click_on("main form button[type=submit]").await?;
    b.wait_for_url("the requests", |u| u.path() == "/admin").await?;
    b.click_on("table.requests a").await?;
    b.wait_for_url("the request", |u| u.path().starts_with("/admin/demandes/")).await?;
    b.click_on("form input[value=assign] ~ button").await?;
    b.wait_for_url("the request after assigning", |u| u.query() == Some("fait=assign")).await?;
    let who = b.find("#assignee").await?;
    assert_eq!(b.text(&who).await?, "victor");
    b.execute("document.querySelector('#statut').value = 'in-progress';", vec![]).await?;
    b.click_on("form input[value=status] ~ button").await?;
    b.wait_for_url("the request after the status change", |u| u.query() == Some("fait=status")).await?;
    let status = b.find("#status").await?;
    assert_eq!(b.text(&status).await?, "En cours");
    b.close().await
}

/// Makes one confirmed request through the site's own form and confirmation link.
async fn confirmed_request(site: &HelpSite) -> Result<()> {
    let token = site.get("/accompagnement", None).await.map_err(err)?.hidden("jeton").map_err(err)?;
    site.post("/accompagnement", &helpsite::request_form(&token, "jeanne@exemple.fr", "Aidez-moi"), None)
        .await
        .map_err(err)?;
    let file = std::fs::read_dir(&site.outbox)?.next().ok_or_else(|| fail("no mail in the outbox"))??;
    let mail = parse_mail(&std::fs::read(file.path())?).map_err(err)?;
    let confirm = link(&mail.text, &format!("{}/accompagnement/confirmer/", site.origin)).map_err(err)?;
    let page = site.get(&confirm, None).await.map_err(err)?;
    let action = confirm.split('?').next().unwrap_or_default().to_owned();
    site.post(&action, &[("jeton", &page.hidden("jeton").map_err(err)?)], None).await.map_err(err)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_pages_pass_axe_wcag_2_1_aa_in_french() -> Result<()> {
    axe_help_pages("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_pages_pass_axe_wcag_2_1_aa_in_english() -> Result<()> {
    axe_help_pages("en").await
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => done({ violations: r.violations.map(v => ({ id: v.id, help: v.help,
      nodes: v.nodes.map(n => ({ target: n.target, html: n.html })) })) }))
  .catch(e => done({ error: String(e) }));
"#;

async fn axe_help_pages(lang: &str) -> Result<()> {
    let axe = axe_source()?;
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await.map_err(err)?;
    let hash = demail_help::hash_password("a long enough password")?;
    site.store.upsert_admin_user("alice", &hash, "admin", None, 0).await?;
    confirmed_request(&site).await?;
    let b = Browser::start(if lang == "fr" { FRENCH } else { ENGLISH }).await?;
    let mut report = Vec::new();
    let mut check = async |name: &str, b: &Browser| -> Result<()> {
        assert_eq!(b.page_lang().await?, lang, "{name}");
        b.execute(&axe, vec![]).await?;
        let result = b.execute_async(AXE_RUN, vec![]).await?;
        if let Some(e) = result.get("error") {
            return Err(fail(format!("axe failed on {name}: {e}")));
        }
        for v in result["violations"].as_array().into_iter().flatten() {
            report.push(format!("{name}: {} {} {}", v["id"], v["help"], v["nodes"]));
        }
        Ok(())
    };

    b.goto(&site.url(&format!("/resultats?pour=moi&lang={lang}"))).await?;
    check("results with the help offer", &b).await?;
    b.goto(&site.url(&format!("/accompagnement?lang={lang}&depuis=%2Fchoisir%3Fpour%3Dmoi"))).await?;
    check("help form", &b).await?;
    // The browser's own check would stop an empty address: turn it off to reach the server's.
    b.execute("document.querySelector('#email').removeAttribute('required');", vec![]).await?;
    b.click_on("form.help-form button[type=submit]").await?;
    title_is(&b, if lang == "fr" { "Erreur" } else { "Error" }).await?;
    check("help form with errors", &b).await?;
    type_into(&b, "#email", "paul@exemple.fr").await?;
    b.click_on("label[for=accord-suivi]").await?;
    b.click_on("form.help-form button[type=submit]").await?;
    title_is(&b, if lang == "fr" { "Regardez" } else { "Check your" }).await?;
    check("request sent", &b).await?;

    // The confirmation and data pages, from the first request's mail.
    let file = std::fs::read_dir(&site.outbox)?
        .filter_map(|e| e.ok())
        .min_by_key(|e| e.file_name())
        .ok_or_else(|| fail("no mail"))?;
    let mail = parse_mail(&std::fs::read(file.path())?).map_err(err)?;
    let data = link(&mail.text, &format!("{}/mes-donnees/", site.origin)).map_err(err)?;
    let data = format!("{}?lang={lang}", data.split('?').next().unwrap_or_default());
    b.goto(&data).await?;
    check("my data", &b).await?;
    b.goto(&site.url(&format!("/mes-donnees/{}?lang={lang}", "A".repeat(43)))).await?;
    check("unknown link (404)", &b).await?;

    let id = site
        .store
        .create_event(&demail_store::NewEvent {
            title: "Atelier".into(),
            description: "Quitter Gmail".into(),
            starts_at: chrono::Utc::now().timestamp() + 3 * 86_400,
            minutes: 90,
            place: "Rennes".into(),
            online_url: String::new(),
            capacity: 10,
            lang: "fr".into(),
            created_by: None,
            now: 0,
        })
        .await?;
    b.goto(&site.url(&format!("/evenements?lang={lang}"))).await?;
    check("events", &b).await?;
    b.goto(&site.url(&format!("/evenements/{id}?lang={lang}"))).await?;
    check("one event", &b).await?;
    b.execute("document.querySelector('#email').removeAttribute('required');", vec![]).await?;
    b.click_on("form.help-form button[type=submit]").await?;
    title_is(&b, if lang == "fr" { "Erreur" } else { "Error" }).await?;
    check("event registration with errors", &b).await?;

    b.goto(&site.url("/admin/connexion")).await?;
    check("volunteers' log-in", &b).await?;
    type_into(&b, "#utilisateur", "alice").await?;
    type_into(&b, "#mot-de-passe", "a long enough password").await?;
    b.click_on("main form button[type=submit]").await?;
    b.wait_for_url("the requests", |u| u.path() == "/admin").await?;
    check("requests list", &b).await?;
    b.click_on("table.requests a").await?;
    b.wait_for_url("a request", |u| u.path().starts_with("/admin/demandes/")).await?;
    check("one request", &b).await?;
    b.goto(&site.url("/admin/fournisseurs")).await?;
    check("provider marks", &b).await?;
    b.goto(&site.url("/admin/evenements")).await?;
    check("events backoffice", &b).await?;
    b.goto(&site.url("/admin/statistiques")).await?;
    check("statistics", &b).await?;
    b.goto(&site.url("/admin/journal")).await?;
    check("audit log", &b).await?;
    b.close().await?;
    assert!(report.is_empty(), "axe found {} violation(s) in {lang}:\n{}", report.len(), report.join("\n"));
    Ok(())
}
