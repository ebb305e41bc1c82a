//! The catalogue validator reports each problem with its file, field and reason.

use chrono::NaiveDate;
use demail_catalog::{Catalog, CheckOptions, Severity, load};

fn opts() -> CheckOptions {
    CheckOptions { today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(), max_age_days: 365 }
}

const VALID: &str = r#"
name = "Example"
website = "https://example.org/"
signup_url = { value = "https://example.org/signup", source = "home" }

[description]
fr = "Un exemple."
en = "An example."

[sources.home]
url = "https://example.org/about"
checked = "2026-11-01"

[organisation]
legal_form = { value = "association", source = "home" }
country = { value = "FR", source = "home" }

[[offers]]
id = "basic"
name = "Basic"
price_per_year = { value = 12, currency = "EUR", source = "home" }
mailbox_gb = { value = 5, unverified = true }
"#;

fn check(files: &[(&str, &str)]) -> load::LoadReport {
    load::load_files(files.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())), opts())
}

/// The one problem of a report, as (file, field, severity).
fn only_problem(report: &load::LoadReport) -> (String, String, Severity, String) {
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    (p.file.clone(), p.field.clone(), p.severity, p.reason.clone())
}

#[test]
fn valid_file_has_no_problem_and_counts_unverified_facts() {
    let report = check(&[("example.toml", VALID)]);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.providers.len(), 1);
    assert_eq!(report.unverified_counts.get("example"), Some(&1));
    let p = &report.providers[0];
    assert_eq!(p.signup_url.source.as_deref(), Some("https://example.org/about"));
    assert_eq!(p.signup_url.checked, NaiveDate::from_ymd_opt(2026, 11, 1));
}

#[test]
fn unknown_country_code_is_reported_with_its_field() {
    let text = VALID.replace(r#"country = { value = "FR""#, r#"country = { value = "XX""#);
    let (file, field, sev, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(
        (file.as_str(), field.as_str(), sev),
        ("example.toml", "organisation.country.value", Severity::Error)
    );
    assert!(reason.contains("unknown country code"), "{reason}");
}

#[test]
fn price_without_currency_is_an_error() {
    let text = VALID.replace(
        r#"{ value = 12, currency = "EUR", source = "home" }"#,
        r#"{ value = 12, source = "home" }"#,
    );
    let (_, field, sev, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!((field.as_str(), sev), ("offers[0].price_per_year.currency", Severity::Error));
    assert!(reason.contains("price without currency"), "{reason}");
}

#[test]
fn fact_without_source_or_unverified_mark_is_an_error() {
    let text = VALID.replace("mailbox_gb = { value = 5, unverified = true }", "mailbox_gb = { value = 5 }");
    let (_, field, sev, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!((field.as_str(), sev), ("offers[0].mailbox_gb", Severity::Error));
    assert!(reason.contains("missing source"), "{reason}");
}

#[test]
fn stale_checked_date_is_a_warning_and_keeps_the_provider() {
    let text = VALID.replace(r#"checked = "2026-11-01""#, r#"checked = "2024-01-15""#);
    let report = check(&[("example.toml", &text)]);
    let (_, field, sev, reason) = only_problem(&report);
    assert_eq!((field.as_str(), sev), ("sources.home.checked", Severity::Warning));
    assert!(reason.contains("stale"), "{reason}");
    assert_eq!(report.providers.len(), 1);
}

#[test]
fn checked_date_in_the_future_is_an_error() {
    let text = VALID.replace(r#"checked = "2026-11-01""#, r#"checked = "2027-01-01""#);
    let (_, field, sev, _) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!((field.as_str(), sev), ("sources.home.checked", Severity::Error));
}

#[test]
fn duplicate_provider_id_is_reported_on_the_second_file() {
    let dup = VALID.replace("name = \"Example\"", "id = \"example\"\nname = \"Example\"");
    let report = check(&[("example.toml", VALID), ("zz-example.toml", &dup)]);
    let errors: Vec<_> = report.problems.iter().filter(|p| p.severity == Severity::Error).collect();
    assert!(
        errors.iter().any(|p| p.file == "zz-example.toml" && p.reason.contains("duplicate provider id")),
        "{errors:#?}"
    );
}

#[test]
fn broken_signup_url_syntax_is_an_error() {
    let text = VALID.replace("https://example.org/signup", "https//example org/signup");
    let (_, field, sev, _) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!((field.as_str(), sev), ("signup_url.value", Severity::Error));
}

#[test]
fn plain_http_signup_url_is_refused() {
    let text = VALID.replace("https://example.org/signup", "http://example.org/signup");
    let (_, field, _, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(field, "signup_url.value");
    assert!(reason.contains("https"), "{reason}");
}

#[test]
fn unknown_enum_value_lists_the_accepted_ones() {
    let text = VALID.replace("\"association\"", "\"charity\"");
    let (_, field, _, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(field, "organisation.legal_form.value");
    assert!(reason.contains("association, cooperative"), "{reason}");
}

#[test]
fn misspelt_field_is_reported_not_ignored() {
    let text = VALID.replace("mailbox_gb", "mailbox_go");
    let (_, field, _, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(field, "offers[0].mailbox_go");
    assert!(reason.contains("unknown field"), "{reason}");
}

#[test]
fn unknown_source_key_is_reported() {
    let text = VALID.replace(
        r#"country = { value = "FR", source = "home" }"#,
        r#"country = { value = "FR", source = "hmoe" }"#,
    );
    let (_, field, _, reason) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(field, "organisation.country.source");
    assert!(reason.contains("unknown source key"), "{reason}");
}

#[test]
fn url_source_needs_its_own_checked_date() {
    let text = VALID.replace(
        r#"{ value = "FR", source = "home" }"#,
        r#"{ value = "FR", source = "https://example.org/legal" }"#,
    );
    let (_, field, _, _) = only_problem(&check(&[("example.toml", &text)]));
    assert_eq!(field, "organisation.country.checked");
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    let text = VALID
        .replace("\"FR\"", "\"France\"")
        .replace(r#", currency = "EUR""#, "")
        .replace("\"association\"", "\"club\"");
    let report = check(&[("example.toml", &text)]);
    let fields: Vec<&str> = report.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "organisation.legal_form.value",
            "organisation.country.value",
            "offers[0].price_per_year.currency"
        ]
    );
    assert!(report.providers.is_empty());
}

#[test]
fn invalid_toml_is_reported_for_the_file() {
    let (file, field, sev, reason) = only_problem(&check(&[("broken.toml", "name = \"x")]));
    assert_eq!((file.as_str(), field.as_str(), sev), ("broken.toml", "", Severity::Error));
    assert!(reason.contains("not valid TOML"), "{reason}");
}

#[test]
fn directory_check_reads_every_toml_file() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("example.toml"), VALID)?;
    std::fs::write(dir.path().join("README.txt"), "not a provider")?;
    let report = Catalog::check_dir(dir.path(), opts())?;
    assert_eq!(report.providers.len(), 1);
    let empty = tempfile::tempdir()?;
    assert!(Catalog::check_dir(empty.path(), opts()).is_err());
    Ok(())
}

#[test]
fn builtin_catalogue_has_at_least_25_providers_and_no_error() {
    let report = Catalog::check_builtin(opts());
    let errors: Vec<String> =
        report.problems.iter().filter(|p| p.severity == Severity::Error).map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(report.providers.len() >= 25, "only {} providers", report.providers.len());
    for named in
        ["proton", "infomaniak", "posteo", "sans-nuage", "6clones", "mailo", "zaclys", "le-pic", "girofle"]
    {
        assert!(report.providers.iter().any(|p| p.id == named), "{named} missing from the catalogue");
    }
}

#[test]
fn every_builtin_fact_is_sourced_or_marked_unverified() {
    // The loader enforces it; this guards against the rule being loosened by accident.
    let catalog = Catalog::check_builtin(opts());
    for p in &catalog.providers {
        let f = &p.organisation.country;
        assert!(f.unverified || (f.source.is_some() && f.checked.is_some()), "{}: country", p.id);
        let s = &p.signup_url;
        assert!(s.unverified || (s.source.is_some() && s.checked.is_some()), "{}: signup_url", p.id);
    }
}
