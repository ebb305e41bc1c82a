//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).

/// Encodes a mailbox name for the wire: printable ASCII stays, `&` becomes `&-`,
/// everything else goes into `&…-` runs of modified base64 over UTF-16BE.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes a wire mailbox name; `None` if it is not valid modified UTF-7.
pub fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < wire.len() {
        let b = wire[i];
        if b == b'&' {
            let end = i + 1 + wire.get(i + 1..)?.iter().position(|&c| c == b'-')?;
            let run = &wire[i + 1..end];
            if run.is_empty() {
                out.push('&');
            } else {
                out.push_str(&decode_run(run)?);
            }
            i = end + 1;
        } else if (0x20..=0x7e).contains(&b) {
            out.push(char::from(b));
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn flush(pending: &mut Vec<u16>, out: &mut String) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (k, &b)| acc | (u32::from(b) << (16 - 8 * k)));
        let sextets = chunk.len() + 1;
        for k in 0..sextets {
            let idx = ((n >> (18 - 6 * k)) & 0x3f) as usize;
            out.push(char::from(ALPHABET[idx]));
        }
    }
    out.push('-');
    pending.clear();
}

fn decode_run(run: &[u8]) -> Option<String> {
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    let mut bytes = Vec::with_capacity(run.len() * 3 / 4);
    for &c in run {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push(((bits >> nbits) & 0xff) as u8);
        }
    }
    // Leftover bits must be zero padding, and the bytes must be whole UTF-16 units.
    if nbits >= 6 || bits & ((1 << nbits) - 1) != 0 || bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
    let s = String::from_utf16(&units).ok()?;
    // A run that only encodes printable ASCII is not canonical; accept it anyway (lenient).
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_french_and_ampersand_like_rfc3501() {
        assert_eq!(encode("Messages envoyés"), "Messages envoy&AOk-s");
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(encode("台北"), "&U,BTFw-");
        assert_eq!(encode("[Gmail]/Corbeille"), "[Gmail]/Corbeille");
    }

    #[test]
    fn decodes_rfc3501_example() {
        assert_eq!(decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(), Some("~peter/mail/台北/日本語"));
        assert_eq!(decode(b"&-").as_deref(), Some("&"));
    }

    #[test]
    fn rejects_unterminated_and_8bit_names() {
        assert_eq!(decode(b"&U,BTFw"), None);
        assert_eq!(decode("envoyés".as_bytes()), None);
        assert_eq!(decode(b"&A-"), None);
    }

    proptest! {
        #[test]
        fn round_trips_any_name(name in any::<String>()) {
            let wire = encode(&name);
            prop_assert!(wire.is_ascii());
            prop_assert_eq!(decode(wire.as_bytes()), Some(name));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
        }
    }
}
