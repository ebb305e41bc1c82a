//! Shared pieces of the browser tests: the real site on a loopback port, and a headless Chromium.

pub mod webdriver;

use std::path::PathBuf;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error carrying `message`.
pub fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

/// The real site (built-in catalogue, a fresh SQLite file) served on 127.0.0.1 on a free port.
pub struct TestSite {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub origin: String,
    pub catalog: demail_catalog::Catalog,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl TestSite {
    pub async fn start() -> Result<TestSite> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("demail.sqlite3");
        let db = db.to_str().ok_or_else(|| fail("temporary path is not UTF-8"))?;
        let store = demail_store::Store::open(db).await?;
        let site = demail_web::Site::new(demail_catalog::Catalog::builtin()?, store, None);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(demail_web::serve(listener, site));
        Ok(TestSite { origin, catalog: demail_catalog::Catalog::builtin()?, task, _dir: dir })
    }

    /// The absolute URL of `path_and_query` on the site.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.origin)
    }

    /// Where `/go/{id}?offre=…` must send people: the offer's own sign-up address, else the
    /// provider's.
    pub fn expected_signup(&self, go: &url::Url) -> Result<String> {
        let id = go
            .path()
            .strip_prefix("/go/")
            .ok_or_else(|| fail(format!("not a sign-up hand-off link: {go}")))?;
        let p = self.catalog.get(id).ok_or_else(|| fail(format!("unknown provider in {go}")))?;
        let offer = go.query_pairs().find(|(k, _)| k == "offre").map(|(_, v)| v.into_owned());
        Ok(match offer {
            None => p.signup_url.value.clone(),
            Some(oid) => {
                let o = p
                    .offers
                    .iter()
                    .find(|o| o.id == oid)
                    .ok_or_else(|| fail(format!("unknown offer in {go}")))?;
                o.signup_url.as_ref().map_or_else(|| p.signup_url.value.clone(), |f| f.value.clone())
            }
        })
    }
}

impl Drop for TestSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// axe-core's browser bundle, installed by `npm ci --prefix tests/browser` (scripts/test does it).
pub fn axe_source() -> Result<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).map_err(|e| {
        fail(format!(
            "cannot read {}: {e}. Run scripts/test, or `npm ci --prefix tests/browser`, to install axe-core.",
            path.display()
        ))
    })
}
