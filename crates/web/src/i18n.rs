//! Languages of the site: French first, English second, with Fluent files in `locales/`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "../../locales",
        fallback_language: "fr",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static FR: LanguageIdentifier = langid!("fr");
static EN: LanguageIdentifier = langid!("en");

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// Two-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Parses a `lang` parameter.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// Picks French or English from an `Accept-Language` header; French when neither is asked for.
    ///
    /// Hand-written: a dozen lines for two languages did not justify a negotiation crate.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(20) {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Lang::parse(primary)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// The message `key`; the key itself if it is missing (a test keeps both files complete).
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(self.id(), key).unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), v.clone())).collect();
        LOCALES.try_lookup_with_args(self.id(), key, &map).unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_known_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9,fr;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("de-DE,fr;q=0.5,en;q=0.4"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("de-DE"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("en;q=0,fr;q=0.1"), Lang::Fr);
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
    }

    fn keys(file: &str) -> Vec<String> {
        let mut keys: Vec<String> = file
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '.', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next().map(|k| k.trim().to_owned()))
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn french_and_english_files_have_the_same_messages() {
        let fr = keys(include_str!("../../../locales/fr/main.ftl"));
        let en = keys(include_str!("../../../locales/en/main.ftl"));
        let missing_en: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        let missing_fr: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        assert!(
            missing_en.is_empty() && missing_fr.is_empty(),
            "missing in en: {missing_en:?}; missing in fr: {missing_fr:?}"
        );
        assert!(fr.len() > 50);
    }

    #[test]
    fn every_message_resolves_in_both_languages() {
        // Every variable any message uses, so that messages with arguments resolve too.
        let names =
            ["name", "date", "price", "amount", "size", "places", "ways", "region", "question", "from", "to"];
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> =
            names.iter().map(|n| (Cow::Borrowed(*n), FluentValue::from("x"))).collect();
        for key in keys(include_str!("../../../locales/fr/main.ftl")) {
            for lang in [Lang::Fr, Lang::En] {
                let text = LOCALES.try_lookup_with_args(lang.id(), &key, &args);
                assert!(text.as_deref().is_some_and(|t| !t.contains('{')), "{key} in {lang:?}: {text:?}");
            }
        }
    }
}
