//! "Turn the page": the journey page, the old-mailbox scan (credentials held only for the
//! request), forwarding and auto-reply guides, and downloads of the results.

use std::net::IpAddr;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use demail_imap::{ConnectOptions, Credentials, Security};
use demail_scan::{
    ChangeLink, Correspondent, Kind, ScanReport, Scanner, Trust, Unsubscribe, announcement,
    correspondents_csv, correspondents_vcard,
};
use secrecy::SecretString;

use axum::extract::State;
use axum::response::Redirect;
use demail_store::{ChecklistItem, ItemStatus};
use sha2::{Digest, Sha256};

use super::{Ctx, error_page, now, render};
use crate::Site;
use crate::view::Loc;

/// The journey's routes, merged into the site's router.
pub fn routes() -> Router<Site> {
    Router::new()
        .route("/transition", get(journey))
        .route("/transition/analyse", post(analyse))
        .route("/transition/guides", get(guide_list))
        .route("/transition/guides/{id}", get(guide))
        .route("/transition/telechargement/{file}", post(download))
        .route("/transition/liste", post(checklist_create))
        .route("/transition/liste/{token}", get(checklist_show).post(checklist_update))
        .route("/transition/liste/{token}/supprimer", post(checklist_delete))
}

/// Longest time a scan may take before the page gives up.
const SCAN_LIMIT: Duration = Duration::from_secs(240);
/// Rows shown (and carried to the downloads) at most.
const MAX_ROWS: usize = 150;

// ---------------------------------------------------------------------------------------------
// The journey page and its form.

#[derive(Template)]
#[template(path = "transition.html")]
struct JourneyPage {
    l: Loc,
    switch: String,
    guides: Vec<GuideLink>,
    /// A checklist was just deleted.
    deleted: bool,
}

struct GuideLink {
    name: &'static str,
    href: String,
}

fn guide_links(l: &Loc) -> Vec<GuideLink> {
    GUIDES
        .iter()
        .map(|g| GuideLink { name: g.name, href: l.href(&format!("/transition/guides/{}", g.id)) })
        .collect()
}

async fn journey(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/transition", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let deleted = ctx.pairs.iter().any(|(k, v)| k == "liste" && v == "supprimee");
    let page = JourneyPage { l: ctx.loc, switch: ctx.switch_href(), guides: guide_links(&ctx.loc), deleted };
    render(StatusCode::OK, &page)
}

/// `POST /transition/analyse`: validates the form, scans, renders. The password lives in a
/// `SecretString` for the time of the request and is never logged.
async fn analyse(headers: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let ctx = match Ctx::new(&headers, "/transition", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let lang = ctx.loc.lang;
    let mut server = String::new();
    let mut user = String::new();
    let mut password = SecretString::from(String::new());
    let mut has_password = false;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "serveur" => server = v.trim().to_ascii_lowercase(),
            "identifiant" => user = v.trim().to_string(),
            "mot_de_passe" => {
                has_password = !v.is_empty();
                password = SecretString::from(v.into_owned());
            }
            _ => {}
        }
    }
    if server.is_empty() || user.is_empty() || !has_password {
        return error_page(lang, StatusCode::BAD_REQUEST, "transition-error-missing");
    }
    if !public_server(&server).await {
        return error_page(lang, StatusCode::BAD_REQUEST, "transition-error-server");
    }
    let mut options = ConnectOptions::new(server, 993, Security::Tls);
    options.timeout = Duration::from_secs(30);
    scan_and_render(ctx, &options, &Credentials::password(user, password)).await
}

/// Whether `host` is a host name (not an address) that resolves only to public addresses: the
/// site must not be usable to probe its own network.
async fn public_server(host: &str) -> bool {
    let valid = host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && host.parse::<IpAddr>().is_err();
    if !valid {
        return false;
    }
    let lookup = tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host((host, 993))).await;
    let Ok(Ok(addrs)) = lookup else { return false };
    let addrs: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    !addrs.is_empty() && addrs.iter().all(is_global)
}

fn is_global(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64) // shared CGNAT space
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xFE00) == 0xFC00 // unique local
                || (first & 0xFFC0) == 0xFE80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| !is_global(&IpAddr::V4(v4))))
        }
    }
}

/// Scans the account and renders the results page, or a clear error page.
async fn scan_and_render(ctx: Ctx, options: &ConnectOptions, credentials: &Credentials) -> Response {
    let lang = ctx.loc.lang;
    let mine = credentials.user.contains('@').then(|| credentials.user.clone());
    let mut scanner = Scanner::new(mine.iter());
    let scan = demail_scan::ImapScanOptions::default();
    let outcome =
        tokio::time::timeout(SCAN_LIMIT, demail_scan::scan_imap(options, credentials, &scan, &mut scanner))
            .await;
    match outcome {
        Err(_) => error_page(lang, StatusCode::GATEWAY_TIMEOUT, "transition-error-timeout"),
        Ok(Err(e)) => {
            // The error names the server, never the password.
            tracing::info!("transition scan failed: {e}");
            error_page(lang, StatusCode::BAD_REQUEST, "transition-error-login")
        }
        Ok(Ok(_)) => {
            let report = scanner.finish();
            let old = mine.unwrap_or_default();
            render(StatusCode::OK, &ResultsPage::new(ctx, &report, &old))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Results.

#[derive(Template)]
#[template(path = "transition_results.html")]
struct ResultsPage {
    l: Loc,
    switch: String,
    summary: String,
    accounts: Vec<ServiceRow>,
    maybe: Vec<ServiceRow>,
    news: Vec<NewsRow>,
    people: Vec<PersonRow>,
    announce: String,
    /// Hidden form values for the downloads: `name\tdomain\turl` and `name\taddress\tsent\treceived`.
    checklist_items: Vec<String>,
    people_items: Vec<String>,
    download_checklist: String,
    download_csv: String,
    download_vcard: String,
    keep_online: String,
}

struct ServiceRow {
    name: String,
    domain: String,
    last_seen: String,
    messages: u64,
    why: String,
    subject: String,
    url: String,
    link_label: String,
    unverified: bool,
}

struct NewsRow {
    name: String,
    label: String,
    url: String,
}

struct PersonRow {
    name: String,
    address: String,
    sent: u64,
    received: u64,
}

impl ResultsPage {
    fn new(ctx: Ctx, report: &ScanReport, old: &str) -> ResultsPage {
        let l = ctx.loc;
        let row = |s: &demail_scan::Service| {
            let (url, key) = match &s.change_link {
                ChangeLink::Known(u) => (u.clone(), "transition-change-known"),
                ChangeLink::WellKnown(u) => (u.clone(), "transition-change-wellknown"),
            };
            ServiceRow {
                name: s.name.clone(),
                domain: s.domain.clone(),
                last_seen: day(&l, s.last_seen),
                messages: s.messages,
                why: l.t(&format!("transition-kind-{}", kind_key(s.main_kind()))),
                subject: s.evidence.first().map(|e| e.subject.clone()).unwrap_or_default(),
                url,
                link_label: l.t(key),
                unverified: s.trust != Trust::Verified,
            }
        };
        let accounts: Vec<ServiceRow> = report.accounts().take(MAX_ROWS).map(row).collect();
        let maybe: Vec<ServiceRow> =
            report.services.iter().filter(|s| s.maybe_account()).take(MAX_ROWS).map(row).collect();
        let news = report
            .services
            .iter()
            .filter(|s| !s.has_account())
            .filter_map(|s| {
                let (key, url) = match s.unsubscribe.as_ref()? {
                    Unsubscribe::OneClick(u) => ("transition-unsub-oneclick", u),
                    Unsubscribe::Link(u) => ("transition-unsub-link", u),
                    Unsubscribe::Mailto(u) => ("transition-unsub-mail", u),
                };
                safe_link(url).then(|| NewsRow { name: s.name.clone(), label: l.t(key), url: url.clone() })
            })
            .take(MAX_ROWS)
            .collect();
        let people_list: Vec<&Correspondent> = report.correspondents.iter().take(MAX_ROWS).collect();
        let people = people_list
            .iter()
            .map(|p| PersonRow {
                name: p.name.clone().unwrap_or_default(),
                address: p.address.clone(),
                sent: p.sent,
                received: p.received,
            })
            .collect();
        let checklist_items = accounts
            .iter()
            .chain(maybe.iter())
            .map(|r| format!("{}\t{}\t{}", clean(&r.name), r.domain, r.url))
            .collect();
        let people_items = people_list
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{}",
                    clean(p.name.as_deref().unwrap_or_default()),
                    p.address,
                    p.sent,
                    p.received
                )
            })
            .collect();
        let new_address =
            if l.lang == crate::Lang::Fr { "nouvelle@adresse.fr" } else { "new@address.example" };
        ResultsPage {
            switch: ctx.switch_href(),
            summary: l.t_args(
                "transition-results-summary",
                &[
                    ("messages", report.messages.to_string()),
                    ("accounts", report.accounts().count().to_string()),
                    ("people", report.correspondents.len().to_string()),
                ],
            ),
            accounts,
            maybe,
            news,
            people,
            announce: announcement(l.code(), if old.is_empty() { "…" } else { old }, new_address, ""),
            checklist_items,
            people_items,
            download_checklist: l.href("/transition/telechargement/liste.csv"),
            download_csv: l.href("/transition/telechargement/contacts.csv"),
            download_vcard: l.href("/transition/telechargement/contacts.vcf"),
            keep_online: l.href("/transition/liste"),
            l,
        }
    }
}

/// Only web pages and mail addresses become links (headers are written by the sender).
fn safe_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("mailto:")
}

fn clean(s: &str) -> String {
    s.replace(['\t', '\r', '\n'], " ")
}

fn kind_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Security => "security",
        Kind::Account => "account",
        Kind::Transaction => "transaction",
        Kind::Policy => "policy",
        Kind::Newsletter => "newsletter",
        Kind::Notification => "notification",
        Kind::Personal => "personal",
    }
}

fn day(l: &Loc, t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|d| l.date(d.date_naive())).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Downloads: the results page posts back what it shows; nothing is kept on the server.

async fn download(
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
    body: Bytes,
) -> Response {
    let lang = Ctx::new(&headers, "/transition", q.as_deref()).map_or_else(|b| b.0, |c| c.loc.lang);
    let l = Loc { lang, explicit: true };
    let field = if file == "liste.csv" { "l" } else { "p" };
    let items: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
        .take(MAX_ROWS * 2)
        .collect();
    if items.is_empty() {
        return error_page(lang, StatusCode::BAD_REQUEST, "transition-error-download");
    }
    let people = || -> Vec<Correspondent> {
        items
            .iter()
            .filter_map(|i| {
                let mut f = i.split('\t');
                let name = f.next()?.to_string();
                let address = f.next()?.to_string();
                address.contains('@').then(|| Correspondent {
                    name: (!name.is_empty()).then_some(name),
                    address,
                    sent: f.next().and_then(|n| n.parse().ok()).unwrap_or(0),
                    received: f.next().and_then(|n| n.parse().ok()).unwrap_or(0),
                    last_seen: None,
                    still_writing: false,
                    score: 0.0,
                })
            })
            .collect()
    };
    let (text, kind) = match file.as_str() {
        "liste.csv" => {
            let todo = l.t("transition-checklist-todo");
            let mut out = String::from("status,service,domain,link\r\n");
            for i in &items {
                let f: Vec<&str> = i.split('\t').collect();
                if let [name, domain, url] = f[..] {
                    out.push_str(&format!("{},{},{},{}\r\n", csv(&todo), csv(name), csv(domain), csv(url)));
                }
            }
            (out, "text/csv; charset=utf-8")
        }
        "contacts.csv" => (correspondents_csv(&people()), "text/csv; charset=utf-8"),
        "contacts.vcf" => (correspondents_vcard(&people()), "text/vcard; charset=utf-8"),
        _ => return error_page(lang, StatusCode::NOT_FOUND, "error-not-found"),
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"demail-{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response()
}

/// One CSV field (RFC 4180), with spreadsheet formulas defused.
fn csv(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\r', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

// ---------------------------------------------------------------------------------------------
// The checklist kept online under a private link (no account): only a hash of the link's token
// is stored, and the list is deleted after `RETENTION_DAYS`.

/// How long a checklist is kept (stated on the page).
pub const RETENTION_DAYS: i64 = 90;

/// A new private token: 128 random bits as 32 hex digits.
fn new_token() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The stored key of a token; `None` when the token is not one we could have made.
fn token_hash(token: &str) -> Option<String> {
    (token.len() == 32 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect())
}

async fn checklist_create(
    State(site): State<Site>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let l = Ctx::new(&headers, "/transition", q.as_deref())
        .map_or_else(|b| Loc { lang: b.0, explicit: true }, |c| c.loc);
    let items: Vec<ChecklistItem> = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "l")
        .filter_map(|(_, v)| {
            let f: Vec<&str> = v.split('\t').collect();
            match f[..] {
                [label, domain, link] if safe_link(link) => Some(ChecklistItem {
                    label: label.chars().take(200).collect(),
                    domain: domain.chars().take(253).collect(),
                    link: link.chars().take(2000).collect(),
                    status: ItemStatus::Todo,
                }),
                _ => None,
            }
        })
        .take(MAX_ROWS * 2)
        .collect();
    if items.is_empty() {
        return error_page(l.lang, StatusCode::BAD_REQUEST, "transition-error-download");
    }
    let Some(token) = new_token() else {
        return error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store");
    };
    let Some(hash) = token_hash(&token) else {
        return error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store");
    };
    let now = now();
    if let Err(e) = site.store().create_checklist(&hash, &items, now, now + RETENTION_DAYS * 86_400).await {
        tracing::error!("checklist: {e}");
        return error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store");
    }
    Redirect::to(&l.href(&format!("/transition/liste/{token}"))).into_response()
}

#[derive(Template)]
#[template(path = "transition_checklist.html")]
struct ChecklistPage {
    l: Loc,
    switch: String,
    items: Vec<ChecklistRow>,
    done: usize,
    total: usize,
    progress: String,
    expires: String,
    action: String,
    delete: String,
}

struct ChecklistRow {
    position: usize,
    label: String,
    domain: String,
    link: String,
    status: String,
    open: bool,
}

async fn checklist_show(
    State(site): State<Site>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(token): Path<String>,
) -> Response {
    let path = format!("/transition/liste/{token}");
    let ctx = match Ctx::new(&headers, &path, q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let Some(hash) = token_hash(&token) else {
        return error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist");
    };
    let list = match site.store().checklist(&hash, now()).await {
        Ok(Some(list)) => list,
        Ok(None) => return error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist"),
        Err(e) => {
            tracing::error!("checklist: {e}");
            return error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store");
        }
    };
    let total = list.items.len();
    let done =
        list.items.iter().filter(|i| matches!(i.status, ItemStatus::Done | ItemStatus::NotNeeded)).count();
    let items = list
        .items
        .into_iter()
        .enumerate()
        .map(|(position, i)| ChecklistRow {
            position,
            open: matches!(i.status, ItemStatus::Todo | ItemStatus::Later),
            status: l.t(&format!("checklist-status-{}", i.status.as_str())),
            label: i.label,
            domain: i.domain,
            link: i.link,
        })
        .collect();
    let expires = chrono::DateTime::from_timestamp(list.expires_at, 0)
        .map(|d| l.date(d.date_naive()))
        .unwrap_or_default();
    let page = ChecklistPage {
        switch: ctx.switch_href(),
        items,
        done,
        total,
        progress: l.t_args("checklist-progress", &[("done", done.to_string()), ("total", total.to_string())]),
        expires: l.t_args("checklist-retention", &[("date", expires), ("days", RETENTION_DAYS.to_string())]),
        action: l.href(&path),
        delete: l.href(&format!("{path}/supprimer")),
        l,
    };
    render(StatusCode::OK, &page)
}

async fn checklist_update(
    State(site): State<Site>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let l = Ctx::new(&headers, "/transition", q.as_deref())
        .map_or_else(|b| Loc { lang: b.0, explicit: true }, |c| c.loc);
    let Some(hash) = token_hash(&token) else {
        return error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist");
    };
    let mut position = None;
    let mut status = None;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "position" => position = v.parse::<i64>().ok(),
            "statut" => status = ItemStatus::parse(&v),
            _ => {}
        }
    }
    let (Some(position), Some(status)) = (position, status) else {
        return error_page(l.lang, StatusCode::BAD_REQUEST, "transition-error-checklist-form");
    };
    match site.store().set_checklist_item(&hash, position, status, now()).await {
        Ok(true) => Redirect::to(&l.href(&format!("/transition/liste/{token}"))).into_response(),
        Ok(false) => error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist"),
        Err(e) => {
            tracing::error!("checklist: {e}");
            error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store")
        }
    }
}

async fn checklist_delete(
    State(site): State<Site>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(token): Path<String>,
) -> Response {
    let l = Ctx::new(&headers, "/transition", q.as_deref())
        .map_or_else(|b| Loc { lang: b.0, explicit: true }, |c| c.loc);
    let Some(hash) = token_hash(&token) else {
        return error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist");
    };
    match site.store().delete_checklist(&hash).await {
        Ok(true) => {
            Redirect::to(&l.href_pairs("/transition", &[("liste", "supprimee".to_string())])).into_response()
        }
        Ok(false) => error_page(l.lang, StatusCode::NOT_FOUND, "transition-error-checklist"),
        Err(e) => {
            tracing::error!("checklist: {e}");
            error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "transition-error-store")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Guides.

/// One forwarding and auto-reply guide; texts are `guide-{id}-forward-N`, `-reply-N`, `-limit-N`
/// and `-fallback` in locales/*/transition.ftl.
struct Guide {
    id: &'static str,
    name: &'static str,
    forward: usize,
    reply: usize,
    limits: usize,
    /// The steps come from official help or careful guides (else the page says they are unchecked).
    verified: bool,
    sources: &'static [&'static str],
}

const GUIDES: &[Guide] = &[
    Guide {
        id: "gmail",
        name: "Gmail",
        forward: 4,
        reply: 2,
        limits: 3,
        verified: true,
        sources: &[
            "https://support.google.com/mail/answer/10957",
            "https://support.google.com/mail/answer/25922",
            "https://support.google.com/a/answer/176605",
        ],
    },
    Guide {
        id: "outlook",
        name: "Outlook.com / Hotmail",
        forward: 2,
        reply: 1,
        limits: 3,
        verified: true,
        sources: &[
            "https://usecarly.com/blog/how-to-set-up-email-forwarding-in-outlook",
            "https://technobezz.com/how-to-set-vacation-auto-reply-in-outlook-com",
            "https://learn.microsoft.com/en-us/defender-office-365/outbound-spam-policies-external-email-forwarding",
            "https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth",
        ],
    },
    Guide {
        id: "yahoo",
        name: "Yahoo Mail",
        forward: 2,
        reply: 1,
        limits: 2,
        verified: false,
        sources: &[
            "https://wynne.ca/index.php/news/20-todays-news/17-yahoo-mail-automated-mail-forwarding",
            "https://www.lifewire.com/manage-app-passwords-imap-pop-yahoo-1174448",
        ],
    },
    Guide {
        id: "orange",
        name: "Orange",
        forward: 1,
        reply: 1,
        limits: 2,
        verified: false,
        sources: &["https://www.sydec40.fr/?p=5045", "https://www.journaldufreenaute.fr/?p=46383"],
    },
    Guide {
        id: "free",
        name: "Free",
        forward: 1,
        reply: 1,
        limits: 1,
        verified: false,
        sources: &[
            "https://www.sydec40.fr/?p=5045",
            "https://assistance.email/adresse-mail-independante-de-votre-fai",
        ],
    },
    Guide {
        id: "sfr",
        name: "SFR",
        forward: 1,
        reply: 1,
        limits: 1,
        verified: false,
        sources: &["https://www.sydec40.fr/?p=5045"],
    },
    Guide {
        id: "laposte",
        name: "La Poste (laposte.net)",
        forward: 1,
        reply: 1,
        limits: 1,
        verified: false,
        sources: &[],
    },
];

#[derive(Template)]
#[template(path = "guides.html")]
struct GuidePage {
    l: Loc,
    switch: String,
    title: String,
    forward: Vec<String>,
    reply: Vec<String>,
    limits: Vec<String>,
    fallback: String,
    verified: bool,
    sources: &'static [&'static str],
    back: String,
}

#[derive(Template)]
#[template(path = "guides_list.html")]
struct GuideListPage {
    l: Loc,
    switch: String,
    guides: Vec<GuideLink>,
}

async fn guide_list(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/transition/guides", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    render(
        StatusCode::OK,
        &GuideListPage { l: ctx.loc, switch: ctx.switch_href(), guides: guide_links(&ctx.loc) },
    )
}

async fn guide(headers: HeaderMap, RawQuery(q): RawQuery, Path(id): Path<String>) -> Response {
    let path = format!("/transition/guides/{id}");
    let ctx = match Ctx::new(&headers, &path, q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let Some(g) = GUIDES.iter().find(|g| g.id == id) else {
        return error_page(ctx.loc.lang, StatusCode::NOT_FOUND, "error-not-found");
    };
    let l = ctx.loc;
    let list = |part: &str, n: usize| (1..=n).map(|i| l.t(&format!("guide-{}-{part}-{i}", g.id))).collect();
    let page = GuidePage {
        switch: ctx.switch_href(),
        title: l.t_args("guides-title", &[("provider", g.name.to_string())]),
        forward: list("forward", g.forward),
        reply: list("reply", g.reply),
        limits: list("limit", g.limits),
        fallback: l.t(&format!("guide-{}-fallback", g.id)),
        verified: g.verified,
        sources: g.sources,
        back: l.href("/transition"),
        l,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use demail_scan::{FolderRole, corpus};

    #[test]
    fn every_guide_text_exists_in_both_languages() {
        for lang in [Lang::Fr, Lang::En] {
            for g in GUIDES {
                let keys = (1..=g.forward)
                    .map(|i| format!("guide-{}-forward-{i}", g.id))
                    .chain((1..=g.reply).map(|i| format!("guide-{}-reply-{i}", g.id)))
                    .chain((1..=g.limits).map(|i| format!("guide-{}-limit-{i}", g.id)))
                    .chain([format!("guide-{}-fallback", g.id)]);
                for key in keys {
                    assert_ne!(lang.t(&key), key, "{key} missing in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn refuses_private_and_odd_servers() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let Ok(rt) = rt else { return };
        for host in ["localhost", "127.0.0.1", "10.0.0.1", "[::1]", "a..b", "imap.example.invalid", "x"] {
            assert!(!rt.block_on(public_server(host)), "{host} accepted");
        }
        assert!(!is_global(&"192.168.1.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(is_global(&"8.8.8.8".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!is_global(&"fd00::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
    }

    #[test]
    fn results_page_lists_accounts_people_and_download_fields() {
        let c = corpus::generate(4, 1);
        let mut scanner = Scanner::new([c.owner.as_str()]);
        for m in &c.messages {
            scanner.add_message(&m.raw, m.role);
        }
        let report = scanner.finish();
        let ctx = Ctx::new(&HeaderMap::new(), "/transition", None);
        let Ok(ctx) = ctx else { panic!("context") };
        let html = ResultsPage::new(ctx, &report, corpus::OWNER).render().unwrap_or_default();
        assert!(html.contains("https://myaccount.google.com/email"));
        assert!(html.contains("Comptes à mettre à jour"));
        assert!(html.contains("jeanne.martin@orange.fr"));
        assert!(html.contains("name=\"l\""));
        assert!(html.contains("Désabonnement en un clic"));
        assert!(html.contains(corpus::OWNER), "the announcement names the old address");
        // Phishing is shown as "to check", never as an account with a link to follow blindly.
        assert!(html.contains("secure-paypa1-login.com"));
        let _ = FolderRole::Sent;
    }

    #[tokio::test]
    #[allow(clippy::expect_used)] // #[tokio::test] hides from clippy that this is a test
    async fn scans_a_real_account_and_shows_clear_errors() {
        let server = demail_imap::testing::Dovecot::start().expect("dovecot");
        let c = corpus::generate(8, 1);
        let received: Vec<_> = c.messages.iter().filter(|m| m.role == FolderRole::Received).collect();
        let mut s = server.session("carol").await.expect("login");
        corpus::append_all(&mut s, b"INBOX", false, &received).await.expect("fill");
        s.logout().await;
        let ctx = || Ctx::new(&HeaderMap::new(), "/transition", Some("lang=en")).expect("ctx");
        let options = server.options(Security::Tls);
        let ok = scan_and_render(ctx(), &options, &server.credentials("carol")).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let body = axum::body::to_bytes(ok.into_body(), 1 << 22).await.expect("body");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("Accounts to update") && html.contains("Doctolib"), "{html}");
        let wrong = Credentials::password("carol", SecretString::from("nope".to_string()));
        let refused = scan_and_render(ctx(), &options, &wrong).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }
}
