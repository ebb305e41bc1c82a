//! The help flow over real HTTP with a real SMTP server: the form after the results, double
//! opt-in by following the link in the received mail, the private data page, erasure checked in
//! the database, and the security properties (form tokens, rate limits, inert markup).

mod helpsite;

use helpsite::{
    GENEROUS, HelpSite, Limits, MailTo, Result, SmtpServer, fail, link, parse_mail, request_form,
};

const HELP_TABLES: &[&str] = &["help_requests", "help_consents", "help_tokens", "help_history", "help_notes"];

async fn rows(site: &HelpSite) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for t in HELP_TABLES {
        out.push(site.count(t).await?);
    }
    Ok(out)
}

#[tokio::test]
async fn a_person_asks_for_help_confirms_from_the_received_mail_then_erases_everything() -> Result<()> {
    let smtp = SmtpServer::start().await?;
    let site = HelpSite::start(MailTo::Smtp(&smtp), GENEROUS).await?;

    // The offer comes after the results, as a form that carries the answers, not as a requirement.
    let results = site.get("/resultats?pour=moi&lieu=france", None).await?;
    let offer = results.body.find("help-offer").ok_or_else(|| fail("no help offer on the results"))?;
    assert!(
        results.body.find("class=\"matches\"").is_some_and(|m| m < offer),
        "the offer must follow the results"
    );
    assert!(results.headers.get("set-cookie").is_none());
    let from = results.hidden("depuis")?;
    assert!(from.starts_with("/choisir?") && from.contains("pour=moi"), "{from}");

    let form = site
        .get(
            &format!(
                "/accompagnement?depuis={}",
                url::form_urlencoded::byte_serialize(from.as_bytes()).collect::<String>()
            ),
            None,
        )
        .await?;
    assert_eq!(form.status, 200);
    assert!(form.headers.get("set-cookie").is_none(), "no cookie on the public form");
    assert!(form.body.contains("12 mois") && form.body.contains("48 heures"), "says how long");
    // One unticked box per purpose, and a named partner per shortlisted host.
    assert!(!form.body.contains(" checked>") || !form.body.contains("name=\"accord-"), "nothing pre-ticked");
    assert!(!form.body.contains("value=\"1\" checked"), "no purpose box is ticked in advance");
    assert!(form.body.contains("name=\"partenaire\""), "partner boxes name the hosts of the short list");
    let token = form.hidden("jeton")?;

    let sent = site
        .post("/accompagnement", &request_form(&token, "jeanne@exemple.fr", "Aide pour Gmail"), None)
        .await?;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Regardez votre boîte mail"));
    let req = site.store.help_requests(&Default::default()).await?;
    assert!(req.is_empty(), "nothing is listed for volunteers before confirmation");

    let mails = smtp.wait_for(1).await?;
    let mail = parse_mail(&mails[0])?;
    assert!(mail.to.contains("jeanne@exemple.fr"), "{}", mail.to);
    assert_eq!(mail.subject, "Confirmez votre demande d'aide");
    assert!(mail.text.contains("Bonjour"), "the person's language");
    assert!(mail.html.contains("<a href=\""), "an HTML part with links");
    assert!(
        mail.list_unsubscribe.starts_with(&format!("<{}/mes-donnees/", site.origin)),
        "{}",
        mail.list_unsubscribe
    );
    assert_eq!(mail.one_click, "List-Unsubscribe=One-Click");

    // Following the link shows a button (mail scanners that open links confirm nothing).
    let confirm_url = link(&mail.text, &format!("{}/accompagnement/confirmer/", site.origin))?;
    let page = site.get(&confirm_url, None).await?;
    assert_eq!(page.status, 200);
    let pending = site.store.help_request_by_token("x", "data", 0).await?;
    assert!(pending.is_none());
    let action = confirm_url.split('?').next().unwrap_or_default().to_owned();
    let done = site.post(&action, &[("jeton", &page.hidden("jeton")?), ("lang", "fr")], None).await?;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("votre demande est confirmée"));
    let listed = site.store.help_requests(&Default::default()).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].status.as_str(), listed[0].context.is_empty()), ("new", false));

    // The private page shows everything; the JSON download has the same.
    let data_url = link(&mail.text, &format!("{}/mes-donnees/", site.origin))?;
    let data = site.get(&data_url, None).await?;
    assert_eq!(data.status, 200);
    assert!(data.body.contains("jeanne@exemple.fr") && data.body.contains("Aide pour Gmail"));
    assert!(data.body.contains("Bretagne"), "region shown");
    let base = data_url.split('?').next().unwrap_or_default().to_owned();
    let json = site.get(&format!("{base}/donnees.json"), None).await?;
    let doc: serde_json::Value = serde_json::from_str(&json.body)?;
    assert_eq!(doc["request"]["email"], "jeanne@exemple.fr");
    assert_eq!(doc["consents"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["consents"][0]["text_version"], demail_help::CONSENT_TEXT_VERSION);

    // Withdraw the news consent only.
    let withdrawn = site
        .post(&format!("{base}/retirer"), &[("jeton", &data.hidden("jeton")?), ("accord", "news")], None)
        .await?;
    assert_eq!(withdrawn.status, 200);
    let id = listed[0].id;
    assert!(!site.store.has_consent(id, "news").await?);
    assert!(site.store.has_consent(id, "followup").await?);

    // Erase: every row about the person goes, and the link stops working.
    site.store.add_help_note(id, "note", None, "Rappeler jeudi", chrono::Utc::now().timestamp()).await?;
    site.store.audit(None, "note", "", Some(id), chrono::Utc::now().timestamp()).await?;
    assert!(rows(&site).await?.iter().all(|n| *n > 0), "{:?}", rows(&site).await?);
    let erased = site.post(&format!("{base}/effacer"), &[("jeton", &data.hidden("jeton")?)], None).await?;
    assert_eq!(erased.status, 200);
    assert!(erased.body.contains("Tout est effacé"));
    assert_eq!(rows(&site).await?, vec![0; HELP_TABLES.len()]);
    assert_eq!(site.count("audit_log").await?, 0);
    assert_eq!(site.get(&data_url, None).await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn one_click_unsubscribe_from_the_mail_header_withdraws_every_consent() -> Result<()> {
    let smtp = SmtpServer::start().await?;
    let site = HelpSite::start(MailTo::Smtp(&smtp), GENEROUS).await?;
    let token = site.get("/accompagnement", None).await?.hidden("jeton")?;
    site.post("/accompagnement", &request_form(&token, "paul@exemple.fr", ""), None).await?;
    let mail = parse_mail(&smtp.wait_for(1).await?[0])?;
    let url = mail.list_unsubscribe.trim_matches(['<', '>']).to_owned();
    // RFC 8058: the mail client posts this body to the header's address, with no page and no token.
    let res = site.post(&url, &[("List-Unsubscribe", "One-Click")], None).await?;
    assert_eq!(res.status, 200);
    let consents = site.store.help_consents(1).await?;
    assert_eq!(consents.len(), 2);
    assert!(consents.iter().all(|c| c.withdrawn_at.is_some()));
    Ok(())
}

#[tokio::test]
async fn missing_or_forged_form_tokens_get_403_and_a_thousand_forged_posts_create_no_rows() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await?;
    let good = site.get("/accompagnement", None).await?.hidden("jeton")?;
    let (issued, sig) = good.split_once('.').ok_or_else(|| fail("token shape"))?;
    let tampered_sig = format!("{issued}.{}", sig.chars().rev().collect::<String>());
    let later = format!("{}.{sig}", issued.parse::<i64>()? + 1);
    let stale = format!("{}.{sig}", issued.parse::<i64>()? - 2 * 86_400);
    for forged in ["", "nope", "0.00", tampered_sig.as_str(), later.as_str(), stale.as_str()] {
        let mut form = request_form(forged, "a@exemple.fr", "x");
        if forged.is_empty() {
            form.retain(|(k, _)| *k != "jeton");
        }
        let res = site.post("/accompagnement", &form, None).await?;
        assert_eq!(res.status, 403, "{forged:?}");
        assert!(res.body.contains("Formulaire refusé"), "a clear page");
    }
    for i in 0..1000 {
        let forged = format!("{}.{:064x}", issued, i);
        let res = site.post("/accompagnement", &request_form(&forged, "a@exemple.fr", "x"), None).await?;
        assert_eq!(res.status, 403);
    }
    assert_eq!(rows(&site).await?, vec![0; HELP_TABLES.len()]);
    assert!(!site.outbox.exists(), "no mail was written");
    // The same token on the data page's forms, and a token from another scope, are refused too.
    let res = site
        .post("/admin/connexion", &[("jeton", &good), ("utilisateur", "x"), ("mot-de-passe", "y")], None)
        .await?;
    assert_eq!(res.status, 403, "a public token does not open the log-in form");
    Ok(())
}

#[tokio::test]
async fn markup_in_every_text_field_is_rendered_inert() -> Result<()> {
    let smtp = SmtpServer::start().await?;
    let site = HelpSite::start(MailTo::Smtp(&smtp), GENEROUS).await?;
    let xss = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let token = site.get("/accompagnement", None).await?.hidden("jeton")?;
    // In the error state every field comes back: none may come back as markup.
    let form = [
        ("jeton", token.as_str()),
        ("lang", "fr"),
        ("email", xss),
        ("besoin", xss),
        ("canal", xss),
        ("region", xss),
        ("depuis", xss),
    ];
    let res = site.post("/accompagnement", &form, None).await?;
    assert_eq!(res.status, 422);
    assert!(!res.body.contains("<script>alert") && !res.body.contains("<img src=x"), "{}", res.body);
    assert!(res.body.contains("&#60;script&#62;alert(1)"), "the text is shown, escaped");
    assert!(res.body.contains("aria-invalid=\"true\""));

    site.post("/accompagnement", &request_form(&token, "x@exemple.fr", xss), None).await?;
    let mail = parse_mail(&smtp.wait_for(1).await?[0])?;
    let data = site.get(&link(&mail.text, &format!("{}/mes-donnees/", site.origin))?, None).await?;
    assert!(
        !data.body.contains("<script>alert") && data.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        data.body
    );
    Ok(())
}

#[tokio::test]
async fn too_many_posts_from_one_address_get_a_clear_429_page() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, Limits { form_per_minute: 3, login_per_minute: 2 }).await?;
    let token = site.get("/accompagnement", None).await?.hidden("jeton")?;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let email = format!("p{i}@exemple.fr");
        statuses.push(site.post("/accompagnement", &request_form(&token, &email, ""), None).await?.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let res = site.post("/accompagnement", &request_form(&token, "z@exemple.fr", ""), None).await?;
    assert!(res.body.contains("Trop d&#39;essais") && res.header("retry-after") == "60", "{}", res.body);
    assert_eq!(site.count("help_requests").await?, 3);

    // Log-in attempts have their own, separate allowance.
    let login = site.get("/admin/connexion", None).await?.hidden("jeton")?;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let form = [("jeton", login.as_str()), ("utilisateur", "root"), ("mot-de-passe", "wrong password!")];
        statuses.push(site.post("/admin/connexion", &form, None).await?.status);
    }
    assert_eq!(statuses, [401, 401, 429]);
    Ok(())
}

#[tokio::test]
async fn without_smtp_the_site_says_so_and_mails_land_in_the_outbox() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await?;
    let form = site.get("/accompagnement", None).await?;
    assert!(form.body.contains("l&#39;envoi de mails n&#39;est pas encore configuré"));
    let sent =
        site.post("/accompagnement", &request_form(&form.hidden("jeton")?, "o@exemple.fr", ""), None).await?;
    assert!(sent.body.contains("dossier"), "said again after sending");
    let files: Vec<_> = std::fs::read_dir(&site.outbox)?.collect::<std::result::Result<_, _>>()?;
    assert_eq!(files.len(), 1);
    let mail = parse_mail(&std::fs::read(files[0].path())?)?;
    assert!(mail.text.contains("/accompagnement/confirmer/"));
    Ok(())
}

#[tokio::test]
async fn the_form_explains_each_mistake_and_keeps_the_answers() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await?;
    let token = site.get("/accompagnement?lang=en", None).await?.hidden("jeton")?;
    let form = [
        ("jeton", token.as_str()),
        ("lang", "en"),
        ("email", "jeanne"),
        ("besoin", "keep me"),
        ("canal", "in-person"),
    ];
    let res = site.post("/accompagnement", &form, None).await?;
    assert_eq!(res.status, 422);
    for expected in ["Write a full e-mail address", "choose your region", "Tick the first box", "keep me"] {
        assert!(res.body.contains(expected), "{expected}: {}", res.body);
    }
    assert_eq!(site.count("help_requests").await?, 0);
    Ok(())
}

#[tokio::test]
async fn the_purge_erases_unconfirmed_requests_after_48_hours_with_an_injected_clock() -> Result<()> {
    let site = HelpSite::start(MailTo::Outbox, GENEROUS).await?;
    let token = site.get("/accompagnement", None).await?.hidden("jeton")?;
    site.post("/accompagnement", &request_form(&token, "u@exemple.fr", ""), None).await?;
    let now = chrono::Utc::now().timestamp();
    let retention = demail_help::Retention::default();
    let r = demail_web::purge_help(&site.store, retention, now + 47 * 3600).await?;
    assert_eq!((r.unconfirmed, r.expired), (0, 0));
    let r = demail_web::purge_help(&site.store, retention, now + 49 * 3600).await?;
    assert_eq!((r.unconfirmed, r.expired), (1, 0));
    assert_eq!(rows(&site).await?, vec![0; HELP_TABLES.len()]);
    Ok(())
}

#[tokio::test]
async fn an_event_fills_up_then_a_cancellation_gives_the_place_to_the_waiting_list_and_reminders_go_out()
-> Result<()> {
    let smtp = SmtpServer::start().await?;
    let site = HelpSite::start(MailTo::Smtp(&smtp), GENEROUS).await?;
    let hash = demail_help::hash_password("a long enough password")?;
    site.store.upsert_admin_user("anne", &hash, "volunteer", None, 0).await?;

    // A volunteer creates a one-place workshop three days from now.
    let cookie = site.login("anne", "a long enough password").await?;
    let page = site.get("/admin/evenements", Some(&cookie)).await?;
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let form = [
        ("jeton", page.hidden("jeton")?),
        ("titre", "Atelier <b>Gmail</b>".to_owned()),
        ("description", "Apportez votre ordinateur.".to_owned()),
        ("date", day.clone()),
        ("heure", "14:30".to_owned()),
        ("duree", "90".to_owned()),
        ("lieu", "Maison de quartier, Rennes".to_owned()),
        ("lien", String::new()),
        ("places", "1".to_owned()),
        ("langue", "fr".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = site.post("/admin/evenements", &form, Some(&cookie)).await?;
    assert_eq!(res.status, 303, "{}", res.body);

    let list = site.get("/evenements", None).await?;
    assert!(
        list.body.contains("Atelier &#60;b&#62;Gmail&#60;/b&#62;")
            && list.body.contains("Places libres : 1."),
        "{}",
        list.body
    );
    let id =
        site.store.upcoming_events(0).await?.first().map(|e| e.event.id).ok_or_else(|| fail("no event"))?;

    // Two people register and confirm from their mails: one place, one on the waiting list.
    let mut n = 0;
    for (who, expected) in [("a@exemple.fr", "Vous êtes inscrit"), ("b@exemple.fr", "liste d&#39;attente")] {
        let page = site.get(&format!("/evenements/{id}"), None).await?;
        let res = site
            .post(
                &format!("/evenements/{id}"),
                &[("jeton", &page.hidden("jeton")?), ("lang", "fr"), ("email", who), ("accord", "1")],
                None,
            )
            .await?;
        assert_eq!(res.status, 200, "{}", res.body);
        n += 1;
        let mail = parse_mail(&smtp.wait_for(n).await?[n - 1])?;
        assert!(mail.to.contains(who));
        let confirm = link(&mail.text, &format!("{}/evenements/confirmer/", site.origin))?;
        let page = site.get(&confirm, None).await?;
        let res = site
            .post(
                confirm.split('?').next().unwrap_or_default(),
                &[("jeton", &page.hidden("jeton")?), ("lang", "fr")],
                None,
            )
            .await?;
        assert!(res.body.contains(expected), "{}", res.body);
        n += 1;
    }
    let mails = smtp.wait_for(4).await?;
    let confirmed = parse_mail(&mails[1])?;
    assert_eq!(confirmed.attachments.len(), 1, "the confirmed place comes with an invitation");
    let ics = String::from_utf8_lossy(&confirmed.attachments[0].1).into_owned();
    assert!(ics.contains(&format!("DTSTART:{}T143000", day.replace('-', ""))), "{ics}");
    assert!(ics.contains("LOCATION:Maison de quartier\\, Rennes"), "{ics}");
    let waiting = parse_mail(&mails[3])?;
    assert!(waiting.attachments.is_empty() && waiting.subject.starts_with("Liste d'attente"));

    // A registration without consent is refused and stores nothing.
    let page = site.get(&format!("/evenements/{id}"), None).await?;
    let res = site
        .post(
            &format!("/evenements/{id}"),
            &[("jeton", &page.hidden("jeton")?), ("email", "c@exemple.fr")],
            None,
        )
        .await?;
    assert_eq!(res.status, 422);

    // "a" cancels from the link in the mail: the row goes and "b" gets the place, by mail.
    let cancel = link(&confirmed.text, &format!("{}/evenements/annuler/", site.origin))?;
    let page = site.get(&cancel, None).await?;
    let res = site
        .post(cancel.split('?').next().unwrap_or_default(), &[("jeton", &page.hidden("jeton")?)], None)
        .await?;
    assert!(res.body.contains("Inscription annulée"));
    let promoted = parse_mail(&smtp.wait_for(5).await?[4])?;
    assert!(promoted.to.contains("b@exemple.fr") && promoted.subject.starts_with("Une place s'est libérée"));
    assert_eq!(promoted.attachments.len(), 1);
    assert_eq!(site.count("event_registrations").await?, 1);

    // The reminder goes once, the day before (clock injected).
    let starts = site.store.event(id).await?.map(|e| e.starts_at).unwrap_or_default();
    assert_eq!(demail_web::send_reminders(&site.site, starts - 36 * 3600).await?, 0);
    assert_eq!(demail_web::send_reminders(&site.site, starts - 12 * 3600).await?, 1);
    assert_eq!(demail_web::send_reminders(&site.site, starts - 11 * 3600).await?, 0);
    let reminder = parse_mail(&smtp.wait_for(6).await?[5])?;
    assert!(reminder.subject.starts_with("C'est demain") && reminder.to.contains("b@exemple.fr"));

    // One-click from the reminder's List-Unsubscribe header cancels too.
    let url = reminder.list_unsubscribe.trim_matches(['<', '>']).to_owned();
    assert_eq!(site.post(&url, &[("List-Unsubscribe", "One-Click")], None).await?.status, 200);
    assert_eq!(site.count("event_registrations").await?, 0);
    Ok(())
}
