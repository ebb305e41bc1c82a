//! Journey 4 "Be accompanied": the help form offered after the results, double opt-in by mail,
//! and the private page `/mes-donnees/{token}` (see, download, withdraw, erase).

// The error of these helpers is the page to send back, as in axum's own extractors.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use demail_catalog::Needs;
use demail_catalog::matching::REGIONS;
use demail_help::{
    CONSENT_TEXT_VERSION, Channel, ContactEmail, Mailer, OutgoingMail, Purpose, Retention, Token,
};
use demail_store::{HelpRequest, NewHelpRequest};

use super::{Ctx, error_page, now, render};
use crate::csrf::{self, FormSigner};
use crate::ratelimit::{ClientIp, IpLimiter};
use crate::view::Loc;
use crate::{Lang, Site};

/// Longest need description kept, in characters.
pub const MAX_NEED_CHARS: usize = 2000;

/// What the help, events and backoffice pages need beyond the catalogue and the store.
pub struct HelpConfig {
    pub mailer: Arc<dyn Mailer>,
    /// When mail goes to an outbox directory instead of SMTP: that directory (the site says so).
    pub outbox: Option<PathBuf>,
    /// Absolute address of the site for links in mails, e.g. `https://demail.example.org`.
    pub base_url: String,
    pub retention: Retention,
    /// The per-site secret that signs form tokens (kept in the database).
    pub secret: String,
    /// Help and event forms a client address may post per minute.
    pub form_per_minute: u32,
    /// Log-in attempts a client address may make per minute.
    pub login_per_minute: u32,
}

/// [`HelpConfig`] with the objects built from it.
pub(crate) struct HelpState {
    pub cfg: HelpConfig,
    pub signer: FormSigner,
    pub form_limit: IpLimiter,
    pub login_limit: IpLimiter,
}

impl HelpState {
    pub fn new(cfg: HelpConfig) -> HelpState {
        HelpState {
            signer: FormSigner::new(&cfg.secret),
            form_limit: IpLimiter::per_minute(cfg.form_per_minute),
            login_limit: IpLimiter::per_minute(cfg.login_per_minute),
            cfg,
        }
    }

    /// Whether the backoffice cookie must be `Secure` (the site is public over https).
    pub fn secure_cookies(&self) -> bool {
        self.cfg.base_url.starts_with("https://")
    }
}

/// Routes of this journey.
pub fn routes() -> Router<Site> {
    Router::new()
        .route("/accompagnement", get(form).post(submit))
        .route("/accompagnement/confirmer/{token}", get(confirm_page).post(confirm))
        .route("/mes-donnees/{token}", get(my_data))
        .route("/mes-donnees/{token}/donnees.json", get(my_data_json))
        .route("/mes-donnees/{token}/retirer", post(withdraw))
        .route("/mes-donnees/{token}/effacer", post(erase))
        .route("/mes-donnees/{token}/desabonner", post(unsubscribe))
}

/// The help state, or a clear 503 page when this site runs without it.
pub(crate) fn help_state(site: &Site, lang: Lang) -> Result<&HelpState, Response> {
    site.help().ok_or_else(|| error_page(lang, StatusCode::SERVICE_UNAVAILABLE, "error-help-off"))
}

/// Form fields of a url-encoded body, in order (repeated names kept).
pub(crate) fn form_pairs(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().take(200).collect()
}

pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// The language of a posted form: its `lang` field, else the browser's.
pub(crate) fn posted_loc(headers: &HeaderMap, pairs: &[(String, String)]) -> Loc {
    match Lang::parse(field(pairs, "lang")) {
        Some(lang) => Loc { lang, explicit: true },
        None => Loc { lang: super::request_lang(headers, None), explicit: false },
    }
}

/// 403 unless the form carries a valid token for `scope`.
pub(crate) fn check_token(
    h: &HelpState,
    scope: &str,
    pairs: &[(String, String)],
    lang: Lang,
) -> Result<(), Response> {
    if h.signer.verify(scope, field(pairs, csrf::FIELD), now()) {
        Ok(())
    } else {
        Err(error_page(lang, StatusCode::FORBIDDEN, "error-forbidden"))
    }
}

/// A checked public form post: its fields, its language and the help state.
pub(crate) type PublicPost<'a> = (Vec<(String, String)>, Loc, &'a HelpState);

/// The opening of every public form post: its fields, its language, the help state (else 503),
/// then the `public` form token (else 403).
pub(crate) fn public_post<'a>(
    site: &'a Site,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<PublicPost<'a>, Response> {
    let pairs = form_pairs(body);
    let l = posted_loc(headers, &pairs);
    let h = help_state(site, l.lang)?;
    check_token(h, "public", &pairs, l.lang)?;
    Ok((pairs, l, h))
}

/// The opening of a public page that needs the help state: the request's context (a bad `lang`
/// is a 400), then the help state (else 503).
pub(crate) fn help_page<'a>(
    site: &'a Site,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
) -> Result<(Ctx, &'a HelpState), Response> {
    let ctx = Ctx::new(headers, path, query).map_err(IntoResponse::into_response)?;
    let h = help_state(site, ctx.loc.lang)?;
    Ok((ctx, h))
}

pub(crate) fn too_many(lang: Lang) -> Response {
    let mut r = error_page(lang, StatusCode::TOO_MANY_REQUESTS, "error-too-many");
    r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    r
}

pub(crate) fn internal(lang: Lang, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("{what}: {e}");
    error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
}

// ---------------------------------------------------------------------------------------------
// The form

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "help_form.html")]
struct FormPage {
    l: Loc,
    switch: String,
    token: String,
    errors: Vec<(String, String)>,
    email: String,
    need: String,
    channels: Vec<Choice>,
    regions: Vec<Choice>,
    from: String,
    shortlist: String,
    attach: bool,
    partners: Vec<Choice>,
    followup: bool,
    news: bool,
    how_long: String,
    outbox: bool,
}

impl FormPage {
    fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| f == field)
    }
}

/// The providers of the short list named by `from` (a `/choisir?…` or `/resultats?…` address).
fn shortlist_of(site: &Site, from: &str) -> Vec<(String, String)> {
    // Only the choice pages carry a short list; other pages (a move's report, the transition
    // journey) offer help without one.
    if !(from.starts_with("/choisir?") || from.starts_with("/resultats?")) {
        return Vec::new();
    }
    let query = from.split_once('?').map_or("", |(_, q)| q);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "lang" && k != "tous")
        .take(40)
        .collect();
    let Ok(needs) = Needs::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) else {
        return Vec::new();
    };
    let list = site.catalog().recommend(&needs);
    list.top().iter().map(|m| (m.provider.id.clone(), m.provider.name.clone())).collect()
}

struct Values {
    email: String,
    need: String,
    channel: String,
    region: String,
    from: String,
    attach: bool,
    partners: Vec<String>,
    followup: bool,
    news: bool,
}

fn form_page(
    site: &Site,
    h: &HelpState,
    l: Loc,
    switch: String,
    v: &Values,
    errors: Vec<(String, String)>,
) -> FormPage {
    let list = shortlist_of(site, &v.from);
    let mut regions: Vec<Choice> = REGIONS
        .iter()
        .map(|c| Choice { value: (*c).to_owned(), label: l.region(c), checked: v.region == *c })
        .collect();
    regions.sort_by(|a, b| a.label.cmp(&b.label));
    FormPage {
        l,
        switch,
        token: h.signer.issue("public", now()),
        errors,
        email: v.email.clone(),
        need: v.need.clone(),
        channels: ["mail", "phone", "in-person"]
            .iter()
            .map(|c| Choice {
                value: (*c).to_owned(),
                label: l.t(&format!("help-channel-{c}")),
                checked: v.channel == *c,
            })
            .collect(),
        regions,
        from: v.from.clone(),
        shortlist: list.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", "),
        attach: v.attach,
        partners: list
            .iter()
            .map(|(id, name)| Choice {
                value: id.clone(),
                label: partner_wording(&l, name),
                checked: v.partners.contains(id),
            })
            .collect(),
        followup: v.followup,
        news: v.news,
        how_long: l.t_args("help-who-how-long", &[("months", h.cfg.retention.confirmed_months.to_string())]),
        outbox: h.cfg.outbox.is_some(),
    }
}

fn partner_wording(l: &Loc, name: &str) -> String {
    l.t_args("help-consent-partner", &[("name", name.to_owned())])
}

/// `GET /accompagnement[?depuis=/choisir?…]`: the form, never required to see any result.
async fn form(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let (ctx, h) = match help_page(&site, &headers, "/accompagnement", q.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let from = ctx.pairs.iter().find(|(k, _)| k == "depuis").map(|(_, v)| v.clone()).unwrap_or_default();
    let v = Values {
        email: String::new(),
        need: String::new(),
        channel: "mail".into(),
        region: String::new(),
        from,
        attach: false,
        partners: Vec::new(),
        followup: false,
        news: false,
    };
    let page = form_page(&site, h, ctx.loc, ctx.switch_href(), &v, Vec::new());
    render(StatusCode::OK, &page)
}

/// `POST /accompagnement`: checks the token and the fields, stores an unconfirmed request, mails
/// the confirmation link.
async fn submit(
    State(site): State<Site>,
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
    let v = Values {
        email: field(&pairs, "email").chars().take(300).collect(),
        need: field(&pairs, "besoin").chars().take(MAX_NEED_CHARS + 1).collect(),
        channel: field(&pairs, "canal").to_owned(),
        region: field(&pairs, "region").to_owned(),
        from: field(&pairs, "depuis").chars().take(1000).collect(),
        attach: field(&pairs, "joindre") == "1",
        partners: pairs.iter().filter(|(k, _)| k == "partenaire").map(|(_, v)| v.clone()).collect(),
        followup: field(&pairs, "accord-suivi") == "1",
        news: field(&pairs, "accord-nouvelles") == "1",
    };
    let mut errors = Vec::new();
    let email = ContactEmail::parse(&v.email);
    if email.is_err() {
        errors.push(("email".to_owned(), l.t("help-error-email")));
    }
    if v.need.chars().count() > MAX_NEED_CHARS {
        errors.push(("besoin".to_owned(), l.t("help-error-need")));
    }
    let channel = Channel::parse(&v.channel);
    if channel.is_none() {
        errors.push(("canal-mail".to_owned(), l.t("help-error-channel")));
    }
    let region_ok = REGIONS.contains(&v.region.as_str());
    if channel == Some(Channel::InPerson) && !region_ok {
        errors.push(("region".to_owned(), l.t("help-error-region")));
    }
    if !v.followup {
        errors.push(("accord-suivi".to_owned(), l.t("help-error-consent")));
    }
    let list = shortlist_of(&site, &v.from);
    let partners: Vec<&(String, String)> = list.iter().filter(|(id, _)| v.partners.contains(id)).collect();
    let (Ok(email), Some(channel), true) = (email, channel, errors.is_empty()) else {
        let switch = l.switch_href("/accompagnement", &[]);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&site, h, l, switch, &v, errors));
    };

    let mut consents = vec![(Purpose::FollowUp.as_string(), l.t("help-consent-followup"))];
    if v.news {
        consents.push((Purpose::News.as_string(), l.t("help-consent-news")));
    }
    for (id, name) in &partners {
        consents.push((Purpose::Partner(id.clone()).as_string(), partner_wording(&l, name)));
    }
    let (Ok(confirm), Ok(data)) = (Token::generate(), Token::generate()) else {
        return internal(l.lang, "random tokens", "getrandom failed");
    };
    let t = now();
    let new = NewHelpRequest {
        email: email.as_str().to_owned(),
        lang: l.lang.code().to_owned(),
        need: v.need.trim().to_owned(),
        channel: channel.as_str().to_owned(),
        region: if region_ok { v.region.clone() } else { String::new() },
        context: if v.attach {
            list.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
        } else {
            String::new()
        },
        consents: consents.into_iter().map(|(p, w)| (p, CONSENT_TEXT_VERSION.to_owned(), w)).collect(),
        confirm_token_hash: confirm.hash(),
        confirm_expires_at: t + h.cfg.retention.unconfirmed_hours * 3600,
        data_token_hash: data.hash(),
        now: t,
    };
    if let Err(e) = site.store().create_help_request(&new).await {
        return internal(l.lang, "storing a help request", e);
    }
    let mail = confirmation_mail(h, l, email, &confirm, &data);
    if let Err(e) = h.cfg.mailer.send(&mail).await {
        return internal(l.lang, "sending the confirmation mail", e);
    }
    let mut paragraphs = vec![
        l.t("help-sent-text"),
        l.t_args("help-sent-expiry", &[("hours", h.cfg.retention.unconfirmed_hours.to_string())]),
    ];
    if h.cfg.outbox.is_some() {
        paragraphs.push(l.t("help-outbox-note"));
    }
    let page = NoticePage::new(l, l.t("help-sent-title"), paragraphs);
    render(StatusCode::OK, &page)
}

/// The link to the private data page of a request, for mails.
fn data_url(h: &HelpState, token: &Token, lang: Lang) -> String {
    format!("{}/mes-donnees/{}?lang={}", h.cfg.base_url.trim_end_matches('/'), token.expose(), lang.code())
}

fn confirmation_mail(h: &HelpState, l: Loc, to: ContactEmail, confirm: &Token, data: &Token) -> OutgoingMail {
    let base = h.cfg.base_url.trim_end_matches('/');
    let confirm_url = format!("{base}/accompagnement/confirmer/{}?lang={}", confirm.expose(), l.code());
    let data_url = data_url(h, data, l.lang);
    let hours = h.cfg.retention.unconfirmed_hours.to_string();
    let text = l.t_args(
        "help-mail-confirm-text",
        &[("confirm", confirm_url.clone()), ("data", data_url.clone()), ("hours", hours.clone())],
    );
    let html = mail_html(&l, &text);
    OutgoingMail {
        to,
        subject: l.t("help-mail-confirm-subject"),
        text,
        html,
        unsubscribe_url: Some(format!("{base}/mes-donnees/{}/desabonner", data.expose())),
        attachments: Vec::new(),
    }
}

/// The HTML part of a mail: the same text, escaped, with its links made clickable.
pub(crate) fn mail_html(l: &Loc, text: &str) -> String {
    let mut body = String::new();
    for para in text.split("\n\n") {
        let mut p = String::new();
        for (i, line) in para.lines().enumerate() {
            if i > 0 {
                p.push_str("<br>\n");
            }
            for (j, word) in line.split(' ').enumerate() {
                if j > 0 {
                    p.push(' ');
                }
                let esc = escape(word);
                if word.starts_with("https://") || word.starts_with("http://") {
                    p.push_str(&format!("<a href=\"{esc}\">{esc}</a>"));
                } else {
                    p.push_str(&esc);
                }
            }
        }
        body.push_str(&format!("<p>{p}</p>\n"));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"></head><body>\n{body}</body></html>\n",
        l.code()
    )
}

/// Minimal HTML escaping for mail bodies (askama escapes the pages).
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

// ---------------------------------------------------------------------------------------------
// Notices and confirmation

/// A short page: a title, some paragraphs, and maybe a link or a one-button form.
#[derive(Template)]
#[template(path = "help_notice.html")]
pub(crate) struct NoticePage {
    pub l: Loc,
    pub switch: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
    /// (action, token, button label)
    pub button: Option<(String, String, String)>,
}

impl NoticePage {
    pub fn new(l: Loc, title: String, paragraphs: Vec<String>) -> NoticePage {
        NoticePage { l, switch: l.switch_href("/", &[]), title, paragraphs, link: None, button: None }
    }
}

pub(crate) fn token_or_404(raw: &str, lang: Lang) -> Result<Token, Response> {
    Token::from_url(raw).ok_or_else(|| error_page(lang, StatusCode::NOT_FOUND, "error-link-unknown"))
}

/// A one-button page for a link from a mail (mail scanners open links by themselves): the
/// button posts back to `path` with a fresh `public` token. Texts are (title, text, button) keys.
pub(crate) fn button_notice(
    ctx: &Ctx,
    h: &HelpState,
    path: &str,
    (title, text, button): (&str, &str, &str),
) -> Response {
    let l = ctx.loc;
    let mut page = NoticePage::new(l, l.t(title), vec![l.t(text)]);
    page.switch = ctx.switch_href();
    page.button = Some((l.href(path), h.signer.issue("public", now()), l.t(button)));
    render(StatusCode::OK, &page)
}

/// `GET /accompagnement/confirmer/{token}`: a button, because mail scanners open links by themselves.
async fn confirm_page(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let path = format!("/accompagnement/confirmer/{raw}");
    let (ctx, h) = match help_page(&site, &headers, &path, q.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = ctx.loc;
    let token = match token_or_404(&raw, l.lang) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match site.store().help_request_by_token(&token.hash(), "confirm", now()).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-link-unknown"),
        Err(e) => return internal(l.lang, "reading a confirmation token", e),
    }
    let texts = ("help-confirm-title", "help-confirm-text", "help-confirm-button");
    button_notice(&ctx, h, &path, texts)
}

/// `POST /accompagnement/confirmer/{token}`.
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
    match site.store().confirm_help_request(&token.hash(), now()).await {
        Ok(Some(_)) => {
            let mut page = NoticePage::new(
                l,
                l.t("help-confirmed-title"),
                vec![l.t_args(
                    "help-confirmed-text",
                    &[("months", h.cfg.retention.confirmed_months.to_string())],
                )],
            );
            page.paragraphs.push(l.t("help-confirmed-data"));
            render(StatusCode::OK, &page)
        }
        Ok(None) => error_page(l.lang, StatusCode::NOT_FOUND, "error-link-unknown"),
        Err(e) => internal(l.lang, "confirming a help request", e),
    }
}

// ---------------------------------------------------------------------------------------------
// My data

pub struct ConsentView {
    pub purpose: String,
    pub wording: String,
    pub given: String,
    pub withdrawn: Option<String>,
}

#[derive(Template)]
#[template(path = "help_my_data.html")]
struct MyDataPage {
    l: Loc,
    switch: String,
    token: String,
    base: String,
    req: HelpRequest,
    channel: String,
    region: String,
    status: String,
    created: String,
    delete_on: String,
    consents: Vec<ConsentView>,
}

pub(crate) fn when(l: &Loc, t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(String::new, |d| match l.lang {
        Lang::Fr => d.format("%d/%m/%Y %H:%M UTC").to_string(),
        Lang::En => d.format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}

async fn request_for(site: &Site, raw: &str, lang: Lang) -> Result<HelpRequest, Response> {
    let token = token_or_404(raw, lang)?;
    match site.store().help_request_by_token(&token.hash(), "data", now()).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(error_page(lang, StatusCode::NOT_FOUND, "error-link-unknown")),
        Err(e) => Err(internal(lang, "reading a data token", e)),
    }
}

/// When a request will be deleted if nothing else happens.
fn deletion_time(h: &HelpState, req: &HelpRequest) -> i64 {
    match req.confirmed_at {
        None => req.created_at + h.cfg.retention.unconfirmed_hours * 3600,
        Some(_) => chrono::DateTime::from_timestamp(req.last_action_at, 0)
            .and_then(|d| d.checked_add_months(chrono::Months::new(h.cfg.retention.confirmed_months)))
            .map_or(req.last_action_at, |d| d.timestamp()),
    }
}

/// `GET /mes-donnees/{token}`: everything held about the person, and what they can do with it.
async fn my_data(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let path = format!("/mes-donnees/{raw}");
    let (ctx, h) = match help_page(&site, &headers, &path, q.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let l = ctx.loc;
    let req = match request_for(&site, &raw, l.lang).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let consents = match site.store().help_consents(req.id).await {
        Ok(c) => c,
        Err(e) => return internal(l.lang, "reading consents", e),
    };
    let page = MyDataPage {
        l,
        switch: ctx.switch_href(),
        token: h.signer.issue("public", now()),
        base: path,
        channel: l.t(&format!("help-channel-{}", req.channel)),
        region: if req.region.is_empty() { String::new() } else { l.region(&req.region) },
        status: l.t(&format!("help-status-{}", req.status)),
        created: when(&l, req.created_at),
        delete_on: when(&l, deletion_time(h, &req)),
        consents: consents
            .into_iter()
            .map(|c| ConsentView {
                purpose: c.purpose,
                wording: c.wording,
                given: when(&l, c.given_at),
                withdrawn: c.withdrawn_at.map(|t| when(&l, t)),
            })
            .collect(),
        req,
    };
    render(StatusCode::OK, &page)
}

/// `GET /mes-donnees/{token}/donnees.json`: the same data, machine-readable (GDPR art. 20).
async fn my_data_json(State(site): State<Site>, Path(raw): Path<String>, headers: HeaderMap) -> Response {
    let lang = super::request_lang(&headers, None);
    let req = match request_for(&site, &raw, lang).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let store = site.store();
    let (consents, history) = match (store.help_consents(req.id).await, store.help_history(req.id).await) {
        (Ok(c), Ok(h)) => (c, h),
        (Err(e), _) | (_, Err(e)) => return internal(lang, "reading a request", e),
    };
    // Volunteers' internal notes are not data the person gave, but they are about them: included.
    let notes = match store.help_notes(req.id).await {
        Ok(n) => n,
        Err(e) => return internal(lang, "reading notes", e),
    };
    let doc = serde_json::json!({
        "request": req,
        "consents": consents,
        "status_history": history,
        "notes": notes,
    });
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"mes-donnees.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_string_pretty(&doc).unwrap_or_default(),
    )
        .into_response()
}

/// `POST /mes-donnees/{token}/retirer`: withdraws one consent (`purpose`), or all.
async fn withdraw(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (pairs, l, _) = match public_post(&site, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = match request_for(&site, &raw, l.lang).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let purpose = field(&pairs, "accord");
    let purpose = Purpose::parse(purpose).map(|p| p.as_string());
    if let Err(e) = site.store().withdraw_consent(req.id, purpose.as_deref(), now()).await {
        return internal(l.lang, "withdrawing a consent", e);
    }
    let mut page = NoticePage::new(l, l.t("help-withdrawn-title"), vec![l.t("help-withdrawn-text")]);
    page.link = Some((l.href(&format!("/mes-donnees/{raw}")), l.t("help-back-to-data")));
    render(StatusCode::OK, &page)
}

/// `POST /mes-donnees/{token}/effacer`: erases every row about the person, now.
async fn erase(
    State(site): State<Site>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (_, l, _) = match public_post(&site, &headers, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let req = match request_for(&site, &raw, l.lang).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Err(e) = site.store().erase_help_request(req.id).await {
        return internal(l.lang, "erasing a help request", e);
    }
    let mut page = NoticePage::new(l, l.t("help-erased-title"), vec![l.t("help-erased-text")]);
    page.link = Some((l.href("/"), l.t("error-back-home")));
    render(StatusCode::OK, &page)
}

/// `POST /mes-donnees/{token}/desabonner`: RFC 8058 one-click unsubscribe from a mail client.
/// No form token: the client posts without a page, and the 256-bit link token is the proof.
async fn unsubscribe(State(site): State<Site>, Path(raw): Path<String>, headers: HeaderMap) -> Response {
    let lang = super::request_lang(&headers, None);
    let req = match request_for(&site, &raw, lang).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match site.store().withdraw_consent(req.id, None, now()).await {
        Ok(_) => (StatusCode::OK, "unsubscribed").into_response(),
        Err(e) => internal(lang, "one-click unsubscribe", e),
    }
}

/// The volunteers' mark on a provider (full, away, closed) in the reader's words, if any.
pub async fn provider_mark(site: &Site, l: &Loc, provider_id: &str) -> Option<String> {
    let marks =
        site.store().provider_statuses().await.map_err(|e| tracing::error!("provider marks: {e}")).ok()?;
    let m = marks.into_iter().find(|m| m.provider_id == provider_id)?;
    let status = l.t(&format!("provider-mark-public-{}", m.status));
    Some(if m.note.is_empty() { status } else { format!("{status} {}", m.note) })
}

/// Deletes what the retention rules say must go, as of `now`; returns what was removed.
pub async fn purge(
    store: &demail_store::Store,
    retention: Retention,
    now: i64,
) -> Result<demail_store::PurgeReport, demail_store::StoreError> {
    let idle_before = chrono::DateTime::from_timestamp(now, 0)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(retention.confirmed_months)))
        .map_or(now, |d| d.timestamp());
    store.purge_help_requests(now - retention.unconfirmed_hours * 3600, idle_before).await
}
