//! What a provider expects to find in its customers' zones, taken from the catalogue.

use demail_catalog::Provider;
use serde::Serialize;

/// The records a provider asks its customers to publish. Empty fields mean "unknown": the
/// matching checks then fall back to generic good practice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProviderExpectations {
    /// Catalogue id of the provider, when there is one.
    pub provider_id: Option<String>,
    /// MX hosts in order of preference, lowercase, without the final dot.
    pub mx_hosts: Vec<String>,
    /// The domain to `include:` in SPF, e.g. `spf.provider.tld`.
    pub spf_include: Option<String>,
    /// DKIM selectors the provider signs with.
    pub dkim_selectors: Vec<String>,
    pub imap_host: Option<String>,
    pub imap_port: Option<u16>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
}

impl ProviderExpectations {
    /// No provider: generic checks only.
    pub fn none() -> Self {
        Self::default()
    }

    /// The expectations stated in a provider's catalogue entry (`mail_settings`).
    pub fn from_provider(provider: &Provider) -> Self {
        let s = &provider.mail_settings;
        ProviderExpectations {
            provider_id: Some(provider.id.clone()),
            mx_hosts: s
                .mx_hosts
                .as_ref()
                .map(|f| f.value.iter().map(|h| host(h)).collect())
                .unwrap_or_default(),
            spf_include: s.spf_include.as_ref().map(|f| host(&f.value)),
            dkim_selectors: s
                .dkim_selectors
                .as_ref()
                .map(|f| f.value.iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
                .unwrap_or_default(),
            imap_host: s.imap_host.as_ref().map(|f| host(&f.value)),
            imap_port: s.imap_port.as_ref().map(|f| f.value),
            smtp_host: s.smtp_host.as_ref().map(|f| host(&f.value)),
            smtp_port: s.smtp_port.as_ref().map(|f| f.value),
        }
    }
}

/// Host names compare lowercase and without the final dot.
pub(crate) fn host(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use demail_catalog::Fact;

    #[test]
    fn from_provider_normalises_catalogue_hosts() {
        let mut provider = demail_catalog::Catalog::builtin().unwrap().providers()[0].clone();
        provider.id = "host".into();
        provider.mail_settings.mx_hosts = Some(Fact::unverified(vec!["MX1.Host.TLD.".into()]));
        provider.mail_settings.spf_include = Some(Fact::unverified("_spf.host.tld".into()));
        provider.mail_settings.dkim_selectors = Some(Fact::unverified(vec![" dk1 ".into(), "".into()]));
        provider.mail_settings.smtp_port = Some(Fact::unverified(465));
        let e = ProviderExpectations::from_provider(&provider);
        assert_eq!(e.provider_id.as_deref(), Some("host"));
        assert_eq!(e.mx_hosts, vec!["mx1.host.tld".to_owned()]);
        assert_eq!(e.spf_include.as_deref(), Some("_spf.host.tld"));
        assert_eq!(e.dkim_selectors, vec!["dk1".to_owned()]);
        assert_eq!(e.smtp_port, Some(465));
    }
}
