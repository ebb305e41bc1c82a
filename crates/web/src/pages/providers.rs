//! The directory of providers, one page per provider with every fact and its source, and the
//! sign-up hand-off.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use demail_catalog::{LegalForm, OwnDomain, Provider};
use demail_store::CounterKind;

use super::{Ctx, error_page, error_page_with, render};
use crate::Site;
use crate::view::{self, FactRow, Loc, ProviderCard};

/// Directory filters, all optional, from the query.
#[derive(Debug, Default, Clone, PartialEq)]
struct Filters {
    kind: Option<LegalForm>,
    country: Option<String>,
    free: Option<bool>,
    own_domain: bool,
    open: bool,
    chatons: bool,
}

impl Filters {
    fn parse(pairs: &[(String, String)]) -> Result<Filters, String> {
        let mut f = Filters::default();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "type" => f.kind = Some(LegalForm::parse(v).ok_or_else(|| k.clone())?),
                "pays" if v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()) => {
                    f.country = Some(v.clone())
                }
                "prix" if v == "gratuit" => f.free = Some(true),
                "prix" if v == "payant" => f.free = Some(false),
                "domaine" if v == "1" => f.own_domain = true,
                "ouvert" if v == "1" => f.open = true,
                "chatons" if v == "1" => f.chatons = true,
                _ => return Err(k.clone()),
            }
        }
        Ok(f)
    }

    fn keeps(&self, p: &Provider) -> bool {
        let org = &p.organisation;
        self.kind.is_none_or(|k| org.legal_form.value == k)
            && self.country.as_ref().is_none_or(|c| &org.country.value == c)
            && self.free.is_none_or(|free| {
                p.offers.iter().any(|o| o.yearly_cost_eur().is_some_and(|c| (c < 0.005) == free))
            })
            && (!self.own_domain
                || p.offers.iter().any(|o| o.own_domain.as_ref().is_some_and(|d| d.value != OwnDomain::None)))
            && (!self.open || (p.is_active() && p.offers.iter().any(|o| o.is_open())))
            && (!self.chatons || org.chatons.as_ref().is_some_and(|c| c.value))
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    l: Loc,
    switch: String,
    cards: Vec<ProviderCard>,
    total: usize,
    kinds: Vec<Choice>,
    countries: Vec<Choice>,
    prices: Vec<Choice>,
    own_domain: bool,
    open: bool,
    chatons: bool,
}

/// `/fournisseurs`: every provider, with filters.
pub async fn directory(State(site): State<Site>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let ctx = match Ctx::new(&headers, "/fournisseurs", q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let filters = match Filters::parse(&ctx.pairs) {
        Ok(f) => f,
        Err(key) => {
            let detail = l.t_args("error-parameter-detail", &[("name", key.chars().take(40).collect())]);
            return error_page_with(l.lang, StatusCode::BAD_REQUEST, "error-unknown-parameter", detail);
        }
    };
    let all = site.catalog().providers();
    let cards: Vec<ProviderCard> =
        all.iter().filter(|p| filters.keeps(p)).map(|p| view::provider_card(&l, p)).collect();
    let kinds = LegalForm::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().to_owned(),
            label: l.word("legal-form", k.as_str()),
            selected: filters.kind == Some(*k),
        })
        .collect();
    let mut codes: Vec<&str> = all.iter().map(|p| p.organisation.country.value.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut countries: Vec<Choice> = codes
        .iter()
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: l.country(c),
            selected: filters.country.as_deref() == Some(*c),
        })
        .collect();
    countries.sort_by(|a, b| a.label.cmp(&b.label));
    let prices = [("gratuit", "filter-price-free", Some(true)), ("payant", "filter-price-paid", Some(false))]
        .iter()
        .map(|(v, key, free)| Choice {
            value: (*v).to_owned(),
            label: l.t(key),
            selected: filters.free == *free,
        })
        .collect();
    let page = DirectoryPage {
        l,
        switch: ctx.switch_href(),
        total: all.len(),
        cards,
        kinds,
        countries,
        prices,
        own_domain: filters.own_domain,
        open: filters.open,
        chatons: filters.chatons,
    };
    render(StatusCode::OK, &page)
}

pub struct OfferSheet {
    pub name: String,
    pub rows: Vec<FactRow>,
    pub signup_href: String,
}

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    l: Loc,
    switch: String,
    card: ProviderCard,
    website: String,
    organisation: Vec<FactRow>,
    offers: Vec<OfferSheet>,
    signup_href: String,
    unverified: usize,
    /// A volunteer's mark (full, away, closed), from the backoffice.
    mark: Option<String>,
}

/// `/fournisseurs/{id}`: every fact, with its source and the day it was checked.
pub async fn provider(
    State(site): State<Site>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = match Ctx::new(&headers, &format!("/fournisseurs/{id}"), q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let l = ctx.loc;
    let Some(p) = site.catalog().get(&id) else {
        return error_page(l.lang, StatusCode::NOT_FOUND, "error-unknown-provider");
    };
    let organisation = view::organisation_rows(&l, p);
    let offers: Vec<OfferSheet> = p
        .offers
        .iter()
        .map(|o| OfferSheet {
            name: o.name.clone(),
            rows: view::offer_rows(&l, o),
            signup_href: l.href_pairs(&format!("/go/{}", p.id), &[("offre", o.id.clone())]),
        })
        .collect();
    let unverified =
        organisation.iter().chain(offers.iter().flat_map(|o| o.rows.iter())).filter(|r| r.unverified).count();
    let mark = super::help::provider_mark(&site, &l, &p.id).await;
    let page = ProviderPage {
        mark,
        l,
        switch: ctx.switch_href(),
        card: view::provider_card(&l, p),
        website: p.website.clone(),
        organisation,
        offers,
        signup_href: l.href(&format!("/go/{}", p.id)),
        unverified,
    };
    render(StatusCode::OK, &page)
}

/// `/go/{id}`: counts one anonymous hand-off for today, then sends the person to the sign-up page.
pub async fn go(
    State(site): State<Site>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = match Ctx::new(&headers, &format!("/go/{id}"), q.as_deref()) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let Some(p) = site.catalog().get(&id) else {
        return error_page(ctx.loc.lang, StatusCode::NOT_FOUND, "error-unknown-provider");
    };
    let offer_id = ctx.pairs.iter().find(|(k, _)| k == "offre").map(|(_, v)| v.as_str());
    let target = match offer_id {
        None => &p.signup_url.value,
        Some(oid) => match p.offers.iter().find(|o| o.id == oid) {
            Some(o) => o.signup_url.as_ref().map_or(&p.signup_url.value, |f| &f.value),
            None => return error_page(ctx.loc.lang, StatusCode::NOT_FOUND, "error-unknown-offer"),
        },
    };
    // A failed count must never stop someone from signing up.
    if let Err(e) = site.store().increment(chrono::Utc::now().date_naive(), CounterKind::Signup, &p.id).await
    {
        tracing::warn!("could not count a sign-up hand-off: {e}");
    }
    (StatusCode::SEE_OTHER, [(header::LOCATION, target.as_str()), (header::CACHE_CONTROL, "no-store")])
        .into_response()
}
