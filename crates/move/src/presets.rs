//! Known mail providers, so that a user types only an address: the IMAP server, its port and
//! protection, and how to get the password demail needs (often an "app password").
//!
//! Facts carry their source; those not checked against the provider's own page are marked
//! `verified: false` (the CLI says so). The catalogue can add presets of its providers through
//! the `extra` argument of [`for_address`].

use demail_imap::Security;
use serde::Serialize;

/// How to reach one provider's IMAP server and log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preset {
    /// Short stable name (`gmail`, `orange`…).
    pub id: String,
    /// Name shown to the user.
    pub name: String,
    /// Address domains served by this provider (lower case).
    pub domains: Vec<String>,
    pub host: String,
    pub port: u16,
    #[serde(serialize_with = "security_name")]
    pub security: Security,
    /// Whether the provider refuses passwords and needs an OAuth 2.0 token.
    pub oauth_only: bool,
    /// How to get the password (or token) demail needs, in French then English.
    pub password_help_fr: String,
    pub password_help_en: String,
    /// Where these facts come from.
    pub source_url: String,
    /// False when the facts were not checked against `source_url` (treat with care).
    pub verified: bool,
}

fn security_name<S: serde::Serializer>(s: &Security, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(match s {
        Security::Tls => "tls",
        Security::StartTls => "starttls",
        Security::Plaintext => "plaintext",
    })
}

/// The preset for the domain of `address` (`alice@gmail.com`): `extra` first (the
/// catalogue's providers), then the built-in ones. `None` for an unknown domain.
pub fn for_address(address: &str, extra: &[Preset]) -> Option<Preset> {
    let domain = address.rsplit_once('@')?.1.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return None;
    }
    let matches = |p: &Preset| p.domains.iter().any(|d| d.eq_ignore_ascii_case(&domain));
    extra.iter().find(|p| matches(p)).cloned().or_else(|| built_in().into_iter().find(matches))
}

/// The presets demail knows by itself: the big webmails and the French access providers.
pub fn built_in() -> Vec<Preset> {
    #[allow(clippy::too_many_arguments)]
    fn preset(
        id: &str,
        name: &str,
        domains: &[&str],
        host: &str,
        oauth_only: bool,
        fr: &str,
        en: &str,
        source_url: &str,
        verified: bool,
    ) -> Preset {
        Preset {
            id: id.into(),
            name: name.into(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            host: host.into(),
            port: 993,
            security: Security::Tls,
            oauth_only,
            password_help_fr: fr.into(),
            password_help_en: en.into(),
            source_url: source_url.into(),
            verified,
        }
    }
    vec![
        preset(
            "gmail",
            "Gmail",
            &["gmail.com", "googlemail.com"],
            "imap.gmail.com",
            false,
            "Gmail demande un « mot de passe d'application » : activez la validation en deux étapes \
             dans votre compte Google (Sécurité), puis créez un mot de passe d'application et \
             utilisez-le ici à la place de votre mot de passe habituel.",
            "Gmail needs an \"app password\": turn on 2-Step Verification in your Google Account \
             (Security), then create an app password and use it here instead of your usual password.",
            "https://support.google.com/mail/answer/185833",
            false,
        ),
        preset(
            "outlook",
            "Outlook.com / Hotmail / Live",
            &["outlook.com", "outlook.fr", "hotmail.com", "hotmail.fr", "live.com", "live.fr", "msn.com"],
            "outlook.office365.com",
            true,
            "Outlook.com n'accepte plus les mots de passe pour IMAP depuis septembre 2024 : il faut un \
             jeton OAuth 2.0 (option --oauth-token-file), obtenu avec un outil de connexion Microsoft.",
            "Outlook.com has refused passwords for IMAP since September 2024: it needs an OAuth 2.0 \
             token (--oauth-token-file), obtained with a Microsoft sign-in tool.",
            "https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
            false,
        ),
        preset(
            "yahoo",
            "Yahoo Mail",
            &["yahoo.com", "yahoo.fr", "ymail.com", "rocketmail.com"],
            "imap.mail.yahoo.com",
            false,
            "Yahoo demande un « mot de passe d'application » : dans les paramètres de sécurité de \
             votre compte Yahoo, choisissez « Générer un mot de passe d'application ».",
            "Yahoo needs an \"app password\": in your Yahoo account's security settings, choose \
             \"Generate app password\".",
            "https://help.yahoo.com/kb/SLN15241.html",
            false,
        ),
        preset(
            "orange",
            "Orange / Wanadoo",
            &["orange.fr", "wanadoo.fr"],
            "imap.orange.fr",
            false,
            "Utilisez le mot de passe de votre adresse Orange. Si la connexion est refusée, vérifiez \
             dans l'espace client Orange que l'accès depuis un logiciel de messagerie est autorisé.",
            "Use the password of your Orange address. If the login is refused, check in the Orange \
             customer area that access from mail software is allowed.",
            "https://assistance.orange.fr/ordinateurs-peripheriques/installer-et-utiliser/l-utilisation-du-mail-et-du-cloud/mail-orange/parametrer-la-boite-mail/parametrer-la-boite-mail-orange-sur-un-logiciel-de-messagerie",
            false,
        ),
        preset(
            "free",
            "Free",
            &["free.fr"],
            "imap.free.fr",
            false,
            "Utilisez le mot de passe de votre adresse Free (celui du webmail Zimbra de Free).",
            "Use the password of your Free address (the one of Free's webmail).",
            "https://assistance.free.fr/articles/configurer-un-logiciel-de-messagerie-pour-free-mail-75",
            false,
        ),
        preset(
            "sfr",
            "SFR",
            &["sfr.fr", "neuf.fr", "cegetel.net", "club-internet.fr"],
            "imap.sfr.fr",
            false,
            "Utilisez le mot de passe de votre adresse SFR (celui de la messagerie SFR Mail).",
            "Use the password of your SFR address (the one of SFR Mail).",
            "https://assistance.sfr.fr/internet-et-box/mail/parametrer-logiciel-messagerie.html",
            false,
        ),
        preset(
            "laposte",
            "La Poste (laposte.net)",
            &["laposte.net"],
            "imap.laposte.net",
            false,
            "Utilisez le mot de passe de votre adresse laposte.net. Si la connexion est refusée, \
             autorisez l'accès par un logiciel de messagerie dans les préférences de la messagerie.",
            "Use the password of your laposte.net address. If the login is refused, allow access \
             from mail software in the webmail's preferences.",
            "https://aide.laposte.net/",
            false,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_preset_of_an_address_by_its_domain() {
        let gmail = for_address("Alice@GMail.com", &[]);
        assert_eq!(
            gmail.map(|p| (p.host, p.port, p.security)),
            Some(("imap.gmail.com".into(), 993, Security::Tls))
        );
        assert_eq!(for_address("bob@hotmail.fr", &[]).map(|p| p.id), Some("outlook".into()));
        assert!(for_address("bob@hotmail.fr", &[]).is_some_and(|p| p.oauth_only));
        for (address, id) in [
            ("a@wanadoo.fr", "orange"),
            ("a@free.fr", "free"),
            ("a@neuf.fr", "sfr"),
            ("a@laposte.net", "laposte"),
            ("a@yahoo.fr", "yahoo"),
        ] {
            assert_eq!(for_address(address, &[]).map(|p| p.id), Some(id.to_string()), "{address}");
        }
        assert_eq!(for_address("a@example.org", &[]), None);
        assert_eq!(for_address("no-at-sign", &[]), None);
    }

    #[test]
    fn catalogue_presets_come_first() {
        let mut own = for_address("x@gmail.com", &[]).expect("gmail");
        own.id = "catalogue-gmail".into();
        own.domains = vec!["gmail.com".into()];
        assert_eq!(for_address("x@gmail.com", &[own]).map(|p| p.id), Some("catalogue-gmail".into()));
        let posteo = Preset { id: "posteo".into(), domains: vec!["posteo.de".into()], ..own_preset() };
        assert_eq!(for_address("x@posteo.de", &[posteo]).map(|p| p.id), Some("posteo".into()));
    }

    #[test]
    fn every_built_in_preset_has_help_in_both_languages_and_a_source() {
        for p in built_in() {
            assert!(!p.password_help_fr.is_empty() && !p.password_help_en.is_empty(), "{}", p.id);
            assert!(p.source_url.starts_with("https://"), "{}", p.id);
            assert!(!p.domains.is_empty() && p.domains.iter().all(|d| d == &d.to_ascii_lowercase()));
        }
    }

    fn own_preset() -> Preset {
        Preset {
            id: String::new(),
            name: "Test".into(),
            domains: vec![],
            host: "imap.example.org".into(),
            port: 993,
            security: Security::Tls,
            oauth_only: false,
            password_help_fr: "x".into(),
            password_help_en: "x".into(),
            source_url: "https://example.org".into(),
            verified: true,
        }
    }
}
