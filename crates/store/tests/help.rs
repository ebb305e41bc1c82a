//! Help requests, erasure, purge and the backoffice tables, on SQLite and on a real PostgreSQL.

use demail_store::testing::both_backends;
use demail_store::{HelpFilter, NewHelpRequest, Store};
use sqlx::Row;

const HOUR: i64 = 3600;
const T0: i64 = 1_790_000_000;

fn new_request(email: &str, tag: &str, now: i64) -> NewHelpRequest {
    NewHelpRequest {
        email: email.into(),
        lang: "fr".into(),
        need: "Déménager ma boîte Gmail".into(),
        channel: "in-person".into(),
        region: "FR-BRE".into(),
        context: "posteo, mailo".into(),
        consents: vec![
            ("followup".into(), "v1".into(), "Je veux être recontacté".into()),
            ("news".into(), "v1".into(), "Nouvelles".into()),
        ],
        confirm_token_hash: format!("confirm-{tag}"),
        confirm_expires_at: now + 48 * HOUR,
        data_token_hash: format!("data-{tag}"),
        now,
    }
}

/// Rows anywhere in the help tables that mention `id` or `email`.
async fn rows_about(store: &Store, id: i64, email: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for (table, column) in [
        ("help_consents", "request_id"),
        ("help_tokens", "request_id"),
        ("help_history", "request_id"),
        ("help_notes", "request_id"),
        ("audit_log", "request_id"),
        ("help_requests", "id"),
    ] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1");
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(store.pool())
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(|e| e.to_string())?;
        if n > 0 {
            found.push(format!("{table}: {n}"));
        }
    }
    let sql = "SELECT COUNT(*) AS n FROM help_requests WHERE email = $1";
    let n: i64 = sqlx::query(sql)
        .bind(email)
        .fetch_one(store.pool())
        .await
        .and_then(|r| r.try_get("n"))
        .map_err(|e| e.to_string())?;
    if n > 0 {
        found.push(format!("help_requests by email: {n}"));
    }
    Ok(found)
}

#[tokio::test]
async fn a_request_is_confirmed_triaged_and_then_erased_without_a_trace_on_both_backends()
-> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let b = format!("{:?}", store.backend());
        let e = |e: demail_store::StoreError| format!("{b}: {e}");
        let volunteer =
            store.upsert_admin_user("anne", "$argon2id$x", "volunteer", None, T0).await.map_err(e)?;
        let id = store.create_help_request(&new_request("jeanne@exemple.fr", "a", T0)).await.map_err(e)?;
        let other = store.create_help_request(&new_request("paul@exemple.fr", "b", T0)).await.map_err(e)?;

        // Not listed before confirmation; an expired confirmation link opens nothing.
        assert!(store.help_requests(&HelpFilter::default()).await.map_err(e)?.is_empty(), "{b}");
        assert!(store.confirm_help_request("confirm-a", T0 + 49 * HOUR).await.map_err(e)?.is_none(), "{b}");
        let confirmed = store.confirm_help_request("confirm-a", T0 + HOUR).await.map_err(e)?;
        assert_eq!(
            confirmed.map(|r| (r.status, r.confirmed_at)),
            Some(("new".into(), Some(T0 + HOUR))),
            "{b}"
        );
        // Confirming twice changes nothing.
        store.confirm_help_request("confirm-a", T0 + 2 * HOUR).await.map_err(e)?;
        let by_data = store.help_request_by_token("data-a", "data", T0 + 100 * HOUR).await.map_err(e)?;
        assert_eq!(by_data.map(|r| r.id), Some(id), "{b}");
        assert!(store.help_request_by_token("data-a", "confirm", T0).await.map_err(e)?.is_none(), "{b}");

        store.assign_help_request(id, Some(volunteer), Some(volunteer), T0 + 3 * HOUR).await.map_err(e)?;
        store.add_help_note(id, "note", Some(volunteer), "Appel prévu", T0 + 3 * HOUR).await.map_err(e)?;
        store
            .audit(Some(volunteer), "assign", "request assigned", Some(id), T0 + 3 * HOUR)
            .await
            .map_err(e)?;
        store.audit(Some(volunteer), "login", "", None, T0 + 3 * HOUR).await.map_err(e)?;
        let list = store
            .help_requests(&HelpFilter {
                status: Some("assigned".into()),
                region: Some("FR-BRE".into()),
                ..Default::default()
            })
            .await
            .map_err(e)?;
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id], "{b}");
        let history: Vec<String> =
            store.help_history(id).await.map_err(e)?.into_iter().map(|h| h.status).collect();
        assert_eq!(history, ["pending", "new", "assigned"], "{b}");

        assert_eq!(store.withdraw_consent(id, Some("news"), T0 + 4 * HOUR).await.map_err(e)?, 1, "{b}");
        assert!(!store.has_consent(id, "news").await.map_err(e)?, "{b}");
        assert!(store.has_consent(id, "followup").await.map_err(e)?, "{b}");
        let consents = store.help_consents(id).await.map_err(e)?;
        assert_eq!(consents[1].withdrawn_at, Some(T0 + 4 * HOUR), "{b}");
        assert_eq!(consents[0].wording, "Je veux être recontacté", "{b}");

        assert!(!rows_about(store, id, "jeanne@exemple.fr").await?.is_empty());
        assert!(store.erase_help_request(id).await.map_err(e)?, "{b}");
        assert_eq!(rows_about(store, id, "jeanne@exemple.fr").await?, Vec::<String>::new(), "{b}");
        // The other person and the audit lines about no one stay.
        assert!(store.help_request(other).await.map_err(e)?.is_some(), "{b}");
        assert_eq!(store.audit_log(10).await.map_err(e)?.len(), 1, "{b}");
        assert!(store.help_request_by_token("data-a", "data", T0).await.map_err(e)?.is_none(), "{b}");
    }
    Ok(())
}

#[tokio::test]
async fn the_purge_follows_the_retention_rules_with_an_injected_clock_on_both_backends() -> Result<(), String>
{
    let backends = both_backends().await?;
    for store in &backends.stores {
        let b = format!("{:?}", store.backend());
        let e = |e: demail_store::StoreError| format!("{b}: {e}");
        let unconfirmed =
            store.create_help_request(&new_request("a@exemple.fr", "u", T0)).await.map_err(e)?;
        let fresh =
            store.create_help_request(&new_request("b@exemple.fr", "f", T0 + 47 * HOUR)).await.map_err(e)?;
        let idle = store.create_help_request(&new_request("c@exemple.fr", "i", T0)).await.map_err(e)?;
        store.confirm_help_request("confirm-i", T0 + HOUR).await.map_err(e)?;
        let active = store.create_help_request(&new_request("d@exemple.fr", "k", T0)).await.map_err(e)?;
        store.confirm_help_request("confirm-k", T0 + HOUR).await.map_err(e)?;
        let year = 365 * 24 * HOUR;
        store.add_help_note(active, "note", None, "relance", T0 + year).await.map_err(e)?;

        // At T0 + 48 h + 1 s: the request never confirmed since T0 goes; the one from T0+47h stays.
        let now = T0 + 48 * HOUR + 1;
        let r = store.purge_help_requests(now - 48 * HOUR, now - year).await.map_err(e)?;
        assert_eq!((r.unconfirmed, r.expired), (1, 0), "{b}");
        assert!(store.help_request(unconfirmed).await.map_err(e)?.is_none(), "{b}");
        assert!(store.help_request(fresh).await.map_err(e)?.is_some(), "{b}");

        // A year and two hours on: the idle confirmed request goes, the one touched later stays.
        let now = T0 + year + 2 * HOUR;
        let r = store.purge_help_requests(now - 48 * HOUR, now - year).await.map_err(e)?;
        assert_eq!((r.unconfirmed, r.expired), (1, 1), "{b}");
        assert!(store.help_request(idle).await.map_err(e)?.is_none(), "{b}");
        assert!(store.help_request(active).await.map_err(e)?.is_some(), "{b}");
        assert_eq!(rows_about(store, idle, "c@exemple.fr").await?, Vec::<String>::new(), "{b}");
    }
    Ok(())
}

#[tokio::test]
async fn sessions_secrets_and_provider_overrides_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let b = format!("{:?}", store.backend());
        let e = |e: demail_store::StoreError| format!("{b}: {e}");
        let first = store.site_secret("csrf", || "one".into()).await.map_err(e)?;
        let again = store.site_secret("csrf", || "two".into()).await.map_err(e)?;
        assert_eq!((first.as_str(), again.as_str()), ("one", "one"), "{b}");

        let id = store.upsert_admin_user("root", "h1", "admin", None, T0).await.map_err(e)?;
        assert_eq!(store.upsert_admin_user("root", "h2", "admin", None, T0).await.map_err(e)?, id, "{b}");
        let (user, hash) = store.admin_user_for_login("root").await.map_err(e)?.ok_or("no user")?;
        assert_eq!((user.role.as_str(), hash.as_str()), ("admin", "h2"), "{b}");
        store.create_admin_session("s1", id, T0, T0 + 10).await.map_err(e)?;
        assert_eq!(store.admin_session("s1", T0 + 9).await.map_err(e)?.map(|u| u.id), Some(id), "{b}");
        assert!(store.admin_session("s1", T0 + 10).await.map_err(e)?.is_none(), "{b}");
        store.end_admin_session("s1", T0).await.map_err(e)?;
        assert!(store.admin_session("s1", T0).await.map_err(e)?.is_none(), "{b}");

        store.set_provider_status("posteo", "full", "plus de place", Some(id), T0).await.map_err(e)?;
        store.set_provider_status("posteo", "away", "", Some(id), T0 + 1).await.map_err(e)?;
        let s = store.provider_statuses().await.map_err(e)?;
        assert_eq!(
            s.iter().map(|p| (p.provider_id.as_str(), p.status.as_str())).collect::<Vec<_>>(),
            [("posteo", "away")]
        );
        store.set_provider_status("posteo", "open", "", Some(id), T0 + 2).await.map_err(e)?;
        assert!(store.provider_statuses().await.map_err(e)?.is_empty(), "{b}");
    }
    Ok(())
}

#[tokio::test]
async fn events_fill_then_use_a_waiting_list_and_a_cancellation_promotes_the_first_waiting_on_both_backends()
-> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let b = format!("{:?}", store.backend());
        let e = |e: demail_store::StoreError| format!("{b}: {e}");
        let day = 24 * HOUR;
        let event = demail_store::NewEvent {
            title: "Atelier".into(),
            description: "Quitter Gmail".into(),
            starts_at: T0 + 3 * day,
            minutes: 120,
            place: "Rennes".into(),
            online_url: String::new(),
            capacity: 2,
            lang: "fr".into(),
            created_by: None,
            now: T0,
        };
        let id = store.create_event(&event).await.map_err(e)?;
        for (i, who) in ["a", "b", "c", "d"].iter().enumerate() {
            store
                .register_for_event(
                    id,
                    &format!("{who}@x.fr"),
                    "fr",
                    "v1",
                    "ok",
                    &format!("t-{who}"),
                    T0 + i as i64,
                )
                .await
                .map_err(e)?;
        }
        let mut statuses = Vec::new();
        for who in ["a", "b", "c"] {
            let r = store.confirm_registration(&format!("t-{who}"), T0 + HOUR).await.map_err(e)?;
            statuses.push(r.map(|r| r.status).unwrap_or_default());
        }
        assert_eq!(statuses, ["confirmed", "confirmed", "waiting"], "{b}");
        let list = store.upcoming_events(T0).await.map_err(e)?;
        assert_eq!((list[0].confirmed, list[0].waiting), (2, 1), "{b}");

        // "a" cancels: the row goes, "c" gets the place.
        let promoted = store.cancel_registration("t-a").await.map_err(e)?.flatten();
        assert_eq!(promoted.map(|r| (r.email, r.status)), Some(("c@x.fr".into(), "confirmed".into())), "{b}");
        assert!(store.registration_by_token("t-a").await.map_err(e)?.is_none(), "{b}");

        // Reminders: only confirmed people, only within the last day, only once.
        assert!(store.reminders_due(T0, T0 + day).await.map_err(e)?.is_empty(), "{b}");
        let due = store.reminders_due(T0 + 2 * day + HOUR, T0 + 3 * day + HOUR).await.map_err(e)?;
        let mut who: Vec<String> = due.iter().map(|(r, _)| r.email.clone()).collect();
        who.sort();
        assert_eq!(who, ["b@x.fr", "c@x.fr"], "{b}");
        for (r, _) in &due {
            store.mark_reminded(r.id, T0 + 2 * day + HOUR).await.map_err(e)?;
        }
        assert!(
            store.reminders_due(T0 + 2 * day + HOUR, T0 + 3 * day + HOUR).await.map_err(e)?.is_empty(),
            "{b}"
        );

        // Purge: "d" never confirmed; then the whole list three months after the event.
        assert_eq!(store.purge_events(T0 + 49 * HOUR - 48 * HOUR, 0).await.map_err(e)?, (1, 0), "{b}");
        assert_eq!(store.purge_events(0, T0 + 100 * day).await.map_err(e)?.1, 1, "{b}");
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM event_registrations")
            .fetch_one(store.pool())
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(|x| x.to_string())?;
        assert_eq!(n, 0, "{b}");
    }
    Ok(())
}
