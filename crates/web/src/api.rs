//! JSON API for partner sites: the catalogue and the recommendation, described by an OpenAPI document.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use demail_catalog::Needs;
use demail_catalog::Shortlist;
use demail_catalog::matching::Match;
use demail_catalog::matching::SHORTLIST_MAX;
use serde_json::{Value, json};

use crate::pages::Ctx;
use crate::view::{self, Loc};
use crate::{Lang, Site};

fn error(status: StatusCode, code: &str, message: String, parameter: Option<&str>) -> Response {
    let body = json!({ "error": code, "message": message, "parameter": parameter });
    (status, [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], Json(body)).into_response()
}

fn ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"), (header::CACHE_CONTROL, "public, max-age=300")],
        Json(body),
    )
        .into_response()
}

fn bad_lang() -> Response {
    error(StatusCode::BAD_REQUEST, "bad_lang", "lang must be \"fr\" or \"en\"".into(), Some("lang"))
}

/// `GET /api/v1/providers`: the whole catalogue, every fact with its source and date.
pub async fn providers(State(site): State<Site>) -> Response {
    ok(json!({ "providers": site.catalog().providers() }))
}

/// `GET /api/v1/providers/{id}`.
pub async fn provider(State(site): State<Site>, Path(id): Path<String>) -> Response {
    match site.catalog().get(&id) {
        Some(p) => ok(json!(p)),
        None => error(
            StatusCode::NOT_FOUND,
            "unknown_provider",
            format!("no provider with id {:?}", id.chars().take(64).collect::<String>()),
            None,
        ),
    }
}

/// `GET /api/v1/recommendations?pour=moi&…&lang=fr`: the ranked short list, texts in `lang`.
pub async fn recommendations(
    State(site): State<Site>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Ok(ctx) = Ctx::new(&headers, "/api/v1/recommendations", q.as_deref()) else {
        return bad_lang();
    };
    let needs = match Needs::from_pairs(ctx.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(n) => n,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_answer", e.to_string(), Some(e.key())),
    };
    let list = site.catalog().recommend(&needs);
    ok(shortlist_json(&list, ctx.loc.lang.code()))
}

/// The JSON form of a short list, with texts in `lang` ("fr" or "en").
pub fn shortlist_json(list: &Shortlist<'_>, lang: &str) -> Value {
    let l = Loc { lang: Lang::parse(lang).unwrap_or(Lang::Fr), explicit: false };
    json!({
        "total": list.fits.len(),
        "shortlist_size": list.top().len(),
        "recommendations": list.fits.iter().map(|m| match_json(&l, m)).collect::<Vec<_>>(),
        "blocking_question": list.blocking.map(|q| q.key()),
        "nearest": list.nearest.iter().map(|m| match_json(&l, m)).collect::<Vec<_>>(),
    })
}

fn match_json(l: &Loc, m: &Match<'_>) -> Value {
    let v = view::match_view(l, m);
    json!({
        "provider": m.provider.id,
        "provider_name": m.provider.name,
        "offer": m.offer.id,
        "offer_name": m.offer.name,
        "score": m.score,
        "yearly_cost_eur": m.offer.yearly_cost_eur(),
        "reasons": m.reasons.iter().zip(v.reasons.iter()).map(|(r, text)| json!({ "question": r.question.key(), "text": text, "unverified": r.unverified })).collect::<Vec<_>>(),
        "trade_offs": v.trade_offs,
        "unmet": m.unmet.iter().map(|q| q.key()).collect::<Vec<_>>(),
        "signup_url": m.signup_url(),
        "handoff_path": format!("/go/{}?offre={}", m.provider.id, m.offer.id),
        "details_path": format!("/fournisseurs/{}", m.provider.id),
        "facts_checked": m.provider.latest_check(),
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi(State(site): State<Site>) -> Response {
    let server = site.public_url().unwrap_or("/");
    let answer = |name: &str, values: &[&str], desc: &str| {
        json!({ "name": name, "in": "query", "required": false, "description": desc,
                "schema": { "type": "string", "enum": values } })
    };
    ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "demail API",
            "version": "1",
            "description": format!("Mail providers for people leaving Gmail & co., and the recommendation of the Démailnagement campaign (at most {SHORTLIST_MAX} providers in the short list). No authentication, no cookie, nothing stored."),
            "license": { "name": "AGPL-3.0-or-later" }
        },
        "servers": [{ "url": server }],
        "paths": {
            "/api/v1/providers": { "get": {
                "summary": "Every provider, each fact with its source URL and check date",
                "responses": { "200": { "description": "The catalogue", "content": { "application/json": { "schema": { "type": "object", "properties": { "providers": { "type": "array", "items": { "$ref": "#/components/schemas/Provider" } } } } } } } }
            } },
            "/api/v1/providers/{id}": { "get": {
                "summary": "One provider",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[a-z0-9-]+$" } }],
                "responses": {
                    "200": { "description": "The provider", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Provider" } } } },
                    "404": { "description": "Unknown id", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                }
            } },
            "/api/v1/recommendations": { "get": {
                "summary": "Ranked providers for a person's answers (the same parameters as the site's results page)",
                "parameters": [
                    answer("pour", &["moi", "famille", "association"], "Who the address is for"),
                    answer("taille", &["moins-1", "1-5", "5-15", "plus-15", "inconnue"], "Size of today's mailbox, in GB"),
                    answer("domaine", &["oui", "envie", "non"], "Own domain name: have one, want one, no"),
                    answer("lieu", &["france", "europe", "suisse", "egal"], "Where the mail must be stored"),
                    { "name": "budget", "in": "query", "required": false, "description": "Budget per year: gratuit, egal, or a number of euros", "schema": { "type": "string", "pattern": "^(gratuit|egal|[0-9]{1,6})$" } },
                    { "name": "outils", "in": "query", "required": false, "description": "Repeatable: appli (mail app, needs IMAP), agenda (calendar and contacts sync)", "schema": { "type": "array", "items": { "type": "string", "enum": ["appli", "agenda", "navigateur"] } }, "style": "form", "explode": true },
                    answer("aide", &["aucune", "guides", "personne", "rencontre"], "Help wanted"),
                    { "name": "region", "in": "query", "required": false, "description": "Region for in-person help (required with aide=rencontre)", "schema": { "type": "string", "enum": demail_catalog::matching::REGIONS } },
                    answer("structure", &["associative", "egal"], "Prefers an association or a cooperative"),
                    answer("lang", &["fr", "en"], "Language of the texts")
                ],
                "responses": {
                    "200": { "description": "The short list", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Recommendations" } } } },
                    "400": { "description": "An answer could not be understood", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                }
            } }
        },
        "components": { "schemas": {
            "Fact": { "type": "object", "required": ["value", "unverified"], "properties": {
                "value": {}, "source": { "type": ["string", "null"], "format": "uri" },
                "checked": { "type": ["string", "null"], "format": "date" }, "unverified": { "type": "boolean" } } },
            "Provider": { "type": "object", "required": ["id", "name", "website", "signup_url", "organisation", "offers"], "properties": {
                "id": { "type": "string" }, "name": { "type": "string" }, "website": { "type": "string" },
                "signup_url": { "$ref": "#/components/schemas/Fact" },
                "description": { "type": "object", "properties": { "fr": { "type": "string" }, "en": { "type": "string" } } },
                "organisation": { "type": "object", "additionalProperties": { "anyOf": [{ "$ref": "#/components/schemas/Fact" }, { "type": "null" }] } },
                "offers": { "type": "array", "items": { "type": "object" } } } },
            "Recommendation": { "type": "object", "properties": {
                "provider": { "type": "string" }, "provider_name": { "type": "string" }, "offer": { "type": "string" },
                "offer_name": { "type": "string" }, "score": { "type": "integer" },
                "yearly_cost_eur": { "type": ["number", "null"] },
                "reasons": { "type": "array", "items": { "type": "object", "properties": { "question": { "type": "string" }, "text": { "type": "string" }, "unverified": { "type": "boolean" } } } },
                "trade_offs": { "type": "array", "items": { "type": "string" } },
                "unmet": { "type": "array", "items": { "type": "string" } },
                "signup_url": { "type": "string" }, "handoff_path": { "type": "string" }, "details_path": { "type": "string" },
                "facts_checked": { "type": ["string", "null"], "format": "date" } } },
            "Recommendations": { "type": "object", "properties": {
                "total": { "type": "integer" }, "shortlist_size": { "type": "integer" },
                "recommendations": { "type": "array", "items": { "$ref": "#/components/schemas/Recommendation" } },
                "blocking_question": { "type": ["string", "null"] },
                "nearest": { "type": "array", "items": { "$ref": "#/components/schemas/Recommendation" } } } },
            "Error": { "type": "object", "properties": { "error": { "type": "string" }, "message": { "type": "string" }, "parameter": { "type": ["string", "null"] } } }
        } }
    }))
}
