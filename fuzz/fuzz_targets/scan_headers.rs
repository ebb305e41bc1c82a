//! Any bytes as a header block: the header facts, the DKIM/Authentication-Results readers and the
//! whole scanner must never panic.
#![no_main]

use demail_scan::{FolderRole, HeaderFacts, Scanner, parse_auth_results, tag_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = HeaderFacts::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tag_value(text, "d");
        let _ = parse_auth_results(text);
    }
    let mut scanner = Scanner::new(["me@example.org"]);
    scanner.add_message(data, FolderRole::Received);
    scanner.add_message(data, FolderRole::Sent);
    let _ = scanner.finish();
});
