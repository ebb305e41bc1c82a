//! The provider model: what the catalogue knows about each mail host, fact by fact.

use chrono::NaiveDate;
use serde::Serialize;

/// One fact with its provenance: where it was read and when, or that nobody confirmed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact<T> {
    pub value: T,
    /// URL of the public source, when there is one.
    pub source: Option<String>,
    /// Day someone read the source and saw the fact there.
    pub checked: Option<NaiveDate>,
    /// True when no one has confirmed the fact at a reliable source.
    pub unverified: bool,
}

impl<T> Fact<T> {
    /// A fact confirmed at `source` on `checked`.
    pub fn sourced(value: T, source: &str, checked: NaiveDate) -> Self {
        Fact { value, source: Some(source.to_owned()), checked: Some(checked), unverified: false }
    }

    /// A fact nobody has confirmed.
    pub fn unverified(value: T) -> Self {
        Fact { value, source: None, checked: None, unverified: true }
    }
}

/// Declares a closed vocabulary: its TOML spelling, `ALL`, `as_str` and `parse`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in data files, URLs and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the data-file spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// Kind of organisation behind the service (ChatonsInfos `organization.type`).
    LegalForm {
        Association = "association",
        Cooperative = "cooperative",
        MicroCompany = "micro-company",
        Company = "company",
        Informal = "informal",
        Individual = "individual",
    }
);

vocabulary!(
    /// Whether the organisation is running normally (ChatonsInfos `organization.status.level`).
    Status { Active = "active", Idle = "idle", Away = "away" }
);

vocabulary!(
    /// Who an offer is made for.
    Audience { Individual = "individual", Family = "family", Association = "association", Business = "business" }
);

vocabulary!(
    /// Who may open an account (ChatonsInfos `service.registration`).
    Registration { Free = "free", Member = "member", Client = "client", Invitation = "invitation" }
);

vocabulary!(
    /// Whether new accounts are accepted right now.
    Accepting { Open = "open", Full = "full" }
);

vocabulary!(
    /// Whether the person can bring their own domain name.
    OwnDomain { None = "none", Paid = "paid", Included = "included" }
);

vocabulary!(
    /// How standard mail apps (Thunderbird, phone apps) can connect.
    MailAppAccess { Native = "native", Bridge = "bridge", None = "none" }
);

vocabulary!(
    /// Calendar and contacts: absent, in the browser only, or synchronised with apps.
    CalendarContacts { None = "none", Webmail = "webmail", Sync = "sync" }
);

vocabulary!(
    /// How stored mail is protected.
    Encryption { Standard = "standard", AtRest = "at-rest", OpenPgp = "openpgp", ZeroAccess = "zero-access" }
);

vocabulary!(
    /// Sources the provider's own import tool can read.
    ImportSource { Imap = "imap", Gmail = "gmail", Outlook = "outlook", Yahoo = "yahoo", Mbox = "mbox", Assisted = "assisted" }
);

vocabulary!(
    /// Formats in which mail can be taken away.
    ExportFormat { Imap = "imap", Mbox = "mbox", Eml = "eml", Pst = "pst" }
);

vocabulary!(
    /// How much of the service is free software.
    OpenSource { Full = "full", Partial = "partial", None = "none" }
);

vocabulary!(
    /// Human help the provider offers.
    HelpKind { Docs = "docs", Email = "email", Phone = "phone", Workshops = "workshops", InPerson = "in-person" }
);

/// A price or fee, in a named currency (ISO 4217).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub amount: f64,
    pub currency: String,
}

impl Money {
    /// Approximate amount in euros, for budget comparisons only.
    ///
    /// Rates are rounded on purpose and documented in docs/CATALOG.md; `None` for other currencies.
    pub fn approx_eur(&self) -> Option<f64> {
        let rate = match self.currency.as_str() {
            "EUR" => 1.0,
            "CHF" => 1.07,
            "USD" => 0.92,
            "GBP" => 1.17,
            "AUD" => 0.60,
            _ => return None,
        };
        Some(self.amount * rate)
    }
}

/// Number of aliases: a count or unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aliases {
    Count(u32),
    Unlimited,
}

/// Text in the two site languages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Localized {
    pub fr: String,
    pub en: String,
}

impl Localized {
    /// The text for `lang` ("fr" or "en"), falling back to French.
    pub fn get(&self, lang: &str) -> &str {
        if lang == "en" && !self.en.is_empty() { &self.en } else { &self.fr }
    }
}

/// A mail host and what it offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provider {
    /// File stem: lowercase ASCII letters, digits, `-`.
    pub id: String,
    pub name: String,
    pub website: String,
    pub signup_url: Fact<String>,
    pub pricing_url: Option<Fact<String>>,
    pub description: Localized,
    pub organisation: Organisation,
    pub mail_settings: MailSettings,
    pub offers: Vec<Offer>,
}

impl Provider {
    /// Whether the organisation is known to be running normally (unknown counts as active).
    pub fn is_active(&self) -> bool {
        self.organisation.status.as_ref().is_none_or(|s| s.value == Status::Active)
    }

    /// The date of the oldest `checked` among the provider's facts.
    pub fn oldest_check(&self) -> Option<NaiveDate> {
        self.all_checks().min()
    }

    /// The date of the most recent `checked` among the provider's facts.
    pub fn latest_check(&self) -> Option<NaiveDate> {
        self.all_checks().max()
    }

    fn all_checks(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let org = &self.organisation;
        let mut dates = vec![self.signup_url.checked, org.legal_form.checked, org.country.checked];
        dates.extend(org.status.as_ref().map(|f| f.checked));
        for o in &self.offers {
            dates.extend(o.checked_dates());
        }
        dates.into_iter().flatten()
    }
}

/// The organisation behind a provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub legal_form: Fact<LegalForm>,
    /// ISO 3166-1 alpha-2.
    pub country: Fact<String>,
    pub city: Option<Fact<String>>,
    pub founded: Option<Fact<u16>>,
    pub chatons: Option<Fact<bool>>,
    pub status: Option<Fact<Status>>,
    pub support_languages: Option<Fact<Vec<String>>>,
}

/// Server settings, for migration presets and own-domain DNS checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MailSettings {
    pub imap_host: Option<Fact<String>>,
    pub imap_port: Option<Fact<u16>>,
    pub smtp_host: Option<Fact<String>>,
    pub smtp_port: Option<Fact<u16>>,
    pub mx_hosts: Option<Fact<Vec<String>>>,
    pub spf_include: Option<Fact<String>>,
    pub dkim_selectors: Option<Fact<Vec<String>>>,
}

/// One offer (plan) of a provider. Absent fields are unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub id: String,
    pub name: String,
    pub signup_url: Option<Fact<String>>,
    pub audience: Option<Fact<Vec<Audience>>>,
    pub registration: Option<Fact<Registration>>,
    pub accepting: Option<Fact<Accepting>>,
    pub price_per_year: Option<Fact<Money>>,
    pub membership_per_year: Option<Fact<Money>>,
    pub mailbox_gb: Option<Fact<f64>>,
    pub attachment_mb: Option<Fact<f64>>,
    pub own_domain: Option<Fact<OwnDomain>>,
    pub aliases: Option<Fact<Aliases>>,
    pub imap_smtp: Option<Fact<MailAppAccess>>,
    pub pop: Option<Fact<bool>>,
    pub webmail: Option<Fact<bool>>,
    pub calendar_contacts: Option<Fact<CalendarContacts>>,
    pub encryption: Option<Fact<Encryption>>,
    pub import_from: Option<Fact<Vec<ImportSource>>>,
    pub forwarding: Option<Fact<bool>>,
    pub auto_reply: Option<Fact<bool>>,
    pub external_collection: Option<Fact<bool>>,
    pub export: Option<Fact<Vec<ExportFormat>>>,
    pub ads: Option<Fact<bool>>,
    pub open_source: Option<Fact<OpenSource>>,
    pub help: Option<Fact<Vec<HelpKind>>>,
    pub languages: Option<Fact<Vec<String>>>,
    pub help_regions: Option<Fact<Vec<String>>>,
    pub data_location: Option<Fact<Vec<String>>>,
}

impl Offer {
    /// Yearly cost in euros (price plus membership), when both parts are known or absent-as-zero.
    ///
    /// `None` when the price is unknown or in a currency without a rate.
    pub fn yearly_cost_eur(&self) -> Option<f64> {
        let price = self.price_per_year.as_ref()?.value.approx_eur()?;
        let membership = match &self.membership_per_year {
            Some(m) => m.value.approx_eur()?,
            None => 0.0,
        };
        Some(price + membership)
    }

    /// Whether new accounts are accepted (unknown counts as open).
    pub fn is_open(&self) -> bool {
        self.accepting.as_ref().is_none_or(|a| a.value == Accepting::Open)
    }

    fn checked_dates(&self) -> Vec<Option<NaiveDate>> {
        macro_rules! dates {
            ($($f:ident),*) => { vec![$(self.$f.as_ref().and_then(|f| f.checked)),*] };
        }
        dates!(
            signup_url,
            audience,
            registration,
            accepting,
            price_per_year,
            membership_per_year,
            mailbox_gb,
            attachment_mb,
            own_domain,
            aliases,
            imap_smtp,
            pop,
            webmail,
            calendar_contacts,
            encryption,
            import_from,
            forwarding,
            auto_reply,
            external_collection,
            export,
            ads,
            open_source,
            help,
            languages,
            help_regions,
            data_location
        )
    }
}
