//! End-to-end tests in a real browser: Debian's headless Chromium, driven through chromedriver,
//! against the real site served in-process on a loopback port.
//!
//! Needs the Debian packages chromium and chromium-driver, and axe-core from
//! `npm ci --prefix tests/browser`: scripts/test installs all three. Without them these tests fail
//! with a message saying so; they never pass silently.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::webdriver::{Browser, Options};
use support::{Result, TestSite, axe_source, fail};

const FRENCH: Options = Options { accept_language: "fr-FR,fr", javascript: true };
const ENGLISH: Options = Options { accept_language: "en-US,en", javascript: true };

/// The answers a person gives first in the journey tests, by input id (question, option): someone
/// alone with a few addresses, in France, up to 15 €/year, who wants a calendar and would like to
/// meet someone in Brittany to help, so picks that region in the list.
const ANSWERS: &[(&str, &str)] = &[
    ("pour", "moi"),
    ("taille", "1-5"),
    ("domaine", "non"),
    ("lieu", "france"),
    ("budget", "15"),
    ("outils", "agenda"),
    ("aide", "rencontre"),
    ("structure", "egal"),
];
const REGION: &str = "FR-BRE";
/// Few hosts help in person, so the person then settles for help by mail or phone: with that,
/// three to five providers fit.
const CHANGED: (&str, &str) = ("aide", "personne");

/// The answers after that change, as they appear in the results address.
fn final_answers() -> Vec<(&'static str, &'static str)> {
    let mut a: Vec<_> = ANSWERS.iter().map(|&(q, o)| if q == CHANGED.0 { CHANGED } else { (q, o) }).collect();
    a.push(("region", REGION));
    a
}

/// Answers with which no provider fits (Corsica, free, own domain, in person).
const NOTHING_FITS: &str = "/resultats?lieu=france&budget=gratuit&domaine=oui&aide=rencontre&region=FR-COR";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_answers_the_form_and_reaches_a_providers_signup_page() -> Result<()> {
    let site = TestSite::start().await?;
    let browser = Browser::start(FRENCH).await?;
    journey(&site, &browser, "fr").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_journey_works_in_english_through_the_language_link() -> Result<()> {
    let site = TestSite::start().await?;
    // The browser asks for French: English comes only from the language link, and must then stick
    // through the form, the results and the provider page.
    let browser = Browser::start(FRENCH).await?;
    journey(&site, &browser, "en").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_works_without_javascript() -> Result<()> {
    let site = TestSite::start().await?;
    let browser = Browser::start(Options { javascript: false, ..FRENCH }).await?;

    // First prove that pages really cannot run scripts in this browser.
    browser.goto("data:text/html,<title>off</title><script>document.title='on'</script>").await?;
    assert_eq!(browser.title().await?, "off", "JavaScript should be disabled in this browser");

    browser.goto(&site.url("/choisir")).await?;
    answer_the_form(&browser).await?;
    click_label(&browser, CHANGED).await?;
    browser.click_on("form.needs button[type=submit]").await?;
    let u = browser.wait_for_url("the results page", |u| u.path() == "/resultats").await?;
    assert!(browser.find_all("section.nothing").await?.is_empty(), "these answers should have matches: {u}");
    let matches = browser.find_all("ol.matches > li.match").await?;
    assert!((3..=5).contains(&matches.len()), "expected 3 to 5 results at {u}, got {}", matches.len());
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_french_page_passes_axe_wcag_2_1_aa() -> Result<()> {
    axe_every_page("fr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_english_page_passes_axe_wcag_2_1_aa() -> Result<()> {
    axe_every_page("en").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_load_nothing_from_another_origin() -> Result<()> {
    let site = TestSite::start().await?;
    let browser = Browser::start(FRENCH).await?;
    let own = format!("{}/", site.origin);
    let mut foreign = Vec::new();
    for lang in ["fr", "en"] {
        for (name, path) in page_types(&site, lang)? {
            browser.requested_urls().await?; // forget what came before
            browser.goto(&site.url(&path)).await?;
            let on_page = browser
                .execute(
                    "return [document.URL].concat(performance.getEntriesByType('resource').map(e => e.name));",
                    vec![],
                )
                .await?;
            let mut urls: Vec<String> = on_page
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            // The performance log also has requests that failed or were blocked, which the
            // Resource Timing entries may leave out.
            urls.extend(browser.requested_urls().await?);
            assert!(
                urls.len() > 1,
                "{name} ({lang}): expected at least the page and its stylesheet, got {urls:?}"
            );
            for u in urls {
                if !u.starts_with(&own) && !u.starts_with("data:") {
                    foreign.push(format!("{name} ({lang}, {path}) loaded {u}"));
                }
            }
        }
    }
    assert!(foreign.is_empty(), "pages must load nothing from another origin:\n{}", foreign.join("\n"));
    browser.close().await
}

/// Home, form, answers, results, provider page, then the sign-up hand-off; in `lang`, reached from
/// a French browser (through the language link for English).
async fn journey(site: &TestSite, b: &Browser, lang: &str) -> Result<()> {
    b.goto(&site.url("/")).await?;
    assert_eq!(b.page_lang().await?, "fr", "a French browser gets the French home page");
    if lang == "en" {
        b.click_on("header nav a[hreflang=en]").await?;
        b.wait_for_url("the English home page", |u| u.path() == "/" && has_pair(u, "lang", "en")).await?;
    }
    assert_eq!(b.page_lang().await?, lang, "home page language");

    // The home page's call to action leads to the form.
    b.click_on("main a.button[href^='/choisir']").await?;
    b.wait_for_url("the form", |u| u.path() == "/choisir").await?;
    assert_eq!(b.page_lang().await?, lang, "form language");

    answer_the_form(b).await?;
    b.click_on("form.needs button[type=submit]").await?;
    let first = b.wait_for_url("the results page", |u| u.path() == "/resultats").await?;
    assert_eq!(b.page_lang().await?, lang, "results language");
    for (q, o) in ANSWERS.iter().chain([&("region", REGION)]) {
        assert!(has_pair(&first, q, o), "the results address {first} should carry {q}={o}");
    }
    if lang == "en" {
        assert!(has_pair(&first, "lang", "en"), "the form should keep English: {first}");
    }
    // Whatever fits in person near Brittany (maybe nothing), the person goes back to change an
    // answer; the form remembers every answer, the region too.
    b.click_on("main > p > a[href^='/choisir']").await?;
    b.wait_for_url("the form again", |u| u.path() == "/choisir").await?;
    assert_eq!(b.page_lang().await?, lang, "form language when changing answers");
    for (q, o) in ANSWERS {
        let input = b.find(&format!("#{q}-{o}")).await?;
        assert_eq!(b.property(&input, "checked").await?, json!(true), "the form remembers {q}={o}");
    }
    assert_eq!(
        b.property_str(&b.find("select#region").await?, "value").await?,
        REGION,
        "the form remembers the region"
    );
    click_label(b, CHANGED).await?;
    b.click_on("form.needs button[type=submit]").await?;
    let results = b
        .wait_for_url("the new results", |u| u.path() == "/resultats" && has_pair(u, CHANGED.0, CHANGED.1))
        .await?;
    assert_eq!(b.page_lang().await?, lang, "results language");
    for (q, o) in final_answers() {
        assert!(has_pair(&results, q, o), "the results address {results} should carry {q}={o}");
    }
    if lang == "en" {
        assert!(has_pair(&results, "lang", "en"), "the form should keep English: {results}");
    }

    assert!(b.find_all("section.nothing").await?.is_empty(), "these answers should have matches: {results}");
    let matches = b.find_all("ol.matches > li.match").await?;
    assert!((3..=5).contains(&matches.len()), "expected 3 to 5 results, got {}", matches.len());
    for m in &matches {
        let signup = b.find_in(m, "a.button[href^='/go/']").await?;
        let href = url::Url::parse(&b.property_str(&signup, "href").await?)?;
        assert!(
            href.query_pairs().any(|(k, _)| k == "offre"),
            "a result's sign-up link names its offer: {href}"
        );
    }

    // Open the first result's provider page.
    let first = b.find_in(&matches[0], "h3 a").await?;
    let name = b.text(&first).await?;
    b.click(&first).await?;
    let page = b.wait_for_url("a provider page", |u| u.path().starts_with("/fournisseurs/")).await?;
    assert_eq!(b.page_lang().await?, lang, "provider page language at {page}");
    if lang == "en" {
        assert!(has_pair(&page, "lang", "en"), "links should keep English: {page}");
    }
    let h1 = b.text(&b.find("main h1").await?).await?;
    assert_eq!(h1.trim(), name.trim(), "the provider page is the one of the result clicked");

    // "Je m'inscris" / "Sign up" goes through /go/{id}, which counts the hand-off and answers 303
    // with the provider's sign-up address.
    let signup = b.find("main a.button[href^='/go/']").await?;
    let go = url::Url::parse(&b.property_str(&signup, "href").await?)?;
    assert_eq!(go.origin().ascii_serialization(), site.origin, "the sign-up link stays on the site first");
    let expected = site.expected_signup(&go)?;
    assert!(expected.starts_with("https://"), "sign-up addresses are https: {expected}");

    // The 303 itself, checked over HTTP with redirects disabled: this is the part that cannot
    // flake, whatever the browser shows for a page it cannot load.
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let res = http.get(go.as_str()).send().await?;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "{go} should answer 303");
    let location =
        res.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(location, expected, "{go} should send people to the provider's sign-up page");

    // Then the browser follows it as a person would. The network is closed, and the browser
    // resolves no host name at all (see --host-resolver-rules), so the provider's page cannot load
    // and nothing leaves this machine; Chromium still reports the address it was sent to, which is
    // what a person's browser would open.
    b.click(&signup).await?;
    let want = url::Url::parse(&expected)?.origin();
    let landed = b.wait_for_url("the provider's sign-up page", |u| u.origin() == want).await?;
    assert_eq!(landed.as_str(), expected, "the browser ends at the provider's sign-up address");
    Ok(())
}

/// Answers the form as a person would: clicks the labels, picks a region in the list.
async fn answer_the_form(b: &Browser) -> Result<()> {
    for &answer in ANSWERS {
        click_label(b, answer).await?;
    }
    b.click_on("select#region").await?;
    b.click_on(&format!("select#region option[value='{REGION}']")).await?;
    let select = b.find("select#region").await?;
    assert_eq!(b.property_str(&select, "value").await?, REGION, "the region list keeps the choice");
    Ok(())
}

/// Clicks the label of option `o` of question `q`, and checks that this checked it.
async fn click_label(b: &Browser, (q, o): (&str, &str)) -> Result<()> {
    let id = format!("{q}-{o}");
    b.click_on(&format!("label[for='{id}']")).await?;
    let input = b.find(&format!("#{id}")).await?;
    assert_eq!(b.property(&input, "checked").await?, json!(true), "clicking the label of {id} checks it");
    Ok(())
}

fn has_pair(u: &url::Url, key: &str, value: &str) -> bool {
    u.query_pairs().any(|(k, v)| k == key && v == value)
}

/// One address of each kind of page, in `lang` (English ones carry `lang=en`).
fn page_types(site: &TestSite, lang: &str) -> Result<Vec<(&'static str, String)>> {
    let provider = site.catalog.providers().first().ok_or_else(|| fail("the catalogue is empty"))?.id.clone();
    let answers: Vec<String> = final_answers().iter().map(|(q, o)| format!("{q}={o}")).collect();
    let pages = vec![
        ("home", "/".to_owned()),
        ("form", "/choisir".to_owned()),
        ("results", format!("/resultats?{}", answers.join("&"))),
        ("results where nothing fits", NOTHING_FITS.to_owned()),
        ("directory", "/fournisseurs".to_owned()),
        ("provider page", format!("/fournisseurs/{provider}")),
        ("about", "/a-propos".to_owned()),
        ("transition", "/transition".to_owned()),
        ("forwarding guide", "/transition/guides/gmail".to_owned()),
        ("own domain form", "/domaine".to_owned()),
        ("404 page", "/cette-page-n-existe-pas".to_owned()),
        ("400 page", "/resultats?pour=personne".to_owned()),
    ];
    Ok(pages
        .into_iter()
        .map(|(name, path)| {
            if lang == "fr" {
                (name, path)
            } else {
                let sep = if path.contains('?') { '&' } else { '?' };
                (name, format!("{path}{sep}lang={lang}"))
            }
        })
        .collect())
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(r => done({
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    })),
    incomplete: r.incomplete.map(v => ({ id: v.id, nodes: v.nodes.map(n => n.target) })),
  }))
  .catch(e => done({ error: String(e) }));
"#;

async fn axe_every_page(lang: &str) -> Result<()> {
    let axe = axe_source()?;
    let site = TestSite::start().await?;
    // The browser asks for the language under test, so that pages which ignore `lang=` (the 404
    // page) come in that language too.
    let browser = Browser::start(if lang == "fr" { FRENCH } else { ENGLISH }).await?;
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build()?;
    let mut report = Vec::new();
    for (name, path) in page_types(&site, lang)? {
        let url = site.url(&path);
        // The right kind of page, so that axe checks what it is meant to check.
        let status = http
            .get(&url)
            .header(reqwest::header::ACCEPT_LANGUAGE, if lang == "fr" { "fr" } else { "en" })
            .send()
            .await?
            .status()
            .as_u16();
        let want_status = match name {
            "404 page" => 404,
            "400 page" => 400,
            _ => 200,
        };
        assert_eq!(status, want_status, "{name}: {url}");

        browser.goto(&url).await?;
        assert_eq!(browser.page_lang().await?, lang, "{name} should be in {lang}: {url}");
        match name {
            "results" => {
                assert!(browser.find_all("section.nothing").await?.is_empty(), "{url} should have matches")
            }
            "results where nothing fits" => {
                assert!(!browser.find_all("section.nothing").await?.is_empty(), "{url} should have no match")
            }
            _ => {}
        }

        // WebDriver scripts are not subject to the page's Content-Security-Policy.
        browser.execute(&axe, vec![]).await?;
        let result = browser.execute_async(AXE_RUN, vec![]).await?;
        if let Some(e) = result.get("error") {
            return Err(fail(format!("axe failed on {name} ({url}): {e}")));
        }
        for v in result["violations"].as_array().into_iter().flatten() {
            report.push(describe_violation(name, &path, v));
        }
        let incomplete: Vec<String> = result["incomplete"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| format!("{} {}", str_of(&v["id"]), v["nodes"]))
            .collect();
        if !incomplete.is_empty() {
            eprintln!(
                "axe could not decide on {name} ({lang}), to review by hand: {}",
                incomplete.join("; ")
            );
        }
    }
    browser.close().await?;
    assert!(
        report.is_empty(),
        "axe found {} violation(s) in {lang}:\n\n{}",
        report.len(),
        report.join("\n\n")
    );
    Ok(())
}

fn describe_violation(page: &str, path: &str, v: &Value) -> String {
    let mut s = format!(
        "{page} ({path}): [{}] {} — {} ({})",
        str_of(&v["impact"]),
        str_of(&v["id"]),
        str_of(&v["help"]),
        str_of(&v["helpUrl"])
    );
    for n in v["nodes"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "\n    at {}: {}\n      {}",
            n["target"],
            str_of(&n["html"]),
            str_of(&n["summary"]).replace('\n', "\n      ")
        ));
    }
    s
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}
