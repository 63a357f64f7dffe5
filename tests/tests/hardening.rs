//! What a careful attacker, a flaky network or a full disk would reach, through the real server
//! binary: route scope, evidence that could carry a script, password guessing, upload quotas,
//! forged change authors, role changes racing connections, resource exhaustion through the
//! sync protocol, clients that never finish, hostile spreadsheets, the server's own writes under
//! a crash, and the wire contract's error kinds.

use std::collections::BTreeMap;
use std::time::Duration;

use prongsai_client::ApiError;
use prongsai_core::wire::ErrorKind;
use prongsai_tests::{Sample, Server, YEAR, add_user, cli, device, eventually, second_agency, signed_in_api};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(60);

/// A request made by hand (any method, any token, any body), and what came back.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn kind(&self) -> String {
        self.json()["kind"].as_str().unwrap_or_default().to_string()
    }

    fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

#[derive(Clone, Default)]
struct Call<'a> {
    token: Option<&'a str>,
    body: Option<Vec<u8>>,
    content_type: Option<&'a str>,
    websocket: bool,
    headers: Vec<(&'a str, String)>,
}

async fn call(server: &Server, method: &str, path: &str, options: Call<'_>) -> Answer {
    prongsai_client::api::install_crypto();
    let client = reqwest::Client::builder().timeout(LONG).build().expect("client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("http://{}{path}", server.addr));
    if let Some(token) = options.token {
        request = request.bearer_auth(token);
    }
    if options.websocket {
        request = request
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    }
    for (name, value) in options.headers {
        request = request.header(name, value);
    }
    if let Some(content_type) = options.content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(body) = options.body {
        request = request.body(body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // An upgraded connection has no body to wait for.
    let body = if status == 101 { Vec::new() } else { response.bytes().await.expect("body").to_vec() };
    Answer { status, headers, body }
}

fn json_body(value: Value) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(&value).expect("json"))
}

/// A small real PNG (the app icon).
fn png() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../icons/32x32.png")).expect("an icon")
}

async fn login(server: &Server, username: &str, password: &str, web: bool) -> prongsai_core::wire::LoginResponse {
    let body = json!({ "username": username, "password": password, "device": "test", "web": web });
    let answer = call(server, "POST", "/api/login", Call { body: json_body(body), ..Call::default() }).await;
    assert_eq!(answer.status, 200, "login of {username}: {}", String::from_utf8_lossy(&answer.body));
    serde_json::from_slice(&answer.body).expect("a login response")
}

/// The id of the palad division's results document, as a device lists it.
async fn palad_results(device: &prongsai_client::Device) -> String {
    device
        .documents(YEAR)
        .await
        .expect("documents")
        .into_iter()
        .find(|e| e.division.as_deref() == Some("palad"))
        .expect("results/palad")
        .document_id()
        .to_string()
}

mod scope {
    use super::*;

    /// What each kind of caller gets from a route: another agency's user, no token, a revoked
    /// token, and a read-only (web) session of someone who holds every role.
    #[derive(Clone, Copy, Debug)]
    struct Expect {
        stranger: u16,
        no_token: u16,
        revoked: u16,
        read_only: u16,
    }

    const SIGNED_IN: Expect = Expect { stranger: 404, no_token: 401, revoked: 401, read_only: 200 };

    /// Every route the server has, with what each caller must get. A route added without a line
    /// here fails the test.
    fn expectations() -> BTreeMap<&'static str, Expect> {
        let open = |status: u16| Expect { stranger: status, no_token: status, revoked: status, read_only: status };
        BTreeMap::from([
            ("GET /healthz", open(200)),
            ("GET /metrics", open(200)),
            ("GET /", open(200)),
            // A login ignores tokens: an empty body is a failed login, whoever sends it.
            ("POST /api/login", open(401)),
            ("GET /public/{agency}/{year}/{file}", open(404)),
            ("GET /sync", Expect { stranger: 101, no_token: 401, revoked: 401, read_only: 101 }),
            ("POST /api/logout", Expect { stranger: 204, read_only: 204, ..SIGNED_IN }),
            ("GET /api/me", Expect { stranger: 200, ..SIGNED_IN }),
            ("GET /api/documents/{id}/durable", SIGNED_IN),
            // The stranger uploads into their own agency; a read-only session uploads nothing.
            ("PUT /api/blobs/{sha256}", Expect { stranger: 201, read_only: 403, ..SIGNED_IN }),
            ("GET /api/blobs/{sha256}", SIGNED_IN),
            // A wrong current password, from anyone signed in.
            ("POST /api/me/password", Expect { stranger: 403, read_only: 403, ..SIGNED_IN }),
            ("GET /api/agencies/{agency}/years", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/documents", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/status", SIGNED_IN),
            // Not the step's approver.
            ("POST /api/agencies/{agency}/years/{year}/approvals/{step}", Expect { read_only: 403, ..SIGNED_IN }),
            ("GET /api/agencies/{agency}/years/{year}/session", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/measures/{measure}", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/measures/{measure}/history", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/live", Expect { read_only: 101, ..SIGNED_IN }),
            ("GET /api/agencies/{agency}/years/{year}/activity", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/memo", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/reports/{format}", SIGNED_IN),
            ("POST /api/agencies/{agency}/years/{year}/import", Expect { read_only: 403, ..SIGNED_IN }),
            ("GET /api/agencies/{agency}/years/{year}/published", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/itas", SIGNED_IN),
            // Nothing is published in the sample yet: the scan waits for it.
            ("PUT /api/agencies/{agency}/years/{year}/published/scan", Expect { read_only: 409, ..SIGNED_IN }),
            // An empty reason withdraws none: whoever may publish answers 200.
            ("PUT /api/agencies/{agency}/years/{year}/plan-waiver", SIGNED_IN),
            ("GET /verify/{code}", open(404)),
            // Each person's own marks: the stranger marks in their own agency.
            ("GET /api/me/notifications/read", Expect { stranger: 200, ..SIGNED_IN }),
            ("POST /api/me/notifications/read", Expect { stranger: 200, ..SIGNED_IN }),
            // The sample has no emblem yet.
            ("GET /api/agencies/{agency}/emblem", Expect { read_only: 404, ..SIGNED_IN }),
            ("PUT /api/agencies/{agency}/emblem", Expect { read_only: 204, ..SIGNED_IN }),
            ("GET /api/me/second-factor", Expect { stranger: 200, ..SIGNED_IN }),
            ("POST /api/me/second-factor/enroll", Expect { stranger: 200, ..SIGNED_IN }),
            // A code that does not match what was just enrolled.
            ("POST /api/me/second-factor/confirm", Expect { stranger: 401, read_only: 401, ..SIGNED_IN }),
            // A wrong password.
            ("POST /api/me/second-factor/disable", Expect { stranger: 403, read_only: 403, ..SIGNED_IN }),
            ("GET /api/agencies/{agency}/security", SIGNED_IN),
            ("PUT /api/agencies/{agency}/security", SIGNED_IN),
            (
                "POST /api/agencies/{agency}/users/{username}/second-factor/reset",
                Expect { read_only: 204, ..SIGNED_IN },
            ),
            ("GET /api/agencies/{agency}/users", SIGNED_IN),
            ("GET /api/agencies/{agency}/audit", SIGNED_IN),
            ("POST /api/agencies/{agency}/users", Expect { read_only: 201, ..SIGNED_IN }),
            ("PATCH /api/agencies/{agency}/users/{username}", SIGNED_IN),
            ("POST /api/agencies/{agency}/users/{username}/password", SIGNED_IN),
            ("POST /api/agencies/{agency}/users/{username}/revoke", SIGNED_IN),
            (
                "PUT /api/agencies/{agency}/years/{year}/approvals/{step}/approver",
                Expect { read_only: 204, ..SIGNED_IN },
            ),
            ("GET /api/agencies/{agency}/profile", SIGNED_IN),
            ("PUT /api/agencies/{agency}/profile", SIGNED_IN),
            ("POST /api/agencies/{agency}/divisions", Expect { read_only: 201, ..SIGNED_IN }),
            ("PATCH /api/agencies/{agency}/divisions/{division}", SIGNED_IN),
            // An empty chain is refused: the scope is checked first all the same.
            ("PUT /api/agencies/{agency}/approval-chain", Expect { read_only: 400, ..SIGNED_IN }),
            // The sample's year exists already.
            ("POST /api/agencies/{agency}/years", Expect { read_only: 409, ..SIGNED_IN }),
            ("POST /api/agencies/{agency}/years/{year}/next", Expect { read_only: 201, ..SIGNED_IN }),
            // Asked of a year the agency does not have (closing the sample's would refuse the
            // routes tried after it).
            ("POST /api/agencies/{agency}/years/{year}/close", Expect { read_only: 404, ..SIGNED_IN }),
            ("POST /api/agencies/{agency}/years/{year}/reopen", Expect { read_only: 404, ..SIGNED_IN }),
            ("PUT /api/agencies/{agency}/years/{year}/ita-result", SIGNED_IN),
            ("GET /api/agencies/{agency}/years/{year}/tracks", SIGNED_IN),
            ("POST /api/agencies/{agency}/years/{year}/tracks", SIGNED_IN),
            // After the track is added above (routes are tried in the order the server lists them).
            ("PUT /api/agencies/{agency}/years/{year}/tracks/{track}/rounds/{round}", SIGNED_IN),
            // An empty file is refused before any year is started.
            ("POST /api/agencies/{agency}/years/{year}/from-file", Expect { read_only: 422, ..SIGNED_IN }),
        ])
    }

    #[derive(serde::Deserialize)]
    struct RouteInfo {
        method: String,
        path: String,
        scope: String,
    }

    /// Every route is called as a user of another agency, with no token, with a revoked token
    /// and with a read-only token; each answers as the table says.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_route_is_scoped_to_its_agency() {
        let routes: Vec<RouteInfo> = serde_json::from_str(&cli(&["routes"], None).await).expect("routes as JSON");
        let expectations = expectations();
        let listed: Vec<String> = routes.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        for route in &listed {
            assert!(expectations.contains_key(route.as_str()), "route {route} has no expectation in this test");
        }
        for route in expectations.keys() {
            assert!(listed.iter().any(|l| l == route), "{route} is expected but the server has no such route");
        }
        for route in &routes {
            let agency_scoped = route.path.starts_with("/api/agencies/{agency}");
            assert_eq!(
                agency_scoped,
                matches!(route.scope.as_str(), "agency" | "admin"),
                "{} {}",
                route.method,
                route.path
            );
        }

        let sample = Sample::create().await;
        let data = sample.data();
        let data = data.to_str().expect("utf-8");
        second_agency(data).await;
        let all_roles = ["admin", "coordinator", "approver", "staff"];
        let stranger_password = add_user(data, "nongbua", "stranger", &all_roles, Some("palad")).await;
        let everyone_password = add_user(data, "pakchong", "everyone", &all_roles, Some("palad")).await;
        let revoked_password = add_user(data, "pakchong", "revoked", &["staff"], Some("palad")).await;
        add_user(data, "pakchong", "target", &["staff"], Some("klang")).await;
        let server = Server::start(&sample.data(), 0, &[]).await;

        let stranger = login(&server, "stranger", &stranger_password, false).await.token;
        let read_only = login(&server, "everyone", &everyone_password, true).await.token;
        let revoked = login(&server, "revoked", &revoked_password, false).await.token;
        let admin = signed_in_api(&server, &sample, "admin").await;
        admin.revoke_sessions("pakchong", "revoked").await.expect("revoked");
        // Things the routes name: a document, a stored file, a step.
        let somchai = signed_in_api(&server, &sample, "somchai").await;
        let plan = somchai.documents("pakchong", YEAR).await.expect("documents")[1].document_id().to_string();
        let evidence = png();
        let sha = prongsai_core::hash::sha256_hex(&evidence);
        somchai.put_blob(&sha, "image/png", evidence.clone()).await.expect("upload");
        let status = somchai.status("pakchong", YEAR, None).await.expect("status");
        let step = status["approvals"][0]["step"].as_str().expect("a step").to_string();
        let approver = status["approvals"][0]["approver"].as_str().expect("an approver").to_string();

        let mut failures = Vec::new();
        for route in &routes {
            let key = format!("{} {}", route.method, route.path);
            let expect = expectations[key.as_str()];
            let path = route
                .path
                .replace("{agency}", "pakchong")
                .replace("{year}", &YEAR.to_string())
                .replace("{step}", &step)
                .replace("{track}", "anticorruption")
                .replace("{round}", "half")
                .replace("{measure}", "m1")
                .replace("{username}", "target")
                .replace("{division}", "klang")
                .replace("{id}", &plan)
                .replace("{sha256}", &sha)
                .replace("{file}", &format!("{}.pdf", prongsai_tests::report_slug(YEAR)))
                .replace("{format}", "xlsx")
                .replace("{code}", "0000-0000-0000-0000");
            let websocket = route.path == "/sync" || route.path.ends_with("/live");
            let body: Option<Vec<u8>> = match key.as_str() {
                "PUT /api/blobs/{sha256}" => Some(evidence.clone()),
                "PUT /api/agencies/{agency}/emblem" => Some(evidence.clone()),
                "PUT /api/agencies/{agency}/years/{year}/published/scan" => Some(b"%PDF-1.4\n%scan\n".to_vec()),
                "PUT /api/agencies/{agency}/years/{year}/plan-waiver" => json_body(json!({ "reason": "" })),
                "POST /api/me/notifications/read" => json_body(json!({ "ids": ["sign/mayor/0123456789ab"] })),
                "POST /api/me/password" => json_body(json!({ "current": "not my password", "new": "ใหม่ยาวพอแล้ว" })),
                "POST /api/agencies/{agency}/years/{year}/approvals/{step}" => {
                    json_body(json!({ "decision": "approved", "comment": "" }))
                }
                "POST /api/agencies/{agency}/years/{year}/import" => Some(b"title\n".to_vec()),
                "POST /api/agencies/{agency}/users" => None,
                "PATCH /api/agencies/{agency}/users/{username}" => json_body(json!({})),
                "POST /api/me/second-factor/confirm" => json_body(json!({ "code": "000000" })),
                "POST /api/me/second-factor/disable" => json_body(json!({ "password": "not it", "code": "000000" })),
                "PUT /api/agencies/{agency}/security" => json_body(json!({ "second_factor_required": false })),
                "POST /api/agencies/{agency}/users/{username}/password" => json_body(json!({})),
                "PUT /api/agencies/{agency}/years/{year}/approvals/{step}/approver" => {
                    json_body(json!({ "approver": approver }))
                }
                "GET /api/documents/{id}/durable" => None,
                "PUT /api/agencies/{agency}/profile" => json_body(json!({ "name": "องค์การบริหารส่วนตำบลปากช่อง" })),
                "POST /api/agencies/{agency}/divisions" => json_body(json!({ "name": "กองทดสอบสิทธิ์" })),
                "PATCH /api/agencies/{agency}/divisions/{division}" => json_body(json!({})),
                "PUT /api/agencies/{agency}/approval-chain" => json_body(json!([])),
                "POST /api/agencies/{agency}/years" => json_body(json!({ "year": YEAR })),
                "PUT /api/agencies/{agency}/years/{year}/ita-result" => json_body(json!({ "score_hundredths": 9000 })),
                "POST /api/agencies/{agency}/years/{year}/tracks" => json_body(json!({ "track": "anticorruption" })),
                "PUT /api/agencies/{agency}/years/{year}/tracks/{track}/rounds/{round}" => {
                    json_body(json!({ "cutoff": "2022-03-15" }))
                }
                _ => None,
            };
            let path = match key.as_str() {
                "POST /api/agencies/{agency}/years/{year}/close"
                | "POST /api/agencies/{agency}/years/{year}/reopen" => {
                    path.replace(&format!("/years/{YEAR}/"), "/years/2599/")
                }
                _ => path,
            };
            let path = if key == "GET /api/documents/{id}/durable" { format!("{path}?heads=") } else { path };
            let cases = [
                ("stranger", Some(stranger.as_str()), expect.stranger),
                ("no token", None, expect.no_token),
                ("revoked token", Some(revoked.as_str()), expect.revoked),
                ("read-only token", Some(read_only.as_str()), expect.read_only),
            ];
            for (who, token, expected) in cases {
                // Logging out ends the session it is called with: use a fresh one for that call.
                let fresh;
                let token = match (key.as_str(), who) {
                    ("POST /api/logout", "stranger") => {
                        fresh = login(&server, "stranger", &stranger_password, false).await.token;
                        Some(fresh.as_str())
                    }
                    ("POST /api/logout", "read-only token") => {
                        fresh = login(&server, "everyone", &everyone_password, true).await.token;
                        Some(fresh.as_str())
                    }
                    _ => token,
                };
                // The stranger's upload is its own file (stored for its own agency only).
                let stranger_file = "หลักฐานของหน่วยงานอื่น".as_bytes().to_vec();
                let stranger_path = format!("/api/blobs/{}", prongsai_core::hash::sha256_hex(&stranger_file));
                let path = match (key.as_str(), who) {
                    ("PUT /api/blobs/{sha256}", "stranger") => stranger_path,
                    _ => path.clone(),
                };
                let body = match key.as_str() {
                    "PUT /api/blobs/{sha256}" if who == "stranger" => Some(stranger_file),
                    "POST /api/agencies/{agency}/users" => json_body(json!({
                        "username": format!("made-{}", who.replace(' ', "-")), "display_name": "ใหม่",
                        "roles": ["viewer"],
                    })),
                    _ => body.clone(),
                };
                let content_type = if key.contains("blobs")
                    || key.contains("emblem")
                    || key.contains("import")
                    || key.contains("scan")
                {
                    None
                } else {
                    Some("application/json")
                };
                let answer = call(
                    &server,
                    &route.method,
                    &path,
                    Call { token, body, content_type, websocket, ..Call::default() },
                )
                .await;
                if answer.status != expected {
                    failures.push(format!(
                        "{key} as {who}: {} (expected {expected}) {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body).chars().take(200).collect::<String>()
                    ));
                }
                // A refusal always says what kind it is.
                if answer.status >= 400
                    && answer.status != 404
                    && route.path.starts_with("/api/")
                    && key != "POST /api/login"
                {
                    let kind = answer.kind();
                    if kind.is_empty() || kind == "other" {
                        failures.push(format!("{key} as {who}: {} without a kind", answer.status));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "routes that answered otherwise:\n{}", failures.join("\n"));
        // A read-only session's refusal says so.
        let refused = call(
            &server,
            "PUT",
            &format!("/api/blobs/{sha}"),
            Call { token: Some(&read_only), body: Some(evidence), ..Call::default() },
        )
        .await;
        assert_eq!(refused.kind(), "read_only");
    }
}

mod evidence {
    use super::*;

    /// A file that claims to be a photo but is a web page is refused; what is stored is served so
    /// that no browser runs it on the dashboard's origin; the dashboard's own page has a policy.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_are_judged_by_their_bytes_and_served_inert() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let token = login(&server, "somchai", sample.password("somchai"), false).await.token;
        let put = |bytes: Vec<u8>, content_type: &'static str| {
            let token = token.clone();
            let server = &server;
            async move {
                let sha = prongsai_core::hash::sha256_hex(&bytes);
                let answer = call(
                    server,
                    "PUT",
                    &format!("/api/blobs/{sha}"),
                    Call {
                        token: Some(&token),
                        body: Some(bytes),
                        content_type: Some(content_type),
                        ..Call::default()
                    },
                )
                .await;
                (sha, answer)
            }
        };
        // A web page dressed as a photo, and an executable: refused, whatever the header says.
        let page = b"<html><script>fetch('/api/me')</script></html>".to_vec();
        let mut exe = b"MZ\x90\x00".to_vec();
        exe.extend_from_slice(&[0u8; 64]);
        for (bytes, claimed) in [(exe, "image/png"), (vec![0x00, 0x01, 0x02, 0xff], "application/pdf")] {
            let (_, answer) = put(bytes, claimed).await;
            assert_eq!(answer.status, 415, "claimed {claimed}");
            assert_eq!(answer.kind(), "unsupported_type");
        }
        // The page is UTF-8 text: stored as text, served as plain text, as an attachment.
        let (page_sha, stored) = put(page, "image/png").await;
        assert_eq!(stored.status, 201);
        assert_eq!(stored.json()["media_type"], "text/plain; charset=utf-8");
        let served =
            call(&server, "GET", &format!("/api/blobs/{page_sha}"), Call { token: Some(&token), ..Call::default() })
                .await;
        assert_eq!(served.status, 200);
        assert!(served.header("content-type").starts_with("text/plain"), "{}", served.header("content-type"));
        assert_eq!(served.header("x-content-type-options"), "nosniff");
        assert!(served.header("content-security-policy").contains("sandbox"));
        assert!(served.header("content-disposition").starts_with("attachment"));
        // A real photo may be shown inline, still under the same policy.
        let (png_sha, stored) = put(png(), "application/octet-stream").await;
        assert_eq!(stored.status, 201);
        let served =
            call(&server, "GET", &format!("/api/blobs/{png_sha}"), Call { token: Some(&token), ..Call::default() })
                .await;
        assert_eq!(served.header("content-type"), "image/png");
        assert!(served.header("content-disposition").starts_with("inline"));
        assert_eq!(served.header("x-content-type-options"), "nosniff");
        assert_eq!(served.header("content-security-policy"), "default-src 'none'; sandbox");
        // A token in the query string is not accepted here (a link would leak it)...
        let by_query = call(&server, "GET", &format!("/api/blobs/{png_sha}?token={token}"), Call::default()).await;
        assert_eq!(by_query.status, 401);
        let by_query = call(&server, "GET", &format!("/api/me?token={token}"), Call::default()).await;
        assert_eq!(by_query.status, 401);
        // ...only where a header cannot be set: a report download link.
        let download = call(
            &server,
            "GET",
            &format!("/api/agencies/pakchong/years/{YEAR}/reports/xlsx?token={token}"),
            Call::default(),
        )
        .await;
        assert_eq!(download.status, 200);
        // The dashboard's page runs under its own policy: its scripts only, no framing.
        let page = call(&server, "GET", "/", Call::default()).await;
        let policy = page.header("content-security-policy");
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("worker-src 'self'"), "Workers from this server only: {policy}");
        assert_eq!(page.header("x-content-type-options"), "nosniff");
    }

    /// Uploads need a session that writes something; the agency's quota and the server's
    /// free-disk floor refuse uploads (507, with a reason) while edits keep syncing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_need_a_writer_and_stop_at_the_quota_and_the_disk_floor() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--agency-quota-bytes", "3000"]).await;
        let photo = png();
        assert!(photo.len() < 3000, "the icon fits the quota once");
        let sha = prongsai_core::hash::sha256_hex(&photo);
        async fn upload_to(server: &Server, token: String, bytes: Vec<u8>) -> Answer {
            let sha = prongsai_core::hash::sha256_hex(&bytes);
            call(
                server,
                "PUT",
                &format!("/api/blobs/{sha}"),
                Call { token: Some(&token), body: Some(bytes), ..Call::default() },
            )
            .await
        }
        let upload = |token: String, bytes: Vec<u8>| upload_to(&server, token, bytes);
        let web = login(&server, "somchai", sample.password("somchai"), true).await.token;
        let viewer = login(&server, "viewer", sample.password("viewer"), false).await.token;
        let writer = login(&server, "somchai", sample.password("somchai"), false).await.token;
        let answer = upload(web, photo.clone()).await;
        assert_eq!((answer.status, answer.kind().as_str()), (403, "read_only"));
        let answer = upload(viewer, photo.clone()).await;
        assert_eq!((answer.status, answer.kind().as_str()), (403, "forbidden"));
        assert_eq!(upload(writer.clone(), photo.clone()).await.status, 201);
        // The same file again costs nothing; another one does not fit.
        assert_eq!(upload(writer.clone(), photo.clone()).await.status, 201);
        let text = "หลักฐานเพิ่มเติม ".repeat(200).into_bytes();
        let answer = upload(writer.clone(), text).await;
        assert_eq!((answer.status, answer.kind().as_str()), (507, "quota_exceeded"));
        drop(server);

        // A disk that is nearly full: no upload, but edits still sync and are confirmed.
        let server = Server::start(&sample.data(), 0, &["--min-free-disk-bytes", "1000000000000000"]).await;
        let writer = login(&server, "somchai", sample.password("somchai"), false).await.token;
        let answer = upload_to(&server, writer, "ไฟล์ใหม่".as_bytes().to_vec()).await;
        assert_eq!((answer.status, answer.kind().as_str()), (507, "disk_full"));
        let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
        prongsai_tests::append_result(&palad, "palad", "m1", "ยังบันทึกได้").await.expect("edit");
        assert!(palad.wait_confirmed(LONG).await, "edits are confirmed while uploads wait");
        let _ = sha;
        palad.shutdown().await;
    }
}

mod passwords {
    use super::*;

    /// However many guesses arrive at once, at most the limit's number are checked; absurd
    /// usernames cost no work at all.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_guesses_cannot_pass_the_limit() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let checks_before = server.metric("prongsai_password_checks_total").await;
        let guesses = (0..40).map(|i| {
            let server = &server;
            async move {
                let body = json!({ "username": "somchai", "password": format!("guess {i}") });
                call(server, "POST", "/api/login", Call { body: json_body(body), ..Call::default() }).await
            }
        });
        let answers = futures::future::join_all(guesses).await;
        let limited = answers.iter().filter(|a| a.status == 429).count();
        let wrong = answers.iter().filter(|a| a.status == 401).count();
        assert_eq!(limited + wrong, 40);
        let checked = server.metric("prongsai_password_checks_total").await - checks_before;
        assert!(checked <= 5, "{checked} guesses were checked; the account allows 5");
        assert!(limited >= 35, "{limited} refused");
        assert!(answers.iter().filter(|a| a.status == 429).all(|a| !a.header("retry-after").is_empty()));
        // The right password is refused too while the account is limited.
        let body = json!({ "username": "somchai", "password": sample.password("somchai") });
        let answer = call(&server, "POST", "/api/login", Call { body: json_body(body), ..Call::default() }).await;
        assert_eq!((answer.status, answer.kind().as_str()), (429, "rate_limited"));

        // A username longer than any account's is refused before any work.
        let checks_before = server.metric("prongsai_password_checks_total").await;
        let body = json!({ "username": "a".repeat(41), "password": "x" });
        let answer = call(&server, "POST", "/api/login", Call { body: json_body(body), ..Call::default() }).await;
        assert_eq!(answer.status, 401);
        // A body of megabytes is not even read (413, or the connection closed while it is sent).
        let huge = json!({ "username": "ก".repeat(700_000), "password": "x" }).to_string();
        let sent = reqwest::Client::new().post(format!("http://{}/api/login", server.addr)).body(huge).send().await;
        if let Ok(response) = sent {
            assert_eq!(response.status().as_u16(), 413);
        }
        assert_eq!(server.metric("prongsai_password_checks_total").await, checks_before);
        assert_eq!(call(&server, "GET", "/healthz", Call::default()).await.status, 200);
    }

    /// `X-Forwarded-For` counts only from a configured proxy: a client cannot spread its guesses
    /// over made-up addresses, and behind the proxy each client has its own limit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forwarded_addresses_are_trusted_only_from_the_proxy() {
        let sample = Sample::create().await;
        let guess = |server: &Server, user: String, forwarded: String| {
            let addr = server.addr;
            async move {
                prongsai_client::api::install_crypto();
                let client = reqwest::Client::new();
                client
                    .post(format!("http://{addr}/api/login"))
                    .header("x-forwarded-for", forwarded)
                    .json(&json!({ "username": user, "password": "wrong" }))
                    .send()
                    .await
                    .expect("answers")
                    .status()
                    .as_u16()
            }
        };
        // Untrusted: 30 failures from this address (over many accounts and made-up forwarded
        // addresses) and the address is limited.
        let server = Server::start(&sample.data(), 0, &[]).await;
        for i in 0..30 {
            assert_eq!(guess(&server, format!("nobody{i}"), format!("10.9.{i}.1")).await, 401);
        }
        assert_eq!(guess(&server, "nobody-else".into(), "10.9.99.1".into()).await, 429);
        drop(server);
        // Behind a trusted proxy (this machine), each forwarded client has its own limit.
        let server = Server::start(&sample.data(), 0, &["--trusted-proxy", "127.0.0.1"]).await;
        for i in 0..30 {
            assert_eq!(guess(&server, format!("nobody{i}"), "203.0.113.5".into()).await, 401);
        }
        assert_eq!(guess(&server, "nobody-else".into(), "203.0.113.5".into()).await, 429);
        assert_eq!(
            guess(&server, "nobody-else".into(), "203.0.113.6".into()).await,
            401,
            "another client is not limited"
        );
    }

    /// A stolen session cannot guess the current password freely.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changing_a_password_has_the_login_limit() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let api = signed_in_api(&server, &sample, "somchai").await;
        for i in 0..5 {
            let refused = api.change_password(&format!("guess {i}"), "รหัสใหม่ที่ยาวพอ").await;
            assert!(matches!(refused, Err(ApiError::Refused { status: 403, .. })), "{refused:?}");
        }
        let limited = api.change_password(sample.password("somchai"), "รหัสใหม่ที่ยาวพอ").await;
        assert!(matches!(limited, Err(ApiError::RateLimited { .. })), "{limited:?}");
    }
}

mod contract {
    use super::*;

    /// One status, several meanings: the error body's kind tells them apart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conflicts_say_which_conflict_they_are() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let admin = signed_in_api(&server, &sample, "admin").await;
        let taken = admin
            .add_user(
                "pakchong",
                &prongsai_core::admin::NewUserRequest {
                    username: "somchai".into(),
                    display_name: "ซ้ำ".into(),
                    roles: vec![prongsai_core::model::Role::Viewer],
                    ..Default::default()
                },
            )
            .await
            .expect_err("taken");
        assert_eq!((taken.kind(), status_of(&taken)), (ErrorKind::UsernameTaken, 409));
        let last = admin
            .change_user(
                "pakchong",
                "admin",
                &prongsai_core::admin::UserChange { disabled: Some(true), ..Default::default() },
            )
            .await
            .expect_err("last admin");
        assert_eq!((last.kind(), status_of(&last)), (ErrorKind::LastAdmin, 409));
        let mayor = signed_in_api(&server, &sample, "winai").await;
        let status = mayor.status("pakchong", YEAR, None).await.expect("status");
        let last_step = status["approvals"].as_array().expect("steps").last().expect("a step")["step"]
            .as_str()
            .expect("id")
            .to_string();
        let early = mayor.sign("pakchong", YEAR, &last_step, "approved", "", None).await.expect_err("out of order");
        assert_eq!((early.kind(), status_of(&early)), (ErrorKind::OutOfOrder, 409));
    }

    fn status_of(error: &ApiError) -> u16 {
        match error {
            ApiError::Refused { status, .. } => *status,
            ApiError::Unauthorized => 401,
            ApiError::NotFound => 404,
            ApiError::RateLimited { .. } => 429,
            _ => 0,
        }
    }

    /// The dashboard offers the sign box exactly where the server takes a signature: after a
    /// step returns the memo, its turn stays with it (the server refuses the next step).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_step_shown_as_next_is_the_step_the_server_lets_sign() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let head = signed_in_api(&server, &sample, "parichat").await;
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        let steps: Vec<(String, String)> = status["approvals"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| {
                (s["step"].as_str().expect("id").to_string(), s["approver"].as_str().expect("approver").to_string())
            })
            .collect();
        head.sign("pakchong", YEAR, &steps[0].0, "returned", "ขอแก้ไขข้อเท็จจริง", None).await.expect("returned");
        let view = head.status("pakchong", YEAR, None).await.expect("status");
        let next: Vec<bool> = view["approvals"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["is_next"].as_bool().unwrap_or(false))
            .collect();
        // Every other step's approver is refused; the one shown as next is taken.
        for (i, (step, approver)) in steps.iter().enumerate() {
            if next[i] {
                continue;
            }
            let api = signed_in_api(&server, &sample, approver).await;
            let refused = api.sign("pakchong", YEAR, step, "approved", "", None).await;
            assert!(refused.is_err(), "step {step} is not shown as next, and the server refused it");
        }
        let i = next.iter().position(|n| *n).expect("some step is next");
        let api = signed_in_api(&server, &sample, &steps[i].1).await;
        api.sign("pakchong", YEAR, &steps[i].0, "approved", "", None).await.expect("the step shown as next signs");
    }
}

mod sync {
    use prongsai_core::automerge::transaction::Transactable;
    use prongsai_core::automerge::{ActorId, Automerge, AutomergeError, ChangeHash, ROOT, ReadDoc};

    use super::*;
    use prongsai_tests::RawPeer;

    /// The first 8 bytes of the actors a user's sessions are issued.
    fn prefix_of(login: &prongsai_core::wire::LoginResponse) -> Vec<u8> {
        hex::decode(&login.actor_id[..16]).expect("hex")
    }

    /// A change on top of `base` by an actor starting with `prefix`, putting `key`.
    fn change_by(base: &Automerge, prefix: &[u8], key: &str) -> (ChangeHash, Vec<u8>) {
        let mut actor = prefix.to_vec();
        actor.extend(rand_bytes());
        let mut doc = base.fork().with_actor(ActorId::from(actor));
        doc.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, key, "ค่า").map(drop)).expect("edit");
        let change = doc.get_changes(&base.get_heads()).pop().expect("the new change").clone();
        (change.hash(), change.raw_bytes().to_vec())
    }

    fn rand_bytes() -> Vec<u8> {
        use sha2::Digest;
        let seed = format!("{:?}{:?}", std::time::SystemTime::now(), std::thread::current().id());
        sha2::Sha256::digest(seed.as_bytes())[..16].to_vec()
    }

    /// A writer cannot author changes as another user or as the server; relaying a colleague's
    /// change to their shared document is fine. The refused change never reaches storage or other
    /// peers, the device hears it was refused, and the rest of the message goes through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_are_accepted_only_from_authors_who_may_write() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let somchai = login(&server, "somchai", sample.password("somchai"), false).await;
        let parichat = login(&server, "parichat", sample.password("parichat"), false).await;
        let wipa = login(&server, "wipa", sample.password("wipa"), false).await;
        let reader = device(&server, &sample.device_dir("reader"), "viewer", sample.password("viewer")).await;
        reader.agency_year(YEAR).await.expect("load");
        let doc_id = palad_results(&reader).await;
        let handle = reader.handle(&doc_id).await.expect("handle");
        let base = handle.with_document_async(|d| d.clone()).await.expect("doc");

        let (forged, forged_bytes) = change_by(&base, &prefix_of(&wipa), "forged_by_klang");
        let (server_forged, server_bytes) = change_by(&base, &[0u8; 8], "forged_as_server");
        let (relayed, relayed_bytes) = change_by(&base, &prefix_of(&parichat), "relayed_colleague");
        let (own, own_bytes) = change_by(&base, &prefix_of(&somchai), "own_change");
        let refused_before = server.metric("prongsai_refused_changes_total").await;
        let mut peer = RawPeer::connect(&server, &somchai.token, &somchai.peer_id).await;
        peer.push_changes(&doc_id, base.get_heads(), vec![forged_bytes, server_bytes, relayed_bytes, own_bytes]).await;

        // The colleague's and the sender's own changes arrive; the forged ones never do.
        let api = signed_in_api(&server, &sample, "somchai").await;
        for hash in [relayed, own] {
            assert!(
                api.durable(&doc_id, &[hash], LONG).await.expect("durable answers"),
                "an accepted change is stored"
            );
        }
        eventually("the reader has the accepted changes", LONG, || {
            let handle = handle.clone();
            async move {
                handle
                    .with_document_async(|d| {
                        d.get(ROOT, "relayed_colleague").ok().flatten().is_some()
                            && d.get(ROOT, "own_change").ok().flatten().is_some()
                    })
                    .await
                    .unwrap_or(false)
            }
        })
        .await;
        let leaked = handle
            .with_document_async(|d| {
                d.get(ROOT, "forged_by_klang").ok().flatten().is_some()
                    || d.get(ROOT, "forged_as_server").ok().flatten().is_some()
            })
            .await
            .expect("read");
        assert!(!leaked, "a forged change reached another peer");
        for hash in [forged, server_forged] {
            let answer = api.durability(&doc_id, &[hash], Duration::from_millis(200)).await.expect("answers");
            assert!(answer.refused && !answer.durable, "the device hears the change was refused: {answer:?}");
        }
        assert_eq!(server.metric("prongsai_refused_changes_total").await - refused_before, 2);
        // A change built on a refused one is refused with it.
        let mut on_top = base.clone();
        on_top.load_incremental(&change_by(&base, &prefix_of(&wipa), "x").1).expect("apply");
        let (dependent, dependent_bytes) = change_by(&on_top, &prefix_of(&somchai), "built_on_forged");
        let heads = on_top.get_heads();
        let (_, parent_bytes) = {
            let last = on_top.get_changes(&base.get_heads()).pop().expect("the forged parent").clone();
            (last.hash(), last.raw_bytes().to_vec())
        };
        peer.push_changes(&doc_id, heads, vec![parent_bytes, dependent_bytes]).await;
        eventually("the dependent change is refused", LONG, || {
            let api = api.clone();
            let doc_id = doc_id.clone();
            async move { api.durability(&doc_id, &[dependent], Duration::ZERO).await.is_ok_and(|a| a.refused) }
        })
        .await;
        // The server is still storing the sender's honest work afterwards.
        let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
        prongsai_tests::append_result(&palad, "palad", "m1", "ยังซิงก์ได้").await.expect("edit");
        assert!(palad.wait_confirmed(LONG).await);
        palad.shutdown().await;
        reader.shutdown().await;
    }

    /// Role changes race connections being decided: once the user is demoted, no connection of
    /// theirs writes, whichever moment it was decided at.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demoted_user_writes_on_no_connection() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let admin = signed_in_api(&server, &sample, "admin").await;
        let viewer = device(&server, &sample.device_dir("reader"), "viewer", sample.password("viewer")).await;
        viewer.agency_year(YEAR).await.expect("load");
        let doc_id = palad_results(&viewer).await;
        let base = viewer.handle(&doc_id).await.expect("handle").with_document_async(|d| d.clone()).await.expect("doc");
        let mut logins = Vec::new();
        for _ in 0..12 {
            logins.push(login(&server, "somchai", sample.password("somchai"), false).await);
        }
        use prongsai_core::model::Role;
        let roles = |staff: bool| prongsai_core::admin::UserChange {
            roles: Some(vec![if staff { Role::Staff } else { Role::Viewer }]),
            ..Default::default()
        };
        // Connections open while the role flips back and forth; it ends demoted.
        let flips = async {
            for i in 0..20 {
                admin.change_user("pakchong", "somchai", &roles(i % 2 == 1)).await.expect("role change");
            }
            admin.change_user("pakchong", "somchai", &roles(false)).await.expect("demoted");
        };
        let connects =
            futures::future::join_all(logins.iter().map(|l| RawPeer::connect(&server, &l.token, &l.peer_id)));
        let (_, mut peers) = futures::join!(flips, connects);
        let api = signed_in_api(&server, &sample, "viewer").await;
        let mut hashes = Vec::new();
        for (i, peer) in peers.iter_mut().enumerate() {
            let (hash, bytes) = change_by(&base, &prefix_of(&logins[i]), &format!("after_demotion_{i}"));
            peer.push_changes(&doc_id, base.get_heads(), vec![bytes]).await;
            hashes.push(hash);
        }
        // A change the server stores is durable within moments; none of these may ever be.
        for hash in hashes {
            let stored = api.durable(&doc_id, &[hash], Duration::from_secs(2)).await.expect("answers");
            assert!(!stored, "a change sent after the demotion was stored");
        }
        viewer.shutdown().await;
    }

    /// samod hears of a role change through its share policy a moment after the sync reader
    /// does (here 5 s later, as under a slow database): every change a demoted user sends in that
    /// moment is refused, not only the first one the reader judged with what it knew before.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demoted_users_changes_are_refused_before_samod_hears_of_the_demotion() {
        use prongsai_core::model::Role;
        let sample = Sample::create().await;
        let env = [("PRONGSAI_FAULT_SHARE_DELAY_MS", "5000")];
        let server = Server::start_with_env(&sample.data(), &[], &env).await;
        let admin = signed_in_api(&server, &sample, "admin").await;
        // parichat heads the division: she may write its results, so the server waits for them.
        let parichat = signed_in_api(&server, &sample, "parichat").await;
        let viewer = device(&server, &sample.device_dir("reader"), "viewer", sample.password("viewer")).await;
        viewer.agency_year(YEAR).await.expect("load");
        let doc_id = palad_results(&viewer).await;
        let base = viewer.handle(&doc_id).await.expect("handle").with_document_async(|d| d.clone()).await.expect("doc");
        let somchai = login(&server, "somchai", sample.password("somchai"), false).await;
        let mut peer = RawPeer::connect(&server, &somchai.token, &somchai.peer_id).await;
        let (before, bytes) = change_by(&base, &prefix_of(&somchai), "before_demotion");
        peer.push_changes(&doc_id, base.get_heads(), vec![bytes]).await;
        assert!(parichat.durable(&doc_id, &[before], LONG).await.expect("answers"), "stored while he may write");

        let demote = prongsai_core::admin::UserChange { roles: Some(vec![Role::Viewer]), ..Default::default() };
        admin.change_user("pakchong", "somchai", &demote).await.expect("demoted");
        let mut sent = Vec::new();
        for i in 0..3 {
            let (hash, bytes) = change_by(&base, &prefix_of(&somchai), &format!("after_demotion_{i}"));
            peer.push_changes(&doc_id, base.get_heads(), vec![bytes]).await;
            sent.push(hash);
        }
        for (i, hash) in sent.into_iter().enumerate() {
            let stored = parichat.durable(&doc_id, &[hash], Duration::from_secs(2)).await.expect("answers");
            assert!(!stored, "change {i} sent after the demotion was stored");
        }
        viewer.shutdown().await;
    }

    /// A frame about a document the peer may not read never reaches samod: a request for a
    /// made-up or foreign document is answered "unavailable" at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_for_unreadable_documents_are_answered_unavailable() {
        use prongsai_core::automerge::sync::SyncDoc;
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--max-connections-per-user", "2"]).await;
        let viewer = login(&server, "viewer", sample.password("viewer"), false).await;
        let mut peer = RawPeer::connect(&server, &viewer.token, &viewer.peer_id).await;
        let before = server.metric("prongsai_unreadable_frames_total").await;
        let request = Automerge::new().generate_sync_message(&mut Default::default()).expect("a request").encode();
        for i in 0..20 {
            // bs58check-looking ids that no agency has.
            let made_up = format!("2b5QYQn3u4vMxJ9Lq7dVt8aZ{i:02}");
            assert!(peer.send_sync("request", &made_up, &request).await);
            let answer = tokio::time::timeout(LONG, peer.next_message()).await.expect("answered").expect("open");
            assert_eq!(answer.0, "doc-unavailable", "for {made_up}");
            assert_eq!(answer.1.as_deref(), Some(made_up.as_str()));
        }
        assert!(server.metric("prongsai_unreadable_frames_total").await >= before + 20);
        // A user has at most the configured number of connections.
        let _second = RawPeer::connect(&server, &viewer.token, &viewer.peer_id).await;
        let third =
            call(&server, "GET", "/sync", Call { token: Some(&viewer.token), websocket: true, ..Call::default() })
                .await;
        assert_eq!((third.status, third.kind().as_str()), (429, "rate_limited"));
    }

    /// Ephemeral messages (presence) are relayed only from peers who may write the document.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ephemeral_messages_from_read_only_peers_are_not_relayed() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let writer = login(&server, "somchai", sample.password("somchai"), false).await;
        let reader = login(&server, "viewer", sample.password("viewer"), false).await;
        let viewer_device = device(&server, &sample.device_dir("v"), "viewer", sample.password("viewer")).await;
        let doc_id = palad_results(&viewer_device).await;
        viewer_device.shutdown().await;
        let mut writing = RawPeer::connect(&server, &writer.token, &writer.peer_id).await;
        let mut reading = RawPeer::connect(&server, &reader.token, &reader.peer_id).await;
        writing.sync_document(&doc_id).await;
        reading.sync_document(&doc_id).await;
        let dropped_before = server.metric("prongsai_ephemeral_dropped_total").await;
        assert!(reading.send_ephemeral(&doc_id, 1, b"viewer is here").await);
        assert!(writing.send_ephemeral(&doc_id, 1, b"somchai is here").await);
        let seen = tokio::time::timeout(LONG, reading.next_ephemeral()).await.expect("relayed").expect("open");
        assert_eq!(seen, b"somchai is here");
        assert!(server.metric("prongsai_ephemeral_dropped_total").await > dropped_before);
        // The writer never gets the read-only peer's message: after a second message of the
        // reader's own... the first thing the writer sees is nothing but sync traffic.
        let none = tokio::time::timeout(Duration::from_millis(700), writing.next_ephemeral()).await;
        assert!(none.is_err(), "a read-only peer's ephemeral message was relayed");
        // An oversized one is dropped even from a writer.
        assert!(writing.send_ephemeral(&doc_id, 2, &vec![b'x'; 64 * 1024]).await);
        let none = tokio::time::timeout(Duration::from_millis(700), reading.next_ephemeral()).await;
        assert!(none.is_err(), "an oversized ephemeral message was relayed");
    }

    /// A peer that stops reading is cut once what waits for it passes the backlog limit (here
    /// presence messages from colleagues pile up for it); everyone else carries on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_peer_that_stops_reading_is_cut() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--max-backlog-bytes", "262144"]).await;
        let reader = login(&server, "viewer", sample.password("viewer"), false).await;
        let palad = device(&server, &sample.device_dir("palad"), "somchai", sample.password("somchai")).await;
        let doc_id = palad_results(&palad).await;
        let mut stalled = RawPeer::connect_small_window(&server, &reader.token, &reader.peer_id).await;
        stalled.sync_document(&doc_id).await;
        // From now on it reads nothing, while eight colleagues' connections announce their
        // presence as fast as the server relays it: more than the kernel's buffers hold.
        let mut writers = Vec::new();
        for _ in 0..8 {
            let login = login(&server, "somchai", sample.password("somchai"), false).await;
            let mut peer = RawPeer::connect(&server, &login.token, &login.peer_id).await;
            peer.sync_document(&doc_id).await;
            writers.push(peer);
        }
        let presence = vec![b'p'; 15 * 1024];
        let flood = futures::future::join_all(writers.iter_mut().map(|peer| {
            let (doc_id, presence) = (doc_id.clone(), presence.clone());
            async move {
                for count in 0..80u64 {
                    if !peer.send_ephemeral(&doc_id, count, &presence).await {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
        flood.await;
        // Only now does it read again: what was sent before the server cut it, then the end.
        assert!(stalled.closed_by_server(LONG).await, "the stalled peer was cut");
        // The device is untouched.
        prongsai_tests::append_result(&palad, "palad", "m2", "ยังทำงานได้").await.expect("edit");
        assert!(palad.wait_confirmed(LONG).await, "the writer is confirmed");
        palad.shutdown().await;
    }
}

mod timeouts {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A client that never finishes its headers is cut (slowloris).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unfinished_headers_are_cut() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--header-timeout-secs", "2"]).await;
        let mut slow = tokio::net::TcpStream::connect(server.addr).await.expect("connects");
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: prongsai\r\nX-Slow: 1").await.expect("writes");
        let mut buffer = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(20), slow.read(&mut buffer)).await;
        assert!(read.is_ok(), "the connection is still open 20 s later");
        // Ordinary requests are untouched.
        assert_eq!(call(&server, "GET", "/healthz", Call::default()).await.status, 200);
    }

    /// Sync connections are pinged: one that stops answering is closed after two missed pongs,
    /// one that answers stays open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn silent_sync_connections_are_closed_and_live_ones_kept() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--ping-interval-secs", "1"]).await;
        let viewer = login(&server, "viewer", sample.password("viewer"), false).await;
        let mut deaf = prongsai_tests::RawPeer::connect(&server, &viewer.token, &viewer.peer_id).await;
        let mut alive = prongsai_tests::RawPeer::connect(&server, &viewer.token, &viewer.peer_id).await;
        // The live one reads (and so answers pings) for six intervals.
        let alive_open =
            tokio::time::timeout(Duration::from_secs(6), alive.closed_by_server(Duration::from_secs(6))).await;
        assert!(matches!(alive_open, Ok(false) | Err(_)), "a connection that answers pings was closed");
        // The deaf one read nothing meanwhile: it finds the server's close waiting.
        assert!(deaf.closed_by_server(Duration::from_secs(5)).await, "a connection that never answered stays open");
    }

    /// A device in a browser syncs with its token offered as a subprotocol (a browser's
    /// WebSocket can set no header, and the address would put it in logs); a token that is no
    /// session's, offered the same way, is refused before the upgrade.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_browser_device_syncs_with_its_token_as_a_subprotocol() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let somchai = login(&server, "somchai", sample.password("somchai"), false).await;
        let peer = prongsai_tests::RawPeer::connect_as_browser(&server, &somchai.token, &somchai.peer_id).await;
        assert!(!peer.server_peer.is_empty(), "the server joined");

        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/sync", server.addr).into_client_request().expect("request");
        let offered =
            format!("{}, {}nonsense", prongsai_core::wire::SYNC_PROTOCOL, prongsai_core::wire::TOKEN_PROTOCOL_PREFIX);
        request.headers_mut().insert("sec-websocket-protocol", offered.parse().expect("header"));
        let wrong = tokio_tungstenite::connect_async(request).await;
        assert!(
            matches!(&wrong, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
            "{wrong:?}"
        );
    }

    /// `/live` is closed when its session is revoked, and when it expires.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn live_connections_end_with_their_session() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &["--session-ttl-secs", "4"]).await;
        let admin_password = sample.password("admin");
        let open_live = |token: String| {
            let addr = server.addr;
            async move {
                use prongsai_core::wire::{LIVE_PROTOCOL, TOKEN_PROTOCOL_PREFIX};
                use tokio_tungstenite::tungstenite::client::IntoClientRequest;
                // As the page opens it: the token as a subprotocol, nothing in the address.
                let url = format!("ws://{addr}/api/agencies/pakchong/years/{YEAR}/live");
                let mut request = url.into_client_request().expect("request");
                let protocols = format!("{LIVE_PROTOCOL}, {TOKEN_PROTOCOL_PREFIX}{token}");
                request.headers_mut().insert("sec-websocket-protocol", protocols.parse().expect("header"));
                let (socket, answer) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
                assert_eq!(answer.headers()["sec-websocket-protocol"], LIVE_PROTOCOL);
                socket
            }
        };
        let closes = |mut socket: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
                      within: Duration| async move {
            use futures::StreamExt;
            let deadline = tokio::time::Instant::now() + within;
            loop {
                match tokio::time::timeout_at(deadline, socket.next()).await {
                    Err(_) => return false,
                    Ok(None | Some(Err(_))) => return true,
                    Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))) => return true,
                    Ok(Some(Ok(_))) => continue,
                }
            }
        };
        // A token that is no session's, offered the same way: refused before the upgrade.
        let wrong = {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let url = format!("ws://{}/api/agencies/pakchong/years/{YEAR}/live", server.addr);
            let mut request = url.into_client_request().expect("request");
            request
                .headers_mut()
                .insert("sec-websocket-protocol", "prongsai.live, bearer.nonsense".parse().expect("header"));
            tokio_tungstenite::connect_async(request).await
        };
        assert!(
            matches!(&wrong, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
            "{wrong:?}"
        );
        // Revoked: the admin signs somchai out everywhere.
        let somchai = login(&server, "somchai", sample.password("somchai"), true).await;
        let socket = open_live(somchai.token).await;
        let admin = login(&server, "admin", admin_password, false).await;
        let revoke = call(
            &server,
            "POST",
            "/api/agencies/pakchong/users/somchai/revoke",
            Call { token: Some(&admin.token), ..Call::default() },
        )
        .await;
        assert_eq!(revoke.status, 200);
        assert!(closes(socket, Duration::from_secs(3)).await, "revocation closes /live");
        // Expired: a session of 4 s.
        let viewer = login(&server, "viewer", sample.password("viewer"), true).await;
        let socket = open_live(viewer.token).await;
        assert!(closes(socket, Duration::from_secs(15)).await, "expiry closes /live");
    }
}

mod durability {
    use super::*;

    /// A signature the signer was told about survives a crash right after: the server answers
    /// only once its own change is committed (commits are held back 700 ms here, so an answer
    /// given before the commit would be lost to the SIGKILL).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_servers_own_writes_are_stored_before_it_answers() {
        let sample = Sample::create().await;
        let mut server =
            Server::start_with_env(&sample.data(), &[], &[("PRONGSAI_FAULT_COMMIT_DELAY_MS", "700")]).await;
        let head = signed_in_api(&server, &sample, "parichat").await;
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        let step = status["approvals"][0]["step"].as_str().expect("step").to_string();
        head.sign("pakchong", YEAR, &step, "approved", "เห็นชอบ", None).await.expect("signed");
        server.kill().await;
        server.restart().await;
        let head = signed_in_api(&server, &sample, "parichat").await;
        let status = head.status("pakchong", YEAR, None).await.expect("status");
        assert_eq!(status["approvals"][0]["signed"], true, "the confirmed signature survived the crash");
        // The admin's binding of an approver, likewise.
        let admin = signed_in_api(&server, &sample, "admin").await;
        admin.bind_approver("pakchong", YEAR, &step, None).await.expect("unbound");
        server.kill().await;
        server.restart().await;
        let admin = signed_in_api(&server, &sample, "admin").await;
        let status = admin.status("pakchong", YEAR, None).await.expect("status");
        assert_eq!(status["approvals"][0]["approver"], Value::Null, "the confirmed change survived the crash");
    }

    /// A write that could not start its transaction is not run outside one: the caller hears it
    /// failed, and it did not happen.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_refused_by_a_locked_database_does_not_happen() {
        let sample = Sample::create_on_sqlite().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let admin = signed_in_api(&server, &sample, "admin").await;
        // Another process holds the database's write lock past the server's 10 s busy wait, and
        // lets go while the server would still be writing outside a transaction.
        let path = sample.data().join("prongsai.sqlite3");
        let (locked, release) =
            (std::sync::Arc::new(tokio::sync::Notify::new()), std::sync::Arc::new(tokio::sync::Notify::new()));
        let holder = {
            let (locked, release) = (locked.clone(), release.clone());
            std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(&path).expect("open");
                conn.execute_batch("BEGIN IMMEDIATE").expect("lock");
                locked.notify_one();
                futures::executor::block_on(release.notified());
                conn.execute_batch("ROLLBACK").expect("unlock");
            })
        };
        locked.notified().await;
        let request = prongsai_core::admin::NewUserRequest {
            username: "during-lock".into(),
            display_name: "ระหว่างล็อก".into(),
            roles: vec![prongsai_core::model::Role::Viewer],
            password: Some("รหัสผ่านยาวพอแล้ว".into()),
            ..Default::default()
        };
        let adding = tokio::spawn({
            let admin = admin.clone();
            async move { admin.add_user("pakchong", &request).await }
        });
        // The server's BEGIN gives up after its 10 s busy wait (and says so in its log); the lock
        // goes the moment it has, while a write run outside a transaction would still be waiting.
        let log = sample.data().with_extension("server.log");
        eventually("the server gives up beginning its transaction", LONG, || async {
            std::fs::read_to_string(&log).is_ok_and(|text| text.contains("cannot begin a transaction"))
        })
        .await;
        release.notify_one();
        holder.join().expect("the lock holder ends");
        let outcome = adding.await.expect("the request ends");
        assert!(outcome.is_err(), "the write could not start; the caller hears so: {outcome:?}");
        let users = admin.users("pakchong").await.expect("users");
        assert!(!users.iter().any(|u| u.username == "during-lock"), "a write reported as failed happened anyway");
        // And the server writes normally again.
        let mut again = prongsai_core::admin::NewUserRequest {
            username: "after-lock".into(),
            display_name: "หลังล็อก".into(),
            roles: vec![prongsai_core::model::Role::Viewer],
            ..Default::default()
        };
        again.password = Some("รหัสผ่านยาวพอแล้ว".into());
        admin.add_user("pakchong", &again).await.expect("written");
    }
}

mod import {
    use super::*;

    /// A spreadsheet whose used range spans the whole sheet (one cell in A1, one in the last row
    /// and column: 17 billion cells as a grid) is refused without building the grid; the server
    /// carries on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sheet_spanning_the_whole_grid_is_refused_cheaply() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let coordinator = login(&server, "kannika", sample.password("kannika"), false).await.token;
        let bytes = prongsai_tests::hostile_xlsx();
        let answer = call(
            &server,
            "POST",
            &format!("/api/agencies/pakchong/years/{YEAR}/import?dry_run=true"),
            Call { token: Some(&coordinator), body: Some(bytes), ..Call::default() },
        )
        .await;
        assert_eq!(answer.status, 422, "{}", String::from_utf8_lossy(&answer.body));
        assert_eq!(answer.json()["code"], "too_many_rows");
        assert_eq!(answer.kind(), "import_refused");
        assert_eq!(call(&server, "GET", "/healthz", Call::default()).await.status, 200);
    }
}

mod second_factor {
    use prongsai_core::totp;

    use super::*;

    fn now_secs() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs()
    }

    /// The code an authenticator app shows for a secret as the enrolment page prints it.
    fn app_code(secret_text: &str, offset_steps: i64) -> String {
        let secret = totp::decode_secret(secret_text).expect("a base32 secret");
        let at = now_secs() as i64 + offset_steps * totp::STEP_SECS as i64;
        totp::code(&secret, at as u64)
    }

    /// An admin enrols with a QR code, then signs in with password and code; a code works once,
    /// a recovery code works once; the agency can require it of admins and approvers, whose
    /// sessions reach only their own account until they enrol; the admin clears a lost phone.
    /// Every step is in the audit log.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn admins_and_approvers_sign_in_with_a_second_factor() {
        let sample = Sample::create().await;
        let server = Server::start(&sample.data(), 0, &[]).await;
        let api = prongsai_client::ServerApi::new(server.url());
        let admin_password = sample.password("admin");
        let admin = signed_in_api(&server, &sample, "admin").await;

        // Enrolment: a QR code and the secret as text; a code from the app confirms it.
        let enrollment = admin.enroll_second_factor().await.expect("enrol");
        assert!(enrollment.qr_svg.contains("<svg"), "a QR code to scan");
        assert!(enrollment.uri.starts_with("otpauth://totp/"));
        let wrong = admin.confirm_second_factor("000000").await.expect_err("a wrong code");
        assert_eq!(wrong.kind(), ErrorKind::SecondFactorWrong);
        let codes = admin.confirm_second_factor(&app_code(&enrollment.secret, 0)).await.expect("confirmed").codes;
        assert_eq!(codes.len(), 10, "recovery codes, shown once");
        let status = admin.second_factor().await.expect("status");
        assert!(status.enrolled && status.recovery_codes_left == 10);

        // Sign-in: the password alone is not enough; the code is.
        let missing = api.login("admin", admin_password, "test").await.expect_err("needs the code");
        assert_eq!(missing.kind(), ErrorKind::SecondFactorRequired);
        let code = app_code(&enrollment.secret, 1);
        api.login_with_code("admin", admin_password, "test", Some(&code)).await.expect("password and code");
        let again = api.login_with_code("admin", admin_password, "test", Some(&code)).await.expect_err("used");
        assert_eq!(again.kind(), ErrorKind::SecondFactorWrong, "a code works once");
        let fresh = app_code(&enrollment.secret, 0);
        let wrong_password = api.login_with_code("admin", "not the password", "test", Some(&fresh)).await;
        assert!(matches!(wrong_password, Err(ApiError::Unauthorized)), "{wrong_password:?}");
        // A recovery code, lower case and without its dash, works once.
        let recovery = codes[0].to_lowercase().replace('-', "");
        api.login_with_code("admin", admin_password, "test", Some(&recovery)).await.expect("a recovery code");
        let reused = api.login_with_code("admin", admin_password, "test", Some(&recovery)).await.expect_err("used");
        assert_eq!(reused.kind(), ErrorKind::SecondFactorWrong);

        // The agency requires it of admins and approvers: an approver without one reaches only
        // their own account until they enrol.
        let admin = api.clone().with_token(
            &api.login_with_code("admin", admin_password, "test", Some(&codes[1])).await.expect("login").token,
        );
        admin
            .set_security("pakchong", &prongsai_core::admin::AgencySecurity { second_factor_required: true })
            .await
            .expect("required");
        let login = api.login("parichat", sample.password("parichat"), "test").await.expect("the password still works");
        assert_eq!(login.second_factor.as_deref(), Some("enroll"));
        let approver = api.clone().with_token(&login.token);
        let blocked = approver.status("pakchong", YEAR, None).await.expect_err("blocked until enrolled");
        assert_eq!(blocked.kind(), ErrorKind::EnrollSecondFactor);
        let sync =
            call(&server, "GET", "/sync", Call { token: Some(&login.token), websocket: true, ..Call::default() }).await;
        assert_eq!(sync.status, 403, "no sync either");
        assert!(approver.second_factor().await.expect("own account answers").required);
        let enrollment = approver.enroll_second_factor().await.expect("enrol");
        approver.confirm_second_factor(&app_code(&enrollment.secret, 0)).await.expect("confirmed");
        approver.status("pakchong", YEAR, None).await.expect("everything answers once enrolled");
        // Staff are not concerned.
        api.login("somchai", sample.password("somchai"), "test").await.expect("staff sign in with a password");

        // A lost phone: the admin clears it; the approver signs in with the password and enrols again.
        admin.reset_second_factor("pakchong", "parichat").await.expect("cleared");
        let login = api.login("parichat", sample.password("parichat"), "test").await.expect("password only");
        assert_eq!(login.second_factor.as_deref(), Some("enroll"));

        let log = admin.audit_log("pakchong", None).await.expect("audit log");
        let actions: Vec<String> = log
            .iter()
            .map(|e| serde_json::to_value(e.action).expect("json").as_str().unwrap_or_default().to_string())
            .collect();
        for expected in ["second_factor_enrolled", "security_changed", "second_factor_reset"] {
            assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
        }
        let reset = log.iter().find(|e| e.target == "parichat" && e.actor == "admin").expect("the reset, by the admin");
        assert!(!reset.session.is_empty(), "from which session");
    }
}
