//! From a person's needs to a ranked short list of providers, each with why it fits and what it costs.
//!
//! Hard requirements exclude an offer only when a *known* fact contradicts them; an unknown fact keeps
//! the offer but lowers its rank and is shown as "to check". The order is fully deterministic.

use std::fmt;

use crate::model::*;

/// The questions of the needs form, in form order. Each is one URL parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Question {
    Audience,
    Size,
    Domain,
    Location,
    Budget,
    Tools,
    Help,
    Structure,
}

impl Question {
    /// Every question, in form order.
    pub const ALL: [Question; 8] = [
        Question::Audience,
        Question::Size,
        Question::Domain,
        Question::Location,
        Question::Budget,
        Question::Tools,
        Question::Help,
        Question::Structure,
    ];

    /// The URL parameter that carries the answer.
    pub fn key(self) -> &'static str {
        match self {
            Question::Audience => "pour",
            Question::Size => "taille",
            Question::Domain => "domaine",
            Question::Location => "lieu",
            Question::Budget => "budget",
            Question::Tools => "outils",
            Question::Help => "aide",
            Question::Structure => "structure",
        }
    }
}

/// Who the new address is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Me,
    Family,
    Association,
}

/// Size of today's mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxSize {
    Under1,
    From1To5,
    From5To15,
    Over15,
    Unknown,
}

impl MailboxSize {
    /// Gigabytes the new mailbox must hold at least.
    pub fn required_gb(self) -> Option<f64> {
        match self {
            MailboxSize::Under1 => Some(1.0),
            MailboxSize::From1To5 => Some(5.0),
            MailboxSize::From5To15 => Some(15.0),
            MailboxSize::Over15 => Some(20.0),
            MailboxSize::Unknown => None,
        }
    }
}

/// Own domain name (`@mydomain.fr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainNeed {
    Have,
    Want,
    No,
}

/// Where the mail must be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    France,
    Europe,
    EuropeOrSwitzerland,
    Anywhere,
}

/// Yearly budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    FreeOnly,
    UpTo(u32),
    Any,
}

/// Kind of help wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpWanted {
    None,
    Guides,
    Person,
    InPerson,
}

/// A person's answers. `None` means the question was not answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    pub who: Option<Who>,
    pub size: Option<MailboxSize>,
    pub domain: Option<DomainNeed>,
    pub location: Option<Location>,
    pub budget: Option<Budget>,
    /// Uses a mail app (Thunderbird, phone): needs IMAP/SMTP.
    pub mail_app: bool,
    /// Wants calendar and contacts synchronised.
    pub sync: bool,
    pub help: Option<HelpWanted>,
    /// Region for in-person help (ISO 3166-2 such as `FR-OCC`, or a country code).
    pub region: Option<String>,
    /// Prefers an association or a cooperative.
    pub nonprofit: Option<bool>,
}

/// An answer that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeedsError {
    #[error("unknown parameter {0:?}")]
    UnknownParameter(String),
    #[error("unknown answer {value:?} to {key:?}")]
    UnknownAnswer { key: String, value: String },
    #[error("two different answers to {0:?}")]
    Contradiction(String),
    #[error("in-person help needs a region")]
    RegionMissing,
}

impl NeedsError {
    /// The parameter at fault.
    pub fn key(&self) -> &str {
        match self {
            NeedsError::UnknownParameter(k) | NeedsError::Contradiction(k) => k,
            NeedsError::UnknownAnswer { key, .. } => key,
            NeedsError::RegionMissing => "region",
        }
    }
}

/// Regions accepted for in-person help: French regions and neighbouring French-speaking countries.
pub const REGIONS: &[&str] = &[
    "FR-ARA", "FR-BFC", "FR-BRE", "FR-CVL", "FR-COR", "FR-GES", "FR-HDF", "FR-IDF", "FR-NOR", "FR-NAQ",
    "FR-OCC", "FR-PDL", "FR-PAC", "BE", "CH", "LU",
];

const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];
/// Countries with EU-equivalent data protection that people who say "Switzerland is fine" also accept.
const EU_PLUS: &[&str] = &["CH", "NO", "IS", "LI"];

impl Needs {
    /// Parses URL query pairs. Empty values count as unanswered.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Needs, NeedsError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut needs = Needs::default();
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let unknown =
                || NeedsError::UnknownAnswer { key: key.to_owned(), value: value.chars().take(60).collect() };
            if key != "outils" {
                if let Some((_, prev)) = seen.iter().find(|(k, _)| *k == key) {
                    if *prev != value {
                        return Err(NeedsError::Contradiction(key.to_owned()));
                    }
                    continue;
                }
                seen.push((key, value));
            }
            match key {
                "pour" => {
                    needs.who = Some(match value {
                        "moi" => Who::Me,
                        "famille" => Who::Family,
                        "association" => Who::Association,
                        _ => return Err(unknown()),
                    })
                }
                "taille" => {
                    needs.size = Some(match value {
                        "moins-1" => MailboxSize::Under1,
                        "1-5" => MailboxSize::From1To5,
                        "5-15" => MailboxSize::From5To15,
                        "plus-15" => MailboxSize::Over15,
                        "inconnue" => MailboxSize::Unknown,
                        _ => return Err(unknown()),
                    })
                }
                "domaine" => {
                    needs.domain = Some(match value {
                        "oui" => DomainNeed::Have,
                        "envie" => DomainNeed::Want,
                        "non" => DomainNeed::No,
                        _ => return Err(unknown()),
                    })
                }
                "lieu" => {
                    needs.location = Some(match value {
                        "france" => Location::France,
                        "europe" => Location::Europe,
                        "suisse" => Location::EuropeOrSwitzerland,
                        "egal" => Location::Anywhere,
                        _ => return Err(unknown()),
                    })
                }
                "budget" => {
                    needs.budget = Some(match value {
                        "gratuit" | "0" => Budget::FreeOnly,
                        "egal" => Budget::Any,
                        n => match n.parse::<u32>() {
                            // "00" and the like mean free, like "0": one spelling per answer.
                            Ok(0) => Budget::FreeOnly,
                            Ok(n) if n <= 100_000 => Budget::UpTo(n),
                            _ => return Err(unknown()),
                        },
                    })
                }
                "outils" => match value {
                    "appli" => needs.mail_app = true,
                    "agenda" => needs.sync = true,
                    "navigateur" => {}
                    _ => return Err(unknown()),
                },
                "aide" => {
                    needs.help = Some(match value {
                        "aucune" => HelpWanted::None,
                        "guides" => HelpWanted::Guides,
                        "personne" => HelpWanted::Person,
                        "rencontre" => HelpWanted::InPerson,
                        _ => return Err(unknown()),
                    })
                }
                "region" => {
                    if !REGIONS.contains(&value) {
                        return Err(unknown());
                    }
                    needs.region = Some(value.to_owned());
                }
                "structure" => {
                    needs.nonprofit = Some(match value {
                        "associative" => true,
                        "egal" => false,
                        _ => return Err(unknown()),
                    })
                }
                other => return Err(NeedsError::UnknownParameter(other.chars().take(60).collect())),
            }
        }
        if needs.help == Some(HelpWanted::InPerson) && needs.region.is_none() {
            return Err(NeedsError::RegionMissing);
        }
        Ok(needs)
    }

    /// The answers as URL query pairs, in form order (inverse of [`Needs::from_pairs`]).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut put = |k: &'static str, v: &str| out.push((k, v.to_owned()));
        if let Some(w) = self.who {
            put(
                "pour",
                match w {
                    Who::Me => "moi",
                    Who::Family => "famille",
                    Who::Association => "association",
                },
            );
        }
        if let Some(s) = self.size {
            put(
                "taille",
                match s {
                    MailboxSize::Under1 => "moins-1",
                    MailboxSize::From1To5 => "1-5",
                    MailboxSize::From5To15 => "5-15",
                    MailboxSize::Over15 => "plus-15",
                    MailboxSize::Unknown => "inconnue",
                },
            );
        }
        if let Some(d) = self.domain {
            put(
                "domaine",
                match d {
                    DomainNeed::Have => "oui",
                    DomainNeed::Want => "envie",
                    DomainNeed::No => "non",
                },
            );
        }
        if let Some(l) = self.location {
            put(
                "lieu",
                match l {
                    Location::France => "france",
                    Location::Europe => "europe",
                    Location::EuropeOrSwitzerland => "suisse",
                    Location::Anywhere => "egal",
                },
            );
        }
        match self.budget {
            Some(Budget::FreeOnly) => put("budget", "gratuit"),
            Some(Budget::UpTo(n)) => put("budget", &n.to_string()),
            Some(Budget::Any) => put("budget", "egal"),
            None => {}
        }
        if self.mail_app {
            put("outils", "appli");
        }
        if self.sync {
            put("outils", "agenda");
        }
        if let Some(h) = self.help {
            put(
                "aide",
                match h {
                    HelpWanted::None => "aucune",
                    HelpWanted::Guides => "guides",
                    HelpWanted::Person => "personne",
                    HelpWanted::InPerson => "rencontre",
                },
            );
        }
        if let Some(r) = &self.region {
            put("region", r);
        }
        if let Some(n) = self.nonprofit {
            put("structure", if n { "associative" } else { "egal" });
        }
        out
    }

    /// Whether the person gave an answer to `q` that can produce a reason.
    pub fn answered(&self, q: Question) -> bool {
        match q {
            Question::Audience => self.who.is_some(),
            Question::Size => self.size.is_some(),
            Question::Domain => self.domain.is_some(),
            Question::Location => self.location.is_some(),
            Question::Budget => self.budget.is_some(),
            Question::Tools => self.mail_app || self.sync,
            Question::Help => self.help.is_some(),
            Question::Structure => self.nonprofit.is_some(),
        }
    }

    /// Whether no question was answered at all.
    pub fn is_empty(&self) -> bool {
        Question::ALL.iter().all(|q| !self.answered(*q))
    }
}

/// Why an offer fits: one answered question and the fact that meets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub question: Question,
    pub kind: ReasonKind,
    /// The fact behind the reason is not confirmed at a source.
    pub unverified: bool,
}

/// The fact that meets a need.
#[derive(Debug, Clone, PartialEq)]
pub enum ReasonKind {
    ForAudience(Audience),
    MailboxSize { gb: f64 },
    OwnDomainIncluded,
    OwnDomainPaid,
    DataIn(Vec<String>),
    Free,
    WithinBudget { eur: f64 },
    MailApps,
    MailAppsThroughBridge,
    CalendarSync,
    HelpDocs,
    HelpPerson(Vec<HelpKind>),
    HelpInPerson(String),
    Workshops,
    Structure(LegalForm),
    Chatons,
}

/// A drawback worth knowing before signing up.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeOff {
    NoOwnDomain,
    Paid {
        eur: f64,
    },
    MembershipRequired,
    InvitationOnly,
    MailAppsThroughBridge,
    NoMailApps,
    Ads,
    OneAccountPerPerson,
    BusinessOffer,
    CalendarInBrowserOnly,
    NoCalendarSync,
    NoImportTool,
    /// The fact that answers this question is unknown: ask the provider.
    Unknown(Question),
}

/// One offer of one provider, evaluated against the needs.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub provider: &'a Provider,
    pub offer: &'a Offer,
    pub score: i32,
    pub reasons: Vec<Reason>,
    pub trade_offs: Vec<TradeOff>,
    /// Hard requirements this offer does not meet (empty for a fit).
    pub unmet: Vec<Question>,
}

impl Match<'_> {
    /// The sign-up link: the offer's, else the provider's.
    pub fn signup_url(&self) -> &str {
        self.offer.signup_url.as_ref().map_or(&self.provider.signup_url.value, |f| &f.value)
    }
}

/// The result of matching: the short list, the rest of the fits, and what to say when nothing fits.
#[derive(Debug, Clone)]
pub struct Shortlist<'a> {
    /// Every provider that fits (its best offer), best first.
    pub fits: Vec<Match<'a>>,
    /// When nothing fits: the answer that excluded the most providers.
    pub blocking: Option<Question>,
    /// When nothing fits: the closest providers, each with what it misses.
    pub nearest: Vec<Match<'a>>,
}

/// How many providers the short list shows before "see all".
pub const SHORTLIST_MAX: usize = 5;

impl<'a> Shortlist<'a> {
    /// The 3–5 providers shown first (fewer only when fewer fit).
    pub fn top(&self) -> &[Match<'a>] {
        &self.fits[..self.fits.len().min(SHORTLIST_MAX)]
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Ranks `providers` for `needs`.
pub fn recommend<'a>(providers: &'a [Provider], needs: &Needs) -> Shortlist<'a> {
    let mut all: Vec<Match<'a>> = providers
        .iter()
        .filter(|p| p.is_active())
        .flat_map(|p| p.offers.iter().filter(|o| o.is_open()).map(move |o| evaluate(p, o, needs)))
        .collect();
    all.sort_by(rank);
    let fits = best_per_provider(all.iter().filter(|m| m.unmet.is_empty()).cloned());
    if !fits.is_empty() {
        return Shortlist { fits, blocking: None, nearest: Vec::new() };
    }
    let blocking = blocking_question(&all);
    let mut near: Vec<Match<'a>> = all;
    near.sort_by(|a, b| a.unmet.len().cmp(&b.unmet.len()).then_with(|| rank(a, b)));
    let mut nearest = best_per_provider(near.into_iter());
    nearest.truncate(3);
    Shortlist { fits: Vec::new(), blocking, nearest }
}

fn rank(a: &Match<'_>, b: &Match<'_>) -> std::cmp::Ordering {
    b.score
        .cmp(&a.score)
        .then_with(|| a.provider.id.cmp(&b.provider.id))
        .then_with(|| a.offer.id.cmp(&b.offer.id))
}

/// Keeps the first (best) match of each provider, preserving order.
fn best_per_provider<'a>(matches: impl Iterator<Item = Match<'a>>) -> Vec<Match<'a>> {
    let mut out: Vec<Match<'a>> = Vec::new();
    for m in matches {
        if !out.iter().any(|o| o.provider.id == m.provider.id) {
            out.push(m);
        }
    }
    out
}

/// The question whose relaxation would let the most offers through.
fn blocking_question(all: &[Match<'_>]) -> Option<Question> {
    let mut best: Option<(usize, usize, Question)> = None;
    for q in Question::ALL {
        let alone = all.iter().filter(|m| m.unmet == [q]).count();
        let involved = all.iter().filter(|m| m.unmet.contains(&q)).count();
        if involved == 0 {
            continue;
        }
        if best.is_none_or(|(a, i, _)| (alone, involved) > (a, i)) {
            best = Some((alone, involved, q));
        }
    }
    best.map(|(_, _, q)| q)
}

/// Scores one offer; exposed for tests and the comparison table.
pub fn evaluate<'a>(provider: &'a Provider, offer: &'a Offer, needs: &Needs) -> Match<'a> {
    let mut e = Evaluation::default();
    audience(&mut e, offer, needs);
    size(&mut e, offer, needs);
    domain(&mut e, offer, needs);
    location(&mut e, offer, needs);
    budget(&mut e, offer, needs);
    tools(&mut e, offer, needs);
    help(&mut e, offer, needs);
    structure(&mut e, provider, needs);
    general_trade_offs(&mut e, offer);
    Match { provider, offer, score: e.score, reasons: e.reasons, trade_offs: e.trade_offs, unmet: e.unmet }
}

#[derive(Default)]
struct Evaluation {
    score: i32,
    reasons: Vec<Reason>,
    trade_offs: Vec<TradeOff>,
    unmet: Vec<Question>,
}

impl Evaluation {
    fn reason<T>(&mut self, question: Question, kind: ReasonKind, fact: &Fact<T>, points: i32) {
        // A confirmed fact is worth more than one nobody has checked.
        self.score += if fact.unverified { points * 2 / 3 } else { points };
        self.reasons.push(Reason { question, kind, unverified: fact.unverified });
    }

    fn unknown(&mut self, question: Question) {
        self.score -= 4;
        self.trade_offs.push(TradeOff::Unknown(question));
    }

    fn unmet(&mut self, question: Question) {
        self.unmet.push(question);
    }

    fn trade_off(&mut self, t: TradeOff, points: i32) {
        if !self.trade_offs.contains(&t) {
            self.score -= points;
            self.trade_offs.push(t);
        }
    }
}

fn audience(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Audience;
    let Some(who) = needs.who else { return };
    let Some(f) = &offer.audience else { return e.unknown(q) };
    let has = |a: Audience| f.value.contains(&a);
    match who {
        Who::Me if has(Audience::Individual) => {
            e.reason(q, ReasonKind::ForAudience(Audience::Individual), f, 10)
        }
        Who::Me if has(Audience::Family) => e.reason(q, ReasonKind::ForAudience(Audience::Family), f, 6),
        Who::Family if has(Audience::Family) => e.reason(q, ReasonKind::ForAudience(Audience::Family), f, 10),
        Who::Family if has(Audience::Individual) => {
            e.reason(q, ReasonKind::ForAudience(Audience::Individual), f, 4);
            e.trade_off(TradeOff::OneAccountPerPerson, 2);
        }
        Who::Association if has(Audience::Association) => {
            e.reason(q, ReasonKind::ForAudience(Audience::Association), f, 10)
        }
        Who::Association if has(Audience::Business) => {
            e.reason(q, ReasonKind::ForAudience(Audience::Business), f, 4);
            e.trade_off(TradeOff::BusinessOffer, 2);
        }
        _ => e.unmet(q),
    }
}

fn size(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Size;
    let Some(required) = needs.size.and_then(MailboxSize::required_gb) else { return };
    let Some(f) = &offer.mailbox_gb else { return e.unknown(q) };
    if f.value < required {
        e.unmet(q);
    } else {
        // Room to grow earns a little more, up to three times what is needed.
        let room = (f.value / required).min(3.0);
        e.reason(q, ReasonKind::MailboxSize { gb: f.value }, f, 6 + (room * 2.0) as i32);
    }
}

fn domain(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Domain;
    let Some(need) = needs.domain else { return };
    if need == DomainNeed::No {
        return;
    }
    let Some(f) = &offer.own_domain else {
        if need == DomainNeed::Have {
            e.unknown(q);
        } else {
            e.score -= 2;
        }
        return;
    };
    match (f.value, need) {
        (OwnDomain::None, DomainNeed::Have) => e.unmet(q),
        (OwnDomain::None, _) => e.score -= 8,
        (OwnDomain::Included, _) => e.reason(q, ReasonKind::OwnDomainIncluded, f, 10),
        (OwnDomain::Paid, _) => e.reason(q, ReasonKind::OwnDomainPaid, f, 6),
    }
}

fn location(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Location;
    let allowed: &dyn Fn(&str) -> bool = match needs.location {
        None | Some(Location::Anywhere) => return,
        Some(Location::France) => &|c| c == "FR",
        Some(Location::Europe) => &|c| EU.contains(&c),
        Some(Location::EuropeOrSwitzerland) => &|c| EU.contains(&c) || EU_PLUS.contains(&c),
    };
    let Some(f) = &offer.data_location else { return e.unknown(q) };
    if !f.value.is_empty() && f.value.iter().all(|c| allowed(c)) {
        e.reason(q, ReasonKind::DataIn(f.value.clone()), f, 10);
    } else {
        e.unmet(q);
    }
}

fn budget(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Budget;
    let Some(budget) = needs.budget else { return };
    let cost = offer.yearly_cost_eur();
    let Some(eur) = cost else {
        if budget != Budget::Any {
            e.unknown(q);
        }
        return;
    };
    let fact = offer.price_per_year.as_ref();
    let limit = match budget {
        Budget::FreeOnly => 0.0,
        Budget::UpTo(n) => f64::from(n),
        Budget::Any => f64::INFINITY,
    };
    if eur > limit + 0.005 {
        return e.unmet(q);
    }
    let Some(fact) = fact else { return };
    if eur < 0.005 {
        e.reason(q, ReasonKind::Free, fact, 8);
    } else if budget != Budget::Any {
        // Cheaper offers within budget rank a little higher.
        let spare = ((limit - eur) / limit.max(1.0) * 4.0) as i32;
        e.reason(q, ReasonKind::WithinBudget { eur }, fact, 6 + spare);
    }
}

fn tools(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Tools;
    if needs.mail_app {
        match &offer.imap_smtp {
            None => e.unknown(q),
            Some(f) => match f.value {
                MailAppAccess::Native => e.reason(q, ReasonKind::MailApps, f, 10),
                MailAppAccess::Bridge => {
                    e.reason(q, ReasonKind::MailAppsThroughBridge, f, 2);
                    e.trade_off(TradeOff::MailAppsThroughBridge, 4);
                }
                MailAppAccess::None => e.unmet(q),
            },
        }
    }
    if needs.sync {
        match &offer.calendar_contacts {
            None => e.unknown(q),
            Some(f) => match f.value {
                CalendarContacts::Sync => e.reason(q, ReasonKind::CalendarSync, f, 8),
                CalendarContacts::Webmail => e.trade_off(TradeOff::CalendarInBrowserOnly, 4),
                CalendarContacts::None => e.trade_off(TradeOff::NoCalendarSync, 8),
            },
        }
    }
}

fn help(e: &mut Evaluation, offer: &Offer, needs: &Needs) {
    let q = Question::Help;
    let wanted = match needs.help {
        None | Some(HelpWanted::None) => return,
        Some(h) => h,
    };
    let Some(f) = &offer.help else {
        if wanted == HelpWanted::InPerson {
            e.unmet(q);
        } else {
            e.unknown(q);
        }
        return;
    };
    let has = |k: HelpKind| f.value.contains(&k);
    match wanted {
        HelpWanted::Guides if has(HelpKind::Docs) => e.reason(q, ReasonKind::HelpDocs, f, 5),
        HelpWanted::Person => {
            let people: Vec<HelpKind> = f
                .value
                .iter()
                .copied()
                .filter(|k| matches!(k, HelpKind::Email | HelpKind::Phone | HelpKind::InPerson))
                .collect();
            if people.is_empty() {
                e.score -= 4;
            } else {
                e.reason(q, ReasonKind::HelpPerson(people), f, 8);
            }
        }
        HelpWanted::InPerson => {
            let region = needs.region.as_deref().unwrap_or_default();
            let country = if region.starts_with("FR-") { "FR" } else { region };
            let near = offer
                .help_regions
                .as_ref()
                .is_some_and(|r| r.value.iter().any(|x| x == region || x == country));
            if has(HelpKind::InPerson) && near {
                e.reason(q, ReasonKind::HelpInPerson(region.to_owned()), f, 15);
            } else if has(HelpKind::Workshops) && near {
                e.reason(q, ReasonKind::Workshops, f, 8);
            } else {
                e.unmet(q);
            }
        }
        _ => {}
    }
}

fn structure(e: &mut Evaluation, provider: &Provider, needs: &Needs) {
    let q = Question::Structure;
    if needs.nonprofit != Some(true) {
        return;
    }
    let f = &provider.organisation.legal_form;
    if matches!(f.value, LegalForm::Association | LegalForm::Cooperative) {
        e.reason(q, ReasonKind::Structure(f.value), f, 12);
    }
    if let Some(c) = &provider.organisation.chatons
        && c.value
    {
        e.reason(q, ReasonKind::Chatons, c, 4);
    }
}

/// Drawbacks shown whatever the answers: what a person should know before signing up.
fn general_trade_offs(e: &mut Evaluation, offer: &Offer) {
    if offer.own_domain.as_ref().is_some_and(|f| f.value == OwnDomain::None) {
        e.trade_off(TradeOff::NoOwnDomain, 0);
    }
    if let Some(eur) = offer.yearly_cost_eur()
        && eur > 0.005
    {
        e.trade_off(TradeOff::Paid { eur }, 0);
    }
    match offer.registration.as_ref().map(|f| f.value) {
        Some(Registration::Member) => e.trade_off(TradeOff::MembershipRequired, 1),
        Some(Registration::Invitation) => e.trade_off(TradeOff::InvitationOnly, 20),
        _ => {}
    }
    match offer.imap_smtp.as_ref().map(|f| f.value) {
        Some(MailAppAccess::Bridge) => e.trade_off(TradeOff::MailAppsThroughBridge, 0),
        Some(MailAppAccess::None) => e.trade_off(TradeOff::NoMailApps, 0),
        _ => {}
    }
    if offer.ads.as_ref().is_some_and(|f| f.value) {
        e.trade_off(TradeOff::Ads, 6);
    }
    if offer.import_from.as_ref().is_some_and(|f| f.value.is_empty()) {
        e.trade_off(TradeOff::NoImportTool, 0);
    }
}
