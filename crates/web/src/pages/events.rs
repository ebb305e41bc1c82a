//! Events (webinars, workshops, meetings): the public list, registration with the same consent
//! rules as help requests, confirmation with an `.ics` invitation, cancellation, waiting list,
//! and the reminder the day before.
//!
//! Event times are the wall-clock time at the event's place, stored as if UTC ("floating"):
//! the site keeps no time-zone database, and an event is attended where it happens.

// The error of these helpers is the page to send back, as in axum's own extractors.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use demail_help::{
    CONSENT_TEXT_VERSION, ContactEmail, Invitation, MailAttachment, OutgoingMail, Token, invitation_ics,
};
use demail_store::{Event, EventSummary, Registration};

use super::help::{
    HelpState, NoticePage, button_notice, field, help_page, help_state, internal, mail_html, public_post,
    token_or_404, too_many,
};
use super::{Ctx, error_page, now, render};
use crate::ratelimit::ClientIp;
use crate::view::Loc;
use crate::{Lang, Site};

/// Routes of the events.
pub fn routes() -> Router<Site> {
    Router::new()
        .route("/evenements", get(list))
        .route("/evenements/{id}", get(detail).post(register))
        .route("/evenements/confirmer/{token}", get(confirm_page).post(confirm))
        .route("/evenements/annuler/{token}", get(cancel_page).post(cancel))
        .route("/evenements/annuler/{token}/un-clic", post(cancel_one_click))
}

/// An event ready to show.
pub struct EventView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub when: String,
    pub place: String,
    pub online: bool,
    pub lang: String,
    pub places: String,
    pub full: bool,
}

pub(crate) fn event_when(l: &Loc, e: &Event) -> String {
    let Some(start) = chrono::DateTime::from_timestamp(e.starts_at, 0).map(|d| d.naive_utc()) else {
        return String::new();
    };
    let end = start + chrono::Duration::minutes(e.minutes);
    match l.lang {
        Lang::Fr => {
            format!("{} de {} à {}", start.format("%d/%m/%Y"), start.format("%Hh%M"), end.format("%Hh%M"))
        }
        Lang::En => {
            format!("{}, {} to {}", start.format("%Y-%m-%d"), start.format("%H:%M"), end.format("%H:%M"))
        }
    }
}

pub(crate) fn event_view(l: &Loc, s: &EventSummary) -> EventView {
    let e = &s.event;
    let left = (e.capacity - s.confirmed).max(0);
    EventView {
        id: e.id,
        title: e.title.clone(),
        description: e.description.clone(),
        when: event_when(l, e),
        place: if e.place.is_empty() { l.t("events-online") } else { e.place.clone() },
        online: !e.online_url.is_empty(),
        lang: l.t(&format!("events-lang-{}", e.lang)),
        places: if left > 0 {
            l.t_args("events-places-left", &[("count", left.to_string())])
        } else {
            l.t_args("events-full", &[("waiting", s.waiting.to_string())])
        },
        full: left == 0,
    }
}

#[derive(Template)]
#[template(path = "events_list.html")]
struct ListPage {
    l: Loc,
    switch: String,
    events: Vec<EventView>,
}

async fn list(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/evenements", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let events = match site.store().upcoming_events(now()).await {
        Ok(e) => e,
        Err(e) => return internal(l.lang, "listing events", e),
    };
    render(
        StatusCode::OK,
        &ListPage {
            l,
            switch: ctx.switch_href(),
            events: events.iter().map(|s| event_view(&l, s)).collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "events_detail.html")]
struct DetailPage {
    l: Loc,
    switch: String,
    event: EventView,
    token: String,
    email: String,
    errors: Vec<(String, String)>,
    outbox: bool,
}

async fn summary(site: &Site, id: i64, lang: Lang) -> Result<EventSummary, Response> {
    let list =
        site.store().upcoming_events(now()).await.map_err(|e| internal(lang, "reading an event", e))?;
    list.into_iter()
        .find(|s| s.event.id == id)
        .ok_or_else(|| error_page(lang, StatusCode::NOT_FOUND, "error-event-unknown"))
}

async fn detail(
    State(site): State<Site>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (ctx, h) = match help_page(&site, &headers, &format!("/evenements/{id}"), q.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = ctx.loc;
    let s = match summary(&site, id, l.lang).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let page = DetailPage {
        l,
        switch: ctx.switch_href(),
        event: event_view(&l, &s),
        token: h.signer.issue("public", now()),
        email: String::new(),
        errors: Vec::new(),
        outbox: h.cfg.outbox.is_some(),
    };
    render(StatusCode::OK, &page)
}

async fn register(
    State(site): State<Site>,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (pairs, l, h) = match public_post(&site, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !h.form_limit.check(ip) {
        return too_many(l.lang);
    }
    let s = match summary(&site, id, l.lang).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let raw_email: String = field(&pairs, "email").chars().take(300).collect();
    let email = ContactEmail::parse(&raw_email);
    let consent = field(&pairs, "accord") == "1";
    let mut errors = Vec::new();
    if email.is_err() {
        errors.push(("email".to_owned(), l.t("help-error-email")));
    }
    if !consent {
        errors.push(("accord".to_owned(), l.t("events-error-consent")));
    }
    let Ok(email) = email.map_err(|_| ()).and_then(|e| if errors.is_empty() { Ok(e) } else { Err(()) })
    else {
        let page = DetailPage {
            l,
            switch: l.switch_href(&format!("/evenements/{id}"), &[]),
            event: event_view(&l, &s),
            token: h.signer.issue("public", now()),
            email: raw_email,
            errors,
            outbox: h.cfg.outbox.is_some(),
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let Ok(token) = Token::generate() else { return internal(l.lang, "random token", "getrandom failed") };
    let wording = l.t("events-consent");
    if let Err(e) = site
        .store()
        .register_for_event(
            id,
            email.as_str(),
            l.code(),
            CONSENT_TEXT_VERSION,
            &wording,
            &token.hash(),
            now(),
        )
        .await
    {
        return internal(l.lang, "registering", e);
    }
    let base = h.cfg.base_url.trim_end_matches('/');
    let confirm = format!("{base}/evenements/confirmer/{}?lang={}", token.expose(), l.code());
    let text = l.t_args(
        "events-mail-confirm-text",
        &[("title", s.event.title.clone()), ("when", event_when(&l, &s.event)), ("confirm", confirm)],
    );
    let mail = OutgoingMail {
        to: email,
        subject: l.t_args("events-mail-confirm-subject", &[("title", s.event.title.clone())]),
        html: mail_html(&l, &text),
        text,
        unsubscribe_url: Some(format!("{base}/evenements/annuler/{}/un-clic", token.expose())),
        attachments: Vec::new(),
    };
    if let Err(e) = h.cfg.mailer.send(&mail).await {
        return internal(l.lang, "sending an event confirmation", e);
    }
    let mut paragraphs = vec![l.t("events-sent-text")];
    if h.cfg.outbox.is_some() {
        paragraphs.push(l.t("help-outbox-note"));
    }
    render(StatusCode::OK, &NoticePage::new(l, l.t("help-sent-title"), paragraphs))
}

/// Mails a registration's state (place or waiting list) with a fresh cancel link, and the
/// invitation when there is a place. `kind` is `confirmed`, `waiting`, `promoted` or `reminder`.
pub(crate) async fn mail_registration(
    site: &Site,
    h: &HelpState,
    reg: &Registration,
    event: &Event,
    kind: &str,
) -> Result<(), String> {
    let l = Loc { lang: Lang::parse(&reg.lang).unwrap_or(Lang::Fr), explicit: true };
    let to = ContactEmail::parse(&reg.email).map_err(|e| e.to_string())?;
    let token = Token::generate().map_err(|e| e.to_string())?;
    site.store().set_registration_token(reg.id, &token.hash()).await.map_err(|e| e.to_string())?;
    let base = h.cfg.base_url.trim_end_matches('/');
    let cancel = format!("{base}/evenements/annuler/{}?lang={}", token.expose(), l.code());
    let place = if event.online_url.is_empty() { event.place.clone() } else { event.online_url.clone() };
    let text = l.t_args(
        &format!("events-mail-{kind}-text"),
        &[
            ("title", event.title.clone()),
            ("when", event_when(&l, event)),
            ("place", place.clone()),
            ("cancel", cancel),
        ],
    );
    let mut attachments = Vec::new();
    if kind != "waiting" {
        let starts =
            chrono::DateTime::from_timestamp(event.starts_at, 0).map(|d| d.naive_utc()).unwrap_or_default();
        let uid = format!("event-{}@{}", event.id, base.split("://").nth(1).unwrap_or("demail"));
        let url = format!("{base}/evenements/{}", event.id);
        let ics = invitation_ics(&Invitation {
            uid: &uid,
            title: &event.title,
            description: &event.description,
            starts,
            minutes: event.minutes,
            location: &place,
            url: &url,
        });
        attachments.push(MailAttachment {
            filename: "evenement.ics".into(),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
            body: ics.into_bytes(),
        });
    }
    let mail = OutgoingMail {
        to,
        subject: l.t_args(&format!("events-mail-{kind}-subject"), &[("title", event.title.clone())]),
        html: mail_html(&l, &text),
        text,
        unsubscribe_url: Some(format!("{base}/evenements/annuler/{}/un-clic", token.expose())),
        attachments,
    };
    h.cfg.mailer.send(&mail).await.map_err(|e| e.to_string())
}

/// The one-button page of a registration's link from a mail.
async fn button_page(
    site: &Site,
    raw: &str,
    path: &str,
    headers: &HeaderMap,
    q: Option<&str>,
    texts: (&str, &str, &str),
) -> Response {
    let (ctx, h) = match help_page(site, headers, path, q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = ctx.loc;
    let token = match token_or_404(raw, l.lang) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match site.store().registration_by_token(&token.hash()).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-link-unknown"),
        Err(e) => return internal(l.lang, "reading a registration", e),
    }
    button_notice(&ctx, h, path, texts)
}

async fn confirm_page(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let path = format!("/evenements/confirmer/{raw}");
    let texts = ("events-confirm-title", "events-confirm-text", "events-confirm-button");
    button_page(&site, &raw, &path, &headers, q.as_deref(), texts).await
}

async fn confirm(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_, l, h) = match public_post(&site, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let token = match token_or_404(&raw, l.lang) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let reg = match site.store().confirm_registration(&token.hash(), now()).await {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-link-unknown"),
        Err(e) => return internal(l.lang, "confirming a registration", e),
    };
    let event = match site.store().event(reg.event_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-event-unknown"),
        Err(e) => return internal(l.lang, "reading an event", e),
    };
    let kind = if reg.status == "confirmed" { "confirmed" } else { "waiting" };
    if let Err(e) = mail_registration(&site, h, &reg, &event, kind).await {
        return internal(l.lang, "mailing a registration", e);
    }
    let page =
        NoticePage::new(l, l.t(&format!("events-{kind}-title")), vec![l.t(&format!("events-{kind}-text"))]);
    render(StatusCode::OK, &page)
}

async fn cancel_page(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let path = format!("/evenements/annuler/{raw}");
    let texts = ("events-cancel-title", "events-cancel-text", "events-cancel-button");
    button_page(&site, &raw, &path, &headers, q.as_deref(), texts).await
}

async fn cancel(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_, l, h) = match public_post(&site, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match cancel_and_promote(&site, h, &raw, l.lang).await {
        Ok(()) => render(
            StatusCode::OK,
            &NoticePage::new(l, l.t("events-cancelled-title"), vec![l.t("events-cancelled-text")]),
        ),
        Err(r) => r,
    }
}

/// RFC 8058 one-click from the mail's List-Unsubscribe header: the link token is the proof.
async fn cancel_one_click(State(site): State<Site>, Path(raw): Path<String>, headers: HeaderMap) -> Response {
    let lang = super::request_lang(&headers, None);
    let h = match help_state(&site, lang) {
        Ok(h) => h,
        Err(r) => return r,
    };
    match cancel_and_promote(&site, h, &raw, lang).await {
        Ok(()) => (StatusCode::OK, "cancelled").into_response(),
        Err(r) => r,
    }
}

async fn cancel_and_promote(site: &Site, h: &HelpState, raw: &str, lang: Lang) -> Result<(), Response> {
    let token = token_or_404(raw, lang)?;
    let promoted = match site.store().cancel_registration(&token.hash()).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(error_page(lang, StatusCode::NOT_FOUND, "error-link-unknown")),
        Err(e) => return Err(internal(lang, "cancelling a registration", e)),
    };
    if let Some(p) = promoted {
        match site.store().event(p.event_id).await {
            Ok(Some(event)) => {
                if let Err(e) = mail_registration(site, h, &p, &event, "promoted").await {
                    tracing::error!("mailing a promoted registration: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!("reading an event: {e}"),
        }
    }
    Ok(())
}

/// Sends the reminders of events starting within a day of `now`; returns how many were sent.
pub async fn send_reminders(site: &Site, now: i64) -> Result<usize, String> {
    let Some(h) = site.help() else { return Ok(0) };
    let due = site.store().reminders_due(now, now + 24 * 3600).await.map_err(|e| e.to_string())?;
    let mut sent = 0;
    for (reg, event) in due {
        match mail_registration(site, h, &reg, &event, "reminder").await {
            Ok(()) => {
                site.store().mark_reminded(reg.id, now).await.map_err(|e| e.to_string())?;
                sent += 1;
            }
            // Left unmarked: the next round tries again.
            Err(e) => tracing::error!("event reminder: {e}"),
        }
    }
    Ok(sent)
}
