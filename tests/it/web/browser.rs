//! A real browser: headless Chromium driven through chromedriver's W3C
//! WebDriver protocol (plain JSON over HTTP, so no client crate is needed).
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
//! Without them the test says so and passes, unless UNIONHALL_TEST_BROWSER=1
//! (as in CI), where a missing browser is a failure.
//! Screenshots of the main pages, at phone and desktop width, go to
//! `target/screenshots/`.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use url::Url;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    session: Url,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Whether the browser can run here; panics where it must (CI).
    pub fn available() -> bool {
        let found = Command::new("chromedriver")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            if std::env::var("UNIONHALL_TEST_BROWSER").as_deref() == Ok("1") {
                panic!("chromedriver is missing: apt-get install chromium chromium-driver");
            }
            eprintln!("skipped: apt-get install chromium chromium-driver to test in a browser");
        }
        found
    }

    /// Starts chromedriver and a headless Chromium with a fresh profile that
    /// resolves the test instances' names (uh-127-0-0-N.test) to their addresses.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium chromium-driver; .ci/run does)");
        let base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(base.join("status").unwrap()).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let rules = (1..=9)
            .map(|n| format!("MAP uh-127-0-0-{n}.test 127.0.0.{n}"))
            .collect::<Vec<_>>()
            .join(",");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--host-resolver-rules={rules}")]
            }
        }}});
        let answer: Value = http
            .post(base.join("session").unwrap())
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"));
        Self {
            http,
            session: base.join(&format!("session/{id}/")).unwrap(),
            driver,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, self.session.join(path).unwrap());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path}: {answer}");
        }
        answer["value"].clone()
    }

    /// Renders pages as for `media` ("print"; "" for the screen again), by
    /// Chromium's DevTools protocol.
    pub async fn emulate_media(&self, media: &str) {
        let body = json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}});
        self.call(reqwest::Method::POST, "goog/cdp/execute", Some(body))
            .await;
    }

    pub async fn goto(&self, url: &Url) {
        self.call(
            reqwest::Method::POST,
            "url",
            Some(json!({"url": url.as_str()})),
        )
        .await;
        self.wait_for_document().await;
    }

    /// Joins through the invitation at `link` as `username` (each instance
    /// keeps its own session cookie) and lands on the board.
    pub async fn accept_invitation(&self, link: &Url, username: &str) {
        self.goto(link).await;
        self.type_into("#username", username).await;
        self.type_into("#password", crate::members::PASSWORD).await;
        self.submit("form[action^='/invite/'] button").await;
        assert_eq!(self.url().await.path(), "/", "{}", self.source().await);
    }

    /// Loads the current page again, as the browser's reload button does.
    pub async fn reload(&self) {
        self.script("window.__unionhallOldPage = true;").await;
        self.call(reqwest::Method::POST, "refresh", Some(json!({})))
            .await;
        let script = "return window.__unionhallOldPage === undefined \
                      && document.readyState === 'complete';";
        if !self.until_true(script).await {
            panic!("reloading loaded no new page");
        }
    }

    /// Waits until the current page has loaded. chromedriver usually answers
    /// a navigation only then, but not always right after a window resize (a
    /// CI run once read an empty page source straight after one).
    async fn wait_for_document(&self) {
        let script = "return document.readyState === 'complete' \
                      && document.body !== null && location.href !== 'about:blank';";
        if !self.until_true(script).await {
            panic!("the page at {} never finished loading", self.url().await);
        }
    }

    /// Runs `script` every 50 ms until it returns true (true) or 10 s pass (false).
    async fn until_true(&self, script: &str) -> bool {
        for _ in 0..200 {
            if self.script(script).await == Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    pub async fn url(&self) -> Url {
        let url = self.call(reqwest::Method::GET, "url", None).await;
        Url::parse(url.as_str().unwrap()).unwrap()
    }

    pub async fn source(&self) -> String {
        let mut html = String::new();
        for _ in 0..20 {
            self.wait_for_document().await;
            let source = self.call(reqwest::Method::GET, "source", None).await;
            html = source.as_str().unwrap().to_owned();
            if html.contains("<body") {
                return html;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the page at {} has no body: {html:?}", self.url().await)
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        let path = format!("element/{id}/value");
        self.call(reqwest::Method::POST, &path, Some(json!({"text": text})))
            .await;
    }

    pub async fn clear(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("element/{id}/clear");
        self.call(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("element/{id}/click");
        self.call(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    /// Runs `script` in the page and answers what it returns.
    pub async fn script(&self, script: &str) -> Value {
        let body = json!({"script": script, "args": []});
        self.call(reqwest::Method::POST, "execute/sync", Some(body))
            .await
    }

    /// Clicks a form's button and waits for the page the form leads to (a
    /// click returns before the new page has loaded).
    pub async fn submit(&self, css: &str) {
        self.script("window.__unionhallOldPage = true;").await;
        self.click(css).await;
        let script = "return window.__unionhallOldPage === undefined \
                      && document.readyState === 'complete';";
        if !self.until_true(script).await {
            panic!("submitting {css} loaded no new page");
        }
    }

    /// axe-core's serious and critical findings on the current page, each as
    /// "rule: element, element (help)"; empty when there are none. axe-core
    /// comes from npm (tests/browser, installed by `.ci/run`); it is handed
    /// to the page by WebDriver, which the page's script policy does not
    /// govern. Without it the check says so and passes, unless
    /// UNIONHALL_TEST_BROWSER=1.
    pub async fn accessibility_problems(&self) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/browser/node_modules/axe-core/axe.min.js");
        let Ok(axe) = std::fs::read_to_string(&path) else {
            if std::env::var("UNIONHALL_TEST_BROWSER").as_deref() == Ok("1") {
                panic!("axe-core is missing: (cd tests/browser && npm ci)");
            }
            eprintln!("accessibility not checked: (cd tests/browser && npm ci) to check it");
            return Vec::new();
        };
        let script = format!(
            "{axe}\n;return axe.run(document, {{resultTypes: ['violations']}}).then((r) => \
             r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')\
             .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ') \
             + ' (' + v.help + ')'));"
        );
        let found = self.script(&script).await;
        found
            .as_array()
            .expect("axe answers a list")
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Saves a PNG of the page at `width` x `height` to target/screenshots/.
    pub async fn screenshot(&self, name: &str, width: u32, height: u32) {
        use base64::Engine;
        self.call(
            reqwest::Method::POST,
            "window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
        let png = self.call(reqwest::Method::GET, "screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}-{width}.png")), bytes).unwrap();
    }
}

impl Browser {
    /// Ends the session (Chromium exits), then chromedriver.
    pub async fn quit(self) {
        let _ = self.http.delete(self.session.clone()).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
