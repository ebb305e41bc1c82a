//! The run's report: every source message accounted for.

use serde::Serialize;

use crate::plan::Action;

/// What happened to every message of every planned folder.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CopyReport {
    pub folders: Vec<FolderReport>,
    /// Why the run stopped before trying every message (the destination is full), if it did.
    pub stopped: Option<String>,
    /// When the destination is full: how much space the rest of the mail needs.
    pub space: Option<SpaceNeeded>,
}

/// The space a full destination lacks. Usage and limit come from the server's quota
/// (GETQUOTAROOT, RFC 9208) when it tells them.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct SpaceNeeded {
    /// Size of the messages not copied because the destination is full.
    pub unsent_bytes: u64,
    /// Storage used and allowed at the destination, in KiB.
    pub used_kib: Option<u64>,
    pub limit_kib: Option<u64>,
}

impl SpaceNeeded {
    /// Bytes to free (or buy) at the destination so that the rest fits: what is left to copy
    /// minus what is still free there. Unknown when the server gives no quota.
    pub fn missing_bytes(&self) -> Option<u64> {
        let free = self.limit_kib?.saturating_sub(self.used_kib?) * 1024;
        Some(self.unsent_bytes.saturating_sub(free).max(1))
    }

    /// A sentence for the user, in French (`fr`) or English (anything else).
    pub fn explain(&self, lang: &str) -> String {
        let fr = lang.starts_with("fr");
        let left = human_size(self.unsent_bytes, fr);
        match (self.missing_bytes(), self.limit_kib) {
            (Some(missing), Some(limit)) => {
                let (missing, limit) = (human_size(missing, fr), human_size(limit * 1024, fr));
                if fr {
                    format!(
                        "La nouvelle boîte est pleine (elle peut contenir {limit}). Il reste {left} de                          messages à copier : libérez ou achetez au moins {missing} de place chez le                          nouveau fournisseur, puis relancez la même commande."
                    )
                } else {
                    format!(
                        "The new mailbox is full (it holds {limit}). {left} of mail is left to copy: free or                          buy at least {missing} of space at the new provider, then run the same command again."
                    )
                }
            }
            _ if fr => format!(
                "La nouvelle boîte est pleine. Il reste {left} de messages à copier : libérez ou achetez                  au moins cette place chez le nouveau fournisseur, puis relancez la même commande."
            ),
            _ => format!(
                "The new mailbox is full. {left} of mail is left to copy: free or buy at least that much                  space at the new provider, then run the same command again."
            ),
        }
    }
}

/// `1.5 MB` / `1,5 Mo` (powers of 1000, like the providers' price lists).
pub fn human_size(bytes: u64, french: bool) -> String {
    let units: [&str; 5] = if french { ["o", "ko", "Mo", "Go", "To"] } else { ["B", "kB", "MB", "GB", "TB"] };
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    let text = if unit == 0 { format!("{bytes}") } else { format!("{value:.1}") };
    let text = if french { text.replace('.', ",") } else { text };
    format!("{text} {}", units[unit])
}

/// One source folder's outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FolderReport {
    pub source: String,
    pub destination: String,
    pub action: Action,
    /// Messages in the source folder when it was read.
    pub source_messages: u64,
    /// Copied by this run.
    pub copied: u64,
    /// Already at the destination (copied by an earlier run, or found there).
    pub already_present: u64,
    /// Not copied because of a rule (Junk, Trash, excluded folder, All Mail message that has a
    /// label folder).
    pub skipped: u64,
    /// Not copied, with the reason.
    pub failed: Vec<Failure>,
    pub bytes_copied: u64,
    /// Messages copied by an earlier run whose flags were brought up to date.
    pub flags_updated: u64,
}

/// A message that could not be copied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub uid: u32,
    pub reason: String,
}

/// Sums over all folders.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub source_messages: u64,
    pub copied: u64,
    pub already_present: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes_copied: u64,
    pub flags_updated: u64,
}

impl FolderReport {
    /// A folder with nothing counted yet.
    pub(crate) fn new(source: String, destination: String, action: Action) -> FolderReport {
        FolderReport {
            source,
            destination,
            action,
            source_messages: 0,
            copied: 0,
            already_present: 0,
            skipped: 0,
            failed: Vec::new(),
            bytes_copied: 0,
            flags_updated: 0,
        }
    }

    /// Whether the four outcomes add up to the source count.
    pub fn is_accounted(&self) -> bool {
        self.copied + self.already_present + self.skipped + self.failed.len() as u64 == self.source_messages
    }
}

impl CopyReport {
    pub fn totals(&self) -> Totals {
        self.folders.iter().fold(Totals::default(), |t, f| Totals {
            source_messages: t.source_messages + f.source_messages,
            copied: t.copied + f.copied,
            already_present: t.already_present + f.already_present,
            skipped: t.skipped + f.skipped,
            failed: t.failed + f.failed.len() as u64,
            bytes_copied: t.bytes_copied + f.bytes_copied,
            flags_updated: t.flags_updated + f.flags_updated,
        })
    }

    /// True when every message is accounted for and none failed.
    pub fn is_complete(&self) -> bool {
        self.folders.iter().all(|f| f.is_accounted() && f.failed.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_needed_is_what_is_left_minus_what_is_free() {
        let s = SpaceNeeded { unsent_bytes: 3_000_000, used_kib: Some(900), limit_kib: Some(1000) };
        assert_eq!(s.missing_bytes(), Some(3_000_000 - 100 * 1024));
        assert!(s.explain("fr_FR.UTF-8").contains("au moins 2,9 Mo"), "{}", s.explain("fr"));
        assert!(s.explain("en").contains("at least 2.9 MB"), "{}", s.explain("en"));
        let unknown = SpaceNeeded { unsent_bytes: 1_500, used_kib: None, limit_kib: None };
        assert_eq!(unknown.missing_bytes(), None);
        assert!(unknown.explain("en").contains("1.5 kB"));
        assert_eq!(human_size(999, true), "999 o");
    }
}
