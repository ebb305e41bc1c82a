//! Turns catalogue values into the words and links a page shows, in the reader's language.

use chrono::NaiveDate;
use demail_catalog::matching::{Match, ReasonKind, TradeOff};
use demail_catalog::*;
use fluent_templates::fluent_bundle::FluentValue;

use crate::Lang;

/// The reader's language, and whether they chose it explicitly (then links carry `lang=`).
#[derive(Debug, Clone, Copy)]
pub struct Loc {
    pub lang: Lang,
    pub explicit: bool,
}

impl Loc {
    /// A translated message.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// Language code for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A site path, keeping an explicitly chosen language.
    pub fn href(&self, path: &str) -> String {
        self.href_pairs(path, &[])
    }

    /// A site path with query pairs, keeping an explicitly chosen language.
    pub fn href_pairs(&self, path: &str, pairs: &[(&str, String)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if self.explicit {
            q.append_pair("lang", self.lang.code());
        }
        let q = q.finish();
        if q.is_empty() { path.to_owned() } else { format!("{path}?{q}") }
    }

    /// The same page in the other language.
    pub fn switch_href(&self, path: &str, pairs: &[(&str, String)]) -> String {
        let other = Loc { lang: self.lang.other(), explicit: true };
        other.href_pairs(path, pairs)
    }

    /// Name of the other language, in that language.
    pub fn switch_label(&self) -> &'static str {
        match self.lang {
            Lang::Fr => "English",
            Lang::En => "Français",
        }
    }

    /// Code of the other language.
    pub fn switch_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn date(&self, d: NaiveDate) -> String {
        match self.lang {
            Lang::Fr => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }

    fn number(&self, n: f64) -> String {
        let s =
            if (n - n.round()).abs() < 0.005 { format!("{}", n.round() as i64) } else { format!("{n:.2}") };
        match self.lang {
            Lang::Fr => s.replace('.', ","),
            Lang::En => s,
        }
    }

    pub fn money(&self, m: &Money) -> String {
        if m.amount < 0.005 {
            return self.t("value-free");
        }
        let symbol = match m.currency.as_str() {
            "EUR" => "€",
            other => other,
        };
        let amount = self.number(m.amount);
        let per_year = self.t("value-per-year");
        match self.lang {
            Lang::Fr => format!("{amount} {symbol} {per_year}"),
            Lang::En if symbol == "€" => format!("€{amount} {per_year}"),
            Lang::En => format!("{amount} {symbol} {per_year}"),
        }
    }

    pub fn euros(&self, eur: f64) -> String {
        self.money(&Money { amount: eur, currency: "EUR".into() })
    }

    pub fn gb(&self, gb: f64) -> String {
        if gb < 1.0 {
            format!("{} Mo", self.number(gb * 1000.0))
                .replace("Mo", if self.lang == Lang::Fr { "Mo" } else { "MB" })
        } else {
            format!("{} {}", self.number(gb), if self.lang == Lang::Fr { "Go" } else { "GB" })
        }
    }

    pub fn yes_no(&self, b: bool) -> String {
        self.t(if b { "value-yes" } else { "value-no" })
    }

    /// A vocabulary value: message `{prefix}-{value}`.
    pub fn word(&self, prefix: &str, value: &str) -> String {
        self.t(&format!("{prefix}-{value}"))
    }

    pub fn words(&self, prefix: &str, values: &[&str]) -> String {
        if values.is_empty() {
            return self.t("value-none");
        }
        values.iter().map(|v| self.word(prefix, v)).collect::<Vec<_>>().join(", ")
    }

    /// A country's name, or its code when we have no name for it.
    pub fn country(&self, code: &str) -> String {
        let key = format!("country-{code}");
        let name = self.t(&key);
        if name == key { code.to_owned() } else { name }
    }

    pub fn countries(&self, codes: &[String]) -> String {
        codes.iter().map(|c| self.country(c)).collect::<Vec<_>>().join(", ")
    }

    /// A region's name (French regions and a few countries).
    pub fn region(&self, code: &str) -> String {
        let key = format!("region-{code}");
        let name = self.t(&key);
        if name == key { self.country(code) } else { name }
    }

    pub fn t_args(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: Vec<(&'static str, FluentValue<'static>)> =
            args.iter().map(|(k, v)| (*k, FluentValue::from(v.clone()))).collect();
        self.lang.t_args(key, &args)
    }

    /// The short label of a form question.
    pub fn question(&self, q: Question) -> String {
        self.t(&format!("question-short-{}", q.key()))
    }
}

/// One line of a provider's fact sheet.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub label: String,
    pub value: String,
    pub source: Option<String>,
    pub checked: Option<String>,
    pub unverified: bool,
}

impl FactRow {
    fn new<T>(l: &Loc, label_key: &str, fact: &Fact<T>, value: String) -> Self {
        FactRow {
            label: l.t(label_key),
            value,
            source: fact.source.clone(),
            checked: fact.checked.map(|d| l.date(d)),
            unverified: fact.unverified,
        }
    }

    fn unknown(l: &Loc, label_key: &str) -> Self {
        FactRow {
            label: l.t(label_key),
            value: l.t("value-unknown"),
            source: None,
            checked: None,
            unverified: false,
        }
    }
}

/// Rows for every organisation fact of a provider.
pub fn organisation_rows(l: &Loc, p: &Provider) -> Vec<FactRow> {
    let o = &p.organisation;
    let mut rows = vec![
        FactRow::new(l, "fact-legal-form", &o.legal_form, l.word("legal-form", o.legal_form.value.as_str())),
        FactRow::new(l, "fact-country", &o.country, l.country(&o.country.value)),
    ];
    push_opt(&mut rows, l, "fact-city", &o.city, |v| v.clone());
    push_opt(&mut rows, l, "fact-founded", &o.founded, |v| v.to_string());
    push_opt(&mut rows, l, "fact-chatons", &o.chatons, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-status", &o.status, |v| l.word("status", v.as_str()));
    push_opt(&mut rows, l, "fact-support-languages", &o.support_languages, |v| languages(l, v));
    rows.push(FactRow::new(l, "fact-signup-url", &p.signup_url, p.signup_url.value.clone()));
    push_opt(&mut rows, l, "fact-pricing-url", &p.pricing_url, |v| v.clone());
    rows
}

/// Rows for every fact of an offer, unknown ones included.
pub fn offer_rows(l: &Loc, o: &Offer) -> Vec<FactRow> {
    let mut rows = Vec::new();
    push_opt(&mut rows, l, "fact-audience", &o.audience, |v| {
        l.words("audience", &v.iter().map(|a| a.as_str()).collect::<Vec<_>>())
    });
    push_opt(&mut rows, l, "fact-registration", &o.registration, |v| l.word("registration", v.as_str()));
    push_opt(&mut rows, l, "fact-accepting", &o.accepting, |v| l.word("accepting", v.as_str()));
    push_opt(&mut rows, l, "fact-price", &o.price_per_year, |v| l.money(v));
    push_opt(&mut rows, l, "fact-membership", &o.membership_per_year, |v| l.money(v));
    push_opt(&mut rows, l, "fact-mailbox", &o.mailbox_gb, |v| l.gb(*v));
    push_opt(&mut rows, l, "fact-attachment", &o.attachment_mb, |v| {
        format!("{} {}", l.number(*v), if l.lang == Lang::Fr { "Mo" } else { "MB" })
    });
    push_opt(&mut rows, l, "fact-own-domain", &o.own_domain, |v| l.word("own-domain", v.as_str()));
    push_opt(&mut rows, l, "fact-aliases", &o.aliases, |v| match v {
        Aliases::Count(n) => n.to_string(),
        Aliases::Unlimited => l.t("value-unlimited"),
    });
    push_opt(&mut rows, l, "fact-mail-apps", &o.imap_smtp, |v| l.word("mail-apps", v.as_str()));
    push_opt(&mut rows, l, "fact-pop", &o.pop, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-webmail", &o.webmail, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-calendar", &o.calendar_contacts, |v| l.word("calendar", v.as_str()));
    push_opt(&mut rows, l, "fact-encryption", &o.encryption, |v| l.word("encryption", v.as_str()));
    push_opt(&mut rows, l, "fact-import", &o.import_from, |v| {
        l.words("import", &v.iter().map(|a| a.as_str()).collect::<Vec<_>>())
    });
    push_opt(&mut rows, l, "fact-forwarding", &o.forwarding, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-auto-reply", &o.auto_reply, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-collection", &o.external_collection, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-export", &o.export, |v| {
        l.words("export", &v.iter().map(|a| a.as_str()).collect::<Vec<_>>())
    });
    push_opt(&mut rows, l, "fact-ads", &o.ads, |v| l.yes_no(*v));
    push_opt(&mut rows, l, "fact-open-source", &o.open_source, |v| l.word("open-source", v.as_str()));
    push_opt(&mut rows, l, "fact-help", &o.help, |v| {
        l.words("help", &v.iter().map(|a| a.as_str()).collect::<Vec<_>>())
    });
    push_opt(&mut rows, l, "fact-languages", &o.languages, |v| languages(l, v));
    push_opt(&mut rows, l, "fact-help-regions", &o.help_regions, |v| {
        v.iter().map(|r| l.region(r)).collect::<Vec<_>>().join(", ")
    });
    push_opt(&mut rows, l, "fact-data-location", &o.data_location, |v| l.countries(v));
    rows
}

fn languages(l: &Loc, codes: &[String]) -> String {
    codes.iter().map(|c| l.word("language", c)).collect::<Vec<_>>().join(", ")
}

fn push_opt<T>(
    rows: &mut Vec<FactRow>,
    l: &Loc,
    key: &str,
    fact: &Option<Fact<T>>,
    show: impl Fn(&T) -> String,
) {
    rows.push(match fact {
        Some(f) => FactRow::new(l, key, f, show(&f.value)),
        None => FactRow::unknown(l, key),
    });
}

/// A provider in a list: the essentials at a glance.
#[derive(Debug, Clone)]
pub struct ProviderCard {
    pub name: String,
    pub kind: String,
    pub country: String,
    pub chatons: bool,
    pub description: String,
    pub price: String,
    pub href: String,
}

/// The essentials of a provider, for lists.
pub fn provider_card(l: &Loc, p: &Provider) -> ProviderCard {
    let prices: Vec<f64> = p.offers.iter().filter_map(Offer::yearly_cost_eur).collect();
    let price = match prices.iter().copied().reduce(f64::min) {
        Some(min) if min < 0.005 => l.t("value-free-offer"),
        Some(min) => l.t_args("value-from", &[("price", l.euros(min))]),
        None => l.t("value-price-unknown"),
    };
    ProviderCard {
        name: p.name.clone(),
        kind: l.word("legal-form", p.organisation.legal_form.value.as_str()),
        country: l.country(&p.organisation.country.value),
        chatons: p.organisation.chatons.as_ref().is_some_and(|c| c.value),
        description: p.description.get(l.lang.code()).to_owned(),
        price,
        href: l.href(&format!("/fournisseurs/{}", p.id)),
    }
}

/// A recommended offer, ready to show.
#[derive(Debug, Clone)]
pub struct MatchView {
    pub card: ProviderCard,
    pub offer_name: String,
    pub price: String,
    pub reasons: Vec<String>,
    pub trade_offs: Vec<String>,
    pub unmet: Vec<String>,
    pub signup_href: String,
    pub checked: String,
}

pub fn match_view(l: &Loc, m: &Match<'_>) -> MatchView {
    let price = match m.offer.yearly_cost_eur() {
        Some(eur) => l.euros(eur),
        None => l.t("value-price-unknown"),
    };
    let checked = match (m.provider.oldest_check(), m.provider.latest_check()) {
        (Some(a), Some(b)) if a != b => {
            l.t_args("checked-between", &[("from", l.date(a)), ("to", l.date(b))])
        }
        (_, Some(d)) => l.t_args("checked-on", &[("date", l.date(d))]),
        _ => l.t("checked-never"),
    };
    MatchView {
        card: provider_card(l, m.provider),
        offer_name: m.offer.name.clone(),
        price,
        reasons: m
            .reasons
            .iter()
            .map(|r| {
                let text = reason(l, &r.kind);
                if r.unverified { format!("{text} ({})", l.t("value-to-check")) } else { text }
            })
            .collect(),
        trade_offs: m.trade_offs.iter().map(|t| trade_off(l, t)).collect(),
        unmet: m.unmet.iter().map(|q| l.question(*q)).collect(),
        signup_href: l.href_pairs(&format!("/go/{}", m.provider.id), &[("offre", m.offer.id.clone())]),
        checked,
    }
}

fn reason(l: &Loc, kind: &ReasonKind) -> String {
    match kind {
        ReasonKind::ForAudience(a) => l.word("reason-audience", a.as_str()),
        ReasonKind::MailboxSize { gb } => l.t_args("reason-size", &[("size", l.gb(*gb))]),
        ReasonKind::OwnDomainIncluded => l.t("reason-domain-included"),
        ReasonKind::OwnDomainPaid => l.t("reason-domain-paid"),
        ReasonKind::DataIn(c) => l.t_args("reason-data", &[("places", l.countries(c))]),
        ReasonKind::Free => l.t("reason-free"),
        ReasonKind::WithinBudget { eur } => l.t_args("reason-budget", &[("price", l.euros(*eur))]),
        ReasonKind::MailApps => l.t("reason-mail-apps"),
        ReasonKind::MailAppsThroughBridge => l.t("reason-mail-apps-bridge"),
        ReasonKind::CalendarSync => l.t("reason-sync"),
        ReasonKind::HelpDocs => l.t("reason-help-docs"),
        ReasonKind::HelpPerson(ways) => l.t_args(
            "reason-help-person",
            &[("ways", l.words("help", &ways.iter().map(|w| w.as_str()).collect::<Vec<_>>()))],
        ),
        ReasonKind::HelpInPerson(r) => l.t_args("reason-help-in-person", &[("region", l.region(r))]),
        ReasonKind::Workshops => l.t("reason-workshops"),
        ReasonKind::Structure(f) => l.word("reason-structure", f.as_str()),
        ReasonKind::Chatons => l.t("reason-chatons"),
    }
}

fn trade_off(l: &Loc, t: &TradeOff) -> String {
    match t {
        TradeOff::NoOwnDomain => l.t("tradeoff-no-own-domain"),
        TradeOff::Paid { eur } => l.t_args("tradeoff-paid", &[("price", l.euros(*eur))]),
        TradeOff::MembershipRequired => l.t("tradeoff-membership"),
        TradeOff::InvitationOnly => l.t("tradeoff-invitation"),
        TradeOff::MailAppsThroughBridge => l.t("tradeoff-bridge"),
        TradeOff::NoMailApps => l.t("tradeoff-no-mail-apps"),
        TradeOff::Ads => l.t("tradeoff-ads"),
        TradeOff::OneAccountPerPerson => l.t("tradeoff-one-account"),
        TradeOff::BusinessOffer => l.t("tradeoff-business-offer"),
        TradeOff::CalendarInBrowserOnly => l.t("tradeoff-calendar-browser"),
        TradeOff::NoCalendarSync => l.t("tradeoff-no-calendar"),
        TradeOff::NoImportTool => l.t("tradeoff-no-import"),
        TradeOff::Unknown(q) => l.t_args("tradeoff-unknown", &[("question", l.question(*q))]),
    }
}

/// One row of the side-by-side comparison: a label and one cell per provider.
#[derive(Debug, Clone)]
pub struct CompareRow {
    pub label: String,
    pub cells: Vec<String>,
}

/// The comparison table of the given matches.
pub fn compare_rows(l: &Loc, matches: &[Match<'_>]) -> Vec<CompareRow> {
    let unknown = || l.t("value-unknown");
    let row = |key: &str, f: &dyn Fn(&Match<'_>) -> Option<String>| CompareRow {
        label: l.t(key),
        cells: matches.iter().map(|m| f(m).unwrap_or_else(unknown)).collect(),
    };
    vec![
        row("fact-offer", &|m| Some(m.offer.name.clone())),
        row("fact-legal-form", &|m| {
            Some(l.word("legal-form", m.provider.organisation.legal_form.value.as_str()))
        }),
        row("fact-country", &|m| Some(l.country(&m.provider.organisation.country.value))),
        row("fact-data-location", &|m| m.offer.data_location.as_ref().map(|f| l.countries(&f.value))),
        row("fact-price", &|m| m.offer.yearly_cost_eur().map(|e| l.euros(e))),
        row("fact-mailbox", &|m| m.offer.mailbox_gb.as_ref().map(|f| l.gb(f.value))),
        row("fact-own-domain", &|m| {
            m.offer.own_domain.as_ref().map(|f| l.word("own-domain", f.value.as_str()))
        }),
        row("fact-mail-apps", &|m| m.offer.imap_smtp.as_ref().map(|f| l.word("mail-apps", f.value.as_str()))),
        row("fact-calendar", &|m| {
            m.offer.calendar_contacts.as_ref().map(|f| l.word("calendar", f.value.as_str()))
        }),
        row("fact-help", &|m| {
            m.offer
                .help
                .as_ref()
                .map(|f| l.words("help", &f.value.iter().map(|h| h.as_str()).collect::<Vec<_>>()))
        }),
        row("fact-ads", &|m| m.offer.ads.as_ref().map(|f| l.yes_no(f.value))),
    ]
}
