//! Journey 2 on the site: the `/demenager` wizard (old address, new address, both logins tested
//! at once, folder plan and size, start) and the job page behind its secret link (live progress,
//! pause/resume/cancel, the end report). Works without JavaScript: the job page refreshes
//! itself; a small same-origin script, where allowed, follows progress by Server-Sent Events.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use demail_jobs::{
    Control, DraftError, Endpoint, JobOptions, JobSpec, JobView, Jobs, LoginProblem, Secrets,
    State as JobState, Transport,
};
use secrecy::SecretString;

use super::{Ctx, error_page, render};
use crate::Site;
use crate::ratelimit::IpLimiter;
use crate::view::Loc;

/// Instance choices for the migration pages.
#[derive(Debug, Clone)]
pub struct MigrateSettings {
    /// Checks and starts one IP address may make per hour.
    pub starts_per_hour: u32,
    /// Accept self-signed certificates (throwaway test servers only; never in production).
    pub test_servers: bool,
    /// Behind a reverse proxy: the header in which it gives the visitor's address (e.g.
    /// `x-forwarded-for`; its last address is used, the one our own proxy added).
    pub client_ip_header: Option<String>,
}

/// The job queue and the per-IP limiter, shared by the handlers.
pub struct Migrations {
    jobs: Jobs,
    settings: MigrateSettings,
    limiter: IpLimiter,
}

impl Migrations {
    pub fn new(jobs: Jobs, settings: MigrateSettings) -> Migrations {
        let limiter = IpLimiter::per_hour(settings.starts_per_hour);
        Migrations { jobs, settings, limiter }
    }
}

/// The routes of this journey.
pub fn routes() -> Router<Site> {
    Router::new()
        .route("/demenager", get(wizard).post(check))
        .route("/demenager/suivi/{token}", get(job_page))
        .route("/demenager/suivi/{token}/flux", get(job_events))
        .route("/demenager/suivi/{token}/{action}", post(job_action))
        .route("/static/suivi.js", get(script))
}

/// An old provider: its IMAP server and whether moving from it can work from a server.
struct OldProvider {
    id: &'static str,
    name: &'static str,
    host: &'static str,
    port: u16,
}

/// The old providers people leave most; `autre` asks for the server. Proton is listed to say
/// why it cannot work from a server (its Bridge runs only on the person's computer).
const OLD_PROVIDERS: &[OldProvider] = &[
    OldProvider { id: "gmail", name: "Gmail", host: "imap.gmail.com", port: 993 },
    OldProvider { id: "outlook", name: "Outlook.com / Hotmail", host: "outlook.office365.com", port: 993 },
    OldProvider { id: "yahoo", name: "Yahoo", host: "imap.mail.yahoo.com", port: 993 },
    OldProvider { id: "orange", name: "Orange", host: "imap.orange.fr", port: 993 },
    OldProvider { id: "free", name: "Free", host: "imap.free.fr", port: 993 },
    OldProvider { id: "sfr", name: "SFR", host: "imap.sfr.fr", port: 993 },
    OldProvider { id: "laposte", name: "La Poste", host: "imap.laposte.net", port: 993 },
    OldProvider { id: "proton", name: "Proton Mail", host: "", port: 0 },
];

const OTHER: &str = "autre";

/// One choice of the old-provider list, as the template shows it.
pub struct OldChoice {
    pub id: &'static str,
    pub name: String,
    pub steps: String,
    pub checked: bool,
}

/// One choice of the new-provider list.
pub struct NewChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "demenager.html")]
struct WizardPage {
    l: Loc,
    switch: String,
    action: String,
    old: Vec<OldChoice>,
    new: Vec<NewChoice>,
    values: HashMap<String, String>,
    errors: Vec<String>,
}

impl WizardPage {
    /// A previous value of a field (never a password), for the form.
    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }

    fn new_other(&self) -> bool {
        self.values.get("nouveau").is_some_and(|v| v == OTHER)
    }
}

fn wizard_page(site: &Site, ctx: &Ctx, values: HashMap<String, String>, errors: Vec<String>) -> WizardPage {
    let l = ctx.loc;
    let chosen_old = values.get("ancien").cloned().unwrap_or_default();
    let chosen_new = values.get("nouveau").cloned().unwrap_or_default();
    let old = OLD_PROVIDERS
        .iter()
        .map(|p| OldChoice {
            id: p.id,
            name: p.name.to_owned(),
            steps: l.t(&format!("move-steps-{}", p.id)),
            checked: chosen_old == p.id,
        })
        .chain(std::iter::once(OldChoice {
            id: OTHER,
            name: l.t("move-other"),
            steps: l.t("move-steps-autre"),
            checked: chosen_old == OTHER,
        }))
        .collect();
    let new = site
        .catalog()
        .providers()
        .iter()
        .filter(|p| p.mail_settings.imap_host.is_some())
        .map(|p| NewChoice { id: p.id.clone(), name: p.name.clone(), selected: chosen_new == p.id })
        .collect();
    WizardPage { l, switch: ctx.switch_href(), action: l.href("/demenager"), old, new, values, errors }
}

/// `GET /demenager[?fournisseur=ID]`: the wizard, the new provider preselected.
async fn wizard(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/demenager", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if site.migrations().is_none() {
        return super::error_page(ctx.loc.lang, StatusCode::OK, "move-disabled");
    }
    let mut values = HashMap::new();
    if let Some((_, id)) = ctx.pairs.iter().find(|(k, _)| k == "fournisseur")
        && site.catalog().get(id).is_some_and(|p| p.mail_settings.imap_host.is_some())
    {
        values.insert("nouveau".to_owned(), id.clone());
    }
    render(StatusCode::OK, &wizard_page(&site, &ctx, values, Vec::new()))
}

/// `POST /demenager`: tests both logins at once; on success stores a draft job and sends the
/// person to its page (the plan and the Start button).
async fn check(
    State(site): State<Site>,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let ctx = match Ctx::new(&headers, "/demenager", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let lang = ctx.loc.lang;
    let Some(m) = site.migrations() else {
        return error_page(lang, StatusCode::OK, "move-disabled");
    };
    if !allowed(m, &headers, &extensions) {
        return error_page(lang, StatusCode::TOO_MANY_REQUESTS, "move-too-many");
    }
    let mut values: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let secrets = Secrets {
        source: SecretString::from(values.remove("ancien_mdp").unwrap_or_default()),
        destination: SecretString::from(values.remove("nouveau_mdp").unwrap_or_default()),
    };
    let spec = match parse_spec(&site, m, &values) {
        Ok(spec) => spec,
        Err(keys) => {
            let errors = keys.iter().map(|k| ctx.loc.t(k)).collect();
            return render(StatusCode::UNPROCESSABLE_ENTITY, &wizard_page(&site, &ctx, values, errors));
        }
    };
    if secrecy::ExposeSecret::expose_secret(&secrets.source).is_empty()
        || secrecy::ExposeSecret::expose_secret(&secrets.destination).is_empty()
    {
        let errors = vec![ctx.loc.t("move-error-password-missing")];
        return render(StatusCode::UNPROCESSABLE_ENTITY, &wizard_page(&site, &ctx, values, errors));
    }
    match m.jobs.draft(spec, secrets).await {
        Ok(token) => Redirect::to(&ctx.loc.href(&format!("/demenager/suivi/{token}"))).into_response(),
        Err(DraftError::Login(problems)) => {
            let mut errors = Vec::new();
            for (side, problem) in [("old", problems.source), ("new", problems.destination)] {
                if let Some(p) = problem {
                    errors.push(format!(
                        "{} {}",
                        ctx.loc.t(&format!("move-side-{side}")),
                        problem_text(ctx.loc, &p)
                    ));
                }
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &wizard_page(&site, &ctx, values, errors))
        }
        Err(DraftError::TooBig { bytes, max }) => {
            let text = ctx.loc.lang.t_args(
                "move-error-too-big",
                &[("size", megabytes(bytes).into()), ("max", megabytes(max).into())],
            );
            render(StatusCode::UNPROCESSABLE_ENTITY, &wizard_page(&site, &ctx, values, vec![text]))
        }
        Err(DraftError::Jobs(e)) => {
            tracing::error!("cannot store a migration draft: {e}");
            error_page(lang, StatusCode::SERVICE_UNAVAILABLE, "move-unavailable")
        }
    }
}

/// Whether this request's address may still check or start a migration this hour.
fn allowed(m: &Migrations, headers: &HeaderMap, extensions: &Extensions) -> bool {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let forwarded = m.settings.client_ip_header.as_deref().and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    m.limiter.check(forwarded.unwrap_or(peer))
}

/// The job spec from the form, or the message keys of what is missing or wrong.
fn parse_spec(
    site: &Site,
    m: &Migrations,
    v: &HashMap<String, String>,
) -> Result<JobSpec, Vec<&'static str>> {
    let get = |k: &str| v.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut errors = Vec::new();
    let old_id = get("ancien");
    let source = match OLD_PROVIDERS.iter().find(|p| p.id == old_id) {
        Some(p) if p.id == "proton" => {
            errors.push("move-error-proton");
            None
        }
        Some(p) => Some((p.host.to_owned(), p.port, Some(p.name.to_owned()))),
        None if old_id == OTHER => server(&get("ancien_serveur"), &get("ancien_port"), &mut errors),
        None => {
            errors.push("move-error-old-missing");
            None
        }
    };
    let new_id = get("nouveau");
    let destination = match site.catalog().get(&new_id) {
        Some(p) => match (&p.mail_settings.imap_host, &p.mail_settings.imap_port) {
            (Some(host), port) => {
                Some((host.value.clone(), port.as_ref().map_or(993, |f| f.value), Some(p.name.clone())))
            }
            (None, _) => {
                errors.push("move-error-new-no-imap");
                None
            }
        },
        None if new_id == OTHER => server(&get("nouveau_serveur"), &get("nouveau_port"), &mut errors),
        None => {
            errors.push("move-error-new-missing");
            None
        }
    };
    let (old_user, new_user) = (get("ancien_adresse"), get("nouveau_adresse"));
    if old_user.is_empty() {
        errors.push("move-error-old-address");
    }
    if new_user.is_empty() {
        errors.push("move-error-new-address");
    }
    let (Some(source), Some(destination)) = (source, destination) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let side = |(host, port, provider): (String, u16, Option<String>), user: String| Endpoint {
        host,
        port,
        security: if port == 143 { Transport::StartTls } else { Transport::Tls },
        user,
        insecure: m.settings.test_servers,
        provider,
    };
    Ok(JobSpec {
        source: side(source, old_user),
        destination: side(destination, new_user),
        options: JobOptions::default(),
        preview: None,
    })
}

/// A server typed by hand: a plain host name and a port (993 unless given).
fn server(host: &str, port: &str, errors: &mut Vec<&'static str>) -> Option<(String, u16, Option<String>)> {
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port = if port.is_empty() { Some(993) } else { port.parse::<u16>().ok().filter(|p| *p > 0) };
    match (valid_host, port) {
        (true, Some(port)) => Some((host.to_owned(), port, None)),
        (false, _) => {
            errors.push("move-error-server");
            None
        }
        (true, None) => {
            errors.push("move-error-port");
            None
        }
    }
}

fn problem_text(l: Loc, p: &LoginProblem) -> String {
    match p {
        LoginProblem::WrongPassword => l.t("move-login-wrong-password"),
        LoginProblem::AppPasswordRequired => l.t("move-login-app-password"),
        LoginProblem::ImapDisabled => l.t("move-login-imap-disabled"),
        LoginProblem::Unreachable => l.t("move-login-unreachable"),
        LoginProblem::Secure => l.t("move-login-secure"),
        LoginProblem::Other(text) => format!("{} ({text})", l.t("move-login-other")),
    }
}

/// One folder row of the plan, the progress or the report.
#[derive(Default)]
pub struct Row {
    pub name: String,
    pub destination: String,
    pub what: String,
    pub messages: u64,
    pub size: String,
    pub done: u64,
    pub percent: u64,
    pub failed: Vec<String>,
    pub already: u64,
    pub skipped: u64,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    l: Loc,
    switch: String,
    state: &'static str,
    state_text: String,
    link: String,
    base: String,
    refresh: bool,
    script: bool,
    source: String,
    destination: String,
    plan: Vec<Row>,
    plan_messages: u64,
    plan_size: String,
    junk: Option<Row>,
    trash: Option<Row>,
    progress: Vec<Row>,
    percent: u64,
    rate: String,
    eta: String,
    report: Vec<Row>,
    totals: String,
    complete: bool,
    stopped: Option<String>,
    error: Option<String>,
    /// What was wrong in the options form just sent (shown above it).
    form_error: Option<String>,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    expires: String,
}

/// `GET /demenager/suivi/{token}`: the job page.
async fn job_page(
    State(site): State<Site>,
    headers: HeaderMap,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let path = format!("/demenager/suivi/{token}");
    let ctx = match Ctx::new(&headers, &path, q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let view = match find(&site, &token, ctx.loc).await {
        Ok((_, _, view)) => view,
        Err(r) => return r,
    };
    let page = job_view(&site, &ctx, &token, view, true);
    let mut res = render(StatusCode::OK, &page);
    private_headers(&mut res, page.script);
    res
}

/// The job behind a token, or the page to answer with.
async fn find<'a>(site: &'a Site, token: &str, l: Loc) -> Result<(&'a Migrations, i64, JobView), Response> {
    let Some(m) = site.migrations() else {
        return Err(error_page(l.lang, StatusCode::NOT_FOUND, "move-job-missing"));
    };
    // Tokens are 43 URL-safe characters; anything else is not worth a database query.
    if demail_help::Token::from_url(token).is_none() {
        return Err(error_page(l.lang, StatusCode::NOT_FOUND, "move-job-missing"));
    }
    match m.jobs.find(token).await {
        Ok(Some((id, view))) => Ok((m, id, view)),
        Ok(None) => Err(error_page(l.lang, StatusCode::NOT_FOUND, "move-job-missing")),
        Err(e) => {
            tracing::error!("cannot read a job: {e}");
            Err(error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "move-unavailable"))
        }
    }
}

/// The job page never leaks its address, is never indexed, and may run only our own script.
fn private_headers(res: &mut Response, script: bool) {
    let h = res.headers_mut();
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    if script {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(JOB_CSP));
    }
}

/// The site's policy plus our own script and its same-origin event stream.
const JOB_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn job_view(site: &Site, ctx: &Ctx, token: &str, view: JobView, script: bool) -> JobPage {
    let l = ctx.loc;
    let base = format!("/demenager/suivi/{token}");
    let link = format!("{}{}", site.public_url().unwrap_or_default().trim_end_matches('/'), l.href(&base));
    let side = |e: &Endpoint| match &e.provider {
        Some(p) => format!("{} ({p})", e.user),
        None => format!("{} ({}:{})", e.user, e.host, e.port),
    };
    let state = state_key(view.state);
    let refresh = matches!(view.state, JobState::Queued | JobState::Running);
    let preview = view.spec.preview.clone().unwrap_or_default();
    let plan: Vec<Row> = preview
        .folders
        .iter()
        .map(|f| Row {
            name: f.source.clone(),
            destination: f.destination.clone(),
            what: l.t(&format!("move-action-{}", f.action.replace('_', "-"))),
            messages: f.messages,
            size: megabytes(f.bytes),
            ..Row::default()
        })
        .collect();
    let pick = |action: &str| {
        preview.folders.iter().find(|f| f.action == action && f.messages > 0).map(|f| Row {
            name: f.source.clone(),
            messages: f.messages,
            size: megabytes(f.bytes),
            ..Row::default()
        })
    };
    let (plan_messages, plan_bytes) = preview.to_copy();

    let snapshot = view.snapshot.clone().unwrap_or_default();
    let progress: Vec<Row> = snapshot
        .folders
        .iter()
        .map(|f| {
            let accounted = if f.done {
                f.messages
            } else {
                f.messages - f.to_copy.min(f.messages) + f.copied + f.failed
            };
            Row {
                name: f.name.clone(),
                messages: f.messages,
                size: megabytes(f.bytes_total),
                done: accounted,
                percent: percent(accounted, f.messages),
                ..Row::default()
            }
        })
        .collect();
    let total = plan_messages.max(progress.iter().map(|r| r.messages).sum());
    let overall = if view.state == JobState::Done {
        100
    } else {
        percent(snapshot.messages_accounted(), total).min(99)
    };
    let rate = snapshot.rate();
    let left = plan_bytes.saturating_sub(snapshot.bytes_copied()).max(snapshot.bytes_left());
    let eta = match rate {
        Some(r) if r > 0.0 && view.state == JobState::Running => {
            let minutes = (left as f64 / r / 60.0).ceil() as u64;
            l.lang.t_args("move-eta", &[("minutes", minutes.max(1).into())])
        }
        _ => String::new(),
    };

    let report = view.report.clone().unwrap_or_default();
    let rows: Vec<Row> = report
        .folders
        .iter()
        .map(|f| Row {
            name: f.source.clone(),
            destination: f.destination.clone(),
            what: l.t(&format!("move-action-{}", f.action.replace('_', "-"))),
            messages: f.source_messages,
            size: megabytes(f.bytes_copied),
            done: f.copied,
            percent: 100,
            failed: f.failed.iter().map(|(uid, why)| format!("#{uid}: {why}")).collect(),
            already: f.already_present,
            skipped: f.skipped,
        })
        .collect();
    let (messages, copied, already, skipped, failed, _) = report.totals();
    let totals = l.lang.t_args(
        "move-report-totals",
        &[
            ("messages", messages.into()),
            ("copied", copied.into()),
            ("already", already.into()),
            ("skipped", skipped.into()),
            ("failed", failed.into()),
        ],
    );
    let expires = chrono::DateTime::from_timestamp(view.expires_at, 0)
        .map(|d| l.date(d.date_naive()))
        .unwrap_or_default();
    JobPage {
        l,
        switch: ctx.switch_href(),
        state,
        state_text: l.t(&format!("move-state-{state}")),
        link,
        base: l.href(&base),
        refresh,
        script: script && refresh,
        source: side(&view.spec.source),
        destination: side(&view.spec.destination),
        plan,
        plan_messages,
        plan_size: megabytes(plan_bytes),
        junk: pick("skip_junk"),
        trash: pick("skip_trash"),
        progress,
        percent: overall,
        rate: rate.map(|r| format!("{} {}/s", megabytes_f(r), l.t("move-mb"))).unwrap_or_default(),
        eta,
        report: rows,
        totals,
        complete: view.state == JobState::Done && report.is_complete(),
        stopped: report.stopped.clone(),
        error: view
            .error
            .clone()
            .filter(|_| view.state == JobState::Failed || view.state == JobState::Queued),
        form_error: None,
        can_pause: matches!(view.state, JobState::Queued | JobState::Running),
        can_resume: view.state == JobState::Paused,
        can_cancel: matches!(
            view.state,
            JobState::Queued | JobState::Running | JobState::Paused | JobState::NeedsCredentials
        ),
        expires,
    }
}

/// `POST /demenager/suivi/{token}/{action}`: start, pause, resume, cancel, or give the passwords
/// again. Answers with the job page (303), or a clear page when the action does not apply.
async fn job_action(
    State(site): State<Site>,
    headers: HeaderMap,
    Path((token, action)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let path = format!("/demenager/suivi/{token}");
    let ctx = match Ctx::new(&headers, &path, q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let (m, id, view) = match find(&site, &token, l).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let control = match action.as_str() {
        "demarrer" => {
            if view.state == JobState::Draft {
                let since = match form.get("depuis").map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    None => None,
                    Some(v) => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                        Ok(d) => Some(d),
                        Err(_) => {
                            // The plan again, with the reason above the options: nothing started.
                            let mut page = job_view(&site, &ctx, &token, view, true);
                            page.form_error = Some(l.t("move-since-invalid"));
                            let mut res = render(StatusCode::UNPROCESSABLE_ENTITY, &page);
                            private_headers(&mut res, page.script);
                            return res;
                        }
                    },
                };
                let mut spec = view.spec.clone();
                spec.options = JobOptions {
                    include_junk: form.get("spam").is_some_and(|v| v == "1"),
                    include_trash: form.get("corbeille").is_some_and(|v| v == "1"),
                    since,
                };
                if spec.options != view.spec.options
                    && let Err(e) = m.jobs.set_options(id, &spec).await
                {
                    tracing::error!("cannot save job options: {e}");
                }
            }
            Control::Start
        }
        "pause" => Control::Pause,
        "reprendre" => Control::Resume,
        "annuler" => Control::Cancel,
        "identifiants" => {
            let secrets = Secrets {
                source: SecretString::from(form.get("ancien_mdp").cloned().unwrap_or_default()),
                destination: SecretString::from(form.get("nouveau_mdp").cloned().unwrap_or_default()),
            };
            if view.state != JobState::NeedsCredentials {
                return refused(l, &path, view.state);
            }
            if let Err(problems) = demail_jobs::check(&view.spec, &secrets).await {
                let mut text = Vec::new();
                for (side, p) in [("old", problems.source), ("new", problems.destination)] {
                    if let Some(p) = p {
                        text.push(format!("{} {}", l.t(&format!("move-side-{side}")), problem_text(l, &p)));
                    }
                }
                return super::error_page_with(
                    l.lang,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "move-login-failed",
                    text.join(" "),
                );
            }
            return match m.jobs.give_credentials(id, secrets).await {
                Ok(_) => Redirect::to(&l.href(&path)).into_response(),
                Err(e) => {
                    tracing::error!("cannot requeue a job: {e}");
                    error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "move-unavailable")
                }
            };
        }
        _ => return error_page(l.lang, StatusCode::NOT_FOUND, "error-not-found"),
    };
    match m.jobs.control(id, control).await {
        Ok(Ok(_)) => Redirect::to(&l.href(&path)).into_response(),
        Ok(Err(demail_store::ControlRefused::WrongState(state))) => refused(l, &path, state),
        Ok(Err(demail_store::ControlRefused::NotFound)) => {
            error_page(l.lang, StatusCode::NOT_FOUND, "move-job-missing")
        }
        Err(e) => {
            tracing::error!("cannot control a job: {e}");
            error_page(l.lang, StatusCode::SERVICE_UNAVAILABLE, "move-unavailable")
        }
    }
}

/// A clear page for an action that does not fit the job's state (a second Start, say).
fn refused(l: Loc, path: &str, state: JobState) -> Response {
    let key = if state == JobState::Draft { "move-refused" } else { "move-refused-started" };
    let detail =
        format!("{} {}", l.t("move-refused-state"), l.t(&format!("move-state-{}", state_key(state))));
    let mut res = super::error_page_with(l.lang, StatusCode::CONFLICT, key, detail);
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&l.href(path)).unwrap_or(HeaderValue::from_static("/demenager")),
    );
    res
}

fn state_key(state: JobState) -> &'static str {
    match state {
        JobState::Draft => "draft",
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Paused => "paused",
        JobState::Done => "done",
        JobState::Failed => "failed",
        JobState::Cancelled => "cancelled",
        JobState::NeedsCredentials => "needs-credentials",
    }
}

/// `GET /demenager/suivi/{token}/flux`: Server-Sent Events, one `progress` event (the overall
/// percentage and the state) each second until the job stops moving.
async fn job_events(State(site): State<Site>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let lang = super::request_lang(&headers, None);
    let l = Loc { lang, explicit: false };
    if let Err(r) = find(&site, &token, l).await {
        return r;
    }
    let stream = futures_util::stream::unfold((site, token, true), move |(site, token, first)| async move {
        if !first {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let m = site.migrations()?;
        let (_, view) = m.jobs.find(&token).await.ok()??;
        let moving = matches!(view.state, JobState::Queued | JobState::Running);
        let snapshot = view.snapshot.clone().unwrap_or_default();
        let total = view.spec.preview.as_ref().map_or(0, |p| p.to_copy().0);
        let total = total.max(snapshot.folders.iter().map(|f| f.messages).sum());
        let pct = if view.state == JobState::Done {
            100
        } else {
            percent(snapshot.messages_accounted(), total).min(99)
        };
        let data = serde_json::json!({ "state": state_key(view.state), "percent": pct }).to_string();
        let event = Ok::<_, Infallible>(Event::default().event("progress").data(data));
        // One last event after the job stops, then the stream ends (the script reloads the page).
        if !moving && !first {
            return Some((event, (site, String::new(), false)));
        }
        Some((event, (site, token, false)))
    });
    let mut res = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The job page's optional script: follows the event stream and reloads the page when the job
/// moves on, instead of the timed refresh.
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/suivi.js"),
    )
        .into_response()
}

fn percent(part: u64, whole: u64) -> u64 {
    (part.min(whole) * 100).checked_div(whole).unwrap_or(0)
}

/// Bytes as megabytes with one decimal.
fn megabytes(bytes: u64) -> String {
    megabytes_f(bytes as f64)
}

fn megabytes_f(bytes: f64) -> String {
    format!("{:.1}", bytes / 1_000_000.0)
}
