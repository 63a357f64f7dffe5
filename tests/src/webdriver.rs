//! A small W3C WebDriver client: enough to drive the app through tauri-driver (WebKitWebDriver)
//! and the web dashboard through chromedriver. Every wait has a deadline, so a broken
//! environment fails with a message instead of hanging.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The W3C element reference key.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver server process (tauri-driver or chromedriver) on a free port.
pub struct Driver {
    child: Option<Child>,
    pub url: String,
}

/// A free TCP port on loopback (another process could take it before use; tests run the
/// webview tests one at a time).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Driver {
    /// Starts tauri-driver with its own WebKitWebDriver, passing `env` to the app it launches
    /// (and `DISPLAY`, when `env` names one instead of this process).
    pub async fn tauri(env: &[(&str, &Path)]) -> Driver {
        if !env.iter().any(|(key, _)| *key == "DISPLAY") {
            require_display();
        }
        let binary = cargo_bin("tauri-driver");
        let (port, native_port) = (free_port(), free_port());
        let mut command = Command::new(&binary);
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let driver = Driver { child: Some(child), url: format!("http://127.0.0.1:{port}") };
        driver.wait_ready().await;
        driver
    }

    /// Starts Debian's chromedriver (headless Chromium is asked for per session).
    pub async fn chromium() -> Driver {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("chromedriver is not installed: run scripts/setup.sh test"));
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let driver = Driver { child: Some(child), url: format!("http://127.0.0.1:{port}") };
        driver.wait_ready().await;
        driver
    }

    /// Capabilities for headless Chromium as root in a container (Debian's build).
    pub fn chromium_capabilities(width: u32, height: u32) -> Value {
        json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--lang=th-TH", format!("--window-size={width},{height}"),
                ]
            },
            // The page's console, read back when the session ends: a page error fails the test.
            "goog:loggingPrefs": { "browser": "ALL" }
        })
    }

    /// Headless Chromium as a touch device of `width`×`height` CSS pixels (a tablet, a phone):
    /// touch events, a coarse pointer and a mobile viewport.
    pub fn chromium_touch_capabilities(width: u32, height: u32) -> Value {
        let mut capabilities = Driver::chromium_capabilities(width, height);
        capabilities["goog:chromeOptions"]["mobileEmulation"] = json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Tablet) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36"
        });
        capabilities
    }

    async fn wait_ready(&self) {
        prongsai_client::api::install_crypto();
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/status", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the WebDriver server at {} never answered", self.url);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the driver with SIGTERM (never SIGKILL: tauri-driver must stop its WebKitWebDriver).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(child) = &self.child
            && let Some(pid) = child.id()
        {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
    }
}

fn require_display() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no X display: run the webview tests under Xvfb (scripts/test.sh wraps them in xvfb-run)"
    );
}

/// A binary installed by `cargo install` (in ~/.cargo/bin, or on PATH).
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let candidate = home.join("bin").join(name);
    if candidate.exists() {
        return candidate;
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.exists()))
        .unwrap_or_else(|| panic!("{name} is not installed: run scripts/setup.sh test"))
}

/// One browser session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// A found element.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Element {
    /// The element's WebDriver id (pass `{ELEMENT_KEY: id}` to a script to reach it).
    pub fn id(&self) -> &str {
        &self.0
    }
}

impl Session {
    pub async fn new(driver: &Driver, capabilities: Value) -> Session {
        prongsai_client::api::install_crypto();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("http client");
        let response: Value = http
            .post(format!("{}/session", driver.url))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .await
            .expect("new session request")
            .json()
            .await
            .expect("new session answer");
        let id = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("the driver refused the session: {response}"))
            .to_string();
        Session { http, base: format!("{}/session/{id}", driver.url) }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() { Ok(value["value"].clone()) } else { Err(value["value"].to_string()) }
    }

    pub async fn find(&self, css: &str) -> Option<Element> {
        let value = self
            .call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
            .await
            .ok()?;
        value[ELEMENT_KEY].as_str().map(|id| Element(id.to_string()))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self
            .call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css})))
            .await
            .unwrap_or(Value::Null);
        value
            .as_array()
            .map(|items| {
                items.iter().filter_map(|v| v[ELEMENT_KEY].as_str().map(|id| Element(id.to_string()))).collect()
            })
            .unwrap_or_default()
    }

    /// Polls `probe` until it yields a value, failing with `what` and the page's text after
    /// `timeout`.
    async fn poll<T, F, Fut>(&self, what: &str, timeout: Duration, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            if tokio::time::Instant::now() >= deadline {
                let body = self.page_text().await;
                panic!("timed out after {timeout:?} waiting until {what}; the page says: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        self.poll(&format!("{css} exists"), timeout, || self.find(css)).await
    }

    /// Waits until `condition` holds for the text of the element matching `css`.
    pub async fn wait_text(
        &self,
        css: &str,
        timeout: Duration,
        what: &str,
        condition: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(&format!("{what} ({css})"), timeout, || async {
            let text = self.text(&self.find(css).await?).await;
            condition(&text).then_some(text)
        })
        .await
    }

    /// Waits until `condition` holds for an attribute of the element matching `css`.
    pub async fn wait_attribute(
        &self,
        css: &str,
        name: &str,
        timeout: Duration,
        what: &str,
        condition: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(&format!("{what} ({css}[{name}])"), timeout, || async {
            let value = self.attribute(&self.find(css).await?, name).await?;
            condition(&value).then_some(value)
        })
        .await
    }

    pub async fn click(&self, element: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/click", element.0), Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("click failed: {e}"));
    }

    pub async fn type_text(&self, element: &Element, text: &str) {
        self.call(reqwest::Method::POST, &format!("/element/{}/value", element.0), Some(json!({ "text": text })))
            .await
            .unwrap_or_else(|e| panic!("typing failed: {e}"));
    }

    /// Waits until exactly `count` elements match `css`.
    pub async fn poll_count(&self, css: &str, count: usize, timeout: Duration) {
        self.poll(&format!("{count} of {css}"), timeout, || async {
            (self.find_all(css).await.len() == count).then_some(())
        })
        .await
    }

    /// Empties an input (what a person does before typing a new value).
    pub async fn clear(&self, element: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/clear", element.0), Some(json!({})))
            .await
            .unwrap_or_else(|e| panic!("clearing failed: {e}"));
    }

    pub async fn text(&self, element: &Element) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{}/text", element.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.call(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", element.0), None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// Runs a script in the page and returns its value.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args })))
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    fn element_arg(element: &Element) -> Value {
        let mut map = serde_json::Map::new();
        map.insert(ELEMENT_KEY.to_string(), Value::String(element.0.clone()));
        Value::Object(map)
    }

    /// The current value of an input or text area (what the person typed, not the attribute).
    pub async fn value(&self, element: &Element) -> String {
        self.execute("return arguments[0].value", json!([Self::element_arg(element)]))
            .await
            .as_str()
            .map(str::to_string)
            .unwrap_or_default()
    }

    pub async fn scroll_into_view(&self, element: &Element) {
        self.execute("arguments[0].scrollIntoView()", json!([Self::element_arg(element)])).await;
    }

    /// The whole page's visible text (for failure messages).
    pub async fn page_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : ''", json!([]))
            .await
            .as_str()
            .map(str::to_string)
            .unwrap_or_default()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    }

    pub async fn set_window_size(&self, width: u32, height: u32) {
        let _ =
            self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// Saves a PNG screenshot of the window.
    pub async fn screenshot(&self, path: &Path) {
        let value =
            self.call(reqwest::Method::GET, "/screenshot", None).await.unwrap_or_else(|e| panic!("screenshot: {e}"));
        let data = value.as_str().expect("base64 PNG");
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("artifact directory");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (CPU throttling, cache
    /// clearing, scripts for every new document); an error on drivers that have no such bridge.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value, String> {
        self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": cmd, "params": params }))).await
    }

    /// A finger's tap at a point of the viewport (W3C actions with a touch pointer): what is
    /// there gets it, as on a phone.
    pub async fn tap_at(&self, x: i64, y: i64) {
        let tap = json!({ "actions": [{
            "type": "pointer", "id": "finger", "parameters": { "pointerType": "touch" },
            "actions": [
                { "type": "pointerMove", "duration": 0, "origin": "viewport", "x": x, "y": y },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
            ],
        }] });
        self.call(reqwest::Method::POST, "/actions", Some(tap)).await.unwrap_or_else(|e| panic!("tap: {e}"));
        let _ = self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Opens a new tab of the same browser (its storage shared with this one's) and switches to
    /// it; answers the handle of the tab left, for [`Session::switch_to`].
    pub async fn open_tab(&self) -> String {
        let left = self.current_window().await;
        let opened = self
            .call(reqwest::Method::POST, "/window/new", Some(json!({ "type": "tab" })))
            .await
            .unwrap_or_else(|e| panic!("new tab: {e}"));
        self.switch_to(opened["handle"].as_str().expect("a handle")).await;
        left
    }

    /// The handle of the tab shown.
    pub async fn current_window(&self) -> String {
        let handle = self.call(reqwest::Method::GET, "/window", None).await.unwrap_or_else(|e| panic!("window: {e}"));
        handle.as_str().expect("a handle").to_string()
    }

    /// Closes the tab shown and shows the tab `handle`.
    pub async fn close_tab_for(&self, handle: &str) {
        self.call(reqwest::Method::DELETE, "/window", None).await.unwrap_or_else(|e| panic!("close tab: {e}"));
        self.switch_to(handle).await;
    }

    pub async fn switch_to(&self, handle: &str) {
        self.call(reqwest::Method::POST, "/window", Some(json!({ "handle": handle })))
            .await
            .unwrap_or_else(|e| panic!("switch tab: {e}"));
    }

    /// The browser's Back button.
    pub async fn back(&self) {
        self.call(reqwest::Method::POST, "/back", Some(json!({}))).await.unwrap_or_else(|e| panic!("back: {e}"));
    }

    /// The browser's Forward button.
    pub async fn forward(&self) {
        self.call(reqwest::Method::POST, "/forward", Some(json!({}))).await.unwrap_or_else(|e| panic!("forward: {e}"));
    }

    /// Reloads the page.
    pub async fn refresh(&self) {
        self.call(reqwest::Method::POST, "/refresh", Some(json!({}))).await.unwrap_or_else(|e| panic!("reload: {e}"));
    }

    /// The address the page is at.
    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Waits until the page's address ends in `fragment`.
    pub async fn wait_fragment(&self, fragment: &str, timeout: Duration) {
        self.poll(&format!("the address ends in {fragment}"), timeout, || async {
            self.current_url().await.ends_with(fragment).then_some(())
        })
        .await
    }

    /// The errors the page logged: Chromium's console log since the last call (script errors,
    /// console errors, resources that failed to load), or, where the driver keeps no log (the
    /// app's webview), what the page itself kept since it loaded (`boot.js`). Refusals the
    /// server answered to the API are the page's to show, not errors of the page.
    pub async fn page_errors(&self) -> Vec<String> {
        let Ok(entries) = self.call(reqwest::Method::POST, "/se/log", Some(json!({ "type": "browser" }))).await else {
            let kept = self.call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({
                    "script": "return window.__pageErrors || []", "args": []
                })),
            );
            return kept.await.ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
        };
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .filter_map(|e| e["message"].as_str())
            .filter(|m| !(m.contains("/api/") && m.contains("the server responded with a status of 4")))
            .map(str::to_string)
            .collect()
    }

    /// Every line of the page's console since the last call (Chromium only).
    pub async fn console(&self) -> Vec<String> {
        let entries = self.call(reqwest::Method::POST, "/se/log", Some(json!({ "type": "browser" }))).await;
        let entries = entries.unwrap_or_default();
        entries.as_array().into_iter().flatten().filter_map(|e| e["message"].as_str()).map(str::to_string).collect()
    }

    /// Adds `text` after the division's result on the measure page (WebDriver keeps the caret at
    /// the end) and saves it.
    pub async fn append_result_text(&self, text: &str) {
        const WAIT: Duration = Duration::from_secs(60);
        let area = self.wait_for("[data-testid=result-text]", WAIT).await;
        self.type_text(&area, text).await;
        self.wait_for("[data-testid=unsaved]", WAIT).await;
        let save = self.wait_for("[data-testid=result-save]", WAIT).await;
        self.click(&save).await;
        // Saved on the device: the page stops saying "not saved yet" (a refusal would leave it).
        self.poll("the device keeps the edit", WAIT, || async {
            self.find("[data-testid=unsaved]").await.is_none().then_some(())
        })
        .await;
    }

    /// The sync bar's count of changes the server has not confirmed yet.
    pub async fn unconfirmed(&self) -> usize {
        match self.find("[data-testid=unconfirmed]").await {
            Some(element) => self.attribute(&element, "data-count").await.and_then(|c| c.parse().ok()).unwrap_or(0),
            None => 0,
        }
    }

    /// Ends the session (for the app: quits it), failing the test if the page logged an error.
    pub async fn quit(self) {
        let errors = self.page_errors().await;
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
        assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    }
}

/// Where a test's screenshots go: tests/artifacts/<group>/.
pub fn artifact(group: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts").join(group).join(name)
}
