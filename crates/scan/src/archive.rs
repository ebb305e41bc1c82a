//! Scanning an archive instead of a live mailbox: a Google Takeout export (`.mbox`, or the
//! `.zip`/`.tgz` as downloaded), any mbox, a Maildir tree or a folder of `.eml` files.

use demail_archive::headers::header_end;
use demail_archive::{Archive, ArchiveError, Item, Origin, ReadOptions, Sink};

use crate::{FolderRole, Scanner};

/// What an archive scan read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveScan {
    /// Messages whose headers were read.
    pub read: u64,
    /// Messages left aside: spam, trash and chats, like the IMAP scan.
    pub skipped: u64,
}

/// Reads the headers of every message of `archive` into `scanner`. Messages are taken once each
/// (a Takeout message with several labels is one message), sent mail by its `Sent` label or
/// folder name, and spam, trash and chats are left aside.
pub fn scan_archive(archive: &Archive, scanner: &mut Scanner) -> Result<ArchiveScan, ArchiveError> {
    struct Feed<'a> {
        scanner: &'a mut Scanner,
        counts: ArchiveScan,
    }
    impl Sink for Feed<'_> {
        fn item(&mut self, item: Item) -> bool {
            match role(&item.origin) {
                Some(role) => {
                    let end = header_end(&item.body);
                    self.scanner.add_message(&item.body[..end], role);
                    self.counts.read += 1;
                }
                None => self.counts.skipped += 1,
            }
            true
        }
    }
    let mut feed = Feed { scanner, counts: ArchiveScan::default() };
    archive.read(ReadOptions::default(), &mut feed)?;
    Ok(feed.counts)
}

/// Sent or received, or `None` for mail the scan leaves aside.
fn role(origin: &Origin) -> Option<FolderRole> {
    match origin {
        Origin::Labels(labels) => {
            let has = |name: &str| labels.iter().any(|l| l.eq_ignore_ascii_case(name));
            if has("Spam") || has("Trash") || has("Chat") {
                None
            } else if has("Sent") {
                Some(FolderRole::Sent)
            } else {
                Some(FolderRole::Received)
            }
        }
        Origin::Folder(path) => {
            let leaf = path.rsplit(['/', '.']).next().unwrap_or(path).to_lowercase();
            let any = |words: &[&str]| words.iter().any(|w| leaf.contains(w));
            if any(&[
                "spam",
                "junk",
                "trash",
                "corbeille",
                "indésirable",
                "deleted",
                "papierkorb",
                "papelera",
                "cestino",
            ]) {
                None
            } else if any(&["sent", "envoy", "gesendet", "enviado", "inviat"]) {
                Some(FolderRole::Sent)
            } else {
                Some(FolderRole::Received)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_each_takeout_message_once_by_its_labels() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("Tous les messages.mbox");
        let mbox = "From 1@xxx Mon Jan 04 10:00:00 +0000 2021\n\
            X-Gmail-Labels: Inbox,Ouvert\n\
            From: Boutique <no-reply@boutique.example>\n\
            To: anne@gmail.com\n\
            Subject: Bienvenue, confirmez votre adresse\n\
            Message-ID: <a@boutique.example>\n\n\
            Bonjour\n\n\
            From 2@xxx Mon Jan 04 11:00:00 +0000 2021\n\
            X-Gmail-Labels: Sent\n\
            From: Anne <anne@gmail.com>\n\
            To: Paul <paul@exemple.fr>\n\
            Subject: Salut\n\
            Message-ID: <b@gmail.com>\n\n\
            Coucou\n\n\
            From 3@xxx Mon Jan 04 12:00:00 +0000 2021\n\
            X-Gmail-Labels: Spam\n\
            From: Arnaque <x@arnaque.example>\n\
            To: anne@gmail.com\n\
            Subject: Vous avez gagné\n\n\
            Cliquez\n";
        std::fs::write(&path, mbox)?;
        let archive = Archive::open(&path)?;
        let mut scanner = Scanner::new(Vec::<String>::new());
        let counts = scan_archive(&archive, &mut scanner)?;
        assert_eq!(counts, ArchiveScan { read: 2, skipped: 1 });
        let report = scanner.finish();
        assert!(report.my_addresses.contains(&"anne@gmail.com".to_owned()), "{:?}", report.my_addresses);
        let domains: Vec<&str> = report.services.iter().map(|s| s.domain.as_str()).collect();
        assert!(domains.contains(&"boutique.example"), "{domains:?}");
        assert!(!domains.contains(&"arnaque.example"), "spam is left aside: {domains:?}");
        assert!(report.correspondents.iter().any(|c| c.address == "paul@exemple.fr"));
        Ok(())
    }

    #[test]
    fn folder_names_decide_sent_and_skipped_mail() {
        let f = |s: &str| role(&Origin::Folder(s.to_owned()));
        assert_eq!(f("INBOX"), Some(FolderRole::Received));
        assert_eq!(f("Éléments envoyés"), Some(FolderRole::Sent));
        assert_eq!(f("INBOX.Sent"), Some(FolderRole::Sent));
        assert_eq!(f("Gesendet"), Some(FolderRole::Sent));
        assert_eq!(f("Corbeille"), None);
        assert_eq!(f("Junk"), None);
        assert_eq!(f("Travail/Clients"), Some(FolderRole::Received));
    }
}
