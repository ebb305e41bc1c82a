//! The mbox reader on arbitrary bytes: never panics, offsets stay inside the input and grow,
//! and whatever it reads, written again as mboxrd, reads back the same.
#![no_main]

use demail_archive::{Dialect, MboxReader, MboxWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for dialect in [Dialect::Mboxrd, Dialect::Mboxo] {
        let mut last_end = 0;
        let mut bodies = Vec::new();
        for message in MboxReader::new(data, dialect).max_message(1 << 16) {
            let Ok(m) = message else { return };
            assert!(m.offset >= last_end && m.end >= m.offset && m.end <= data.len() as u64);
            last_end = m.end;
            if m.problem.is_none() && m.body.ends_with(b"\n") {
                bodies.push(m.body);
            }
        }
        let Some(date) = demail_archive::mbox::from_line_date(b"From x Sat Jan  2 10:11:12 2021") else { return };
        let mut w = MboxWriter::new(Vec::new());
        for b in &bodies {
            let _ = w.write_message("fuzz@demail.test", date, b);
        }
        let file = w.into_inner();
        let again: Vec<Vec<u8>> =
            MboxReader::new(&file[..], Dialect::Mboxrd).filter_map(|m| m.ok().map(|m| m.body)).collect();
        assert_eq!(again, bodies);
    }
});
