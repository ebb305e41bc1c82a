//! The few header fields an import needs, read with mail-parser (folding, encoded words and
//! broken dates are its job).

use chrono::{DateTime, FixedOffset};
use mail_parser::MessageParser;

/// Header facts of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// The `X-Gmail-Labels` value, decoded, if present.
    pub labels: Option<String>,
    pub date: Option<DateTime<FixedOffset>>,
    /// Flags from mbox `Status`/`X-Status` (read unless `Status` says otherwise).
    pub flags: Vec<String>,
}

impl Headers {
    pub fn parse(message: &[u8]) -> Headers {
        let Some(parsed) = MessageParser::new().parse_headers(message) else {
            return Headers { flags: vec!["\\Seen".into()], ..Headers::default() };
        };
        let mut labels = None;
        let mut status: Option<String> = None;
        let mut x_status = String::new();
        for h in parsed.headers() {
            let name = h.name();
            let text = || h.value().as_text().map(str::to_string);
            if name.eq_ignore_ascii_case("x-gmail-labels") {
                labels = text().or_else(|| Some(String::new()));
            } else if name.eq_ignore_ascii_case("status") {
                status = text();
            } else if name.eq_ignore_ascii_case("x-status") {
                x_status = text().unwrap_or_default();
            }
        }
        let mut flags = Vec::new();
        if status.as_deref().is_none_or(|s| s.contains('R')) {
            flags.push("\\Seen".to_string());
        }
        for (letter, flag) in [('A', "\\Answered"), ('F', "\\Flagged"), ('T', "\\Draft")] {
            if x_status.contains(letter) {
                flags.push(flag.to_string());
            }
        }
        flags.sort();
        Headers { labels: labels.map(decode_words), date: parsed.date().and_then(convert), flags }
    }
}

/// Decodes RFC 2047 encoded words (`=?UTF-8?Q?…?=`), which mail-parser leaves as they are in
/// headers it does not know: the value is read again as a Subject, which it decodes.
fn decode_words(value: String) -> String {
    if !value.contains("=?") {
        return value;
    }
    let mut as_subject = b"Subject: ".to_vec();
    as_subject.extend_from_slice(value.as_bytes());
    as_subject.extend_from_slice(b"\r\n\r\n");
    MessageParser::new()
        .parse_headers(&as_subject)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or(value)
}

/// The Date header of a message, if it can be read.
pub fn date(message: &[u8]) -> Option<DateTime<FixedOffset>> {
    MessageParser::new().parse_headers(message)?.date().and_then(convert)
}

/// Length of a message's header block, blank line included (the whole message when there is
/// none), for CRLF and LF messages alike.
pub fn header_end(message: &[u8]) -> usize {
    let crlf = message.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = message.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(message.len()),
    }
}

/// mail-parser's date with its own zone kept (its RFC 3339 form is in UTC).
fn convert(d: &mail_parser::DateTime) -> Option<DateTime<FixedOffset>> {
    if !d.is_valid() {
        return None;
    }
    let sign = if d.tz_before_gmt { -1 } else { 1 };
    let offset = FixedOffset::east_opt(sign * (i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60))?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?;
    let time = date.and_hms_opt(u32::from(d.hour), u32::from(d.minute), u32::from(d.second))?;
    time.and_local_timezone(offset).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_block_ends_at_the_first_blank_line() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody"), 8);
        assert_eq!(header_end(b"A: b\n\nbody\r\n\r\n"), 6);
        assert_eq!(header_end(b"A: b"), 4);
    }
}
