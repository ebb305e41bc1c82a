//! Reading and parsing server responses (the subset demail needs).
//!
//! Two steps: [`ResponseReader`] frames one response off the wire (a line, plus the literals it
//! announces, each kept as its own buffer so a message body is never copied), and [`parse`]
//! turns that frame into a [`Response`]. Both are total: hostile input gives an error, never a
//! panic, and sizes are bounded before anything is allocated.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::Error;

/// A response as framed from the wire: its text with literals left in place as `{n}` markers,
/// and the literal payloads in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawResponse {
    /// Text of the response lines, CRLFs removed.
    pub text: Vec<u8>,
    /// Literal payloads, in the order their markers appear in `text`.
    pub literals: Vec<Vec<u8>>,
}

/// Limits that protect memory against a hostile or broken server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest line (text between literals) accepted.
    pub max_line: usize,
    /// Largest literal accepted (a whole message).
    pub max_literal: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line: 1 << 20, max_literal: 1 << 30 }
    }
}

/// Frames responses off a byte stream.
pub struct ResponseReader<R> {
    inner: BufReader<R>,
    limits: Limits,
}

impl<R: AsyncRead + Unpin> ResponseReader<R> {
    pub fn new(inner: R, limits: Limits) -> Self {
        ResponseReader { inner: BufReader::with_capacity(64 * 1024, inner), limits }
    }

    /// Reads one complete response; `Error::Closed` at a clean end of stream.
    pub async fn read(&mut self) -> Result<RawResponse, Error> {
        let mut raw = RawResponse::default();
        loop {
            let mut line = Vec::new();
            let limit = (self.limits.max_line.saturating_sub(raw.text.len()) + 2) as u64;
            let n = (&mut self.inner).take(limit).read_until(b'\n', &mut line).await?;
            if n == 0 {
                return Err(Error::Closed(String::new()));
            }
            if line.last() != Some(&b'\n') {
                if n as u64 == limit {
                    return Err(Error::Protocol("response line too long".into()));
                }
                return Err(Error::Closed("in the middle of a response".into()));
            }
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let literal = literal_announced(&line);
            raw.text.extend_from_slice(&line);
            let Some(len) = literal else { return Ok(raw) };
            if len > self.limits.max_literal {
                return Err(Error::Protocol(format!(
                    "server announced a {len}-byte literal, over the limit"
                )));
            }
            let mut payload = Vec::with_capacity(len.min(1 << 20) as usize);
            let got = (&mut self.inner).take(len).read_to_end(&mut payload).await?;
            if got as u64 != len {
                return Err(Error::Closed("in the middle of a literal".into()));
            }
            raw.literals.push(payload);
        }
    }

    /// Gives back the underlying stream, dropping nothing only if no bytes are buffered.
    pub fn buffered(&self) -> usize {
        self.inner.buffer().len()
    }
}

/// If a line ends with a literal marker (`{n}`, `{n+}`, `~{n}`), its length.
pub fn literal_announced(line: &[u8]) -> Option<u64> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    let digits = digits.strip_suffix(b"+").or_else(|| digits.strip_suffix(b"-")).unwrap_or(digits);
    parse_u64(digits)
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    parse_u64(digits).and_then(|n| u32::try_from(n).ok())
}

// ---------------------------------------------------------------------------------------------
// Parsed responses

/// One parsed server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `tag OK|NO|BAD [code] text`
    Tagged { tag: String, status: Status, code: Option<Code>, text: String },
    /// `* …`
    Untagged(Untagged),
    /// `+ …`
    Continuation(String),
}

/// Outcome of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
}

/// Untagged data demail uses; anything else is kept as [`Untagged::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untagged {
    /// `* OK|NO|BAD|BYE|PREAUTH [code] text`
    Condition {
        kind: Condition,
        code: Option<Code>,
        text: String,
    },
    Capability(Vec<String>),
    List(ListEntry),
    Flags(Vec<String>),
    Search(Vec<u32>),
    Status {
        mailbox: Vec<u8>,
        items: Vec<(String, u64)>,
    },
    /// `QUOTA root (resource usage limit …)` (RFC 9208).
    Quota {
        root: String,
        resources: Vec<(String, u64, u64)>,
    },
    Exists(u32),
    Recent(u32),
    Expunge(u32),
    Fetch {
        seq: u32,
        data: Box<FetchData>,
    },
    /// A response kind demail does not need (`ENABLED`, `ID`, `VANISHED`…).
    Other(String),
}

/// Kind of an untagged condition response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

/// Response codes demail acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    Capability(Vec<String>),
    UidValidity(u32),
    UidNext(u32),
    HighestModSeq(u64),
    /// `APPENDUID uidvalidity uid-set` (UIDPLUS): the destination UIDs, as ranges.
    AppendUid {
        uidvalidity: u32,
        uids: Vec<(u32, u32)>,
    },
    PermanentFlags(Vec<String>),
    ReadOnly,
    ReadWrite,
    TryCreate,
    AlreadyExists,
    AuthenticationFailed,
    /// Any other code, by name (`OVERQUOTA`, `LIMIT`, `ALERT`…).
    Other(String),
}

/// One `LIST` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub attributes: Vec<String>,
    pub delimiter: Option<char>,
    /// The name exactly as on the wire (modified UTF-7).
    pub wire_name: Vec<u8>,
}

/// The FETCH items demail reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchData {
    pub uid: Option<u32>,
    pub flags: Option<Vec<String>>,
    pub internal_date: Option<String>,
    pub size: Option<u64>,
    pub modseq: Option<u64>,
    /// `BODY[]` or `BINARY[]`: the whole message.
    pub body: Option<Vec<u8>>,
    /// `BODY[HEADER.FIELDS (…)]`: the selected header lines.
    pub header_fields: Option<Vec<u8>>,
}

/// Parses one framed response. Never panics.
pub fn parse(raw: RawResponse) -> Result<Response, Error> {
    let mut s = Scanner { s: &raw.text, pos: 0, literals: raw.literals.into_iter() };
    let first = s.word()?;
    match first {
        b"*" => {
            s.space()?;
            Ok(Response::Untagged(s.untagged()?))
        }
        b"+" => Ok(Response::Continuation(s.rest_text())),
        tag => {
            let tag = String::from_utf8_lossy(tag).into_owned();
            s.space()?;
            let status = match s.word()?.to_ascii_uppercase().as_slice() {
                b"OK" => Status::Ok,
                b"NO" => Status::No,
                b"BAD" => Status::Bad,
                other => return Err(proto(format!("unknown status {:?}", lossy(other)))),
            };
            let (code, text) = s.resp_text()?;
            Ok(Response::Tagged { tag, status, code, text })
        }
    }
}

/// Depth limit for nested lists, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Atom(Vec<u8>),
    Str(Vec<u8>),
    Nil,
    List(Vec<Value>),
}

impl Value {
    fn bytes(self) -> Option<Vec<u8>> {
        match self {
            Value::Atom(b) | Value::Str(b) => Some(b),
            _ => None,
        }
    }
}

struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
    literals: std::vec::IntoIter<Vec<u8>>,
}

fn proto(msg: impl Into<String>) -> Error {
    Error::Protocol(msg.into())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn is_atom_byte(b: u8) -> bool {
    !matches!(b, b' ' | b'(' | b')' | b'{' | b'"' | b'\r' | b'\n' | 0) && b != b']'
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn space(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b' ') {
            self.pos += 1;
            Ok(())
        } else {
            Err(proto("expected a space"))
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// A run of non-space bytes (tags, status words, numbers).
    fn word(&mut self) -> Result<&'a [u8], Error> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b' ' {
                break;
            }
            self.pos += 1;
        }
        if start == self.pos {
            return Err(proto("expected a word"));
        }
        Ok(&self.s[start..self.pos])
    }

    fn rest_text(&mut self) -> String {
        self.skip_spaces();
        let text = lossy(self.s.get(self.pos..).unwrap_or_default());
        self.pos = self.s.len();
        text
    }

    /// `[code] text` after a status word.
    fn resp_text(&mut self) -> Result<(Option<Code>, String), Error> {
        self.skip_spaces();
        let code = if self.peek() == Some(b'[') {
            self.pos += 1;
            let start = self.pos;
            let end = start
                + self.s[start..]
                    .iter()
                    .position(|&b| b == b']')
                    .ok_or_else(|| proto("unterminated response code"))?;
            self.pos = end + 1;
            Some(parse_code(&self.s[start..end]))
        } else {
            None
        };
        Ok((code, self.rest_text()))
    }

    /// An atom; `[…]` sections (as in `BODY[HEADER.FIELDS (X)]`) are part of it.
    fn atom(&mut self) -> Result<Vec<u8>, Error> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b'[' {
                let close = self.s[self.pos..]
                    .iter()
                    .position(|&c| c == b']')
                    .ok_or_else(|| proto("unterminated section"))?;
                self.pos += close + 1;
            } else if is_atom_byte(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        if start == self.pos {
            return Err(proto(format!("expected an atom at byte {start}")));
        }
        Ok(self.s[start..self.pos].to_vec())
    }

    fn quoted(&mut self) -> Result<Vec<u8>, Error> {
        self.pos += 1; // opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(proto("unterminated quoted string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let c = self.s.get(self.pos + 1).copied().ok_or_else(|| proto("bad escape"))?;
                    out.push(c);
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Vec<u8>, Error> {
        if self.peek() == Some(b'~') {
            self.pos += 1;
        }
        let close =
            self.s[self.pos..].iter().position(|&c| c == b'}').ok_or_else(|| proto("bad literal marker"))?;
        self.pos += close + 1;
        self.literals.next().ok_or_else(|| proto("literal marker without its payload"))
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            None => Err(proto("unexpected end of response")),
            Some(b'(') => {
                if depth >= MAX_DEPTH {
                    return Err(proto("lists nested too deeply"));
                }
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_spaces();
                    match self.peek() {
                        None => return Err(proto("unterminated list")),
                        Some(b')') => {
                            self.pos += 1;
                            return Ok(Value::List(items));
                        }
                        Some(_) => items.push(self.value(depth + 1)?),
                    }
                }
            }
            Some(b'"') => Ok(Value::Str(self.quoted()?)),
            Some(b'{') => Ok(Value::Str(self.literal()?)),
            Some(b'~') if self.s.get(self.pos + 1) == Some(&b'{') => Ok(Value::Str(self.literal()?)),
            Some(_) => {
                let atom = self.atom()?;
                if atom.eq_ignore_ascii_case(b"NIL") { Ok(Value::Nil) } else { Ok(Value::Atom(atom)) }
            }
        }
    }

    fn atoms_to_end(&mut self) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        loop {
            self.skip_spaces();
            if self.at_end() {
                return Ok(out);
            }
            out.push(lossy(&self.atom()?));
        }
    }

    fn untagged(&mut self) -> Result<Untagged, Error> {
        let word = self.word()?;
        if let Some(n) = parse_u32(word) {
            self.space()?;
            let kind = self.word()?.to_ascii_uppercase();
            return match kind.as_slice() {
                b"EXISTS" => Ok(Untagged::Exists(n)),
                b"RECENT" => Ok(Untagged::Recent(n)),
                b"EXPUNGE" => Ok(Untagged::Expunge(n)),
                b"FETCH" => {
                    self.space()?;
                    let Value::List(items) = self.value(0)? else {
                        return Err(proto("FETCH data is not a list"));
                    };
                    Ok(Untagged::Fetch { seq: n, data: Box::new(fetch_data(items)?) })
                }
                other => Ok(Untagged::Other(lossy(other))),
            };
        }
        let word = word.to_ascii_uppercase();
        let condition = match word.as_slice() {
            b"OK" => Some(Condition::Ok),
            b"NO" => Some(Condition::No),
            b"BAD" => Some(Condition::Bad),
            b"BYE" => Some(Condition::Bye),
            b"PREAUTH" => Some(Condition::Preauth),
            _ => None,
        };
        if let Some(kind) = condition {
            let (code, text) = self.resp_text()?;
            return Ok(Untagged::Condition { kind, code, text });
        }
        match word.as_slice() {
            b"CAPABILITY" => Ok(Untagged::Capability(self.atoms_to_end()?)),
            b"FLAGS" => {
                self.space()?;
                Ok(Untagged::Flags(flag_list(self.value(0)?)?))
            }
            b"SEARCH" => {
                let mut uids = Vec::new();
                for a in self.atoms_to_end()? {
                    // `(MODSEQ n)` at the end (CONDSTORE) is not a number: stop there.
                    match a.parse::<u32>() {
                        Ok(n) => uids.push(n),
                        Err(_) => break,
                    }
                }
                Ok(Untagged::Search(uids))
            }
            b"LIST" | b"LSUB" | b"XLIST" => {
                self.space()?;
                let attributes = flag_list(self.value(0)?)?;
                self.space()?;
                let delimiter = match self.value(0)? {
                    Value::Nil => None,
                    Value::Str(d) | Value::Atom(d) => match d.as_slice() {
                        [c] if c.is_ascii() => Some(char::from(*c)),
                        _ => return Err(proto("bad hierarchy delimiter")),
                    },
                    Value::List(_) => return Err(proto("bad hierarchy delimiter")),
                };
                self.space()?;
                let wire_name = self.value(0)?.bytes().ok_or_else(|| proto("bad mailbox name"))?;
                Ok(Untagged::List(ListEntry { attributes, delimiter, wire_name }))
            }
            b"STATUS" => {
                self.space()?;
                let mailbox = self.value(0)?.bytes().ok_or_else(|| proto("bad mailbox name"))?;
                self.skip_spaces();
                let Value::List(list) = self.value(0)? else {
                    return Err(proto("STATUS data is not a list"));
                };
                let mut items = Vec::new();
                let mut it = list.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    let (Value::Atom(k), Value::Atom(v)) = (k, v) else {
                        return Err(proto("bad STATUS item"));
                    };
                    let v = parse_u64(&v).ok_or_else(|| proto("bad STATUS number"))?;
                    items.push((lossy(&k).to_ascii_uppercase(), v));
                }
                Ok(Untagged::Status { mailbox, items })
            }
            b"QUOTA" => {
                self.space()?;
                let root = self.value(0)?.bytes().ok_or_else(|| proto("bad quota root"))?;
                self.skip_spaces();
                let Value::List(list) = self.value(0)? else {
                    return Err(proto("QUOTA data is not a list"));
                };
                let mut resources = Vec::new();
                let mut it = list.into_iter();
                while let (Some(Value::Atom(name)), Some(Value::Atom(usage)), Some(Value::Atom(limit))) =
                    (it.next(), it.next(), it.next())
                {
                    let n = |v: &[u8]| parse_u64(v).ok_or_else(|| proto("bad QUOTA number"));
                    resources.push((lossy(&name).to_ascii_uppercase(), n(&usage)?, n(&limit)?));
                }
                Ok(Untagged::Quota { root: lossy(&root), resources })
            }
            other => Ok(Untagged::Other(lossy(other))),
        }
    }
}

fn flag_list(v: Value) -> Result<Vec<String>, Error> {
    let Value::List(items) = v else {
        return Err(proto("expected a parenthesised list"));
    };
    items
        .into_iter()
        .map(|i| match i {
            Value::Atom(a) => Ok(lossy(&a)),
            _ => Err(proto("expected a flag")),
        })
        .collect()
}

fn fetch_data(items: Vec<Value>) -> Result<FetchData, Error> {
    let mut data = FetchData::default();
    let mut it = items.into_iter();
    while let Some(key) = it.next() {
        let Value::Atom(key) = key else {
            return Err(proto("FETCH item name is not an atom"));
        };
        let value = it.next().ok_or_else(|| proto("FETCH item without value"))?;
        let key = key.to_ascii_uppercase();
        let number = |v: &Value| match v {
            Value::Atom(a) => parse_u64(a).ok_or_else(|| proto("bad number in FETCH")),
            _ => Err(proto("expected a number in FETCH")),
        };
        match key.as_slice() {
            b"UID" => data.uid = Some(u32::try_from(number(&value)?).map_err(|_| proto("UID out of range"))?),
            b"RFC822.SIZE" => data.size = Some(number(&value)?),
            b"FLAGS" => data.flags = Some(flag_list(value)?),
            b"INTERNALDATE" => match value {
                Value::Str(d) => data.internal_date = Some(lossy(&d)),
                _ => return Err(proto("bad INTERNALDATE")),
            },
            b"MODSEQ" => match value {
                Value::List(l) => data.modseq = l.first().map(number).transpose()?,
                _ => return Err(proto("bad MODSEQ")),
            },
            b"BODY[]" | b"BINARY[]" | b"RFC822" => data.body = value.bytes().or(Some(Vec::new())),
            k if k.starts_with(b"BODY[HEADER.FIELDS") => {
                data.header_fields = value.bytes().or(Some(Vec::new()))
            }
            // Items demail did not ask for (X-GM-LABELS, BODYSTRUCTURE…) are skipped whole.
            _ => {}
        }
    }
    Ok(data)
}

fn parse_code(code: &[u8]) -> Code {
    let mut s = Scanner { s: code, pos: 0, literals: Vec::new().into_iter() };
    let Ok(name) = s.word() else {
        return Code::Other(String::new());
    };
    let name = name.to_ascii_uppercase();
    s.skip_spaces();
    let args = &code[s.pos..];
    let num = || parse_u64(args.split(|&b| b == b' ').next().unwrap_or_default());
    let parsed = match name.as_slice() {
        b"CAPABILITY" => s.atoms_to_end().ok().map(Code::Capability),
        b"UIDVALIDITY" => num().and_then(|n| u32::try_from(n).ok()).map(Code::UidValidity),
        b"UIDNEXT" => num().and_then(|n| u32::try_from(n).ok()).map(Code::UidNext),
        b"HIGHESTMODSEQ" => num().map(Code::HighestModSeq),
        b"APPENDUID" => {
            let mut parts = args.split(|&b| b == b' ');
            match (parts.next().and_then(parse_u32), parts.next()) {
                (Some(uidvalidity), Some(set)) => {
                    parse_uid_set(set).map(|uids| Code::AppendUid { uidvalidity, uids })
                }
                _ => None,
            }
        }
        b"PERMANENTFLAGS" => s.value(0).ok().and_then(|v| flag_list(v).ok()).map(Code::PermanentFlags),
        b"READ-ONLY" => Some(Code::ReadOnly),
        b"READ-WRITE" => Some(Code::ReadWrite),
        b"TRYCREATE" => Some(Code::TryCreate),
        b"ALREADYEXISTS" => Some(Code::AlreadyExists),
        b"AUTHENTICATIONFAILED" => Some(Code::AuthenticationFailed),
        _ => None,
    };
    parsed.unwrap_or_else(|| Code::Other(lossy(&name)))
}

/// Parses a uid-set (`4,7:9`) into inclusive ranges, without expanding it.
pub fn parse_uid_set(set: &[u8]) -> Option<Vec<(u32, u32)>> {
    set.split(|&b| b == b',')
        .map(|part| {
            let mut ends = part.splitn(2, |&b| b == b':');
            let a = parse_u32(ends.next()?)?;
            let b = match ends.next() {
                Some(b) => parse_u32(b)?,
                None => a,
            };
            Some((a.min(b), a.max(b)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(text: &str, literals: &[&[u8]]) -> RawResponse {
        RawResponse {
            text: text.as_bytes().to_vec(),
            literals: literals.iter().map(|l| l.to_vec()).collect(),
        }
    }

    #[test]
    fn parses_fetch_with_body_literal_and_flags() {
        let r = parse(raw(
            r#"* 12 FETCH (UID 42 FLAGS (\Seen $Label1 \Answered) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 5 BODY[] {5} MODSEQ (9))"#,
            &[b"Hi\r\n\0"],
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let Response::Untagged(Untagged::Fetch { seq, data }) = r else { panic!("not a fetch: {r:?}") };
        assert_eq!(seq, 12);
        assert_eq!(data.uid, Some(42));
        assert_eq!(data.flags, Some(vec!["\\Seen".into(), "$Label1".into(), "\\Answered".into()]));
        assert_eq!(data.internal_date.as_deref(), Some("17-Jul-1996 02:44:25 -0700"));
        assert_eq!(data.size, Some(5));
        assert_eq!(data.body.as_deref(), Some(&b"Hi\r\n\0"[..]));
        assert_eq!(data.modseq, Some(9));
    }

    #[test]
    fn parses_header_fields_section_and_skips_unknown_items() {
        let r = parse(raw(
            "* 1 FETCH (UID 3 X-GM-LABELS (\\Inbox \"a b\") BODY[HEADER.FIELDS (MESSAGE-ID)] {10})",
            &[b"Message-ID"],
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let Response::Untagged(Untagged::Fetch { data, .. }) = r else { panic!("not a fetch") };
        assert_eq!(data.uid, Some(3));
        assert_eq!(data.header_fields.as_deref(), Some(&b"Message-ID"[..]));
    }

    #[test]
    fn parses_list_with_special_use_and_literal_name() {
        let r = parse(raw(r#"* LIST (\HasNoChildren \Sent) "/" {28}"#, &[b"[Gmail]/Messages envoy&AOk-s"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r,
            Response::Untagged(Untagged::List(ListEntry {
                attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
                delimiter: Some('/'),
                wire_name: b"[Gmail]/Messages envoy&AOk-s".to_vec(),
            }))
        );
        let r = parse(raw(r#"* LIST (\Noselect) NIL INBOX"#, &[])).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(r, Response::Untagged(Untagged::List(ListEntry { delimiter: None, .. }))));
    }

    #[test]
    fn parses_tagged_appenduid_and_select_codes() {
        let r = parse(raw("A7 OK [APPENDUID 38505 3955:3957] APPEND completed", &[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r,
            Response::Tagged {
                tag: "A7".into(),
                status: Status::Ok,
                code: Some(Code::AppendUid { uidvalidity: 38505, uids: vec![(3955, 3957)] }),
                text: "APPEND completed".into(),
            }
        );
        let r =
            parse(raw("* OK [HIGHESTMODSEQ 715194045007] Highest", &[])).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r,
            Response::Untagged(Untagged::Condition { code: Some(Code::HighestModSeq(715194045007)), .. })
        ));
        let q = parse(raw("* QUOTA \"User quota\" (STORAGE 10 512 MESSAGE 3 100)", &[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q,
            Response::Untagged(Untagged::Quota {
                root: "User quota".into(),
                resources: vec![("STORAGE".into(), 10, 512), ("MESSAGE".into(), 3, 100)],
            })
        );
        let r = parse(raw("A1 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)", &[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(r, Response::Tagged { status: Status::No, code: Some(Code::Other(ref c)), .. } if c == "OVERQUOTA")
        );
    }

    #[test]
    fn detects_literal_markers() {
        assert_eq!(literal_announced(b"* 1 FETCH (BODY[] {123}"), Some(123));
        assert_eq!(literal_announced(b"A APPEND x ~{7+}"), Some(7));
        assert_eq!(literal_announced(b"* OK done"), None);
        assert_eq!(literal_announced(b"{99999999999999999999}"), None);
    }

    #[tokio::test]
    async fn frames_responses_with_literals_and_rejects_oversized_ones() {
        let wire: &[u8] = b"* 1 FETCH (BODY[] {3}\r\nabc UID 1)\r\nA1 OK done\r\n* 2 FETCH (BODY[] {999}\r\n";
        let mut r = ResponseReader::new(wire, Limits { max_line: 100, max_literal: 100 });
        let first = r.read().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.text, b"* 1 FETCH (BODY[] {3} UID 1)");
        assert_eq!(first.literals, vec![b"abc".to_vec()]);
        assert_eq!(r.read().await.ok().map(|r| r.text), Some(b"A1 OK done".to_vec()));
        assert!(matches!(r.read().await, Err(Error::Protocol(_))));
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in proptest::collection::vec(any::<u8>(), 0..200),
                              lits in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..3)) {
            let _ = parse(RawResponse { text, literals: lits });
        }

        #[test]
        fn parse_never_panics_on_imap_like_text(text in r#"(\* |A1 |\+ )?([0-9]{1,3} )?(FETCH|LIST|OK|NO|STATUS|SEARCH|FLAGS|CAPABILITY)? ?[()\[\]{}~"\\ A-Z0-9.:,]{0,60}"#) {
            let _ = parse(RawResponse { text: text.into_bytes(), literals: vec![b"x".to_vec()] });
        }

        #[test]
        fn framing_never_panics(wire in proptest::collection::vec(any::<u8>(), 0..300)) {
            let rt = tokio::runtime::Builder::new_current_thread().build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    let mut r = ResponseReader::new(wire.as_slice(), Limits { max_line: 64, max_literal: 64 });
                    while r.read().await.is_ok() {}
                });
            }
        }
    }
}
