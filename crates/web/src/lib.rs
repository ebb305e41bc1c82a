//! The demail campaign site: thin axum routes over the engines, askama templates, Fluent texts.
//!
//! Works without JavaScript, makes no external request, and sets no cookie on public pages.

mod admin;
pub mod api;
mod csrf;
mod i18n;
mod pages;
pub mod ratelimit;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use demail_catalog::Catalog;
use demail_store::Store;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

pub use i18n::Lang;
pub use pages::events::send_reminders;
pub use pages::help::{HelpConfig, purge as purge_help};
pub use pages::migrate::MigrateSettings;

/// Longest request target (path and query) the site accepts, in bytes.
pub const MAX_URI_BYTES: usize = 2048;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct Site {
    inner: Arc<Inner>,
    help: Option<Arc<pages::help::HelpState>>,
    /// Migrations from the site, when this instance offers them.
    migrations: Option<Arc<pages::migrate::Migrations>>,
}

struct Inner {
    catalog: Catalog,
    store: Store,
    public_url: Option<String>,
}

impl Site {
    /// A site over this catalogue and store.
    pub fn new(catalog: Catalog, store: Store, public_url: Option<String>) -> Self {
        Site { inner: Arc::new(Inner { catalog, store, public_url }), help: None, migrations: None }
    }

    /// Turns on the help requests and the backoffice, with their mailer and settings.
    pub fn with_help(mut self, config: HelpConfig) -> Self {
        self.help = Some(Arc::new(pages::help::HelpState::new(config)));
        self
    }

    pub(crate) fn help(&self) -> Option<&pages::help::HelpState> {
        self.help.as_deref()
    }

    /// Offers migrations from the site (`/demenager`) over this job queue.
    pub fn with_jobs(mut self, jobs: demail_jobs::Jobs, settings: MigrateSettings) -> Self {
        self.migrations = Some(Arc::new(pages::migrate::Migrations::new(jobs, settings)));
        self
    }

    pub(crate) fn migrations(&self) -> Option<&pages::migrate::Migrations> {
        self.migrations.as_deref()
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
    }
}

/// All routes of the site.
pub fn router(site: Site) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/choisir", get(pages::choose::form))
        .route("/resultats", get(pages::choose::results))
        .route("/fournisseurs", get(pages::providers::directory))
        .route("/fournisseurs/{id}", get(pages::providers::provider))
        .route("/go/{id}", get(pages::providers::go))
        .route("/a-propos", get(pages::about))
        .route("/static/style.css", get(style))
        .route("/favicon.ico", get(favicon))
        .route("/api/v1/providers", get(api::providers))
        .route("/api/v1/providers/{id}", get(api::provider))
        .route("/api/v1/recommendations", get(api::recommendations))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/healthz", get(health))
        .merge(pages::transition::routes().merge(pages::domain::routes()))
        .merge(pages::help::routes())
        .merge(pages::events::routes())
        .merge(admin::routes())
        .merge(pages::migrate::routes())
        .fallback(pages::not_found)
        .layer(middleware::from_fn(guard_uri))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .with_state(site)
}

/// Serves the site on `listener` until Ctrl+C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, site: Site) -> std::io::Result<()> {
    let app = router(site).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}

/// Starts the site's scheduled work (the retention purge) in the background, every `every`.
pub fn spawn_maintenance(site: Site, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Some(h) = site.help() else { return };
            let now = chrono::Utc::now().timestamp();
            match pages::help::purge(site.store(), h.cfg.retention, now).await {
                Ok(r) if r.unconfirmed + r.expired > 0 => {
                    tracing::info!(
                        "retention purge: {} unconfirmed, {} expired help requests erased",
                        r.unconfirmed,
                        r.expired
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!("retention purge: {e}"),
            }
            match pages::events::send_reminders(&site, now).await {
                Ok(n) if n > 0 => tracing::info!("event reminders: {n} sent"),
                Ok(_) => {}
                Err(e) => tracing::error!("event reminders: {e}"),
            }
            // Attendee lists go 3 months after the event (docs/PRIVACY.md).
            if let Err(e) = site
                .store()
                .purge_events(now - h.cfg.retention.unconfirmed_hours * 3600, now - 92 * 86_400)
                .await
            {
                tracing::error!("event purge: {e}");
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Refuses oversized request targets with a clear page instead of processing them.
async fn guard_uri(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if len > MAX_URI_BYTES {
        let lang = pages::request_lang(req.headers(), None);
        return pages::error_page(lang, StatusCode::URI_TOO_LONG, "error-too-long");
    }
    next.run(req).await
}

/// Content-Security-Policy: only our own styles; no script, no frame, no external anything.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    // Providers see at most our origin, never the answers in the results address.
    set(h, header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    res
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/style.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../assets/favicon.svg"),
    )
        .into_response()
}

async fn health(State(site): State<Site>) -> Response {
    match site.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, Body::from("database unavailable")).into_response()
        }
    }
}
