//! Which service a sending domain belongs to, and where its account settings are.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// One entry of demail's own service map (`data/services.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct KnownService {
    pub name: String,
    pub domains: Vec<String>,
    pub change_email: String,
    /// `unverified` or the date someone checked the page.
    pub checked: String,
}

#[derive(Deserialize)]
struct ServiceFile {
    service: Vec<KnownService>,
}

static KNOWN: LazyLock<(Vec<KnownService>, HashMap<String, usize>)> = LazyLock::new(|| {
    // Part of the build and checked by `service_file_loads`; an empty map is the safe fallback.
    let services = toml::from_str::<ServiceFile>(include_str!("../data/services.toml"))
        .map(|f| f.service)
        .unwrap_or_default();
    let mut by_domain = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        for d in &s.domains {
            by_domain.insert(d.clone(), i);
        }
    }
    (services, by_domain)
});

/// Every entry of the built-in service map.
pub fn known_services() -> &'static [KnownService] {
    &KNOWN.0
}

/// Where the user can change the address a service knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "url", rename_all = "snake_case")]
pub enum ChangeLink {
    /// A page from demail's own map.
    Known(String),
    /// `https://DOMAIN/.well-known/change-password` (W3C draft); sites that support it redirect
    /// to their account page. Not probed: opening it tells the site someone looked.
    WellKnown(String),
}

/// Registrable domain (eTLD+1, Public Suffix List) of a host or address, lower case.
pub fn registrable_domain(host_or_address: &str) -> Option<String> {
    let host = host_or_address.rsplit('@').next()?.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || !host.contains('.') {
        return None;
    }
    // The list answers for any syntactically possible name; a bare suffix (`co.uk`) has none.
    psl::domain_str(&host).map(str::to_string)
}

/// The key a sending host is grouped under: the first domain of the known service that lists
/// the host or one of its parents (down to the registrable domain), else the registrable domain.
pub fn group_key(host: &str, registrable: &str) -> String {
    let (services, by_domain) = &*KNOWN;
    let mut name = host;
    loop {
        if let Some(first) =
            by_domain.get(name).and_then(|&i| services.get(i)).and_then(|s| s.domains.first())
        {
            return first.clone();
        }
        if name.len() <= registrable.len() {
            return registrable.to_string();
        }
        match name.split_once('.') {
            Some((_, parent)) => name = parent,
            None => return registrable.to_string(),
        }
    }
}

/// The known service for a group key.
pub fn known(group: &str) -> Option<&'static KnownService> {
    let (services, by_domain) = &*KNOWN;
    by_domain.get(group).and_then(|&i| services.get(i))
}

/// Where to change the address for a service grouped under `group`.
pub fn change_link(group: &str) -> ChangeLink {
    match known(group) {
        Some(s) => ChangeLink::Known(s.change_email.clone()),
        None => ChangeLink::WellKnown(format!("https://{group}/.well-known/change-password")),
    }
}

/// Domains where anyone can open a personal mailbox: mail from them is a person unless the
/// headers say a robot sent it.
pub fn is_public_mailbox_domain(domain: &str) -> bool {
    const PUBLIC: [&str; 24] = [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.fr",
        "hotmail.com",
        "hotmail.fr",
        "live.com",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.fr",
        "icloud.com",
        "me.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "laposte.net",
        "gmx.de",
        "gmx.fr",
        "web.de",
        "proton.me",
        "protonmail.com",
    ];
    PUBLIC.contains(&domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_file_loads() {
        assert!(known_services().len() >= 35);
        for s in known_services() {
            assert!(s.change_email.starts_with("https://"), "{}", s.name);
            for d in &s.domains {
                assert_eq!(registrable_domain(d).as_deref().map(|r| d.ends_with(r)), Some(true), "{d}");
            }
        }
    }

    #[test]
    fn groups_by_public_suffix_and_known_services() {
        assert_eq!(registrable_domain("news@mail.service.co.uk").as_deref(), Some("service.co.uk"));
        assert_eq!(registrable_domain("x@impots.gouv.fr").as_deref(), Some("impots.gouv.fr"));
        assert_eq!(registrable_domain("a@shop1.myshopify.com").as_deref(), Some("shop1.myshopify.com"));
        assert_eq!(registrable_domain("nobody"), None);
        assert_eq!(group_key("amazon.de", "amazon.de"), "amazon.fr");
        assert_eq!(group_key("mail.facebookmail.com", "facebookmail.com"), "facebook.com");
        assert_eq!(group_key("dgfip.finances.gouv.fr", "finances.gouv.fr"), "impots.gouv.fr");
        assert_eq!(group_key("other.finances.gouv.fr", "finances.gouv.fr"), "finances.gouv.fr");
        assert_eq!(group_key("small-shop.fr", "small-shop.fr"), "small-shop.fr");
        assert_eq!(
            change_link("small-shop.fr"),
            ChangeLink::WellKnown("https://small-shop.fr/.well-known/change-password".into())
        );
    }
}
