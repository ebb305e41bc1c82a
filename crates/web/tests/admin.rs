//! The volunteers' backoffice over real HTTP: log-in and its cookie, sessions, signed tokens on
//! every form, roles, triage, replies by real SMTP, consent-bound hand-over, audit log.

mod helpsite;

use helpsite::{
    GENEROUS, HelpSite, MailTo, Result, SmtpServer, fail, link, parse_mail, request_form, unescape,
};

const PASSWORD: &str = "a long enough password";

/// A site with one admin, one volunteer and one confirmed request; returns the request id.
async fn site_with_a_request(mail: MailTo<'_>) -> Result<(HelpSite, i64)> {
    let site = HelpSite::start(mail, GENEROUS).await?;
    let hash = demail_help::hash_password(PASSWORD)?;
    site.store.upsert_admin_user("alice", &hash, "admin", None, 0).await?;
    site.store.upsert_admin_user("victor", &hash, "volunteer", None, 0).await?;
    let token = site.get("/accompagnement", None).await?.hidden("jeton")?;
    let xss = "<script>alert(1)</script>";
    let mut form = request_form(&token, "jeanne@exemple.fr", xss);
    form.push(("partenaire", "no-such-host"));
    site.post("/accompagnement", &form, None).await?;
    let id = 1;
    // Confirm as the person would, from the token in the store (the mail flow is tested in help.rs).
    let new = site.store.help_request(id).await?.ok_or_else(|| fail("no request"))?;
    assert_eq!(new.status, "pending");
    sqlx::query("UPDATE help_requests SET confirmed_at = created_at, status = 'new' WHERE id = $1")
        .bind(id)
        .execute(site.store.pool())
        .await?;
    Ok((site, id))
}

#[tokio::test]
async fn admin_pages_without_a_session_send_to_the_log_in_page() -> Result<()> {
    let (site, id) = site_with_a_request(MailTo::Outbox).await?;
    for path in [
        "/admin",
        &format!("/admin/demandes/{id}"),
        "/admin/fournisseurs",
        "/admin/journal",
        "/admin/statistiques.csv",
    ] {
        for cookie in [
            None,
            Some("demail_admin=not-a-session"),
            Some("demail_admin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ] {
            let res = site.get(path, cookie).await?;
            assert_eq!(
                (res.status, res.header("location")),
                (303, "/admin/connexion".to_owned()),
                "{path} {cookie:?}"
            );
        }
    }
    let res = site
        .post(&format!("/admin/demandes/{id}"), &[("action", "status"), ("statut", "done")], None)
        .await?;
    assert_eq!(res.status, 403, "a post without token or session is refused");
    assert_eq!(site.store.help_request(id).await?.map(|r| r.status), Some("new".into()));
    Ok(())
}

#[tokio::test]
async fn log_in_sets_a_strict_cookie_only_for_admin_and_a_wrong_password_fails() -> Result<()> {
    let (site, _) = site_with_a_request(MailTo::Outbox).await?;
    let token = site.get("/admin/connexion", None).await?.hidden("jeton")?;
    let bad = site
        .post(
            "/admin/connexion",
            &[("jeton", &token), ("utilisateur", "alice"), ("mot-de-passe", "wrong")],
            None,
        )
        .await?;
    assert_eq!(bad.status, 401);
    assert!(bad.headers.get("set-cookie").is_none());
    let unknown = site
        .post(
            "/admin/connexion",
            &[("jeton", &token), ("utilisateur", "nobody"), ("mot-de-passe", PASSWORD)],
            None,
        )
        .await?;
    assert_eq!(unknown.status, 401);
    let ok = site
        .post(
            "/admin/connexion",
            &[("jeton", &token), ("utilisateur", "alice"), ("mot-de-passe", PASSWORD)],
            None,
        )
        .await?;
    assert_eq!(ok.status, 303);
    let cookie = ok.header("set-cookie");
    for part in ["demail_admin=", "Path=/admin", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests; Secure comes with an https public address");
    // The database keeps only a hash of the session.
    let value = cookie.split(';').next().unwrap_or_default().trim_start_matches("demail_admin=").to_owned();
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM admin_sessions")
        .fetch_one(site.store.pool())
        .await?
        .try_get("token_hash")?;
    assert_ne!(stored, value);
    assert_eq!(stored.len(), 64);

    // Log out ends the session for good.
    let c = format!("demail_admin={value}");
    let page = site.get("/admin", Some(&c)).await?;
    assert_eq!(page.status, 200);
    let out = site.post("/admin/deconnexion", &[("jeton", &page.hidden("jeton")?)], Some(&c)).await?;
    assert_eq!(out.status, 303);
    assert_eq!(site.get("/admin", Some(&c)).await?.status, 303);
    Ok(())
}

#[tokio::test]
async fn a_volunteer_takes_a_request_notes_replies_by_mail_and_cannot_hand_over_without_consent() -> Result<()>
{
    let smtp = SmtpServer::start().await?;
    let (site, id) = site_with_a_request(MailTo::Smtp(&smtp)).await?;
    let cookie = site.login("victor", PASSWORD).await?;
    let list = site.get("/admin", Some(&cookie)).await?;
    assert!(list.body.contains(&format!("/admin/demandes/{id}")), "{}", list.body);
    assert!(!list.body.contains("<script>alert"), "need shown inert in the list");
    let page = site.get(&format!("/admin/demandes/{id}"), Some(&cookie)).await?;
    assert!(page.body.contains("jeanne@exemple.fr"));
    assert!(!page.body.contains("<script>alert") && page.body.contains("&#60;script&#62;"));
    let token = page.hidden("jeton")?;
    let path = format!("/admin/demandes/{id}");

    // A volunteer may take it for themselves only.
    let users = site.store.admin_users().await?;
    let alice = users.iter().find(|u| u.username == "alice").map(|u| u.id.to_string()).unwrap_or_default();
    let victor = users.iter().find(|u| u.username == "victor").map(|u| u.id.to_string()).unwrap_or_default();
    let res = site
        .post(&path, &[("jeton", &token), ("action", "assign"), ("benevole", &alice)], Some(&cookie))
        .await?;
    assert_eq!(res.status, 403);
    let res = site
        .post(&path, &[("jeton", &token), ("action", "assign"), ("benevole", &victor)], Some(&cookie))
        .await?;
    assert_eq!((res.status, res.header("location")), (303, format!("{path}?fait=assign")));
    let req = site.store.help_request(id).await?.ok_or_else(|| fail("gone"))?;
    assert_eq!(
        (req.status.as_str(), req.assignee.map(|a| a.to_string())),
        ("assigned", Some(victor.clone()))
    );

    let note = "<b>Appel</b> jeudi";
    site.post(&path, &[("jeton", &token), ("action", "note"), ("note", note)], Some(&cookie)).await?;
    site.post(&path, &[("jeton", &token), ("action", "status"), ("statut", "in-progress")], Some(&cookie))
        .await?;
    let res = site
        .post(&path, &[("jeton", &token), ("action", "status"), ("statut", "<x>")], Some(&cookie))
        .await?;
    assert_eq!(res.status, 400);

    // The reply goes by real SMTP, in the person's language, with a working link to their data.
    let res = site
        .post(
            &path,
            &[
                ("jeton", &token),
                ("action", "mail"),
                ("sujet", "Votre déménagement"),
                ("message", "Bonjour Jeanne,\n\nJe peux vous appeler jeudi."),
            ],
            Some(&cookie),
        )
        .await?;
    assert_eq!(res.status, 303, "{}", res.body);
    let mails = smtp.wait_for(2).await?;
    let reply = parse_mail(&mails[1])?;
    assert_eq!(reply.subject, "Votre déménagement");
    assert!(reply.text.contains("Je peux vous appeler jeudi."));
    assert!(!reply.list_unsubscribe.is_empty());
    let data = site.get(&link(&reply.text, &format!("{}/mes-donnees/", site.origin))?, None).await?;
    assert_eq!(data.status, 200);
    assert!(data.body.contains("jeanne@exemple.fr"));

    // No partner consent was recorded (the posted id was not on the short list): no hand-over.
    let res = site
        .post(
            &path,
            &[("jeton", &token), ("action", "handover"), ("partenaire", "no-such-host")],
            Some(&cookie),
        )
        .await?;
    assert!(res.status == 200 && unescape(&res.body).contains("n'a pas donné"), "{}", res.status);

    let page = site.get(&path, Some(&cookie)).await?;
    assert!(page.body.contains("&#60;b&#62;Appel&#60;/b&#62; jeudi"), "note shown inert");
    let history: Vec<String> = site.store.help_history(id).await?.into_iter().map(|h| h.status).collect();
    // (this test confirmed the request in SQL, hence no "new" line)
    assert_eq!(history, ["pending", "assigned", "in-progress"]);

    // Volunteers do not see the admin pages; a token from their session is useless in another.
    assert_eq!(site.get("/admin/journal", Some(&cookie)).await?.status, 403);
    let admin = site.login("alice", PASSWORD).await?;
    let res = site
        .post(&path, &[("jeton", &token), ("action", "status"), ("statut", "done")], Some(&admin))
        .await?;
    assert_eq!(res.status, 403, "a token is bound to its session");
    let audit = site.get("/admin/journal", Some(&admin)).await?;
    for action in ["assign", "note", "status", "mail", "login"] {
        assert!(audit.body.contains(&format!("<td>{action}</td>")), "{action} logged");
    }
    Ok(())
}

#[tokio::test]
async fn volunteers_see_only_their_requests_and_unassigned_ones() -> Result<()> {
    let (site, id) = site_with_a_request(MailTo::Outbox).await?;
    let admin = site.login("alice", PASSWORD).await?;
    let page = site.get(&format!("/admin/demandes/{id}"), Some(&admin)).await?;
    let alice = site
        .store
        .admin_users()
        .await?
        .into_iter()
        .find(|u| u.username == "alice")
        .map(|u| u.id)
        .unwrap_or(0);
    let res = site
        .post(
            &format!("/admin/demandes/{id}"),
            &[("jeton", &page.hidden("jeton")?), ("action", "assign"), ("benevole", &alice.to_string())],
            Some(&admin),
        )
        .await?;
    assert_eq!(res.status, 303);
    let volunteer = site.login("victor", PASSWORD).await?;
    assert!(!site.get("/admin", Some(&volunteer)).await?.body.contains(&format!("/admin/demandes/{id}\"")));
    assert_eq!(site.get(&format!("/admin/demandes/{id}"), Some(&volunteer)).await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn an_admin_marks_a_provider_full_and_exports_counts() -> Result<()> {
    let (site, _) = site_with_a_request(MailTo::Outbox).await?;
    let admin = site.login("alice", PASSWORD).await?;
    let page = site.get("/admin/fournisseurs", Some(&admin)).await?;
    let form = [
        ("jeton", page.hidden("jeton")?),
        ("fournisseur", "posteo".into()),
        ("etat", "full".into()),
        ("note", "Plus de place".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(site.post("/admin/fournisseurs", &form, Some(&admin)).await?.status, 303);
    let marks = site.store.provider_statuses().await?;
    assert_eq!(
        marks.iter().map(|m| (m.provider_id.as_str(), m.status.as_str())).collect::<Vec<_>>(),
        [("posteo", "full")]
    );
    let public = site.get("/fournisseurs/posteo", None).await?;
    assert!(
        public.body.contains("complet pour le moment. Plus de place"),
        "the mark shows on the public page: {}",
        public.body
    );
    // The request above was confirmed this week: the weekly counts show it, in the page, the CSV
    // and the chart.
    let today = chrono::Utc::now().date_naive();
    let this_monday = today.week(chrono::Weekday::Mon).first_day();
    use demail_store::CounterKind;
    site.store.increment(today, CounterKind::Signup, "posteo").await?;
    site.store.increment(today, CounterKind::Migration, "done").await?;
    site.store.add_to_counter(today, CounterKind::MessagesMoved, "", 1234).await?;
    let csv = site.get("/admin/statistiques.csv", Some(&admin)).await?;
    assert!(csv.body.starts_with("week,metric,count\n"), "{}", csv.body);
    assert!(csv.body.contains(&format!("{this_monday},help,1\n")), "{}", csv.body);
    assert!(csv.body.contains(&format!("{this_monday},migrations,1\n")), "{}", csv.body);
    assert!(csv.body.contains(&format!("{this_monday},messages,1234\n")), "{}", csv.body);
    assert_eq!(csv.body.lines().count(), 1 + 12 * 6);
    let page = site.get("/admin/statistiques", Some(&admin)).await?;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<li>Posteo : 1</li>"), "hand-offs per host by name: {}", page.body);
    assert!(page.body.contains("<li>terminés : 1</li>"), "moves by outcome: {}", page.body);
    assert!(page.body.contains("/admin/statistiques/help.svg"));
    let chart = site.get("/admin/statistiques/help.svg", Some(&admin)).await?;
    assert_eq!(chart.header("content-type"), "image/svg+xml");
    assert_eq!(chart.body.matches("<rect").count(), 1 + 12, "a bar per week");
    assert_eq!(site.get("/admin/statistiques/nope.svg", Some(&admin)).await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn with_totp_on_the_log_in_needs_the_current_code() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await?;
    let (secret, _) = demail_help::new_totp_secret("tess")?;
    let hash = demail_help::hash_password(PASSWORD)?;
    site.store.upsert_admin_user("tess", &hash, "admin", Some(&secret), 0).await?;
    let token = site.get("/admin/connexion", None).await?.hidden("jeton")?;
    let now = u64::try_from(chrono::Utc::now().timestamp())?;
    let good = demail_help::totp_code(&secret, now).ok_or_else(|| fail("no code"))?;
    let old = demail_help::totp_code(&secret, now - 600).ok_or_else(|| fail("no code"))?;
    for (code, status) in [("", 401), ("123", 401), (old.as_str(), 401), (good.as_str(), 303)] {
        let form =
            [("jeton", token.as_str()), ("utilisateur", "tess"), ("mot-de-passe", PASSWORD), ("code", code)];
        assert_eq!(site.post("/admin/connexion", &form, None).await?.status, status, "code {code:?}");
    }
    // A right code with a wrong password is still refused.
    let form = [
        ("jeton", token.as_str()),
        ("utilisateur", "tess"),
        ("mot-de-passe", "wrong password!"),
        ("code", good.as_str()),
    ];
    assert_eq!(site.post("/admin/connexion", &form, None).await?.status, 401);
    Ok(())
}
