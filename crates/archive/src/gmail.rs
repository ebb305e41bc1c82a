//! Google Takeout's `X-Gmail-Labels` header: where a message goes and which flags it gets.

/// A special folder a label stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Inbox,
    Sent,
    Drafts,
    Junk,
    Trash,
    Archive,
}

/// A destination for a message: a special folder, or a user label (a path with `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Role(Role),
    Label(String),
}

/// Why a message is not imported at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipRule {
    Chat,
    Junk,
    Trash,
}

/// What to import besides ordinary mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelOptions {
    pub include_chats: bool,
    pub include_junk: bool,
    pub include_trash: bool,
}

/// Where one message goes, decided from its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Folders to put it in (at least one unless skipped).
    pub targets: Vec<Target>,
    /// IMAP flags it gets.
    pub flags: Vec<String>,
    pub skip: Option<SkipRule>,
}

/// Splits a header value into labels: comma-separated, `"…"` quoting a label that holds a
/// comma (`\"` and `\\` inside), surrounding spaces removed, empty labels dropped.
pub fn split_labels(value: &str) -> Vec<String> {
    let mut labels = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' if !quoted => labels.push(std::mem::take(&mut current)),
            '\r' | '\n' => {}
            c => current.push(c),
        }
    }
    labels.push(current);
    labels.into_iter().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// Decides folders and flags from a message's labels. Inbox, Sent, Drafts, Spam and Trash go
/// to the matching special folders; Starred gives \Flagged; Unread leaves the message unread
/// (every other message is read); Important, Opened, Archived and the inbox categories are
/// views, not places; chats, spam and trash are skipped unless asked; a message left without
/// a folder goes to Archive.
pub fn place(labels: &[String], options: LabelOptions) -> Placement {
    let mut targets = Vec::new();
    let mut seen = true;
    let mut flags = Vec::new();
    let mut skip = None;
    for label in labels {
        match label.as_str() {
            "Inbox" => targets.push(Target::Role(Role::Inbox)),
            "Sent" => targets.push(Target::Role(Role::Sent)),
            "Drafts" => {
                targets.push(Target::Role(Role::Drafts));
                flags.push("\\Draft".to_string());
            }
            "Spam" => {
                if options.include_junk {
                    targets.push(Target::Role(Role::Junk));
                } else {
                    skip = skip.or(Some(SkipRule::Junk));
                }
            }
            "Trash" => {
                if options.include_trash {
                    targets.push(Target::Role(Role::Trash));
                } else {
                    skip = skip.or(Some(SkipRule::Trash));
                }
            }
            "Chat" | "Chats" => {
                if !options.include_chats {
                    skip = Some(SkipRule::Chat);
                } else {
                    targets.push(Target::Label("Chats".into()));
                }
            }
            "Starred" => flags.push("\\Flagged".to_string()),
            "Unread" => seen = false,
            "Opened" | "Important" | "Archived" => {}
            l if l.starts_with("Category ") || l.starts_with("Catégorie ") => {}
            l => targets.push(Target::Label(l.to_string())),
        }
    }
    if seen {
        flags.push("\\Seen".to_string());
    }
    if skip.is_some() {
        targets.clear();
    } else if targets.is_empty() {
        targets.push(Target::Role(Role::Archive));
    }
    targets.sort();
    targets.dedup();
    flags.sort();
    flags.dedup();
    Placement { targets, flags, skip }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &str) -> Vec<String> {
        split_labels(v)
    }

    #[test]
    fn splits_quoted_non_ascii_and_nested_labels() {
        assert_eq!(
            labels("Inbox,\"Travail, 2024\",Famille/Été, Opened ,\"dit \\\"ok\\\"\",,"),
            vec!["Inbox", "Travail, 2024", "Famille/Été", "Opened", "dit \"ok\""]
        );
        assert!(labels("").is_empty());
    }

    #[test]
    fn system_labels_become_folders_and_flags() {
        let p = place(&labels("Inbox,Starred,Unread,Important,Sent,Famille/Été"), LabelOptions::default());
        assert_eq!(
            p.targets,
            vec![Target::Role(Role::Inbox), Target::Role(Role::Sent), Target::Label("Famille/Été".into())]
        );
        assert_eq!(p.flags, vec!["\\Flagged"]);
        let read = place(&labels("Opened,Archived,Category Promotions"), LabelOptions::default());
        assert_eq!((read.targets, read.flags), (vec![Target::Role(Role::Archive)], vec!["\\Seen".into()]));
    }

    #[test]
    fn chats_spam_and_trash_are_skipped_unless_asked() {
        let opts = LabelOptions::default();
        assert_eq!(place(&labels("Chat,Opened"), opts).skip, Some(SkipRule::Chat));
        assert_eq!(place(&labels("Spam,Unread"), opts).skip, Some(SkipRule::Junk));
        assert_eq!(place(&labels("Trash,Work"), opts).skip, Some(SkipRule::Trash));
        assert!(place(&labels("Trash,Work"), opts).targets.is_empty());
        let all = LabelOptions { include_chats: true, include_junk: true, include_trash: true };
        assert_eq!(place(&labels("Chat"), all).targets, vec![Target::Label("Chats".into())]);
        assert_eq!(place(&labels("Spam"), all).targets, vec![Target::Role(Role::Junk)]);
        let drafts = place(&labels("Drafts"), opts);
        assert_eq!(drafts.flags, vec!["\\Draft", "\\Seen"]);
    }
}
