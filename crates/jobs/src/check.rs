//! Before a job exists: log in to both sides at once, say clearly what is wrong, and show the
//! folder plan with message counts and sizes.

use demail_imap::{Error as ImapError, Session};
use demail_move::{Account, Action, FolderPlan};
use serde::{Deserialize, Serialize};

use crate::progress::action_name;
use crate::{JobSpec, Secrets};

/// Why one side's login failed, in the person's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginProblem {
    /// Wrong address or password.
    WrongPassword,
    /// The provider wants an app password, not the account password.
    AppPasswordRequired,
    /// IMAP is switched off in the account's settings (Gmail).
    ImapDisabled,
    /// The server cannot be reached (name, port, network).
    Unreachable,
    /// The secure connection failed (certificate, or no STARTTLS).
    Secure,
    /// Anything else, with the server's words.
    Other(String),
}

/// What went wrong on each side (at least one is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginProblems {
    pub source: Option<LoginProblem>,
    pub destination: Option<LoginProblem>,
}

/// The folder plan with sizes, as shown before the start.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Preview {
    pub folders: Vec<PreviewFolder>,
}

/// One source folder in the preview.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PreviewFolder {
    pub source: String,
    pub destination: String,
    /// As in [`crate::ReportFolder::action`].
    pub action: String,
    pub messages: u64,
    pub bytes: u64,
}

impl Preview {
    /// Messages and bytes that will be read (copied unless already there).
    pub fn to_copy(&self) -> (u64, u64) {
        self.folders
            .iter()
            .filter(|f| !f.action.starts_with("skip"))
            .fold((0, 0), |(m, b), f| (m + f.messages, b + f.bytes))
    }
}

/// Logs in to both sides concurrently, then reads the plan and the size of every folder.
pub async fn check(spec: &JobSpec, secrets: &Secrets) -> Result<Preview, LoginProblems> {
    let source = spec.source.account(&secrets.source);
    let destination = spec.destination.account(&secrets.destination);
    let (src, dst) = tokio::join!(login(&source), login(&destination));
    let (mut src, mut dst) = match (src, dst) {
        (Ok(s), Ok(d)) => (s, d),
        (s, d) => {
            let problems = LoginProblems { source: s.err(), destination: d.err() };
            return Err(problems);
        }
    };
    let other = |side: bool| {
        move |e: ImapError| {
            let p = Some(LoginProblem::Other(e.to_string()));
            if side {
                LoginProblems { source: p, destination: None }
            } else {
                LoginProblems { source: None, destination: p }
            }
        }
    };
    let source_list = src.list().await.map_err(other(true))?;
    let dest_list = dst.list().await.map_err(other(false))?;
    dst.logout().await;
    let plan = demail_move::build_plan(&source_list, &dest_list, &spec.options.plan());
    let preview = sizes(&mut src, &plan).await.map_err(other(true))?;
    src.logout().await;
    Ok(preview)
}

async fn login(account: &Account) -> Result<Session, LoginProblem> {
    let mut session = Session::connect(&account.options).await.map_err(problem)?;
    session.login(&account.credentials).await.map_err(problem)?;
    Ok(session)
}

/// Message count and total size of each selectable folder (read-only; nothing is marked read).
async fn sizes(src: &mut Session, plan: &FolderPlan) -> Result<Preview, ImapError> {
    let mut folders = Vec::with_capacity(plan.folders.len());
    for f in &plan.folders {
        let selectable = !matches!(f.action, Action::Skip(demail_move::SkipReason::NotSelectable));
        let (mut messages, mut bytes) = (0, 0);
        if selectable {
            let selected = src.select(&f.source_wire, true).await?;
            if selected.exists > 0 {
                let listing = src.uid_fetch("1:*", "(RFC822.SIZE)").await?;
                messages = listing.len() as u64;
                bytes = listing.iter().filter_map(|m| m.size).sum();
            }
        }
        folders.push(PreviewFolder {
            source: f.source.clone(),
            destination: f.destination.clone(),
            action: action_name(f.action),
            messages,
            bytes,
        });
    }
    Ok(Preview { folders })
}

/// Sorts an IMAP error into what the person can do about it.
pub fn problem(e: ImapError) -> LoginProblem {
    match e {
        ImapError::AuthenticationFailed(text) => {
            let lower = text.to_lowercase();
            if lower.contains("application-specific") || lower.contains("app password") {
                LoginProblem::AppPasswordRequired
            } else if lower.contains("not enabled for imap") || lower.contains("imap access") {
                LoginProblem::ImapDisabled
            } else {
                LoginProblem::WrongPassword
            }
        }
        ImapError::Connect { .. } | ImapError::Timeout | ImapError::Closed(_) => LoginProblem::Unreachable,
        ImapError::Tls { .. }
        | ImapError::InvalidServerName(_)
        | ImapError::StartTlsUnavailable
        | ImapError::LoginDisabled => LoginProblem::Secure,
        other => LoginProblem::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_refusals_are_told_apart() {
        let auth = |t: &str| problem(ImapError::AuthenticationFailed(t.to_owned()));
        assert_eq!(
            auth("[ALERT] Application-specific password required: https://support.google.com/"),
            LoginProblem::AppPasswordRequired
        );
        assert_eq!(auth("[ALERT] Your account is not enabled for IMAP use."), LoginProblem::ImapDisabled);
        assert_eq!(auth("[AUTHENTICATIONFAILED] Authentication failed."), LoginProblem::WrongPassword);
        assert_eq!(problem(ImapError::Timeout), LoginProblem::Unreachable);
    }
}
