//! A throwaway Dovecot for integration tests (feature `test-support`).
//!
//! Each [`Dovecot`] writes its own configuration in a fresh temporary directory, listens on
//! free high ports on 127.0.0.1 (plain+STARTTLS and implicit TLS with a self-signed
//! certificate), keeps users in a passwd-file and mail in Maildir, and stops by its own PID when
//! dropped. It never reads or writes `/etc/dovecot` and never uses a standard port.
//!
//! Every account knows two layouts, by special-use attribute: a plain one (`Sent`, `Drafts`,
//! `Trash`, `Junk`, `Archive`) and a French Gmail one (`[Gmail]/Tous les messages` \All,
//! `[Gmail]/Messages envoyés` \Sent…). Mailboxes exist only once a test creates them, so each
//! test builds the account it needs.

use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::{ConnectOptions, Credentials, Error, Security, Session};

/// A test account.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    /// Storage quota in KiB, if any.
    pub quota_kib: Option<u64>,
}

impl User {
    pub fn new(name: &str) -> User {
        User { name: name.to_string(), quota_kib: None }
    }
}

/// Special-use mailboxes every account can have (created on demand by tests).
pub const PLAIN_LAYOUT: [(&str, &str); 5] = [
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// Gmail's layout with French names.
pub const GMAIL_LAYOUT: [(&str, &str); 5] = [
    ("[Gmail]/Tous les messages", "\\All"),
    ("[Gmail]/Messages envoyés", "\\Sent"),
    ("[Gmail]/Brouillons", "\\Drafts"),
    ("[Gmail]/Corbeille", "\\Trash"),
    ("[Gmail]/Spam", "\\Junk"),
];

/// A running Dovecot, stopped on drop.
pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Child,
    /// Plain IMAP (STARTTLS available).
    pub imap_port: u16,
    /// Implicit TLS.
    pub imaps_port: u16,
}

impl std::fmt::Debug for Dovecot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dovecot").field("dir", &self.dir.path()).field("imap_port", &self.imap_port).finish()
    }
}

impl Dovecot {
    /// Starts Dovecot with accounts `alice`, `bob`, `carol` and `gmail`.
    pub fn start() -> Result<Dovecot, String> {
        Dovecot::start_with(&["alice", "bob", "carol", "gmail"].map(User::new))
    }

    /// Starts Dovecot with the given accounts; the password of `name` is `pw-<name>`.
    pub fn start_with(users: &[User]) -> Result<Dovecot, String> {
        let binary = find_dovecot().ok_or(
            "dovecot is not installed: these tests need a real Dovecot \
             (`apt-get install -y dovecot-imapd`; scripts/test installs it)",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("demail-dovecot-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let root = dir.path().to_path_buf();
        let (mail_uid, mail_gid, internal_user, login_user, internal_group) = accounts()?;
        for sub in ["run", "state", "log", "mail"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| e.to_string())?;
        }
        set_mode(&root, 0o755)?;
        if is_root() {
            std::os::unix::fs::chown(root.join("mail"), Some(mail_uid), Some(mail_gid))
                .map_err(|e| format!("cannot chown the mail directory: {e}"))?;
        }
        make_certificate(&root)?;

        let mut passwd = String::new();
        for u in users {
            let home = root.join("mail").join(&u.name);
            let extra = u.quota_kib.map(|k| format!("userdb_quota_rule=*:storage={k}K")).unwrap_or_default();
            let _ = writeln!(
                passwd,
                "{name}:{{PLAIN}}pw-{name}:{mail_uid}:{mail_gid}::{home}::{extra}",
                name = u.name,
                home = home.display()
            );
        }
        std::fs::write(root.join("passwd"), passwd).map_err(|e| e.to_string())?;

        let imap_port = free_port()?;
        let imaps_port = free_port()?;
        let conf = config(&root, imap_port, imaps_port, [&internal_user, &internal_group, &login_user]);
        let conf_path = root.join("dovecot.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;

        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(root.join("log/stderr"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .map_err(|e| format!("cannot start dovecot: {e}"))?;
        let mut dovecot = Dovecot { dir, child, imap_port, imaps_port };
        dovecot.wait_until_listening()?;
        Ok(dovecot)
    }

    /// Credentials of a test account.
    pub fn credentials(&self, user: &str) -> Credentials {
        Credentials::password(user, SecretString::from(format!("pw-{user}")))
    }

    /// Connection options for this server (self-signed certificate accepted).
    pub fn options(&self, security: Security) -> ConnectOptions {
        let port = match security {
            Security::Tls => self.imaps_port,
            _ => self.imap_port,
        };
        let mut o = ConnectOptions::new("127.0.0.1", port, security);
        o.insecure = true;
        o.timeout = Duration::from_secs(30);
        o
    }

    /// A logged-in plain-text session (loopback only).
    pub async fn session(&self, user: &str) -> Result<Session, Error> {
        let mut s = Session::connect(&self.options(Security::Plaintext)).await?;
        s.login(&self.credentials(user)).await?;
        Ok(s)
    }

    /// The server log, for failure messages.
    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("log/dovecot.log")).unwrap_or_default();
        let err = std::fs::read_to_string(self.dir.path().join("log/stderr")).unwrap_or_default();
        format!("{log}{err}")
    }

    /// PIDs of the `imap` processes serving this server's sessions now (children of its
    /// master), for tests that cut a connection from the server side.
    pub fn session_pids(&self) -> Vec<u32> {
        let master = self.child.id();
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| {
                let pid: u32 = e.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                // `pid (comm) state ppid …`; comm may hold spaces, so split after the last ')'.
                let (head, rest) = stat.rsplit_once(')')?;
                let comm = head.split_once('(')?.1;
                let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
                (ppid == master && comm == "imap").then_some(pid)
            })
            .collect()
    }

    /// The temporary directory holding config, state and mail.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Messages stored for `user` (every folder), counted from Dovecot's Maildir files: what the
    /// server holds even while a killed client's last commands are still being stored.
    pub fn stored_messages(&self, user: &str) -> usize {
        fn walk(p: &Path) -> usize {
            let Ok(entries) = std::fs::read_dir(p) else { return 0 };
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    let name = e.file_name();
                    if !path.is_dir() {
                        0
                    } else if name == "cur" || name == "new" {
                        std::fs::read_dir(&path).map(|d| d.count()).unwrap_or(0)
                    } else {
                        walk(&path)
                    }
                })
                .sum()
        }
        walk(&self.dir().join("mail").join(user))
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("dovecot exited at start ({status}):\n{}", self.log()));
            }
            let up = [self.imap_port, self.imaps_port]
                .iter()
                .all(|&p| TcpStream::connect(("127.0.0.1", p)).is_ok());
            if up {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("dovecot did not start listening:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM by our own child's PID lets the master stop its imap processes too.
        let pid = self.child.id().to_string();
        let _ =
            Command::new("kill").args(["-TERM", &pid]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration file; `users` are the internal user, its group, and the login user.
fn config(root: &Path, imap_port: u16, imaps_port: u16, users: [&str; 3]) -> String {
    let [internal, internal_group, login] = users;
    let r = root.display();
    let mut mailboxes = String::new();
    for (name, attr) in PLAIN_LAYOUT.iter().chain(GMAIL_LAYOUT.iter()) {
        let _ = write!(mailboxes, "  mailbox \"{name}\" {{\n    special_use = {attr}\n  }}\n");
    }
    format!(
        r#"# Written by demail-imap's test harness; throwaway.
protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/log/dovecot.log
ssl = yes
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
disable_plaintext_auth = no
# xoauth2/oauthbearer: passwd-file checks the bearer token as the password, enough to test
# the SASL exchange without an OAuth server.
auth_mechanisms = plain login xoauth2 oauthbearer
mail_location = maildir:{r}/mail/%u
mail_fsync = optimized
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
mail_plugins = $mail_plugins quota
# No chroot: lets the same config run without root.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {r}/passwd
}}
plugin {{
  quota = maildir:User quota
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
protocol imap {{
  mail_plugins = $mail_plugins imap_zlib imap_quota
}}
"#
    )
}

fn find_dovecot() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|d| d.join("dovecot"))
        .find(|p| p.is_file())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn is_root() -> bool {
    current_uid() == Some(0)
}

fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// (uid, gid) owning mail, the internal and login user names, and the internal group.
fn accounts() -> Result<(u32, u32, String, String, String), String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
    let lookup = |name: &str| -> Option<(u32, u32)> {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name)).then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
        })
    };
    if is_root() {
        let (uid, gid) = lookup("dovecot").ok_or("no `dovecot` system user (is dovecot-core installed?)")?;
        lookup("dovenull").ok_or("no `dovenull` system user (is dovecot-core installed?)")?;
        return Ok((uid, gid, "dovecot".into(), "dovenull".into(), "dovecot".into()));
    }
    // Unprivileged: everything runs as the current user.
    let uid = current_uid().ok_or("cannot tell the current user")?;
    let (name, gid) = passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.get(2)?.parse::<u32>().ok()? == uid)
                .then(|| Some((f[0].to_string(), f.get(3)?.parse().ok()?)))?
        })
        .ok_or("the current user is not in /etc/passwd")?;
    let group = std::fs::read_to_string("/etc/group")
        .ok()
        .and_then(|groups| {
            groups.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2)?.parse::<u32>().ok()? == gid).then(|| f[0].to_string())
            })
        })
        .ok_or("the current group is not in /etc/group")?;
    Ok((uid, gid, name.clone(), name, group))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
}

fn make_certificate(root: &Path) -> Result<(), String> {
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(root.join("key.pem"))
        .arg("-out")
        .arg(root.join("cert.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run openssl to make a test certificate: {e}"))?;
    if !status.success() {
        return Err("openssl could not make a test certificate".into());
    }
    Ok(())
}
