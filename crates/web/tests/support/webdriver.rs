//! A small W3C WebDriver client over reqwest, driving Debian's Chromium through chromedriver.
//!
//! Why not fantoccini: its `ClientBuilder::rustls()` builds a rustls config with the process-wide
//! default crypto provider, and this workspace compiles rustls with both `ring` (from reqwest) and
//! `aws-lc-rs` (from hyper-rustls' defaults), so rustls cannot pick one and panics unless the test
//! calls `rustls::crypto::ring::default_provider().install_default()` — which needs `rustls` as a
//! direct dev-dependency. reqwest picks `ring` explicitly and has no such problem, and the handful
//! of WebDriver commands these tests need are plain JSON over HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Result, fail};

/// The key under which W3C WebDriver returns element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What the machine must have; the message tells how to get it, and the test fails without it.
fn find_program(name: &str, absolute: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates =
        std::iter::once(PathBuf::from(absolute)).chain(std::env::split_paths(&path).map(|d| d.join(name)));
    for c in candidates {
        if c.is_file() {
            return Ok(c);
        }
    }
    Err(fail(format!(
        "`{name}` is not installed, so the browser tests cannot run. Run scripts/test, which installs \
         the Debian packages chromium and chromium-driver (or: apt-get install chromium chromium-driver)."
    )))
}

/// How a browser session is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// Accept-Language (and UI language) of the browser, e.g. "fr-FR,fr".
    pub accept_language: &'static str,
    /// Whether pages may run JavaScript. WebDriver's own scripts still run when this is false.
    pub javascript: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { accept_language: "fr-FR,fr", javascript: true }
    }
}

/// A chromedriver process; killed (and reaped) on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium driven through its own chromedriver, in a fresh profile.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    session_id: String,
    // Field order matters on drop: the session is closed (Drop for Browser), then chromedriver is
    // killed, then the profile directory is removed.
    driver: Driver,
    _profile: tempfile::TempDir,
}

/// A reference to an element of the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver on a free port and opens a Chromium session.
    pub async fn start(options: Options) -> Result<Browser> {
        let chromium = find_program("chromium", "/usr/bin/chromium")?;
        let chromedriver = find_program("chromedriver", "/usr/bin/chromedriver")?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(180))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let profile = tempfile::tempdir()?;

        // The free port is found by binding port 0 then releasing it: another program may take it
        // in between, so a chromedriver that does not come up is retried on a new port.
        let mut last_error = None;
        let mut driver = None;
        for _ in 0..3 {
            match start_driver(&chromedriver, profile.path(), &http).await {
                Ok(d) => {
                    driver = Some(d);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some(driver) = driver else {
            return Err(last_error.unwrap_or_else(|| fail("chromedriver did not start")));
        };

        let user_data = profile.path().join("chromium");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            format!("--user-data-dir={}", user_data.display()),
            format!("--lang={}", options.accept_language.split(',').next().unwrap_or("fr")),
            "--window-size=1280,900".to_owned(),
            // The network is closed here, and the tests must never reach out anyway: every host name
            // resolves to nothing, so a click on a provider's sign-up link fails at once, on this
            // machine, without a single packet leaving it. The site itself is reached by IP literal.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
            "--no-proxy-server".to_owned(),
        ];
        if !options.javascript {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
        }
        let mut prefs = json!({ "intl": { "accept_languages": options.accept_language } });
        if !options.javascript {
            prefs["profile"] = json!({ "managed_default_content_settings": { "javascript": 2 } });
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": {
                    "binary": chromium.to_string_lossy(),
                    "args": args,
                    "prefs": prefs,
                },
                // Every request the page makes, for the no-external-request test.
                "goog:loggingPrefs": { "performance": "ALL" },
                "timeouts": { "implicit": 0, "pageLoad": 60_000, "script": 120_000 },
            }}
        });
        let base = format!("http://127.0.0.1:{}", driver.port);
        let res = with_json(http.post(format!("{base}/session")), &capabilities)?.send().await?;
        let body = json_of(res).await?;
        let Some(session_id) = body["value"]["sessionId"].as_str().map(str::to_owned) else {
            return Err(fail(format!("chromedriver could not start Chromium: {body}")));
        };
        let browser = Browser {
            http,
            session: format!("{base}/session/{session_id}"),
            session_id,
            driver,
            _profile: profile,
        };
        // Debian's Chromium opens its new-tab page in the first tab; leave it, and forget what it
        // loaded (chrome:// resources), so that the log only has what the tests' pages request.
        browser.goto("about:blank").await?;
        browser.requested_urls().await?;
        Ok(browser)
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.session);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = with_json(req, &b)?;
        } else if method == reqwest::Method::POST {
            req = with_json(req, &json!({}))?;
        }
        let res = req.send().await?;
        let status = res.status();
        let body = json_of(res).await?;
        if !status.is_success() {
            let v = &body["value"];
            return Err(fail(format!("WebDriver {method} {path}: {} — {}", v["error"], v["message"])));
        }
        Ok(body["value"].clone())
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.command(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.command(reqwest::Method::GET, path, None).await
    }

    /// Loads `url` and waits for it to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    /// The address of the current page.
    pub async fn current_url(&self) -> Result<url::Url> {
        let v = self.get("/url").await?;
        let s = v.as_str().ok_or_else(|| fail(format!("current URL is not a string: {v}")))?;
        Ok(url::Url::parse(s)?)
    }

    /// Waits until the current page's address satisfies `ok`, for at most 30 s.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&url::Url) -> bool) -> Result<url::Url> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let u = self.current_url().await?;
            if ok(&u) {
                return Ok(u);
            }
            if Instant::now() > deadline {
                return Err(fail(format!("waited 30 s for {what}; the browser is still at {u}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's title.
    pub async fn title(&self) -> Result<String> {
        Ok(self.get("/title").await?.as_str().unwrap_or_default().to_owned())
    }

    /// The first element matching the CSS selector.
    pub async fn find(&self, css: &str) -> Result<Element> {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await
            .map_err(|e| fail(format!("no element matches `{css}`: {e}")))?;
        element(&v)
    }

    /// Every element matching the CSS selector.
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.post("/elements", json!({ "using": "css selector", "value": css })).await?;
        v.as_array().into_iter().flatten().map(element).collect()
    }

    /// The first element matching `css` inside `parent`.
    pub async fn find_in(&self, parent: &Element, css: &str) -> Result<Element> {
        let v = self
            .post(&format!("/element/{}/element", parent.0), json!({ "using": "css selector", "value": css }))
            .await
            .map_err(|e| fail(format!("no element matches `{css}` there: {e}")))?;
        element(&v)
    }

    /// Clicks the element as a person would (scrolled into view, real pointer events).
    pub async fn click(&self, e: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", e.0), json!({})).await.map(drop)
    }

    /// Clicks the first element matching `css`.
    pub async fn click_on(&self, css: &str) -> Result<()> {
        let e = self.find(css).await?;
        self.click(&e).await
    }

    /// A DOM property (e.g. `href` resolved to an absolute URL, `checked`, `value`).
    pub async fn property(&self, e: &Element, name: &str) -> Result<Value> {
        self.get(&format!("/element/{}/property/{name}", e.0)).await
    }

    /// A DOM property as a string (empty when absent).
    pub async fn property_str(&self, e: &Element, name: &str) -> Result<String> {
        Ok(self.property(e, name).await?.as_str().unwrap_or_default().to_owned())
    }

    /// The rendered text of the element.
    pub async fn text(&self, e: &Element) -> Result<String> {
        Ok(self.get(&format!("/element/{}/text", e.0)).await?.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// Runs `script` (a function body whose last argument is the callback) and returns what it
    /// passes to the callback.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args })).await
    }

    /// The `lang` attribute of the page's root element.
    pub async fn page_lang(&self) -> Result<String> {
        let v = self.execute("return document.documentElement.lang;", vec![]).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Every URL the current tab requested since the previous call (from Chromium's performance
    /// log). Chromium's own pages in other tabs (its new-tab page) are left out.
    pub async fn requested_urls(&self) -> Result<Vec<String>> {
        // chromedriver's window handles are DevTools target ids, which the log calls `webview`.
        let tab = self.get("/window").await?;
        // chromedriver's log endpoint sits outside the W3C commands, under `se/`.
        let entries = self.post("/se/log", json!({ "type": "performance" })).await?;
        let mut urls = Vec::new();
        for e in entries.as_array().into_iter().flatten() {
            let Some(message) = e["message"].as_str() else { continue };
            let m: Value = serde_json::from_str(message)?;
            if m["webview"] == tab
                && m["message"]["method"] == "Network.requestWillBeSent"
                && let Some(u) = m["message"]["params"]["request"]["url"].as_str()
            {
                urls.push(u.to_owned());
            }
        }
        Ok(urls)
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn close(self) -> Result<()> {
        let res = self.http.delete(&self.session).send().await;
        // Drop then sends a second DELETE, which chromedriver answers with an error: harmless.
        res?;
        Ok(())
    }
}

impl Drop for Browser {
    /// Also on a failed test: ends the session so that Chromium quits before chromedriver is
    /// killed (Chromium would outlive a killed chromedriver). Drop cannot await, so this is one
    /// blocking HTTP request over a plain socket, bounded by short timeouts.
    fn drop(&mut self) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.driver.port)) else { return };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
        let req = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session_id, self.driver.port
        );
        if s.write_all(req.as_bytes()).is_ok() {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
}

/// reqwest is built without its `json` feature here: JSON bodies by hand.
fn with_json(req: reqwest::RequestBuilder, body: &Value) -> Result<reqwest::RequestBuilder> {
    Ok(req.header(reqwest::header::CONTENT_TYPE, "application/json").body(serde_json::to_vec(body)?))
}

async fn json_of(res: reqwest::Response) -> Result<Value> {
    Ok(serde_json::from_slice(&res.bytes().await?)?)
}

fn element(v: &Value) -> Result<Element> {
    v[ELEMENT_KEY]
        .as_str()
        .map(|id| Element(id.to_owned()))
        .ok_or_else(|| fail(format!("not an element reference: {v}")))
}

async fn start_driver(chromedriver: &Path, dir: &Path, http: &reqwest::Client) -> Result<Driver> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let log = dir.join(format!("chromedriver-{port}.log"));
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            fail(format!("cannot start {}: {e}; run scripts/test to install it", chromedriver.display()))
        })?;
    let mut driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(fail(format!("chromedriver exited ({status}) on port {port}:\n{log}")));
        }
        if let Ok(res) = http.get(format!("http://127.0.0.1:{port}/status")).send().await
            && let Ok(v) = json_of(res).await
            && v["value"]["ready"] == true
        {
            return Ok(driver);
        }
        if Instant::now() > deadline {
            let _ = driver.child.kill();
            return Err(fail(format!("chromedriver did not answer on port {port} within 30 s")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
