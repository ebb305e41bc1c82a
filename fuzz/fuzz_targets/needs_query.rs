//! Any query string is either refused with a named parameter or parsed into answers that survive a
//! round trip through the URL.
#![no_main]

use demail_catalog::Needs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let pairs: Vec<(&str, &str)> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    if let Ok(needs) = Needs::from_pairs(pairs) {
        let again = needs.to_pairs();
        let reparsed = Needs::from_pairs(again.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(reparsed, Ok(needs));
    }
});
