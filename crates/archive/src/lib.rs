//! Mail archives, read and written as streams: Google Takeout mbox files (also inside a
//! `.zip` or `.tgz`, read member by member without unpacking), other mbox files (mboxo and
//! mboxrd), Maildir trees (Dovecot and Courier layouts) and folders of `.eml` files.
//!
//! Pure: no network. The import and export engines are in `demail-move`.

pub mod gmail;
pub mod headers;
pub mod maildir;
pub mod mbox;
mod source;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

pub use mbox::{Dialect, MboxMessage, MboxReader, MboxWriter, Problem};
pub use source::{Archive, Item, Kind, Origin, ReadOptions, Sink};

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path} is not a readable zip file ({error}); download the archive again")]
    Zip { path: PathBuf, error: String },
    #[error("{path} is neither an mbox file, a .zip or .tgz archive, a Maildir nor a folder of .eml files")]
    Unknown { path: PathBuf },
}

/// The message with every bare LF made CRLF, as IMAP wants it (CRLF already there is kept, so
/// a message that has only CRLF comes back byte for byte).
pub fn to_crlf(body: Vec<u8>) -> Vec<u8> {
    let bare =
        body.iter().enumerate().filter(|&(i, &c)| c == b'\n' && (i == 0 || body[i - 1] != b'\r')).count();
    if bare == 0 {
        return body;
    }
    let mut out = Vec::with_capacity(body.len() + bare);
    for (i, &c) in body.iter().enumerate() {
        if c == b'\n' && (i == 0 || body[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// A date in IMAP's INTERNALDATE form (`05-Jan-2021 08:09:10 +0000`).
pub fn imap_date(date: &DateTime<FixedOffset>) -> String {
    date.format("%d-%b-%Y %H:%M:%S %z").to_string()
}

/// Reads an IMAP INTERNALDATE (`05-Jan-2021 08:09:10 +0000`, day possibly space-padded).
pub fn parse_imap_date(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(text.trim(), "%d-%b-%Y %H:%M:%S %z").ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn crlf_is_added_only_where_missing() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n".to_vec()), b"a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf(b"a\r\n".to_vec()), b"a\r\n");
    }

    #[test]
    fn imap_dates_round_trip() {
        let d = parse_imap_date(" 5-Jan-2021 08:09:10 +0100").unwrap();
        assert_eq!(imap_date(&d), "05-Jan-2021 08:09:10 +0100");
    }

    #[test]
    fn headers_give_labels_dates_and_mbox_status_flags() {
        let h = headers::Headers::parse(
            b"X-Gmail-Labels: Inbox,\r\n =?UTF-8?Q?=C3=89t=C3=A9?=\r\nDate: Tue, 3 Feb 2026 10:00:00 +0100\r\nStatus: O\r\nX-Status: AF\r\n\r\nbody\r\n",
        );
        assert_eq!(h.labels.as_deref().map(gmail::split_labels), Some(vec!["Inbox".into(), "Été".into()]));
        assert_eq!(h.date.map(|d| d.to_rfc3339()).as_deref(), Some("2026-02-03T10:00:00+01:00"));
        assert_eq!(h.flags, vec!["\\Answered", "\\Flagged"]);
    }
}
