//! Frames arbitrary server bytes into responses and parses each: must never panic.
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run imap_response -s none`

#![no_main]

use demail_imap::codec::{Limits, ResponseReader, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else { return };
    rt.block_on(async {
        let mut reader = ResponseReader::new(data, Limits { max_line: 4096, max_literal: 1 << 16 });
        while let Ok(raw) = reader.read().await {
            let _ = parse(raw);
        }
    });
    let _ = demail_imap::utf7::decode(data);
});
