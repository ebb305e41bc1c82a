//! HTML pages, grouped by journey. Handlers are thin: read the request, ask an engine, render.

pub mod choose;
pub mod domain;
pub mod events;
pub mod help;
pub mod migrate;
pub mod providers;
pub mod transition;

use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::Lang;
use crate::view::Loc;

/// Current time, Unix seconds.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The language and the query pairs of a request (without `lang`).
pub struct Ctx {
    pub loc: Loc,
    pub pairs: Vec<(String, String)>,
    /// The path of the page, for the language switch.
    pub path: String,
}

impl Ctx {
    /// Reads `lang` from the query, else `Accept-Language`; an invalid `lang` is a 400 page.
    pub fn new(headers: &HeaderMap, path: &str, query: Option<&str>) -> Result<Ctx, BadLang> {
        let mut pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let chosen = pairs.iter().position(|(k, _)| k == "lang").map(|i| pairs.remove(i).1);
        let loc = match chosen.as_deref() {
            None | Some("") => Loc { lang: request_lang(headers, None), explicit: false },
            Some(code) => match Lang::parse(code) {
                Some(lang) => Loc { lang, explicit: true },
                None => return Err(BadLang(request_lang(headers, None))),
            },
        };
        if pairs.iter().any(|(k, _)| k == "lang") {
            return Err(BadLang(loc.lang));
        }
        Ok(Ctx { loc, pairs, path: path.to_owned() })
    }

    /// The other-language address of this page.
    pub fn switch_href(&self) -> String {
        let pairs: Vec<(&str, String)> = self.pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.loc.switch_href(&self.path, &pairs)
    }
}

/// A `lang` parameter that is neither `fr` nor `en` (or given twice); answers in this language.
#[derive(Debug, Clone, Copy)]
pub struct BadLang(pub Lang);

impl IntoResponse for BadLang {
    fn into_response(self) -> Response {
        error_page(self.0, StatusCode::BAD_REQUEST, "error-bad-lang")
    }
}

/// The language from `Accept-Language`, unless one was chosen.
pub fn request_lang(headers: &HeaderMap, chosen: Option<Lang>) -> Lang {
    chosen.unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Fr, Lang::from_accept_language)
    })
}

/// Renders a template, or a plain 500 if rendering itself fails (a bug, logged).
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Loc,
    switch: String,
    status: u16,
    title: String,
    message: String,
}

/// A clear error page in the reader's language: `key-title` and `key` messages.
pub fn error_page(lang: Lang, status: StatusCode, key: &str) -> Response {
    error_page_with(lang, status, key, String::new())
}

/// An error page with an extra detail line.
pub fn error_page_with(lang: Lang, status: StatusCode, key: &str, detail: String) -> Response {
    let l = Loc { lang, explicit: true };
    let mut message = l.t(key);
    if !detail.is_empty() {
        message = format!("{message} {detail}");
    }
    let page = ErrorPage {
        l,
        switch: l.switch_href("/", &[]),
        status: status.as_u16(),
        title: l.t(&format!("{key}-title")),
        message,
    };
    render(status, &page)
}

pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    // An explicit, valid `lang` wins; anything else falls back to the browser's languages.
    let lang = Ctx::new(&headers, uri.path(), uri.query()).map_or_else(|b| b.0, |c| c.loc.lang);
    error_page(lang, StatusCode::NOT_FOUND, "error-not-found")
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Loc,
    switch: String,
    provider_count: usize,
}

pub async fn home(
    axum::extract::State(site): axum::extract::State<crate::Site>,
    headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let ctx = match Ctx::new(&headers, "/", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let page =
        HomePage { l: ctx.loc, switch: ctx.switch_href(), provider_count: site.catalog().providers().len() };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    l: Loc,
    switch: String,
}

pub async fn about(headers: HeaderMap, axum::extract::RawQuery(q): axum::extract::RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/a-propos", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    render(StatusCode::OK, &AboutPage { l: ctx.loc, switch: ctx.switch_href() })
}
