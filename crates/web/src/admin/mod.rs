//! The volunteers' backoffice under `/admin`: log-in with rate limiting, sessions in a cookie
//! limited to `/admin`, a signed token on every form, and the help requests' triage.

// The error of these helpers is the page to send back, as in axum's own extractors.
#![allow(clippy::result_large_err)]

mod stats;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use demail_help::{ContactEmail, OutgoingMail, Purpose, Role, Token, verify_password, verify_totp};
use demail_store::{AdminUser, HelpFilter, HelpRequest};

use crate::pages::help::{
    HelpState, check_token, field, form_pairs, help_state, internal, mail_html, too_many, when,
};
use crate::pages::{error_page, now, render};
use crate::ratelimit::ClientIp;
use crate::view::Loc;
use crate::{Lang, Site};

/// Name of the session cookie (sent only to `/admin`).
pub const COOKIE: &str = "demail_admin";
/// How long a session lasts.
const SESSION_SECONDS: i64 = 12 * 3600;
/// Statuses a confirmed request can have.
pub const STATUSES: &[&str] = &["new", "assigned", "in-progress", "done", "no-answer"];
/// Catalogue marks a volunteer can set.
const PROVIDER_MARKS: &[&str] = &["open", "full", "away", "closed"];

/// Routes of the backoffice.
pub fn routes() -> Router<Site> {
    Router::new()
        .route("/admin", get(requests))
        .route("/admin/connexion", get(login_form).post(login))
        .route("/admin/deconnexion", post(logout))
        .route("/admin/demandes/{id}", get(request_page).post(request_action))
        .route("/admin/fournisseurs", get(providers).post(provider_action))
        .route("/admin/journal", get(audit))
        .route("/admin/statistiques", get(stats_page))
        .route("/admin/statistiques.csv", get(stats_csv))
        .route("/admin/statistiques/{metric}", get(stats_chart))
        .route("/admin/evenements", get(events).post(create_event))
}

/// A logged-in volunteer, with the hash of their session (the scope of their form tokens).
struct Session {
    user: AdminUser,
    hash: String,
}

impl Session {
    fn is_admin(&self) -> bool {
        Role::parse(&self.user.role) == Some(Role::Admin)
    }

    fn scope(&self) -> String {
        format!("admin:{}", self.hash)
    }

    /// Whether this account may see and act on `req`: admins all; volunteers theirs and unassigned.
    fn may_see(&self, req: &HelpRequest) -> bool {
        self.is_admin() || req.assignee.is_none_or(|a| a == self.user.id)
    }
}

fn lang_of(headers: &HeaderMap) -> Loc {
    Loc { lang: crate::pages::request_lang(headers, None), explicit: false }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_owned())
        })
}

/// The session of this request, or the response to send instead (the log-in page).
async fn session(site: &Site, headers: &HeaderMap) -> Result<Session, Response> {
    let to_login = || Redirect::to("/admin/connexion").into_response();
    let Some(token) = cookie_value(headers).and_then(|v| Token::from_url(&v)) else { return Err(to_login()) };
    let hash = token.hash();
    match site.store().admin_session(&hash, now()).await {
        Ok(Some(user)) => Ok(Session { user, hash }),
        Ok(None) => Err(to_login()),
        Err(e) => Err(internal(lang_of(headers).lang, "reading a session", e)),
    }
}

/// Everything a backoffice page needs: the session, the help state, the language.
async fn enter<'a>(site: &'a Site, headers: &HeaderMap) -> Result<(Session, &'a HelpState, Loc), Response> {
    let l = lang_of(headers);
    let h = help_state(site, l.lang)?;
    let s = session(site, headers).await?;
    Ok((s, h, l))
}

/// [`enter`], for the pages only administrators see (403 for other volunteers).
async fn enter_admin<'a>(
    site: &'a Site,
    headers: &HeaderMap,
) -> Result<(Session, &'a HelpState, Loc), Response> {
    let (s, h, l) = enter(site, headers).await?;
    admin_only(&s, &l)?;
    Ok((s, h, l))
}

/// A posted backoffice form: the session, and 403 unless its token belongs to this session.
async fn enter_post<'a>(
    site: &'a Site,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<(Session, &'a HelpState, Loc), Response> {
    let l = lang_of(headers);
    let h = help_state(site, l.lang)?;
    // Check the token before the session, so a forged post learns nothing about sessions.
    let s = session(site, headers).await;
    let scope = s.as_ref().map_or_else(|_| "admin:none".to_owned(), Session::scope);
    check_token(h, &scope, pairs, l.lang)?;
    Ok((s?, h, l))
}

async fn log(site: &Site, s: &Session, action: &str, detail: &str, request: Option<i64>) {
    if let Err(e) = site.store().audit(Some(s.user.id), action, detail, request, now()).await {
        tracing::error!("audit log: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Log-in

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    l: Loc,
    token: String,
    failed: bool,
}

async fn login_form(State(site): State<Site>, headers: HeaderMap) -> Response {
    let l = lang_of(&headers);
    let h = match help_state(&site, l.lang) {
        Ok(h) => h,
        Err(r) => return r,
    };
    render(StatusCode::OK, &LoginPage { l, token: h.signer.issue("login", now()), failed: false })
}

async fn login(
    State(site): State<Site>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = form_pairs(&body);
    let l = lang_of(&headers);
    let h = match help_state(&site, l.lang) {
        Ok(h) => h,
        Err(r) => return r,
    };
    if let Err(r) = check_token(h, "login", &pairs, l.lang) {
        return r;
    }
    // Before the (deliberately slow) password check: guessing is limited per address.
    if !h.login_limit.check(ip) {
        return too_many(l.lang);
    }
    let user = match site.store().admin_user_for_login(field(&pairs, "utilisateur")).await {
        Ok(u) => u,
        Err(e) => return internal(l.lang, "reading an account", e),
    };
    let password = field(&pairs, "mot-de-passe").to_owned();
    let code = field(&pairs, "code").to_owned();
    let user = match user {
        Some((user, hash)) => {
            let ok =
                tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
            // With TOTP turned on for the account, the 6-digit code is required too.
            let second = match &user.totp_secret {
                Some(secret) => verify_totp(secret, &code, u64::try_from(now()).unwrap_or(0)),
                None => true,
            };
            (ok && second).then_some(user)
        }
        None => None,
    };
    let Some(user) = user else {
        let page = LoginPage { l, token: h.signer.issue("login", now()), failed: true };
        return render(StatusCode::UNAUTHORIZED, &page);
    };
    let Ok(token) = Token::generate() else { return internal(l.lang, "session token", "getrandom failed") };
    let t = now();
    if let Err(e) = site.store().create_admin_session(&token.hash(), user.id, t, t + SESSION_SECONDS).await {
        return internal(l.lang, "opening a session", e);
    }
    let _ = site.store().audit(Some(user.id), "login", "", None, t).await;
    let secure = if h.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}",
        token.expose()
    );
    let mut res = Redirect::to("/admin").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

async fn logout(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs = form_pairs(&body);
    let (s, _, l) = match enter_post(&site, &headers, &pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(e) = site.store().end_admin_session(&s.hash, now()).await {
        return internal(l.lang, "closing a session", e);
    }
    let mut res = Redirect::to("/admin/connexion").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("demail_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    res
}

// ---------------------------------------------------------------------------------------------
// Requests

pub struct Row {
    pub id: i64,
    pub created: String,
    pub status: String,
    pub channel: String,
    pub region: String,
    pub assignee: String,
    pub need: String,
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin_requests.html")]
struct RequestsPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    rows: Vec<Row>,
    statuses: Vec<Opt>,
    channels: Vec<Opt>,
    regions: Vec<Opt>,
    age: String,
    counts: Vec<(String, i64)>,
}

fn options(l: &Loc, prefix: &str, values: &[&str], chosen: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt { value: (*v).to_owned(), label: l.t(&format!("{prefix}-{v}")), selected: *v == chosen })
        .collect()
}

fn name_of(users: &[AdminUser], id: Option<i64>) -> String {
    id.and_then(|id| users.iter().find(|u| u.id == id)).map_or_else(String::new, |u| u.username.clone())
}

/// `GET /admin?statut=&region=&canal=&age=`: the requests this account may see.
async fn requests(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let (s, h, l) = match enter(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().take(20).collect();
    let status = field(&pairs, "statut");
    let region = field(&pairs, "region");
    let channel = field(&pairs, "canal");
    let age = field(&pairs, "age");
    let days: Option<i64> = age.parse().ok().filter(|d| (0..=3650).contains(d));
    let filter = HelpFilter {
        status: STATUSES.contains(&status).then(|| status.to_owned()),
        region: demail_catalog::matching::REGIONS.contains(&region).then(|| region.to_owned()),
        channel: ["mail", "phone", "in-person"].contains(&channel).then(|| channel.to_owned()),
        created_before: days.map(|d| now() - d * 86_400),
        assignee: (!s.is_admin()).then_some(s.user.id),
        include_unassigned: !s.is_admin(),
    };
    let store = site.store();
    let (list, users, counts) = match (
        store.help_requests(&filter).await,
        store.admin_users().await,
        // Only administrators see the counts per status.
        if s.is_admin() { store.help_counts_by_status().await } else { Ok(Vec::new()) },
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return internal(l.lang, "listing requests", e),
    };
    let mut regions: Vec<Opt> = demail_catalog::matching::REGIONS
        .iter()
        .map(|c| Opt { value: (*c).to_owned(), label: l.region(c), selected: *c == region })
        .collect();
    regions.sort_by(|a, b| a.label.cmp(&b.label));
    let page = RequestsPage {
        l,
        user: s.user.username.clone(),
        is_admin: s.is_admin(),
        token: h.signer.issue(&s.scope(), now()),
        rows: list
            .iter()
            .map(|r| Row {
                id: r.id,
                created: when(&l, r.created_at),
                status: l.t(&format!("help-status-{}", r.status)),
                channel: l.t(&format!("help-channel-{}", r.channel)),
                region: if r.region.is_empty() { String::new() } else { l.region(&r.region) },
                assignee: name_of(&users, r.assignee),
                need: r.need.chars().take(120).collect(),
            })
            .collect(),
        statuses: options(&l, "help-status", STATUSES, status),
        channels: options(&l, "help-channel", &["mail", "phone", "in-person"], channel),
        regions,
        age: days.map(|d| d.to_string()).unwrap_or_default(),
        counts: counts.into_iter().map(|(k, n)| (l.t(&format!("help-status-{k}")), n)).collect(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin_request.html")]
struct RequestPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    req: HelpRequest,
    created: String,
    status_label: String,
    channel: String,
    region: String,
    assignee: String,
    volunteers: Vec<Opt>,
    statuses: Vec<Opt>,
    consents: Vec<(String, bool)>,
    partners: Vec<(String, String)>,
    history: Vec<(String, String, String)>,
    notes: Vec<(String, String, String, String)>,
    may_mail: bool,
    message: String,
}

async fn request_page(
    State(site): State<Site>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (s, h, l) = match enter(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let done = q.as_deref().and_then(|q| q.strip_prefix("fait=")).unwrap_or_default();
    let message = match done {
        "assign" | "status" | "note" | "mail" | "handover" => l.t(&format!("admin-done-{done}")),
        _ => String::new(),
    };
    show_request(&site, h, l, &s, id, message).await
}

async fn show_request(site: &Site, h: &HelpState, l: Loc, s: &Session, id: i64, message: String) -> Response {
    let store = site.store();
    let req = match store.help_request(id).await {
        Ok(Some(r)) if r.confirmed_at.is_some() && s.may_see(&r) => r,
        Ok(_) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => return internal(l.lang, "reading a request", e),
    };
    let (users, consents, history, notes) = match (
        store.admin_users().await,
        store.help_consents(id).await,
        store.help_history(id).await,
        store.help_notes(id).await,
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return internal(l.lang, "reading a request", e);
        }
    };
    let may_mail = consents.iter().any(|c| c.purpose == "followup" && c.withdrawn_at.is_none());
    let partners = consents
        .iter()
        .filter(|c| c.withdrawn_at.is_none())
        .filter_map(|c| match Purpose::parse(&c.purpose) {
            Some(Purpose::Partner(id)) => {
                let name = site.catalog().get(&id).map_or_else(|| id.clone(), |p| p.name.clone());
                Some((id, name))
            }
            _ => None,
        })
        .collect();
    let page = RequestPage {
        l,
        user: s.user.username.clone(),
        is_admin: s.is_admin(),
        token: h.signer.issue(&s.scope(), now()),
        created: when(&l, req.created_at),
        status_label: l.t(&format!("help-status-{}", req.status)),
        channel: l.t(&format!("help-channel-{}", req.channel)),
        region: if req.region.is_empty() { String::new() } else { l.region(&req.region) },
        assignee: name_of(&users, req.assignee),
        volunteers: users
            .iter()
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.username.clone(),
                selected: req.assignee == Some(u.id),
            })
            .collect(),
        statuses: options(&l, "help-status", STATUSES, &req.status),
        consents: consents.iter().map(|c| (c.wording.clone(), c.withdrawn_at.is_none())).collect(),
        partners,
        history: history
            .iter()
            .map(|c| (when(&l, c.at), l.t(&format!("help-status-{}", c.status)), name_of(&users, c.by_user)))
            .collect(),
        notes: notes
            .iter()
            .map(|n| {
                (
                    when(&l, n.at),
                    l.t(&format!("admin-note-kind-{}", n.kind)),
                    name_of(&users, n.author),
                    n.body.clone(),
                )
            })
            .collect(),
        may_mail,
        message,
        req,
    };
    render(StatusCode::OK, &page)
}

/// `POST /admin/demandes/{id}`: one action (`action` = assign, status, note, mail, handover).
async fn request_action(
    State(site): State<Site>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = form_pairs(&body);
    let (s, h, l) = match enter_post(&site, &headers, &pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store = site.store();
    let req = match store.help_request(id).await {
        Ok(Some(r)) if r.confirmed_at.is_some() && s.may_see(&r) => r,
        Ok(_) => return error_page(l.lang, StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => return internal(l.lang, "reading a request", e),
    };
    let t = now();
    let action = field(&pairs, "action");
    let result = match action {
        "assign" => {
            let to: Option<i64> = field(&pairs, "benevole").parse().ok();
            // Volunteers may only take a request for themselves.
            if !s.is_admin() && to != Some(s.user.id) {
                return error_page(l.lang, StatusCode::FORBIDDEN, "error-forbidden");
            }
            let r = store.assign_help_request(id, to, Some(s.user.id), t).await;
            log(
                &site,
                &s,
                "assign",
                &format!("to user {}", to.map_or("nobody".into(), |u| u.to_string())),
                Some(id),
            )
            .await;
            r
        }
        "status" => {
            let status = field(&pairs, "statut");
            if !STATUSES.contains(&status) {
                return error_page(l.lang, StatusCode::BAD_REQUEST, "error-bad-form");
            }
            let r = store.set_help_status(id, status, Some(s.user.id), t).await;
            log(&site, &s, "status", status, Some(id)).await;
            r
        }
        "note" => {
            let note: String = field(&pairs, "note").trim().chars().take(5000).collect();
            if note.is_empty() {
                return show_request(&site, h, l, &s, id, l.t("admin-empty")).await;
            }
            let r = store.add_help_note(id, "note", Some(s.user.id), &note, t).await;
            log(&site, &s, "note", "", Some(id)).await;
            r
        }
        "mail" => {
            let subject: String = field(&pairs, "sujet").trim().chars().take(200).collect();
            let text: String = field(&pairs, "message").trim().chars().take(10_000).collect();
            if subject.is_empty() || text.is_empty() {
                return show_request(&site, h, l, &s, id, l.t("admin-empty")).await;
            }
            match store.has_consent(id, "followup").await {
                Ok(true) => {}
                Ok(false) => return show_request(&site, h, l, &s, id, l.t("admin-no-consent")).await,
                Err(e) => return internal(l.lang, "reading consents", e),
            }
            if let Err(r) = reply(&site, h, &req, &subject, &text).await {
                return r;
            }
            let r =
                store.add_help_note(id, "mail", Some(s.user.id), &format!("{subject}\n\n{text}"), t).await;
            log(&site, &s, "mail", "", Some(id)).await;
            r
        }
        "handover" => {
            let partner = field(&pairs, "partenaire");
            let purpose =
                Purpose::parse(&format!("partner:{partner}")).map(|p| p.as_string()).unwrap_or_default();
            match store.has_consent(id, &purpose).await {
                Ok(true) => {}
                Ok(false) => return show_request(&site, h, l, &s, id, l.t("admin-no-consent")).await,
                Err(e) => return internal(l.lang, "reading consents", e),
            }
            let r = store.add_help_note(id, "handover", Some(s.user.id), partner, t).await;
            log(&site, &s, "handover", partner, Some(id)).await;
            r
        }
        _ => return error_page(l.lang, StatusCode::BAD_REQUEST, "error-bad-form"),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/admin/demandes/{id}?fait={action}")).into_response(),
        Err(e) => internal(l.lang, "updating a request", e),
    }
}

/// Sends a volunteer's reply, in the person's language, with a fresh link to their data page.
async fn reply(
    site: &Site,
    h: &HelpState,
    req: &HelpRequest,
    subject: &str,
    text: &str,
) -> Result<(), Response> {
    let l = Loc { lang: Lang::parse(&req.lang).unwrap_or(Lang::Fr), explicit: true };
    let to = ContactEmail::parse(&req.email).map_err(|e| internal(l.lang, "stored address", e))?;
    let token = Token::generate().map_err(|e| internal(l.lang, "link token", e))?;
    site.store()
        .add_help_token(req.id, &token.hash(), "data")
        .await
        .map_err(|e| internal(l.lang, "link token", e))?;
    let base = h.cfg.base_url.trim_end_matches('/');
    let data = format!("{base}/mes-donnees/{}?lang={}", token.expose(), l.code());
    let footer = l.t_args("help-mail-footer", &[("data", data)]);
    let body = format!("{text}\n\n-- \n{footer}");
    let mail = OutgoingMail {
        to,
        subject: subject.to_owned(),
        html: mail_html(&l, &body),
        text: body,
        unsubscribe_url: Some(format!("{base}/mes-donnees/{}/desabonner", token.expose())),
        attachments: Vec::new(),
    };
    h.cfg.mailer.send(&mail).await.map_err(|e| internal(l.lang, "sending a reply", e))
}

// ---------------------------------------------------------------------------------------------
// Catalogue status, audit log, statistics (admins only)

#[derive(Template)]
#[template(path = "admin_providers.html")]
struct ProvidersPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    rows: Vec<(String, String, String, String)>,
    providers: Vec<Opt>,
    marks: Vec<Opt>,
}

fn admin_only(s: &Session, l: &Loc) -> Result<(), Response> {
    if s.is_admin() { Ok(()) } else { Err(error_page(l.lang, StatusCode::FORBIDDEN, "error-admin-only")) }
}

async fn providers(State(site): State<Site>, headers: HeaderMap) -> Response {
    let (s, h, l) = match enter_admin(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let marks = match site.store().provider_statuses().await {
        Ok(m) => m,
        Err(e) => return internal(l.lang, "reading provider marks", e),
    };
    let page = ProvidersPage {
        l,
        user: s.user.username.clone(),
        is_admin: true,
        token: h.signer.issue(&s.scope(), now()),
        rows: marks
            .iter()
            .map(|m| {
                let name = site
                    .catalog()
                    .get(&m.provider_id)
                    .map_or_else(|| m.provider_id.clone(), |p| p.name.clone());
                (name, l.t(&format!("provider-mark-{}", m.status)), m.note.clone(), when(&l, m.updated_at))
            })
            .collect(),
        providers: site
            .catalog()
            .providers()
            .iter()
            .map(|p| Opt { value: p.id.clone(), label: p.name.clone(), selected: false })
            .collect(),
        marks: options(&l, "provider-mark", PROVIDER_MARKS, "full"),
    };
    render(StatusCode::OK, &page)
}

async fn provider_action(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs = form_pairs(&body);
    let (s, _, l) = match enter_post(&site, &headers, &pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(r) = admin_only(&s, &l) {
        return r;
    }
    let id = field(&pairs, "fournisseur");
    let mark = field(&pairs, "etat");
    if site.catalog().get(id).is_none() || !PROVIDER_MARKS.contains(&mark) {
        return error_page(l.lang, StatusCode::BAD_REQUEST, "error-bad-form");
    }
    let note: String = field(&pairs, "note").trim().chars().take(300).collect();
    if let Err(e) = site.store().set_provider_status(id, mark, &note, Some(s.user.id), now()).await {
        return internal(l.lang, "marking a provider", e);
    }
    log(&site, &s, "provider-mark", &format!("{id}: {mark}"), None).await;
    Redirect::to("/admin/fournisseurs").into_response()
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    rows: Vec<(String, String, String, String)>,
}

async fn audit(State(site): State<Site>, headers: HeaderMap) -> Response {
    let (s, h, l) = match enter_admin(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let entries = match site.store().audit_log(500).await {
        Ok(e) => e,
        Err(e) => return internal(l.lang, "reading the audit log", e),
    };
    let rows = entries
        .into_iter()
        .map(|e| {
            let target = e.request_id.map(|id| format!("#{id}")).unwrap_or_default();
            (
                when(&l, e.at),
                e.username.unwrap_or_default(),
                e.action,
                format!("{} {target}", e.detail).trim().to_owned(),
            )
        })
        .collect();
    let page = AuditPage {
        l,
        user: s.user.username.clone(),
        is_admin: true,
        token: h.signer.issue(&s.scope(), now()),
        rows,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin_stats.html")]
struct StatsPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    metrics: Vec<(String, String)>,
    weeks: Vec<(String, Vec<i64>)>,
    by_status: Vec<(String, i64)>,
    by_profile: Vec<(String, i64)>,
    by_provider: Vec<(String, i64)>,
    by_outcome: Vec<(String, i64)>,
}

/// `GET /admin/statistiques`: counts per week, with a chart per count.
async fn stats_page(State(site): State<Site>, headers: HeaderMap) -> Response {
    let (s, h, l) = match enter_admin(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let today = chrono::Utc::now().date_naive();
    let (weekly, by_status) =
        match (stats::weekly(site.store(), today).await, site.store().help_counts_by_status().await) {
            (Ok(w), Ok(b)) => (w, b),
            (Err(e), _) | (_, Err(e)) => return internal(l.lang, "statistics", e),
        };
    let by_profile = stats::totals(&weekly.results);
    let by_provider = stats::totals(&weekly.signups)
        .into_iter()
        .map(|(id, n)| (site.catalog().get(&id).map_or(id, |p| p.name.clone()), n))
        .collect();
    let by_outcome = stats::totals(&weekly.migrations)
        .into_iter()
        .map(|(k, n)| (l.t(&format!("admin-stats-outcome-{k}")), n))
        .collect();
    let page = StatsPage {
        by_profile,
        by_provider,
        by_outcome,
        l,
        user: s.user.username.clone(),
        is_admin: true,
        token: h.signer.issue(&s.scope(), now()),
        metrics: stats::METRICS.iter().map(|m| ((*m).to_owned(), l.t(&format!("admin-stats-{m}")))).collect(),
        weeks: weekly.rows.iter().map(|r| (l.date(r.monday), r.counts.clone())).collect(),
        by_status: by_status.into_iter().map(|(k, n)| (l.t(&format!("help-status-{k}")), n)).collect(),
    };
    render(StatusCode::OK, &page)
}

/// `GET /admin/statistiques/{metric}.svg`: the weekly bars of one count.
async fn stats_chart(State(site): State<Site>, Path(metric): Path<String>, headers: HeaderMap) -> Response {
    let (_, _, l) = match enter_admin(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(index) = metric.strip_suffix(".svg").and_then(|m| stats::METRICS.iter().position(|x| *x == m))
    else {
        return error_page(l.lang, StatusCode::NOT_FOUND, "error-not-found");
    };
    let rows = match stats::weekly(site.store(), chrono::Utc::now().date_naive()).await {
        Ok(w) => w.rows,
        Err(e) => return internal(l.lang, "statistics", e),
    };
    let values: Vec<i64> = rows.iter().map(|r| r.counts[index]).collect();
    match stats::bar_chart(&values) {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg)
            .into_response(),
        Err(e) => internal(l.lang, "drawing a chart", e),
    }
}

/// `GET /admin/statistiques.csv`: the weekly counts (anonymous counts only).
async fn stats_csv(State(site): State<Site>, headers: HeaderMap) -> Response {
    let (_, _, l) = match enter_admin(&site, &headers).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let rows = match stats::weekly(site.store(), chrono::Utc::now().date_naive()).await {
        Ok(w) => w.rows,
        Err(e) => return internal(l.lang, "statistics", e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"statistiques.csv\""),
        ],
        stats::csv(&rows),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Events (any volunteer may create one)

#[derive(Template)]
#[template(path = "admin_events.html")]
struct EventsPage {
    l: Loc,
    user: String,
    is_admin: bool,
    token: String,
    events: Vec<crate::pages::events::EventView>,
    errors: Vec<String>,
}

async fn events_page(site: &Site, h: &HelpState, l: Loc, s: &Session, errors: Vec<String>) -> Response {
    let list = match site.store().upcoming_events(now()).await {
        Ok(e) => e,
        Err(e) => return internal(l.lang, "listing events", e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = EventsPage {
        l,
        user: s.user.username.clone(),
        is_admin: s.is_admin(),
        token: h.signer.issue(&s.scope(), now()),
        events: list.iter().map(|e| crate::pages::events::event_view(&l, e)).collect(),
        errors,
    };
    render(status, &page)
}

async fn events(State(site): State<Site>, headers: HeaderMap) -> Response {
    match enter(&site, &headers).await {
        Ok((s, h, l)) => events_page(&site, h, l, &s, Vec::new()).await,
        Err(r) => r,
    }
}

async fn create_event(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Response {
    let pairs = form_pairs(&body);
    let (s, h, l) = match enter_post(&site, &headers, &pairs).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let title: String = field(&pairs, "titre").trim().chars().take(200).collect();
    let description: String = field(&pairs, "description").trim().chars().take(5000).collect();
    let place: String = field(&pairs, "lieu").trim().chars().take(300).collect();
    let online: String = field(&pairs, "lien").trim().chars().take(500).collect();
    let starts = chrono::NaiveDateTime::parse_from_str(
        &format!("{} {}", field(&pairs, "date"), field(&pairs, "heure")),
        "%Y-%m-%d %H:%M",
    );
    let minutes: Option<i64> = field(&pairs, "duree").parse().ok().filter(|m| (15..=600).contains(m));
    let capacity: Option<i64> = field(&pairs, "places").parse().ok().filter(|c| (1..=10_000).contains(c));
    let lang = field(&pairs, "langue");
    let mut errors = Vec::new();
    if title.is_empty() {
        errors.push(l.t("admin-event-error-title"));
    }
    if place.is_empty() == online.is_empty() {
        errors.push(l.t("admin-event-error-place"));
    }
    if !online.is_empty() && !online.starts_with("https://") {
        errors.push(l.t("admin-event-error-link"));
    }
    if starts.is_err() || minutes.is_none() || capacity.is_none() || Lang::parse(lang).is_none() {
        errors.push(l.t("admin-event-error-numbers"));
    }
    let (Ok(starts), Some(minutes), Some(capacity), true) = (starts, minutes, capacity, errors.is_empty())
    else {
        return events_page(&site, h, l, &s, errors).await;
    };
    let new = demail_store::NewEvent {
        title,
        description,
        starts_at: starts.and_utc().timestamp(),
        minutes,
        place,
        online_url: online,
        capacity,
        lang: lang.to_owned(),
        created_by: Some(s.user.id),
        now: now(),
    };
    match site.store().create_event(&new).await {
        Ok(id) => {
            log(&site, &s, "event-create", &format!("event {id}"), None).await;
            Redirect::to("/admin/evenements").into_response()
        }
        Err(e) => internal(l.lang, "creating an event", e),
    }
}
