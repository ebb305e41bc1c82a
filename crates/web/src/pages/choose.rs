//! Journey 1 "Choose": the needs form and the results page. Nothing is stored: the answers live in the URL.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use demail_catalog::matching::{NeedsError, REGIONS};
use demail_catalog::{Needs, Question};

use super::{Ctx, error_page_with, render};
use crate::Site;
use crate::view::{self, CompareRow, Loc, MatchView};

/// One question of the form, ready to render.
pub struct QuestionView {
    pub key: &'static str,
    pub number: usize,
    pub legend: String,
    pub hint: String,
    pub multi: bool,
    pub options: Vec<OptionView>,
}

pub struct OptionView {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

pub struct RegionView {
    pub code: &'static str,
    pub name: String,
    pub selected: bool,
}

const OPTIONS: &[(Question, &[&str])] = &[
    (Question::Audience, &["moi", "famille", "association"]),
    (Question::Size, &["moins-1", "1-5", "5-15", "plus-15", "inconnue"]),
    (Question::Domain, &["non", "envie", "oui"]),
    (Question::Location, &["france", "europe", "suisse", "egal"]),
    (Question::Budget, &["gratuit", "15", "40", "100", "egal"]),
    (Question::Tools, &["appli", "agenda"]),
    (Question::Help, &["aucune", "guides", "personne", "rencontre"]),
    (Question::Structure, &["associative", "egal"]),
];

fn questions(l: &Loc, pairs: &[(String, String)]) -> Vec<QuestionView> {
    OPTIONS
        .iter()
        .enumerate()
        .map(|(i, (q, values))| {
            let key = q.key();
            QuestionView {
                key,
                number: i + 1,
                legend: l.t(&format!("q-{key}")),
                hint: l.t(&format!("q-{key}-hint")),
                multi: *q == Question::Tools,
                options: values
                    .iter()
                    .map(|v| OptionView {
                        value: v,
                        label: l.t(&format!("opt-{key}-{v}")),
                        checked: pairs.iter().any(|(k, x)| k == key && x == v),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn regions(l: &Loc, pairs: &[(String, String)]) -> Vec<RegionView> {
    let mut list: Vec<RegionView> = REGIONS
        .iter()
        .map(|code| RegionView {
            code,
            name: l.region(code),
            selected: pairs.iter().any(|(k, v)| k == "region" && v == code),
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

#[derive(Template)]
#[template(path = "choose.html")]
struct FormPage {
    l: Loc,
    switch: String,
    questions: Vec<QuestionView>,
    regions: Vec<RegionView>,
}

/// `/choisir`: the needs form, pre-filled from the query (so "change my answers" keeps them).
pub async fn form(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/choisir", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let page = FormPage {
        l: ctx.loc,
        switch: ctx.switch_href(),
        questions: questions(&ctx.loc, &ctx.pairs),
        regions: regions(&ctx.loc, &ctx.pairs),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    l: Loc,
    switch: String,
    answers: Vec<(String, String)>,
    edit_href: String,
    matches: Vec<MatchView>,
    total: usize,
    all_href: Option<String>,
    showing_all: bool,
    compare_names: Vec<String>,
    compare: Vec<CompareRow>,
    blocking: Option<String>,
    blocking_edit_href: String,
    nearest: Vec<MatchView>,
}

/// `/resultats?…`: the short list for the answers in the URL.
pub async fn results(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/resultats", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let showing_all = ctx.pairs.iter().any(|(k, v)| k == "tous" && v == "1");
    let answer_pairs: Vec<(&str, &str)> =
        ctx.pairs.iter().filter(|(k, _)| k != "tous").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let needs = match Needs::from_pairs(answer_pairs) {
        Ok(n) => n,
        Err(e) => return needs_error(&l, &e),
    };
    let list = site.catalog().recommend(&needs);
    let canonical = needs.to_pairs();
    let shown = if showing_all { &list.fits[..] } else { list.top() };
    let total = list.fits.len();
    let all_href = (!showing_all && total > shown.len()).then(|| {
        let mut pairs = canonical.clone();
        pairs.push(("tous", "1".to_owned()));
        l.href_pairs("/resultats", &pairs)
    });
    let page = ResultsPage {
        l,
        switch: ctx.switch_href(),
        answers: answers_summary(&l, &needs),
        edit_href: l.href_pairs("/choisir", &canonical),
        matches: shown.iter().map(|m| view::match_view(&l, m)).collect(),
        total,
        all_href,
        showing_all,
        compare_names: shown.iter().map(|m| m.provider.name.clone()).collect(),
        compare: view::compare_rows(&l, shown),
        blocking: list.blocking.map(|b| l.question(b)),
        blocking_edit_href: l.href_pairs("/choisir", &canonical),
        nearest: list.nearest.iter().map(|m| view::match_view(&l, m)).collect(),
    };
    render(StatusCode::OK, &page)
}

fn needs_error(l: &Loc, e: &NeedsError) -> Response {
    let key = match e {
        NeedsError::UnknownParameter(_) => "error-unknown-parameter",
        NeedsError::UnknownAnswer { .. } => "error-unknown-answer",
        NeedsError::Contradiction(_) => "error-contradiction",
        NeedsError::RegionMissing => "error-region-missing",
    };
    let detail = l.t_args("error-parameter-detail", &[("name", e.key().chars().take(40).collect())]);
    error_page_with(l.lang, StatusCode::BAD_REQUEST, key, detail)
}

/// "What you told us": one line per answered question.
fn answers_summary(l: &Loc, needs: &Needs) -> Vec<(String, String)> {
    let pairs = needs.to_pairs();
    let mut out: Vec<(String, String)> = Vec::new();
    for q in Question::ALL {
        let values: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| *k == q.key())
            .map(|(k, v)| {
                let key = format!("opt-{k}-{v}");
                let text = l.t(&key);
                if text == key { l.t_args("opt-budget-custom", &[("amount", v.clone())]) } else { text }
            })
            .collect();
        if !values.is_empty() {
            let mut value = values.join(", ");
            if q == Question::Help
                && let Some(r) = &needs.region
            {
                value = format!("{value} ({})", l.region(r));
            }
            out.push((l.question(q), value));
        }
    }
    out
}
