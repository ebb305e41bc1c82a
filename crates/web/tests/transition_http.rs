//! The "turn the page" pages over real HTTP: they answer in both languages, and bad input gets a
//! clear 4xx page, never a 500.

mod plainsite;

use plainsite::{TestSite, start};
use reqwest::StatusCode;

type R = Result<(), Box<dyn std::error::Error>>;

impl TestSite {
    async fn get(&self, path: &str) -> Result<(StatusCode, String), reqwest::Error> {
        let res =
            self.client.get(format!("{}{path}", self.base)).header("accept-language", "fr").send().await?;
        Ok((res.status(), res.text().await?))
    }

    async fn post(
        &self,
        path: &str,
        form: &str,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, String), reqwest::Error> {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await?;
        let headers = res.headers().clone();
        Ok((res.status(), headers, res.text().await?))
    }
}

#[tokio::test]
async fn journey_guides_and_domain_pages_answer_in_both_languages() -> R {
    let site = start().await?;
    let (status, body) = site.get("/transition").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Tourner la page") && body.contains("name=\"mot_de_passe\""));
    assert!(body.contains("/transition/guides/yahoo"));
    let (status, body) = site.get("/transition?lang=en").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Turn the page") && body.contains("action=\"/transition/analyse?lang=en\""));
    for id in ["gmail", "outlook", "yahoo", "orange", "free", "sfr", "laposte"] {
        let (status, body) = site.get(&format!("/transition/guides/{id}")).await?;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert!(body.contains("Faire suivre le courrier"), "{id}");
        assert!(!body.contains("guide-"), "{id}: an untranslated key");
    }
    let (_, yahoo) = site.get("/transition/guides/yahoo").await?;
    assert!(yahoo.contains("1er janvier 2021") && yahoo.contains("pas encore été vérifiées"));
    let (status, _) = site.get("/transition/guides").await?;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = site.get("/domaine").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Vérifier mon nom de domaine") && body.contains("value=\"posteo\""));
    Ok(())
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_pages() -> R {
    let site = start().await?;
    let (status, body) = site.get("/transition/guides/aol").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page introuvable"));
    let (status, body) = site.get("/domaine?domaine=pas%20un%20domaine").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Nom de domaine non valable"));
    let (status, body) = site.get("/domaine?domaine=dupont.fr&fournisseur=inconnu").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Hébergeur inconnu"));
    let (status, _, body) = site.post("/transition/analyse", "serveur=imap.example.org").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Informations manquantes"));
    for server in ["127.0.0.1", "localhost", "10.1.2.3", "imap.example.invalid", "a%20b.fr"] {
        let form = format!("serveur={server}&identifiant=alice&mot_de_passe=secret");
        let (status, _, body) = site.post("/transition/analyse", &form).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{server}");
        assert!(body.contains("Serveur non accepté"), "{server}");
        assert!(!body.contains("secret"), "the password never comes back");
    }
    let (status, _, body) = site.post("/transition/telechargement/liste.csv", "").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Rien à télécharger"));
    let (status, _, _) = site.post("/transition/telechargement/autre.txt", "p=a%09b%40c.fr%091%092").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn downloads_return_the_posted_lists_as_files() -> R {
    let site = start().await?;
    let (status, headers, body) = site
        .post(
            "/transition/telechargement/liste.csv",
            "l=Google%09google.com%09https%3A%2F%2Fmyaccount.google.com%2Femail",
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("attachment"))
    );
    assert_eq!(
        body,
        "status,service,domain,link\r\nà faire,Google,google.com,https://myaccount.google.com/email\r\n"
    );
    let (status, headers, body) = site
        .post("/transition/telechargement/contacts.vcf", "p=Jeanne%20Martin%09jeanne%40orange.fr%093%091")
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/vcard"))
    );
    assert!(body.contains("FN:Jeanne Martin\r\nEMAIL:jeanne@orange.fr\r\n"));
    Ok(())
}

#[tokio::test]
async fn a_checklist_lives_under_a_private_link_until_deleted() -> R {
    let site = start().await?;
    let form = "l=Google%09google.com%09https%3A%2F%2Fmyaccount.google.com%2Femail\
                &l=Boutique%09boutique.fr%09https%3A%2F%2Fboutique.fr%2F.well-known%2Fchange-password\
                &l=Evil%09evil.fr%09javascript%3Aalert(1)";
    let (status, headers, _) = site.post("/transition/liste", form).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let token = location.strip_prefix("/transition/liste/").unwrap_or_default().to_string();
    assert_eq!(token.len(), 32, "{location}");
    let (status, body) = site.get(&location).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("0 sur 2 terminés") && body.contains("Boutique") && !body.contains("javascript:"));
    assert!(body.contains("sera effacée le"));
    let (status, headers, _) = site.post(&location, "position=1&statut=done").await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get("location").and_then(|v| v.to_str().ok()), Some(location.as_str()));
    let (_, body) = site.get(&location).await?;
    assert!(body.contains("1 sur 2 terminés"));
    // The database holds only a hash of the token.
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT token_hash FROM transition_checklists").fetch_all(site.store.pool()).await?;
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].0, token);
    // Bad input: clear 4xx pages.
    let (status, _, body) = site.post(&location, "position=1&statut=fini").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Choix non reconnu"));
    let (status, _, _) = site.post(&location, "position=9&statut=done").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = site.get("/transition/liste/0123456789abcdef0123456789abcdef").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Liste introuvable"));
    let (status, _) = site.get("/transition/liste/..%2Fetc").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = site.post("/transition/liste", "l=sans-tabulations").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Deleting is immediate.
    let (status, headers, _) = site.post(&format!("{location}/supprimer"), "").await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (_, body) = site.get(&back).await?;
    assert!(body.contains("La liste a été effacée."));
    let (status, _) = site.get(&location).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}
