//! Maildir folders: reading (Maildir++ as Dovecot and Courier write it, and Dovecot's
//! `LAYOUT=fs` nested directories) and writing (Maildir++).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A folder of a Maildir tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirFolder {
    /// Name as stored on disk, levels joined with `/` (`INBOX` for the root); Dovecot
    /// stores non-ASCII names in modified UTF-7, which the caller may decode.
    pub name: String,
    pub path: PathBuf,
}

/// One message file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirEntry {
    pub path: PathBuf,
    /// The file name before the `:2,` info part: the message's identity in its folder.
    pub unique: String,
    pub flags: Vec<String>,
    /// The file's modification time, which Maildir tools use as the received date.
    pub modified: Option<SystemTime>,
}

/// Whether `dir` is itself a maildir (has `cur`).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir()
}

/// Whether `dir` holds a Maildir tree (the root or any folder below it is a maildir).
pub fn is_maildir_tree(dir: &Path) -> bool {
    is_maildir(dir) || folders(dir).map(|f| !f.is_empty()).unwrap_or(false)
}

/// Every folder of the tree at `root`, sorted by name.
pub fn folders(root: &Path) -> io::Result<Vec<MaildirFolder>> {
    let mut out = Vec::new();
    if is_maildir(root) {
        out.push(MaildirFolder { name: "INBOX".into(), path: root.to_path_buf() });
    }
    walk(root, &mut Vec::new(), &mut out)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

fn walk(dir: &Path, prefix: &mut Vec<String>, out: &mut Vec<MaildirFolder>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(name) = e.file_name().into_string() else { continue };
        let path = e.path();
        if !path.is_dir() || matches!(name.as_str(), "cur" | "new" | "tmp") {
            continue;
        }
        if let Some(dotted) = name.strip_prefix('.') {
            // Maildir++: `.Work.2024` is Work/2024, always one level below the root.
            if prefix.is_empty() && !dotted.is_empty() && is_maildir(&path) {
                let name = dotted.split('.').collect::<Vec<_>>().join("/");
                out.push(MaildirFolder { name, path });
            }
            continue;
        }
        prefix.push(name);
        if is_maildir(&path) {
            let joined = prefix.join("/");
            let name = if prefix.len() == 1 && joined.eq_ignore_ascii_case("inbox") {
                "INBOX".into()
            } else {
                joined
            };
            out.push(MaildirFolder { name, path: path.clone() });
        }
        walk(&path, prefix, out)?;
        prefix.pop();
    }
    Ok(())
}

/// The messages of one folder (`new` and `cur`), sorted by file name.
pub fn messages(folder: &Path) -> io::Result<Vec<MaildirEntry>> {
    let keywords = keywords(folder);
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let dir = folder.join(sub);
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let Ok(name) = e.file_name().into_string() else { continue };
            if name.starts_with('.') || !e.path().is_file() {
                continue;
            }
            let (unique, info) = match name.split_once(":2,").or_else(|| name.split_once("!2,")) {
                Some((u, i)) => (u.to_string(), Some(i)),
                None => (name.clone(), None),
            };
            let flags = info.map(|i| flags_from_info(i, &keywords)).unwrap_or_default();
            let modified = e.metadata().ok().and_then(|m| m.modified().ok());
            out.push(MaildirEntry { path: e.path(), unique, flags, modified });
        }
    }
    out.sort_by(|a, b| a.unique.cmp(&b.unique));
    Ok(out)
}

/// IMAP flags from a file name's info part (`FRS`…); lower-case letters are Dovecot
/// keywords, named in the folder's `dovecot-keywords` file.
pub fn flags_from_info(info: &str, keywords: &HashMap<char, String>) -> Vec<String> {
    let mut flags: Vec<String> = info
        .chars()
        .filter_map(|c| match c {
            'D' => Some("\\Draft".to_string()),
            'F' => Some("\\Flagged".to_string()),
            'P' => Some("$Forwarded".to_string()),
            'R' => Some("\\Answered".to_string()),
            'S' => Some("\\Seen".to_string()),
            'T' => Some("\\Deleted".to_string()),
            c if c.is_ascii_lowercase() => keywords.get(&c).cloned(),
            _ => None,
        })
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// Dovecot's keyword letters for a folder (`0 name` lines: 0 is `a`, 1 is `b`…).
fn keywords(folder: &Path) -> HashMap<char, String> {
    let Ok(text) = fs::read_to_string(folder.join("dovecot-keywords")) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let (n, name) = l.split_once(' ')?;
            let n: u8 = n.parse().ok()?;
            (n < 26).then(|| (char::from(b'a' + n), name.trim().to_string()))
        })
        .collect()
}

/// The info part for a set of IMAP flags (standard letters only, sorted as Maildir wants).
pub fn info_from_flags(flags: &[String]) -> String {
    let mut letters: Vec<char> = flags
        .iter()
        .filter_map(|f| match f.to_ascii_lowercase().as_str() {
            "\\draft" => Some('D'),
            "\\flagged" => Some('F'),
            "$forwarded" => Some('P'),
            "\\answered" => Some('R'),
            "\\seen" => Some('S'),
            "\\deleted" => Some('T'),
            _ => None,
        })
        .collect();
    letters.sort_unstable();
    letters.dedup();
    letters.into_iter().collect()
}

/// The directory of folder `name` (`/`-separated) in a Maildir++ tree at `root`.
pub fn folder_path(root: &Path, name: &str) -> PathBuf {
    if name.eq_ignore_ascii_case("INBOX") {
        return root.to_path_buf();
    }
    let dotted: Vec<String> = name.split('/').map(|p| p.replace('.', "_")).collect();
    root.join(format!(".{}", dotted.join(".")))
}

/// Creates `cur`, `new` and `tmp` of a folder.
pub fn create_folder(dir: &Path) -> io::Result<()> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

/// Stores a message durably in `dir/cur` under `unique` (written to `tmp`, synced, then
/// renamed), with its flags in the name and `modified` as its time. Returns the path.
pub fn deliver(
    dir: &Path,
    unique: &str,
    flags: &[String],
    modified: Option<SystemTime>,
    body: &[u8],
) -> io::Result<PathBuf> {
    let tmp = dir.join("tmp").join(unique);
    let mut file = fs::File::create(&tmp)?;
    file.write_all(body)?;
    if let Some(t) = modified {
        file.set_modified(t)?;
    }
    file.sync_all()?;
    drop(file);
    let dest = dir.join("cur").join(format!("{unique}:2,{}", info_from_flags(flags)));
    fs::rename(&tmp, &dest)?;
    fs::File::open(dir.join("cur"))?.sync_all()?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_maildirpp_and_fs_layouts_with_flags_and_keywords() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for d in [r.to_path_buf(), r.join(".Work.2024"), r.join("Famille/Été"), r.join(".Empty")] {
            create_folder(&d).unwrap();
        }
        fs::write(r.join("new/1.a.host"), "Subject: new\n\nx\n").unwrap();
        fs::write(r.join("cur/2.b.host:2,FRSa"), "Subject: cur\n\nx\n").unwrap();
        fs::write(r.join("dovecot-keywords"), "0 $Label1\n1 Later\n").unwrap();
        let names: Vec<String> = folders(r).unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names, vec!["Empty", "Famille/Été", "INBOX", "Work/2024"]);
        let m = messages(r).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].unique.as_str(), m[0].flags.len()), ("1.a.host", 0));
        assert_eq!(m[1].flags, vec!["$Label1", "\\Answered", "\\Flagged", "\\Seen"]);
    }

    #[test]
    fn delivers_into_cur_with_flags_in_the_name() {
        let root = tempfile::tempdir().unwrap();
        let dir = folder_path(root.path(), "A/b.c");
        assert_eq!(dir, root.path().join(".A.b_c"));
        create_folder(&dir).unwrap();
        let flags = vec!["\\Seen".to_string(), "\\Answered".to_string(), "$Junk".to_string()];
        let p = deliver(&dir, "123.x.demail", &flags, None, b"Subject: s\r\n\r\nb\r\n").unwrap();
        assert_eq!(p.file_name().unwrap(), "123.x.demail:2,RS");
        let m = messages(&dir).unwrap();
        assert_eq!(m[0].flags, vec!["\\Answered", "\\Seen"]);
        assert!(fs::read_dir(dir.join("tmp")).unwrap().next().is_none());
    }
}
