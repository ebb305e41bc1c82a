//! mbox files, read and written as streams (one message in memory at a time).
//!
//! Hand-written rather than `mail_parser::mailbox::mbox`: resuming an import needs each
//! message's byte offset, and telling a real separator from a `From ` line inside a body needs
//! the stricter rule used here (a blank line before it, and a sender and a date after it).

use std::io::{self, BufRead, Write};

use chrono::{DateTime, FixedOffset, NaiveDateTime};

/// How `From ` lines inside messages were protected when the file was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// `>From `, `>>From `… lose one `>` (Google Takeout, most modern tools).
    #[default]
    Mboxrd,
    /// Only `>From ` (exactly one `>`) loses its `>`.
    Mboxo,
}

/// One message read from an mbox file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// Byte offset of its `From ` line in the stream.
    pub offset: u64,
    /// Byte offset just past the message (where the next `From ` line starts).
    pub end: u64,
    /// The `From ` line, without its line ending.
    pub from_line: Vec<u8>,
    /// The message, un-escaped, with its own line endings.
    pub body: Vec<u8>,
    /// What is wrong with it, if anything (it is then not to be imported).
    pub problem: Option<Problem>,
}

/// Why a message of an mbox cannot be imported as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The file ends in the middle of this message (an interrupted download).
    Truncated,
    /// Larger than the reader's limit; its bytes were not kept.
    TooLarge,
}

/// Reads messages one by one from a buffered stream.
pub struct MboxReader<R> {
    inner: R,
    dialect: Dialect,
    max_message: usize,
    /// Stream position of the next unread byte.
    pos: u64,
    /// The separator line already read that starts the next message, with its offset.
    next_from: Option<(u64, Vec<u8>)>,
    line: Vec<u8>,
    started: bool,
}

/// Default largest message kept in memory (bigger ones are reported, not loaded).
pub const DEFAULT_MAX_MESSAGE: usize = 256 << 20;

impl<R: BufRead> MboxReader<R> {
    /// A reader at the start of an mbox stream.
    pub fn new(inner: R, dialect: Dialect) -> Self {
        MboxReader::starting_at(inner, 0, dialect)
    }

    /// A reader whose stream starts at byte `offset` of the file (a resumed import): offsets
    /// given out count from the start of the file. `offset` must be a message start.
    pub fn starting_at(inner: R, offset: u64, dialect: Dialect) -> Self {
        MboxReader {
            inner,
            dialect,
            max_message: DEFAULT_MAX_MESSAGE,
            pos: offset,
            next_from: None,
            line: Vec::new(),
            started: false,
        }
    }

    /// Changes the largest message kept in memory.
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }

    /// Stream position reached (bytes consumed so far).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Reads one line into `self.line`; false at the end of the stream.
    fn read_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        let n = self.inner.read_until(b'\n', &mut self.line)?;
        self.pos += n as u64;
        Ok(n > 0)
    }

    /// The next message, `None` at the end of the stream.
    pub fn next_message(&mut self) -> io::Result<Option<MboxMessage>> {
        if !self.started {
            self.started = true;
            // Anything before the first separator is not mail (an empty file has no message).
            loop {
                let at = self.pos;
                if !self.read_line()? {
                    return Ok(None);
                }
                if is_from_line(&self.line) {
                    self.next_from = Some((at, trim_eol(&self.line).to_vec()));
                    break;
                }
            }
        }
        let Some((offset, from_line)) = self.next_from.take() else {
            return Ok(None);
        };
        let mut body = Vec::new();
        let mut too_large = false;
        let mut previous_blank = false;
        let mut ended_with_newline = true;
        loop {
            let at = self.pos;
            if !self.read_line()? {
                break;
            }
            if previous_blank && is_from_line(&self.line) {
                self.next_from = Some((at, trim_eol(&self.line).to_vec()));
                break;
            }
            previous_blank = self.line == b"\n" || self.line == b"\r\n";
            ended_with_newline = self.line.ends_with(b"\n");
            if too_large {
                continue;
            }
            let line = unescape(&self.line, self.dialect);
            if body.len() + line.len() > self.max_message {
                too_large = true;
                body = Vec::new();
                continue;
            }
            body.extend_from_slice(line);
        }
        let at_end = self.next_from.is_none();
        // The blank line before the next separator (or at the end of the file) belongs to
        // the file, not to the message.
        let mut separated = false;
        if body.ends_with(b"\r\n\r\n") {
            body.truncate(body.len() - 2);
            separated = true;
        } else if body.ends_with(b"\n\n") {
            body.truncate(body.len() - 1);
            separated = true;
        } else if body == b"\n" || body == b"\r\n" {
            body.clear();
            separated = true;
        }
        let problem = if too_large {
            Some(Problem::TooLarge)
        } else if at_end && (!ended_with_newline || (!separated && looks_cut(&body))) {
            Some(Problem::Truncated)
        } else {
            None
        };
        let end = self.next_from.as_ref().map(|(at, _)| *at).unwrap_or(self.pos);
        Ok(Some(MboxMessage { offset, end, from_line, body, problem }))
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_message().transpose()
    }
}

/// Whether a message that is last in its file and lacks the closing blank line also lacks
/// the end of its MIME structure (no header/body separation, or a multipart whose closing
/// boundary never comes).
fn looks_cut(body: &[u8]) -> bool {
    let Some(header_end) = find(body, b"\n\n").or_else(|| find(body, b"\n\r\n")) else {
        return true;
    };
    match boundary(&body[..header_end]) {
        Some(b) => {
            let mut closing = b"--".to_vec();
            closing.extend_from_slice(&b);
            closing.extend_from_slice(b"--");
            find(&body[header_end..], &closing).is_none()
        }
        None => false,
    }
}

/// The `boundary=` parameter of a header block's Content-Type, if any.
fn boundary(header: &[u8]) -> Option<Vec<u8>> {
    let lower = header.to_ascii_lowercase();
    let ct = find(&lower, b"content-type:")?;
    let at = ct + find(&lower[ct..], b"boundary=")? + b"boundary=".len();
    let rest = &header[at..];
    let value: Vec<u8> = if rest.first() == Some(&b'"') {
        rest[1..].iter().take_while(|&&c| c != b'"').copied().collect()
    } else {
        rest.iter().take_while(|&&c| !matches!(c, b';' | b'\r' | b'\n' | b' ' | b'\t')).copied().collect()
    };
    (!value.is_empty()).then_some(value)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A message separator: `From <sender> <date>` where the date has a time and a year.
pub fn is_from_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = trim_eol(rest);
    let Ok(rest) = std::str::from_utf8(rest) else {
        return false;
    };
    let mut words = rest.split_ascii_whitespace();
    if words.next().is_none() {
        return false;
    }
    let (mut time, mut year) = (false, false);
    for w in words {
        let b = w.as_bytes();
        if b.len() >= 5 && b[2] == b':' && b.iter().all(|c| c.is_ascii_digit() || *c == b':') {
            time = true;
        }
        if b.len() == 4 && b.iter().all(u8::is_ascii_digit) {
            year = true;
        }
    }
    time && year
}

/// Removes the protecting `>` of a `From ` line according to the dialect.
fn unescape(line: &[u8], dialect: Dialect) -> &[u8] {
    let quotes = line.iter().take_while(|&&c| c == b'>').count();
    if quotes == 0 || !line[quotes..].starts_with(b"From ") {
        return line;
    }
    match dialect {
        Dialect::Mboxrd => &line[1..],
        Dialect::Mboxo if quotes == 1 => &line[1..],
        Dialect::Mboxo => line,
    }
}

/// The date of a `From ` line (`From sender Sat Jan  2 10:11:12 2021`, or with a `+0000`
/// zone before the year as Google Takeout writes it).
pub fn from_line_date(from_line: &[u8]) -> Option<DateTime<FixedOffset>> {
    let text = std::str::from_utf8(from_line.strip_prefix(b"From ")?).ok()?;
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    // Sender, then weekday month day time [zone] year.
    let date_words = words.get(1..)?;
    let zone = date_words.iter().find(|w| (w.starts_with('+') || w.starts_with('-')) && w.len() == 5);
    let plain: Vec<&str> = date_words.iter().filter(|w| Some(*w) != zone).copied().collect();
    let naive = NaiveDateTime::parse_from_str(&plain.join(" "), "%a %b %e %H:%M:%S %Y").ok()?;
    let offset = match zone {
        Some(z) => DateTime::parse_from_str(&format!("2000-01-01 00:00:00 {z}"), "%Y-%m-%d %H:%M:%S %z")
            .ok()?
            .offset()
            .to_owned(),
        None => FixedOffset::east_opt(0)?,
    };
    naive.and_local_timezone(offset).single()
}

/// Writes mboxrd: every `From ` line inside a message (behind any number of `>`) gets one
/// more `>`, and a blank line ends each message, so that reading gives back the same bytes.
pub struct MboxWriter<W> {
    inner: W,
}

impl<W: Write> MboxWriter<W> {
    pub fn new(inner: W) -> Self {
        MboxWriter { inner }
    }

    /// Writes one message; returns the bytes written. A message that does not end with a
    /// line break gets one (mbox cannot store it otherwise).
    pub fn write_message(
        &mut self,
        sender: &str,
        date: DateTime<FixedOffset>,
        body: &[u8],
    ) -> io::Result<u64> {
        let sender: String =
            sender.chars().map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c }).collect();
        let sender = if sender.is_empty() { "MAILER-DAEMON".to_string() } else { sender };
        let head = format!("From {sender} {}\n", date.format("%a %b %e %H:%M:%S %z %Y"));
        self.inner.write_all(head.as_bytes())?;
        let mut written = head.len() as u64;
        for line in body.split_inclusive(|&c| c == b'\n') {
            let quotes = line.iter().take_while(|&&c| c == b'>').count();
            if line[quotes..].starts_with(b"From ") {
                self.inner.write_all(b">")?;
                written += 1;
            }
            self.inner.write_all(line)?;
            written += line.len() as u64;
        }
        let tail: &[u8] = if body.ends_with(b"\r\n") {
            b"\r\n"
        } else if body.ends_with(b"\n") {
            b"\n"
        } else {
            b"\n\n"
        };
        self.inner.write_all(tail)?;
        Ok(written + tail.len() as u64)
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn read_all(data: &[u8], dialect: Dialect) -> Vec<MboxMessage> {
        MboxReader::new(data, dialect).collect::<io::Result<Vec<_>>>().unwrap()
    }

    const FROM: &str = "From 1768412345678901234@xxx Wed Jan 14 10:00:00 +0000 2026";

    #[test]
    fn splits_on_separators_only_after_a_blank_line() {
        let data = format!(
            "{FROM}\nSubject: a\n\nFrom here on, a body line\n\n>From escaped\n>>From twice\n\n{FROM}\r\nSubject: b\r\n\r\nbody\r\n\r\n"
        );
        let m = read_all(data.as_bytes(), Dialect::Mboxrd);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].body, b"Subject: a\n\nFrom here on, a body line\n\nFrom escaped\n>From twice\n");
        assert_eq!(m[1].body, b"Subject: b\r\n\r\nbody\r\n");
        assert_eq!(m[1].offset, m[0].end);
        assert!(m.iter().all(|m| m.problem.is_none()));
        let o = read_all(data.as_bytes(), Dialect::Mboxo);
        assert_eq!(o[0].body, b"Subject: a\n\nFrom here on, a body line\n\nFrom escaped\n>>From twice\n");
    }

    #[test]
    fn a_from_line_without_a_date_does_not_split() {
        let data = format!("{FROM}\nSubject: a\n\nhello\n\nFrom me to you, thanks\nbye\n\n");
        let m = read_all(data.as_bytes(), Dialect::Mboxrd);
        assert_eq!(m.len(), 1);
        assert!(m[0].body.ends_with(b"From me to you, thanks\nbye\n"));
    }

    #[test]
    fn a_cut_last_message_is_reported_truncated() {
        let data = format!(
            "{FROM}\nSubject: a\n\nok\n\n{FROM}\nContent-Type: multipart/mixed; boundary=\"XY\"\n\n--XY\nContent-Type: text/plain\n\npart\n--XY\nContent-Type: app"
        );
        let m = read_all(data.as_bytes(), Dialect::Mboxrd);
        assert_eq!((m[0].problem, m[1].problem), (None, Some(Problem::Truncated)));
        let cut_at_line = format!("{FROM}\nContent-Type: multipart/mixed; boundary=XY\n\n--XY\n\npart\n");
        assert_eq!(read_all(cut_at_line.as_bytes(), Dialect::Mboxrd)[0].problem, Some(Problem::Truncated));
        let whole = format!("{FROM}\nContent-Type: multipart/mixed; boundary=XY\n\n--XY\n\npart\n--XY--\n");
        assert_eq!(read_all(whole.as_bytes(), Dialect::Mboxrd)[0].problem, None);
    }

    #[test]
    fn too_large_messages_are_reported_without_their_bytes() {
        let data = format!("{FROM}\nSubject: a\n\n{}\n\n{FROM}\nSubject: b\n\nb\n\n", "x".repeat(5000));
        let m: Vec<_> = MboxReader::new(data.as_bytes(), Dialect::Mboxrd)
            .max_message(1000)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!((m[0].problem, m[0].body.len()), (Some(Problem::TooLarge), 0));
        assert_eq!(m[1].body, b"Subject: b\n\nb\n");
    }

    #[test]
    fn resumes_at_an_offset_with_file_offsets() {
        let data = format!("{FROM}\nSubject: a\n\na\n\n{FROM}\nSubject: b\n\nb\n\n");
        let all = read_all(data.as_bytes(), Dialect::Mboxrd);
        let at = all[1].offset;
        let rest: Vec<_> = MboxReader::starting_at(&data.as_bytes()[at as usize..], at, Dialect::Mboxrd)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(rest, vec![all[1].clone()]);
    }

    #[test]
    fn reads_dates_of_both_from_line_styles() {
        let takeout = from_line_date(FROM.as_bytes()).unwrap();
        assert_eq!(takeout.to_rfc3339(), "2026-01-14T10:00:00+00:00");
        let classic = from_line_date(b"From alice@example.org Sat Jan  2 10:11:12 2021").unwrap();
        assert_eq!(classic.to_rfc3339(), "2021-01-02T10:11:12+00:00");
        assert_eq!(from_line_date(b"From nobody"), None);
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            Just(b"From x".to_vec()),
            Just(b">From y".to_vec()),
            Just(b">>>From z".to_vec()),
            Just(b"From a@b Sat Jan  2 10:11:12 2021".to_vec()),
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>().prop_filter("no newline", |c| *c != b'\n'), 0..40),
        ];
        let eol = prop_oneof![Just(b"\n".to_vec()), Just(b"\r\n".to_vec())];
        proptest::collection::vec((line, eol), 1..12).prop_map(|lines| {
            lines
                .into_iter()
                .flat_map(|(mut l, e)| {
                    l.extend(e);
                    l
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn mboxrd_write_then_read_is_the_identity(messages in proptest::collection::vec(message(), 0..6)) {
            let mut w = MboxWriter::new(Vec::new());
            let date = from_line_date(FROM.as_bytes()).unwrap();
            for m in &messages {
                w.write_message("someone@example.org", date, m).unwrap();
            }
            let file = w.into_inner();
            let read = read_all(&file, Dialect::Mboxrd);
            let bodies: Vec<Vec<u8>> = read.iter().map(|m| m.body.clone()).collect();
            prop_assert_eq!(bodies, messages);
            prop_assert!(read.iter().all(|m| m.problem.is_none()));
        }

        #[test]
        fn reading_anything_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = MboxReader::new(&data[..], Dialect::Mboxrd).count();
        }
    }
}
