//! The site over real HTTP: bad input gets a clear page in the reader's language, never a 500;
//! no cookie, strict headers, and the sign-up hand-off counts without knowing who.

mod plainsite;

use demail_catalog::Catalog;
use demail_store::CounterKind;
use plainsite::{TestSite, start};
use reqwest::StatusCode;

type Page = (StatusCode, reqwest::header::HeaderMap, String);

impl TestSite {
    async fn get(&self, path: &str, accept_language: &str) -> Result<Page, reqwest::Error> {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .header("accept-language", accept_language)
            .send()
            .await?;
        let status = res.status();
        let headers = res.headers().clone();
        Ok((status, headers, res.text().await?))
    }
}

type R = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn every_public_page_answers_without_cookie_and_with_strict_headers() -> R {
    let site = start().await?;
    for path in [
        "/",
        "/choisir",
        "/resultats?pour=moi",
        "/fournisseurs",
        "/fournisseurs/posteo",
        "/a-propos",
        "/nope",
    ] {
        let (status, headers, body) = site.get(path, "fr").await?;
        assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND, "{path}: {status}");
        assert!(headers.get("set-cookie").is_none(), "{path} sets a cookie");
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{path}: {csp}");
        assert_eq!(
            headers.get("referrer-policy").and_then(|v| v.to_str().ok()),
            Some("strict-origin-when-cross-origin")
        );
        assert!(!body.contains("<script"), "{path} has a script");
        // No external resource: everything that loads is local.
        for attr in ["src=\"http", "href=\"//", "url(http", "rel=\"stylesheet\" href=\"http"] {
            assert!(!body.contains(attr), "{path} loads an external resource ({attr})");
        }
    }
    Ok(())
}

#[tokio::test]
async fn unknown_answer_gives_a_400_page_in_the_readers_language() -> R {
    let site = start().await?;
    let (status, _, body) = site.get("/resultats?pour=chat", "fr-FR,fr;q=0.9").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Réponse non reconnue") && body.contains("« pour »"), "{body}");
    let (status, _, body) = site.get("/resultats?pour=chat", "en-GB,en;q=0.9").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Answer not recognised") && body.contains("lang=\"en\""), "{body}");
    Ok(())
}

#[tokio::test]
async fn contradictory_unknown_and_incomplete_parameters_are_explained() -> R {
    let site = start().await?;
    for (path, expect) in [
        ("/resultats?pour=moi&pour=famille", "Réponses contradictoires"),
        ("/resultats?utm_source=x", "Réponse non reconnue"),
        ("/resultats?aide=rencontre", "Région manquante"),
        ("/resultats?budget=beaucoup", "Réponse non reconnue"),
        ("/resultats?region=FR-XXX&aide=rencontre", "Réponse non reconnue"),
        ("/fournisseurs?type=secte", "Réponse non reconnue"),
    ] {
        let (status, _, body) = site.get(path, "fr").await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(body.contains(expect), "{path}: {body}");
    }
    Ok(())
}

#[tokio::test]
async fn invalid_language_code_gives_400_in_the_negotiated_language() -> R {
    let site = start().await?;
    let (status, _, body) = site.get("/?lang=klingon", "en").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Unknown language"), "{body}");
    let (status, _, _) = site.get("/?lang=en&lang=fr", "fr").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn huge_query_string_is_refused_with_a_clear_page() -> R {
    let site = start().await?;
    let long = "pour=moi&".repeat(2000);
    let (status, _, body) = site.get(&format!("/resultats?{long}"), "fr").await?;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert!(body.contains("Adresse trop longue"), "{body}");
    Ok(())
}

#[tokio::test]
async fn unknown_provider_and_offer_give_404_pages() -> R {
    let site = start().await?;
    let (status, _, body) = site.get("/fournisseurs/does-not-exist", "fr").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Hébergeur inconnu"));
    let (status, _, _) = site.get("/go/does-not-exist", "fr").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = site.get("/page-qui-n-existe-pas?lang=en", "fr").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"), "explicit lang wins on 404 pages");
    let (status, _, body) = site.get("/go/posteo?offre=nope", "en").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Unknown offer"));
    Ok(())
}

#[tokio::test]
async fn signup_handoff_redirects_with_303_and_counts_one_anonymous_visit() -> R {
    let site = start().await?;
    let catalog = Catalog::builtin()?;
    let posteo = catalog.get("posteo").ok_or("posteo missing")?;
    for _ in 0..2 {
        let (status, headers, _) = site.get("/go/posteo", "fr").await?;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers.get("location").and_then(|v| v.to_str().ok()),
            Some(posteo.signup_url.value.as_str())
        );
        assert!(headers.get("set-cookie").is_none());
    }
    let today = chrono::Utc::now().date_naive();
    let rows = site.store.counters(CounterKind::Signup, today).await?;
    assert_eq!(rows.iter().map(|c| (c.key.as_str(), c.count)).collect::<Vec<_>>(), vec![("posteo", 2)]);
    Ok(())
}

#[tokio::test]
async fn results_page_shows_three_to_five_providers_with_signup_buttons() -> R {
    let site = start().await?;
    let (status, _, body) = site.get("/resultats?pour=moi&taille=1-5&outils=appli", "fr").await?;
    assert_eq!(status, StatusCode::OK);
    let shown = body.matches("class=\"match\"").count();
    assert!((3..=5).contains(&shown), "{shown} matches");
    assert_eq!(body.matches("href=\"/go/").count(), shown);
    assert!(body.contains("Comparer côte à côte"));
    Ok(())
}

#[tokio::test]
async fn english_choice_is_kept_in_every_internal_link() -> R {
    let site = start().await?;
    let (_, _, body) = site.get("/resultats?pour=moi&lang=en", "fr").await?;
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("href=\"/choisir?lang=en\""), "menu link keeps the language");
    assert!(body.contains("href=\"/go/") && body.contains("&#38;lang=en\""), "hand-off keeps the language");
    Ok(())
}

#[tokio::test]
async fn random_queries_never_cause_a_server_error() -> R {
    let site = start().await?;
    let keys = [
        "pour",
        "taille",
        "domaine",
        "lieu",
        "budget",
        "outils",
        "aide",
        "region",
        "structure",
        "lang",
        "tous",
        "x",
        "%ZZ",
        "pour[]",
    ];
    let values =
        ["moi", "", "%00", "1-5", "<script>", "é", "999999999999", "FR-OCC", "en", "rencontre", "\u{202e}"];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        let mut q = Vec::new();
        for _ in 0..(seed % 6) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let k = keys[(seed % keys.len() as u64) as usize];
            let v = values[((seed >> 8) % values.len() as u64) as usize];
            q.push(format!("{}={}", k, url_escape(v)));
        }
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        for path in ["/resultats", "/choisir", "/fournisseurs", "/api/v1/recommendations"] {
            let (status, _, body) = site.get(&format!("{path}?{}", q.join("&")), "fr").await?;
            assert!(status.as_u16() < 500, "{path}?{}: {status}", q.join("&"));
            if !path.starts_with("/api/") {
                assert!(!body.contains("<script>"), "unescaped input on {path}");
            }
        }
    }
    Ok(())
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

#[tokio::test]
async fn api_recommendations_match_the_site_and_explain_bad_answers() -> R {
    let site = start().await?;
    let (status, headers, body) =
        site.get("/api/v1/recommendations?pour=moi&lieu=europe&lang=en", "fr").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body)?;
    let recs = json["recommendations"].as_array().ok_or("no recommendations")?;
    assert!(!recs.is_empty());
    for r in recs {
        for reason in r["reasons"].as_array().ok_or("no reasons")? {
            let q = reason["question"].as_str().unwrap_or_default();
            assert!(["pour", "lieu"].contains(&q), "reason about an unanswered question: {q}");
        }
    }
    let (status, _, body) = site.get("/api/v1/recommendations?lieu=mars", "fr").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let err: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(err["parameter"], "lieu");
    Ok(())
}

#[tokio::test]
async fn api_lists_every_provider_with_sources_and_openapi_describes_the_paths() -> R {
    let site = start().await?;
    let (_, _, body) = site.get("/api/v1/providers", "fr").await?;
    let json: serde_json::Value = serde_json::from_str(&body)?;
    let providers = json["providers"].as_array().ok_or("no providers")?;
    assert!(providers.len() >= 25);
    for p in providers {
        let country = &p["organisation"]["country"];
        assert!(country["unverified"] == true || country["source"].is_string(), "{}", p["id"]);
    }
    let (_, _, body) = site.get("/api/v1/openapi.json", "fr").await?;
    let doc: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/api/v1/providers", "/api/v1/providers/{id}", "/api/v1/recommendations"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    let (status, _, _) = site.get("/api/v1/providers/nope", "fr").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn directory_filters_narrow_the_list() -> R {
    let site = start().await?;
    let (_, _, all) = site.get("/fournisseurs", "fr").await?;
    let (status, _, assoc) = site.get("/fournisseurs?type=association&pays=FR", "fr").await?;
    assert_eq!(status, StatusCode::OK);
    let count = |b: &str| b.matches("class=\"card\"").count();
    assert!(count(&assoc) > 0 && count(&assoc) < count(&all), "{} vs {}", count(&assoc), count(&all));
    assert!(!assoc.contains(">Posteo<"));
    Ok(())
}

#[tokio::test]
async fn provider_page_shows_sources_dates_and_unverified_marks() -> R {
    let site = start().await?;
    let (status, _, body) = site.get("/fournisseurs/posteo", "fr").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("https://posteo.de/site/agb"));
    assert!(body.contains("vérifiée le"));
    assert!(body.contains("à vérifier"));
    Ok(())
}
