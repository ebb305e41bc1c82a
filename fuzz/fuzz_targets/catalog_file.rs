//! A catalogue file of any content is checked without panicking, and a file that loads cleanly
//! has every fact sourced or marked unverified.
#![no_main]

use demail_catalog::{CheckOptions, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = CheckOptions { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(), max_age_days: 365 };
    let report = load::load_files([("fuzz.toml".to_owned(), text.to_owned())], opts);
    for p in &report.providers {
        let f = &p.organisation.country;
        assert!(f.unverified || (f.source.is_some() && f.checked.is_some()));
    }
});
