//! Shared by the help, admin and browser-help tests: the real site with help turned on, a real
//! SMTP server (Debian's python3-aiosmtpd writing a Maildir), and small HTTP helpers.
#![allow(dead_code)] // each test file uses a different part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use demail_catalog::Catalog;
use demail_help::{Mailer, Retention, SmtpMailer, SmtpSettings};
use demail_store::Store;
use mail_parser::MimeHeaders;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

/// A real SMTP server on a free loopback port; every mail it receives lands in a Maildir.
pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub async fn start() -> Result<SmtpServer> {
        let dir = tempfile::tempdir()?;
        let maildir = dir.path().join("Maildir");
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        // Debian's package installs the module for the system Python, whatever python3 is first in PATH.
        let python = std::env::var("DEMAIL_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let child = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                fail(format!("cannot start {python} -m aiosmtpd ({e}): install Debian's python3-aiosmtpd"))
            })?;
        let mut server = SmtpServer { port, maildir, child, _dir: dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(fail(format!(
                    "aiosmtpd exited at once ({status}): install Debian's python3-aiosmtpd"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(fail("aiosmtpd did not start listening within 10 s"))
    }

    pub fn mailer(&self) -> Result<Arc<dyn Mailer>> {
        Ok(Arc::new(SmtpMailer::new(&SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            security: "none".into(),
            username: None,
            password: None,
            from: "Démailnagement <aide@demail.test>".into(),
        })?))
    }

    /// Every mail received so far, oldest first (raw bytes).
    pub fn mails(&self) -> Vec<Vec<u8>> {
        mails_in(&self.maildir.join("new"))
    }

    /// Waits until at least `n` mails arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Result<Vec<Vec<u8>>> {
        for _ in 0..100 {
            let m = self.mails();
            if m.len() >= n {
                return Ok(m);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(fail(format!("expected {n} mail(s), got {}", self.mails().len())))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mails_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    files.into_iter().filter_map(|(_, p)| std::fs::read(p).ok()).collect()
}

/// A received mail, decoded.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: String,
    pub one_click: String,
    pub attachments: Vec<(String, Vec<u8>)>,
}

pub fn parse_mail(raw: &[u8]) -> Result<Mail> {
    let m = mail_parser::MessageParser::default().parse(raw).ok_or_else(|| fail("unparsable mail"))?;
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    Ok(Mail {
        to: header("To"),
        subject: m.subject().unwrap_or_default().to_owned(),
        text: m.body_text(0).map(|c| c.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|c| c.into_owned()).unwrap_or_default(),
        list_unsubscribe: header("List-Unsubscribe"),
        one_click: header("List-Unsubscribe-Post"),
        attachments: m
            .attachments()
            .map(|a| (a.attachment_name().unwrap_or_default().to_owned(), a.contents().to_vec()))
            .collect(),
    })
}

/// The first link in `text` that starts with `prefix`.
pub fn link(text: &str, prefix: &str) -> Result<String> {
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
        .ok_or_else(|| fail(format!("no link starting with {prefix} in:\n{text}")))
}

/// How the test site sends mail.
pub enum MailTo<'a> {
    Smtp(&'a SmtpServer),
    Outbox,
}

/// The real site with help on, over a fresh SQLite file, on a free loopback port.
pub struct HelpSite {
    pub origin: String,
    pub site: demail_web::Site,
    pub store: Store,
    pub client: reqwest::Client,
    pub outbox: PathBuf,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

pub struct Limits {
    pub form_per_minute: u32,
    pub login_per_minute: u32,
}

pub const GENEROUS: Limits = Limits { form_per_minute: 10_000, login_per_minute: 10_000 };

impl HelpSite {
    pub async fn start(mail: MailTo<'_>, limits: Limits) -> Result<HelpSite> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(&dir.path().join("site.sqlite3").to_string_lossy()).await?;
        Self::start_on(store, mail, limits, dir).await
    }

    pub async fn start_on(
        store: Store,
        mail: MailTo<'_>,
        limits: Limits,
        dir: tempfile::TempDir,
    ) -> Result<HelpSite> {
        let outbox = dir.path().join("outbox");
        let (mailer, outbox_setting): (Arc<dyn Mailer>, _) = match mail {
            MailTo::Smtp(s) => (s.mailer()?, None),
            MailTo::Outbox => (
                Arc::new(demail_help::OutboxMailer::new(
                    outbox.clone(),
                    "Démailnagement <aide@demail.test>",
                )?),
                Some(outbox.clone()),
            ),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let secret = store.site_secret("form-signing", || "test secret, not random".into()).await?;
        let site = demail_web::Site::new(Catalog::builtin()?, store.clone(), None).with_help(
            demail_web::HelpConfig {
                mailer,
                outbox: outbox_setting,
                base_url: origin.clone(),
                retention: Retention::default(),
                secret,
                form_per_minute: limits.form_per_minute,
                login_per_minute: limits.login_per_minute,
            },
        );
        let task = tokio::spawn(demail_web::serve(listener, site.clone()));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(HelpSite { origin, site, store, client, outbox, task, _dir: dir })
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.origin) }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Result<Page> {
        let mut req = self.client.get(self.url(path)).header("accept-language", "fr");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Page::from(req.send().await?).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Result<Page> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut req = self
            .client
            .post(self.url(path))
            .header("accept-language", "fr")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        Page::from(req.send().await?).await
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> Result<i64> {
        use sqlx::Row;
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(self.store.pool()).await?.try_get("n")?)
    }

    /// Logs in; returns the `name=value` cookie to send back.
    pub async fn login(&self, user: &str, password: &str) -> Result<String> {
        let form = self.get("/admin/connexion", None).await?;
        let token = form.hidden("jeton")?;
        let res = self
            .post(
                "/admin/connexion",
                &[("jeton", &token), ("utilisateur", user), ("mot-de-passe", password)],
                None,
            )
            .await?;
        if res.status != 303 {
            return Err(fail(format!("log-in failed: {} {}", res.status, res.body)));
        }
        let cookie = res.header("set-cookie");
        Ok(cookie.split(';').next().unwrap_or_default().to_owned())
    }
}

impl Drop for HelpSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response, read whole.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    async fn from(res: reqwest::Response) -> Result<Page> {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Ok(Page { status, headers, body: res.text().await? })
    }

    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// The value of the first `<input … name="NAME" value="…">` (the markup is ours: name before value).
    pub fn hidden(&self, name: &str) -> Result<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start =
            self.body.find(&needle).ok_or_else(|| fail(format!("no field {name} in:\n{}", self.body)))?;
        let rest = &self.body[start + needle.len()..];
        Ok(unescape(&rest[..rest.find('"').unwrap_or(0)]))
    }
}

/// Undoes askama's HTML escaping.
pub fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

/// The form fields of a valid help request.
pub fn request_form<'a>(token: &'a str, email: &'a str, need: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("jeton", token),
        ("lang", "fr"),
        ("depuis", "/choisir?pour=moi&lieu=france"),
        ("email", email),
        ("besoin", need),
        ("canal", "in-person"),
        ("region", "FR-BRE"),
        ("joindre", "1"),
        ("accord-suivi", "1"),
        ("accord-nouvelles", "1"),
    ]
}
