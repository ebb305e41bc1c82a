//! The site with the built-in catalogue on a fresh SQLite file, served on a free port: the
//! fixture of the HTTP tests that need no mail, jobs or browser.

use demail_catalog::Catalog;
use demail_store::Store;
use reqwest::redirect::Policy;

pub struct TestSite {
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start() -> Result<TestSite, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("site.sqlite3");
    let store = Store::open(&path.to_string_lossy()).await?;
    let site = demail_web::Site::new(Catalog::builtin()?, store.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = demail_web::serve(listener, site).await;
    });
    let client = reqwest::Client::builder().redirect(Policy::none()).build()?;
    Ok(TestSite { base, store, client, _dir: dir })
}
