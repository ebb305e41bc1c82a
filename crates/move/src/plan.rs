//! The folder plan: which source folder goes where, decided before anything is written.

use demail_imap::{Mailbox, SpecialUse, utf7};
use serde::Serialize;

/// What the user asked to copy.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Copy the Junk/Spam folder too.
    pub include_junk: bool,
    /// Copy the Trash folder too.
    pub include_trash: bool,
    /// If not empty, copy only folders matching one of these (`Name` or `Prefix*`).
    pub include: Vec<String>,
    /// Never copy folders matching one of these (`Name` or `Prefix*`).
    pub exclude: Vec<String>,
}

/// The whole plan, readable by a person (`--plan`) and by the copy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FolderPlan {
    pub folders: Vec<FolderMove>,
}

/// One source folder and what happens to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FolderMove {
    /// Source folder name, decoded.
    pub source: String,
    #[serde(skip)]
    pub source_wire: Vec<u8>,
    pub role: Option<SpecialUse>,
    /// Destination folder name, decoded (empty when skipped).
    pub destination: String,
    #[serde(skip)]
    pub destination_wire: Vec<u8>,
    /// Whether the destination folder must be created.
    pub create: bool,
    pub action: Action,
}

/// What is done with a source folder.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum Action {
    /// Copy every message.
    Copy,
    /// Gmail's All Mail: copy only the messages that are in no other copied folder.
    ArchiveUnlabelled,
    /// Copy nothing.
    Skip(SkipReason),
}

/// Why a folder is not copied.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Junk,
    Trash,
    /// A view of other folders (Gmail's Starred, Important), not a place of its own.
    Virtual,
    Excluded,
    NotIncluded,
    /// A hierarchy node that cannot hold messages.
    NotSelectable,
}

/// Builds the plan from both sides' folder lists. Pure: no network.
pub fn build_plan(source: &[Mailbox], destination: &[Mailbox], options: &PlanOptions) -> FolderPlan {
    let dest_delim = destination.iter().find_map(|m| m.delimiter).unwrap_or('/');
    let dest_by_role = |role: SpecialUse| destination.iter().find(|m| m.special_use() == Some(role));
    let has_all = source.iter().any(|m| m.special_use() == Some(SpecialUse::All));

    let mut folders = Vec::new();
    for m in source {
        let role = m.special_use();
        let skip = if !m.is_selectable() {
            Some(SkipReason::NotSelectable)
        } else if matches_any(&options.exclude, &m.name) {
            Some(SkipReason::Excluded)
        } else if !options.include.is_empty() && !matches_any(&options.include, &m.name) {
            Some(SkipReason::NotIncluded)
        } else {
            match role {
                Some(SpecialUse::Junk) if !options.include_junk => Some(SkipReason::Junk),
                Some(SpecialUse::Trash) if !options.include_trash => Some(SkipReason::Trash),
                Some(SpecialUse::Flagged) => Some(SkipReason::Virtual),
                _ if m.has_attribute("\\Important") => Some(SkipReason::Virtual),
                _ => None,
            }
        };
        if let Some(reason) = skip {
            folders.push(FolderMove {
                source: m.name.clone(),
                source_wire: m.wire_name.clone(),
                role,
                destination: String::new(),
                destination_wire: Vec::new(),
                create: false,
                action: Action::Skip(reason),
            });
            continue;
        }
        let (action, target_role) = match role {
            Some(SpecialUse::All) => (Action::ArchiveUnlabelled, Some(SpecialUse::Archive)),
            other => (Action::Copy, other),
        };
        let (destination, create) = match target_role.and_then(dest_by_role) {
            Some(d) => (d.name.clone(), false),
            None => {
                let name = match target_role {
                    Some(r) => default_name(r).to_string(),
                    None if m.name.eq_ignore_ascii_case("INBOX") => "INBOX".to_string(),
                    None => translate_path(m, dest_delim, has_all),
                };
                let exists = destination.iter().any(|d| d.name == name);
                (name, !exists)
            }
        };
        folders.push(FolderMove {
            source: m.name.clone(),
            source_wire: m.wire_name.clone(),
            role,
            destination_wire: utf7::encode(&destination).into_bytes(),
            destination,
            create,
            action,
        });
    }
    // Plain folders first and All Mail last: its unlabelled messages are known only once
    // every other folder is known.
    folders.sort_by_key(|f| (f.action == Action::ArchiveUnlabelled, f.source.clone()));
    FolderPlan { folders }
}

/// Name given to a role's folder when the destination has none.
pub(crate) fn default_name(role: SpecialUse) -> &'static str {
    match role {
        SpecialUse::All | SpecialUse::Archive => "Archive",
        SpecialUse::Drafts => "Drafts",
        SpecialUse::Flagged => "Flagged",
        SpecialUse::Junk => "Junk",
        SpecialUse::Sent => "Sent",
        SpecialUse::Trash => "Trash",
    }
}

/// The source path re-joined with the destination's delimiter. On Gmail, labels under the
/// `[Gmail]/` node lose that prefix, which means nothing elsewhere.
fn translate_path(m: &Mailbox, dest_delim: char, gmail: bool) -> String {
    let parts: Vec<&str> = match m.delimiter {
        Some(d) => m.name.split(d).collect(),
        None => vec![m.name.as_str()],
    };
    let parts = if gmail && parts.len() > 1 && parts[0] == "[Gmail]" { &parts[1..] } else { &parts[..] };
    let replacement = if dest_delim == '_' { "-" } else { "_" };
    parts.iter().map(|p| p.replace(dest_delim, replacement)).collect::<Vec<_>>().join(&dest_delim.to_string())
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => p == name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(name: &str, delim: char, attrs: &[&str]) -> Mailbox {
        Mailbox {
            name: name.into(),
            wire_name: utf7::encode(name).into_bytes(),
            delimiter: Some(delim),
            attributes: attrs.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn find<'a>(plan: &'a FolderPlan, source: &str) -> &'a FolderMove {
        plan.folders.iter().find(|f| f.source == source).unwrap_or_else(|| panic!("{source} not in plan"))
    }

    #[test]
    fn maps_french_gmail_roles_onto_the_destination_roles() {
        let source = [
            mailbox("INBOX", '/', &[]),
            mailbox("[Gmail]", '/', &["\\Noselect"]),
            mailbox("[Gmail]/Tous les messages", '/', &["\\All"]),
            mailbox("[Gmail]/Messages envoyés", '/', &["\\Sent"]),
            mailbox("[Gmail]/Brouillons", '/', &["\\Drafts"]),
            mailbox("[Gmail]/Corbeille", '/', &["\\Trash"]),
            mailbox("[Gmail]/Spam", '/', &["\\Junk"]),
            mailbox("[Gmail]/Suivis", '/', &["\\Flagged"]),
            mailbox("Famille/Été", '/', &[]),
        ];
        let dest = [
            mailbox("INBOX", '.', &[]),
            mailbox("Envoyés", '.', &["\\Sent"]),
            mailbox("Brouillons", '.', &["\\Drafts"]),
        ];
        let plan = build_plan(&source, &dest, &PlanOptions::default());
        let sent = find(&plan, "[Gmail]/Messages envoyés");
        assert_eq!((sent.destination.as_str(), sent.create, sent.action), ("Envoyés", false, Action::Copy));
        assert_eq!(find(&plan, "[Gmail]/Brouillons").destination, "Brouillons");
        let all = find(&plan, "[Gmail]/Tous les messages");
        assert_eq!(
            (all.destination.as_str(), all.create, all.action),
            ("Archive", true, Action::ArchiveUnlabelled)
        );
        assert_eq!(find(&plan, "[Gmail]/Corbeille").action, Action::Skip(SkipReason::Trash));
        assert_eq!(find(&plan, "[Gmail]/Spam").action, Action::Skip(SkipReason::Junk));
        assert_eq!(find(&plan, "[Gmail]/Suivis").action, Action::Skip(SkipReason::Virtual));
        assert_eq!(find(&plan, "[Gmail]").action, Action::Skip(SkipReason::NotSelectable));
        assert_eq!(find(&plan, "Famille/Été").destination, "Famille.Été");
        assert_eq!(find(&plan, "INBOX").destination, "INBOX");
        assert_eq!(plan.folders.last().map(|f| f.action), Some(Action::ArchiveUnlabelled));
    }

    #[test]
    fn include_exclude_and_trash_options_decide_what_is_copied() {
        let source = [
            mailbox("INBOX", '/', &[]),
            mailbox("Work/2019", '/', &[]),
            mailbox("Work/2020", '/', &[]),
            mailbox("Bin", '/', &["\\Trash"]),
        ];
        let options = PlanOptions {
            include_trash: true,
            include: vec!["Work/*".into(), "Bin".into()],
            exclude: vec!["Work/2019".into()],
            ..PlanOptions::default()
        };
        let plan = build_plan(&source, &[], &options);
        assert_eq!(find(&plan, "INBOX").action, Action::Skip(SkipReason::NotIncluded));
        assert_eq!(find(&plan, "Work/2019").action, Action::Skip(SkipReason::Excluded));
        assert_eq!(find(&plan, "Work/2020").action, Action::Copy);
        let bin = find(&plan, "Bin");
        assert_eq!((bin.action, bin.destination.as_str(), bin.create), (Action::Copy, "Trash", true));
    }

    #[test]
    fn a_destination_delimiter_inside_a_name_is_replaced() {
        let source = [mailbox("a.b/c", '/', &[])];
        let dest = [mailbox("INBOX", '.', &[])];
        let plan = build_plan(&source, &dest, &PlanOptions::default());
        assert_eq!(find(&plan, "a.b/c").destination, "a_b.c");
    }
}
