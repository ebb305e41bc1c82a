//! Reading and checking catalogue files.
//!
//! The files are walked by hand (not derived with serde) so that one pass reports *every* problem with
//! its file and field, which is what a volunteer editing the catalogue needs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use toml::{Table, Value};

use crate::model::*;

/// How serious a catalogue problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth a look, but the catalogue can be used.
    Warning,
    /// The file cannot be used as it is.
    Error,
}

/// One problem found in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// Dotted path of the field, e.g. `offers[0].price_per_year.currency`; empty for the whole file.
    pub field: String,
    pub severity: Severity,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.field.is_empty() {
            write!(f, "{level}: {}: {}", self.file, self.reason)
        } else {
            write!(f, "{level}: {}: {}: {}", self.file, self.field, self.reason)
        }
    }
}

/// Settings of a catalogue check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// The day the check runs; `checked` dates after it are errors.
    pub today: NaiveDate,
    /// A `checked` date older than this many days gives a warning.
    pub max_age_days: i64,
}

impl CheckOptions {
    /// Checks as of today, warning about facts checked more than `max_age_days` ago.
    pub fn now(max_age_days: i64) -> Self {
        CheckOptions { today: chrono::Local::now().date_naive(), max_age_days }
    }
}

/// The providers read from a set of files, and the problems met.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Providers without errors, sorted by id.
    pub providers: Vec<Provider>,
    pub problems: Vec<Problem>,
    /// Per provider id, how many facts are marked unverified.
    pub unverified_counts: BTreeMap<String, usize>,
}

impl LoadReport {
    /// Number of problems of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems.iter().filter(|p| p.severity == severity).count()
    }
}

/// Reading a catalogue directory failed before any file could be checked.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the catalogue directory {path}: {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("the catalogue directory {path} holds no .toml file")]
    Empty { path: String },
}

/// Reads every `*.toml` file of `dir`.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, LoadError> {
    let err = |source| LoadError::Directory { path: dir.display().to_string(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let text = std::fs::read_to_string(&path).map_err(err)?;
            files.push((name, text));
        }
    }
    if files.is_empty() {
        return Err(LoadError::Empty { path: dir.display().to_string() });
    }
    files.sort();
    Ok(files)
}

/// Parses and checks catalogue files given as (file name, contents).
pub fn load_files<I>(files: I, opts: CheckOptions) -> LoadReport
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut providers = Vec::new();
    let mut problems = Vec::new();
    let mut unverified_counts = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (file, text) in files {
        let mut reader = FileReader::new(&file, opts);
        let provider = reader.provider(&text);
        if let Some(p) = &provider {
            if let Some(first) = seen.get(&p.id) {
                reader.error("", format!("duplicate provider id {:?}, already used by {first}", p.id));
            } else {
                seen.insert(p.id.clone(), file.clone());
            }
        }
        let has_error = reader.problems.iter().any(|p| p.severity == Severity::Error);
        if let Some(p) = provider {
            unverified_counts.insert(p.id.clone(), reader.unverified);
            if !has_error {
                providers.push(p);
            }
        }
        problems.extend(reader.problems);
    }
    providers.sort_by(|a, b| a.id.cmp(&b.id));
    LoadReport { providers, problems, unverified_counts }
}

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "website",
    "signup_url",
    "pricing_url",
    "description",
    "sources",
    "organisation",
    "mail_settings",
    "offers",
];
const ORG_KEYS: &[&str] =
    &["legal_form", "country", "city", "founded", "chatons", "status", "support_languages"];
const SETTINGS_KEYS: &[&str] =
    &["imap_host", "imap_port", "smtp_host", "smtp_port", "mx_hosts", "spf_include", "dkim_selectors"];
const OFFER_KEYS: &[&str] = &[
    "id",
    "name",
    "signup_url",
    "audience",
    "registration",
    "accepting",
    "price_per_year",
    "membership_per_year",
    "mailbox_gb",
    "attachment_mb",
    "own_domain",
    "aliases",
    "imap_smtp",
    "pop",
    "webmail",
    "calendar_contacts",
    "encryption",
    "import_from",
    "forwarding",
    "auto_reply",
    "external_collection",
    "export",
    "ads",
    "open_source",
    "help",
    "languages",
    "help_regions",
    "data_location",
];
const FACT_KEYS: &[&str] = &["value", "source", "checked", "unverified", "note", "currency"];

/// ISO 3166-2 codes of metropolitan France's regions, for in-person help.
const FR_REGIONS: &[&str] = &[
    "FR-ARA", "FR-BFC", "FR-BRE", "FR-CVL", "FR-COR", "FR-GES", "FR-HDF", "FR-IDF", "FR-NOR", "FR-NAQ",
    "FR-OCC", "FR-PDL", "FR-PAC",
];

/// ISO 4217 currencies a mail host may plausibly bill in.
const CURRENCIES: &[&str] = &["EUR", "CHF", "USD", "GBP", "AUD", "CAD", "SEK", "NOK", "DKK", "PLN", "CZK"];

struct Source {
    url: String,
    checked: Option<NaiveDate>,
}

struct FileReader<'a> {
    file: &'a str,
    opts: CheckOptions,
    sources: HashMap<String, Source>,
    problems: Vec<Problem>,
    unverified: usize,
}

type Convert<'c, T> = &'c dyn Fn(&Value) -> Result<T, String>;

impl<'a> FileReader<'a> {
    fn new(file: &'a str, opts: CheckOptions) -> Self {
        FileReader { file, opts, sources: HashMap::new(), problems: Vec::new(), unverified: 0 }
    }

    fn push(&mut self, severity: Severity, field: &str, reason: String) {
        self.problems.push(Problem { file: self.file.to_owned(), field: field.to_owned(), severity, reason });
    }

    fn error(&mut self, field: &str, reason: String) {
        self.push(Severity::Error, field, reason);
    }

    fn provider(&mut self, text: &str) -> Option<Provider> {
        let table: Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                self.error("", format!("not valid TOML: {}", e.to_string().trim()));
                return None;
            }
        };
        let stem = self.file.strip_suffix(".toml").unwrap_or(self.file).to_owned();
        let id = match table.get("id") {
            Some(Value::String(id)) => {
                if *id != stem {
                    self.error("id", format!("id {id:?} differs from the file name {stem:?}"));
                }
                id.clone()
            }
            Some(_) => {
                self.error("id", "must be a string".into());
                stem
            }
            None => stem,
        };
        if !valid_id(&id) {
            self.error("id", format!("{id:?} is not a valid id: use lowercase letters, digits and '-'"));
        }
        self.unknown_keys(&table, "", TOP_KEYS);
        self.read_sources(&table);

        let name = self.plain_string(&table, "", "name");
        let website = self.plain_string(&table, "", "website");
        if let Some(w) = &website
            && let Err(reason) = web_url(w)
        {
            self.error("website", reason);
        }
        let signup_url = self.fact(&table, "", "signup_url", &|v| https_url(v));
        if signup_url.is_none() && table.get("signup_url").is_none() {
            self.error("signup_url", "missing: every provider needs a sign-up link".into());
        }
        let pricing_url = self.fact(&table, "", "pricing_url", &|v| https_url(v));
        let description = self.description(&table);
        let organisation = self.organisation(&table);
        let mail_settings = self.mail_settings(&table);
        let offers = self.offers(&table);

        Some(Provider {
            id,
            name: name?,
            website: website?,
            signup_url: signup_url?,
            pricing_url,
            description,
            organisation: organisation?,
            mail_settings,
            offers,
        })
    }

    fn unknown_keys(&mut self, table: &Table, path: &str, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                let field = join(path, key);
                self.error(&field, format!("unknown field; expected one of: {}", known.join(", ")));
            }
        }
    }

    fn plain_string(&mut self, table: &Table, path: &str, key: &str) -> Option<String> {
        let field = join(path, key);
        match table.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(_) => {
                self.error(&field, "must be a non-empty string".into());
                None
            }
            None => {
                self.error(&field, "missing".into());
                None
            }
        }
    }

    fn sub_table<'t>(&mut self, table: &'t Table, key: &str, required: bool) -> Option<&'t Table> {
        match table.get(key) {
            Some(Value::Table(t)) => Some(t),
            Some(_) => {
                self.error(key, "must be a table".into());
                None
            }
            None => {
                if required {
                    self.error(key, "missing".into());
                }
                None
            }
        }
    }

    fn read_sources(&mut self, table: &Table) {
        let Some(sources) = self.sub_table(table, "sources", false) else { return };
        for (key, entry) in sources {
            let field = format!("sources.{key}");
            let Value::Table(entry) = entry else {
                self.error(&field, "must be a table with url and checked".into());
                continue;
            };
            self.unknown_keys(entry, &field, &["url", "checked", "note"]);
            let url = match entry.get("url") {
                Some(Value::String(u)) => match web_url(u) {
                    Ok(()) => u.clone(),
                    Err(reason) => {
                        self.error(&format!("{field}.url"), reason);
                        continue;
                    }
                },
                _ => {
                    self.error(&format!("{field}.url"), "missing source URL".into());
                    continue;
                }
            };
            let checked = self.checked_date(entry, &field);
            if checked.is_none() && entry.get("checked").is_none() {
                self.error(
                    &format!("{field}.checked"),
                    "missing: say when the source was read (YYYY-MM-DD)".into(),
                );
            }
            self.sources.insert(key.clone(), Source { url, checked });
        }
    }

    fn checked_date(&mut self, table: &Table, path: &str) -> Option<NaiveDate> {
        let field = join(path, "checked");
        let raw = match table.get("checked")? {
            Value::String(s) => s.clone(),
            Value::Datetime(d) => d.to_string(),
            _ => {
                self.error(&field, "must be a date YYYY-MM-DD".into());
                return None;
            }
        };
        let Ok(date) = NaiveDate::parse_from_str(&raw, "%Y-%m-%d") else {
            self.error(&field, format!("{raw:?} is not a date YYYY-MM-DD"));
            return None;
        };
        if date > self.opts.today {
            self.error(&field, format!("{date} is in the future"));
        } else if (self.opts.today - date).num_days() > self.opts.max_age_days {
            self.push(
                Severity::Warning,
                &field,
                format!(
                    "stale: checked on {date}, more than {} days ago; check the source again",
                    self.opts.max_age_days
                ),
            );
        }
        Some(date)
    }

    /// Reads the fact `key` of `table`; `None` when absent or invalid (the problem is recorded).
    fn fact<T>(&mut self, table: &Table, path: &str, key: &str, convert: Convert<'_, T>) -> Option<Fact<T>> {
        let field = join(path, key);
        let raw = table.get(key)?;
        let Value::Table(fact) = raw else {
            self.error(
                &field,
                "must be a fact: { value = …, source = … } or { value = …, unverified = true }".into(),
            );
            return None;
        };
        self.unknown_keys(fact, &field, FACT_KEYS);
        if key != "price_per_year" && key != "membership_per_year" && fact.contains_key("currency") {
            self.error(&join(&field, "currency"), "only prices have a currency".into());
        }
        let value = match fact.get("value") {
            Some(v) => match convert(v) {
                Ok(v) => Some(v),
                Err(reason) => {
                    self.error(&join(&field, "value"), reason);
                    None
                }
            },
            None => {
                self.error(&join(&field, "value"), "missing".into());
                None
            }
        };
        let unverified = match fact.get("unverified") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(_) => {
                self.error(&join(&field, "unverified"), "must be true or false".into());
                false
            }
        };
        let own_checked = self.checked_date(fact, &field);
        let (source, checked) = match fact.get("source") {
            None => (None, own_checked),
            Some(Value::String(s)) if s.starts_with("http://") || s.starts_with("https://") => {
                if let Err(reason) = web_url(s) {
                    self.error(&join(&field, "source"), reason);
                }
                if fact.get("checked").is_none() {
                    self.error(
                        &join(&field, "checked"),
                        "missing: a URL source needs the date it was read".into(),
                    );
                }
                (Some(s.clone()), own_checked)
            }
            Some(Value::String(s)) => match self.sources.get(s) {
                Some(src) => (Some(src.url.clone()), own_checked.or(src.checked)),
                None => {
                    self.error(
                        &join(&field, "source"),
                        format!("unknown source key {s:?}: add [sources.{s}] or use a URL"),
                    );
                    (None, own_checked)
                }
            },
            Some(_) => {
                self.error(&join(&field, "source"), "must be a URL or a key of [sources]".into());
                (None, own_checked)
            }
        };
        if source.is_none() && !unverified && !fact.contains_key("source") {
            self.error(
                &field,
                "missing source: add source = \"…\" (URL or [sources] key) and checked, or unverified = true"
                    .into(),
            );
        }
        if unverified {
            self.unverified += 1;
        }
        Some(Fact { value: value?, source, checked, unverified })
    }

    fn money(&mut self, table: &Table, path: &str, key: &str) -> Option<Fact<Money>> {
        let field = join(path, key);
        let currency = match table.get(key) {
            Some(Value::Table(fact)) => match fact.get("currency") {
                Some(Value::String(c)) if CURRENCIES.contains(&c.as_str()) => Some(c.clone()),
                Some(Value::String(c)) => {
                    self.error(
                        &join(&field, "currency"),
                        format!("unknown currency {c:?}; use an ISO 4217 code such as EUR or CHF"),
                    );
                    None
                }
                Some(_) => {
                    self.error(&join(&field, "currency"), "must be a string such as \"EUR\"".into());
                    None
                }
                None => {
                    self.error(
                        &join(&field, "currency"),
                        "price without currency: add currency = \"EUR\" (or CHF, …)".into(),
                    );
                    None
                }
            },
            _ => None,
        };
        let fact = self.fact(table, path, key, &|v| non_negative(v))?;
        Some(Fact {
            value: Money { amount: fact.value, currency: currency? },
            source: fact.source,
            checked: fact.checked,
            unverified: fact.unverified,
        })
    }

    fn description(&mut self, table: &Table) -> Localized {
        let Some(d) = self.sub_table(table, "description", true) else { return Localized::default() };
        self.unknown_keys(d, "description", &["fr", "en"]);
        let fr = self.plain_string(d, "description", "fr").unwrap_or_default();
        let en = self.plain_string(d, "description", "en").unwrap_or_default();
        Localized { fr, en }
    }

    fn organisation(&mut self, table: &Table) -> Option<Organisation> {
        let t = self.sub_table(table, "organisation", true)?;
        let p = "organisation";
        self.unknown_keys(t, p, ORG_KEYS);
        let legal_form = self.fact(t, p, "legal_form", &|v| vocab(v, LegalForm::parse, LegalForm::expected));
        let country = self.fact(t, p, "country", &|v| country(v));
        for key in ["legal_form", "country"] {
            if !t.contains_key(key) {
                self.error(&join(p, key), "missing".into());
            }
        }
        Some(Organisation {
            legal_form: legal_form?,
            country: country?,
            city: self.fact(t, p, "city", &|v| string(v)),
            founded: self.fact(t, p, "founded", &|v| year(v)),
            chatons: self.fact(t, p, "chatons", &|v| boolean(v)),
            status: self.fact(t, p, "status", &|v| vocab(v, Status::parse, Status::expected)),
            support_languages: self.fact(t, p, "support_languages", &|v| list(v, language)),
        })
    }

    fn mail_settings(&mut self, table: &Table) -> MailSettings {
        let Some(t) = self.sub_table(table, "mail_settings", false) else { return MailSettings::default() };
        let p = "mail_settings";
        self.unknown_keys(t, p, SETTINGS_KEYS);
        MailSettings {
            imap_host: self.fact(t, p, "imap_host", &|v| host(v)),
            imap_port: self.fact(t, p, "imap_port", &|v| port(v)),
            smtp_host: self.fact(t, p, "smtp_host", &|v| host(v)),
            smtp_port: self.fact(t, p, "smtp_port", &|v| port(v)),
            mx_hosts: self.fact(t, p, "mx_hosts", &|v| list(v, host)),
            spf_include: self.fact(t, p, "spf_include", &|v| host(v)),
            dkim_selectors: self.fact(t, p, "dkim_selectors", &|v| list(v, string)),
        }
    }

    fn offers(&mut self, table: &Table) -> Vec<Offer> {
        let items = match table.get("offers") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            Some(_) => {
                self.error("offers", "must be a non-empty list of [[offers]] tables".into());
                return Vec::new();
            }
            None => {
                self.error("offers", "missing: add at least one [[offers]] table".into());
                return Vec::new();
            }
        };
        let mut offers: Vec<Offer> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("offers[{i}]");
            let Value::Table(t) = item else {
                self.error(&p, "must be a table".into());
                continue;
            };
            if let Some(offer) = self.offer(t, &p) {
                if offers.iter().any(|o| o.id == offer.id) {
                    self.error(&join(&p, "id"), format!("duplicate offer id {:?}", offer.id));
                }
                offers.push(offer);
            }
        }
        offers
    }

    fn offer(&mut self, t: &Table, p: &str) -> Option<Offer> {
        self.unknown_keys(t, p, OFFER_KEYS);
        let id = self.plain_string(t, p, "id");
        if let Some(id) = &id
            && !valid_id(id)
        {
            self.error(
                &join(p, "id"),
                format!("{id:?} is not a valid id: use lowercase letters, digits and '-'"),
            );
        }
        let name = self.plain_string(t, p, "name");
        let offer = Offer {
            id: id.unwrap_or_default(),
            name: name.unwrap_or_default(),
            signup_url: self.fact(t, p, "signup_url", &|v| https_url(v)),
            audience: self
                .fact(t, p, "audience", &|v| list(v, |v| vocab(v, Audience::parse, Audience::expected))),
            registration: self
                .fact(t, p, "registration", &|v| vocab(v, Registration::parse, Registration::expected)),
            accepting: self.fact(t, p, "accepting", &|v| vocab(v, Accepting::parse, Accepting::expected)),
            price_per_year: self.money(t, p, "price_per_year"),
            membership_per_year: self.money(t, p, "membership_per_year"),
            mailbox_gb: self.fact(t, p, "mailbox_gb", &|v| non_negative(v)),
            attachment_mb: self.fact(t, p, "attachment_mb", &|v| non_negative(v)),
            own_domain: self.fact(t, p, "own_domain", &|v| vocab(v, OwnDomain::parse, OwnDomain::expected)),
            aliases: self.fact(t, p, "aliases", &|v| aliases(v)),
            imap_smtp: self
                .fact(t, p, "imap_smtp", &|v| vocab(v, MailAppAccess::parse, MailAppAccess::expected)),
            pop: self.fact(t, p, "pop", &|v| boolean(v)),
            webmail: self.fact(t, p, "webmail", &|v| boolean(v)),
            calendar_contacts: self.fact(t, p, "calendar_contacts", &|v| {
                vocab(v, CalendarContacts::parse, CalendarContacts::expected)
            }),
            encryption: self.fact(t, p, "encryption", &|v| vocab(v, Encryption::parse, Encryption::expected)),
            import_from: self.fact(t, p, "import_from", &|v| {
                list(v, |v| vocab(v, ImportSource::parse, ImportSource::expected))
            }),
            forwarding: self.fact(t, p, "forwarding", &|v| boolean(v)),
            auto_reply: self.fact(t, p, "auto_reply", &|v| boolean(v)),
            external_collection: self.fact(t, p, "external_collection", &|v| boolean(v)),
            export: self.fact(t, p, "export", &|v| {
                list(v, |v| vocab(v, ExportFormat::parse, ExportFormat::expected))
            }),
            ads: self.fact(t, p, "ads", &|v| boolean(v)),
            open_source: self
                .fact(t, p, "open_source", &|v| vocab(v, OpenSource::parse, OpenSource::expected)),
            help: self.fact(t, p, "help", &|v| list(v, |v| vocab(v, HelpKind::parse, HelpKind::expected))),
            languages: self.fact(t, p, "languages", &|v| list(v, language)),
            help_regions: self.fact(t, p, "help_regions", &|v| list(v, region)),
            data_location: self.fact(t, p, "data_location", &|v| list(v, country)),
        };
        (!offer.id.is_empty() && !offer.name.is_empty()).then_some(offer)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

fn string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err("must be a non-empty string".into()),
    }
}

fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| "must be true or false".into())
}

fn non_negative(v: &Value) -> Result<f64, String> {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return Err("must be a number".into()),
    };
    if n.is_finite() && n >= 0.0 { Ok(n) } else { Err(format!("{n} is not a non-negative number")) }
}

fn year(v: &Value) -> Result<u16, String> {
    match v {
        Value::Integer(y) if (1950..=2100).contains(y) => Ok(*y as u16),
        _ => Err("must be a year such as 2009".into()),
    }
}

fn port(v: &Value) -> Result<u16, String> {
    match v {
        Value::Integer(p) if (1..=65535).contains(p) => Ok(*p as u16),
        _ => Err("must be a port number (1–65535)".into()),
    }
}

fn host(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    let ok = s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if ok && s.contains('.') { Ok(s.to_ascii_lowercase()) } else { Err(format!("{s:?} is not a host name")) }
}

fn aliases(v: &Value) -> Result<Aliases, String> {
    match v {
        Value::Integer(n) if (0..=i64::from(u32::MAX)).contains(n) => Ok(Aliases::Count(*n as u32)),
        Value::String(s) if s == "unlimited" => Ok(Aliases::Unlimited),
        _ => Err("must be a number or \"unlimited\"".into()),
    }
}

fn vocab<T>(v: &Value, parse: fn(&str) -> Option<T>, expected: fn() -> String) -> Result<T, String> {
    let s = v.as_str().ok_or_else(|| format!("must be one of: {}", expected()))?;
    parse(s).ok_or_else(|| format!("unknown value {s:?}; expected one of: {}", expected()))
}

fn list<T>(v: &Value, item: impl Fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    let Value::Array(items) = v else { return Err("must be a list [ … ]".into()) };
    items.iter().map(item).collect()
}

fn country(v: &Value) -> Result<String, String> {
    let s = v.as_str().ok_or("must be a country code such as \"FR\"")?;
    if s.len() == 2
        && s.bytes().all(|b| b.is_ascii_uppercase())
        && isocountry::CountryCode::for_alpha2(s).is_ok()
    {
        Ok(s.to_owned())
    } else {
        Err(format!("unknown country code {s:?}; use ISO 3166-1 alpha-2, e.g. \"FR\""))
    }
}

fn region(v: &Value) -> Result<String, String> {
    let s = v.as_str().ok_or("must be a region code such as \"FR-GES\"")?;
    if FR_REGIONS.contains(&s) || country(v).is_ok() {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "unknown region code {s:?}; use a French region (ISO 3166-2, e.g. \"FR-OCC\") or a country code"
        ))
    }
}

fn language(v: &Value) -> Result<String, String> {
    match v.as_str() {
        Some(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) => Ok(s.to_owned()),
        _ => Err("must be an ISO 639-1 language code such as \"fr\"".into()),
    }
}

fn web_url(s: &str) -> Result<(), String> {
    match url::Url::parse(s) {
        Ok(u)
            if (u.scheme() == "https" || u.scheme() == "http")
                && u.host_str().is_some_and(|h| h.contains('.')) =>
        {
            Ok(())
        }
        Ok(_) => Err(format!("{s:?} is not a web address (http or https with a host name)")),
        Err(e) => Err(format!("{s:?} is not a valid URL: {e}")),
    }
}

fn https_url(v: &Value) -> Result<String, String> {
    let s = v.as_str().ok_or("must be a URL")?;
    web_url(s)?;
    if !s.starts_with("https://") {
        return Err(format!("{s:?} must use https:// (people type passwords there)"));
    }
    Ok(s.to_owned())
}
