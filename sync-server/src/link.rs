//! The node-to-node link. Several servers share one PostgreSQL, and each agency is served by one
//! of them at a time (its lease, `repos.rs`). A request for an agency that reaches another node
//! (a load balancer without stickiness sends anything anywhere) is carried to the node serving
//! it, at the address that node gave (`--advertise`, kept in the agency's lease row):
//!
//! - an HTTP request is sent on with its body streamed, and the answer streamed back;
//! - a WebSocket upgrade is sent on, and once the serving node has switched protocols the two
//!   sockets are joined byte for byte: the client keeps one WebSocket, framed end to end with
//!   the serving node, which authenticates, checks every frame, pings and cuts it as if the
//!   client had come straight to it (an unmodified automerge-repo client cannot tell).
//!
//! The carrying node signs what it sends on: its name, the client's address, the time, the
//! method and the path, with HMAC-SHA256 under a key only the nodes know (made once and kept in
//! the shared database, `Database::cluster_secret`). The receiving node believes the client's
//! address (for its per-address limits and the audit log) only from a signed request, refuses a
//! request whose signature is wrong or stale, and never carries a signed request further: if it
//! does not serve the agency either (the agency moved meanwhile), it answers 503 and the client
//! (or the load balancer) tries again.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Sha256;

use crate::app::{App, AppError, now_ms};
use crate::db::{Database, DbError, Node};
use crate::repos::RepoError;

/// The node that carried a request here.
pub const NODE_HEADER: &str = "x-prongsai-node";
/// The address the client reached that node from.
pub const CLIENT_HEADER: &str = "x-prongsai-client";
/// `{milliseconds}.{hex HMAC-SHA256}` over the node, client, time, method and path.
pub const SIGNATURE_HEADER: &str = "x-prongsai-signature";
/// How far a signed request's time may be from the receiver's clock.
const MAX_SKEW_MS: i64 = 30_000;
/// How long the carrying node waits for the serving node to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What one node needs to carry requests to another and to check what another carried here.
pub struct Link {
    secret: Vec<u8>,
    node: String,
    http: reqwest::Client,
    /// Agencies' holders as last read, and when.
    holders: std::sync::Mutex<HashMap<String, (Instant, Option<Node>)>>,
}

/// Put in a request's extensions when another node carried it here (its signature checked).
#[derive(Clone, Debug)]
pub struct Carried {
    /// The node that carried it.
    pub from: String,
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    prongsai_core::totp::hmac::<Sha256>(key, message).into()
}

fn signed_text(node: &str, client: &str, at_ms: i64, method: &str, path: &str) -> Vec<u8> {
    format!("prongsai-node-link\n{node}\n{client}\n{at_ms}\n{method}\n{path}").into_bytes()
}

/// Equal without telling, by its timing, how much of the two matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Link {
    /// `roots`: authorities trusted besides the machine's usual ones, for nodes that serve
    /// HTTPS with certificates of the cluster's own authority.
    pub fn new(secret: Vec<u8>, node: String, roots: &[reqwest::Certificate]) -> Link {
        crate::tls::install_crypto();
        let http = reqwest::Client::builder()
            .tls_certs_merge(roots.iter().cloned())
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a reqwest client with rustls's provider installed builds");
        Link { secret, node, http, holders: std::sync::Mutex::default() }
    }

    /// The node holding the agency's lease, read from the database unless read within `fresh`.
    async fn holder<D: Database>(&self, db: &D, agency: &str, fresh: Duration) -> Result<Option<Node>, DbError> {
        let known = self.holders.lock().ok().and_then(|h| h.get(agency).cloned());
        if let Some((at, holder)) = known
            && at.elapsed() < fresh
        {
            return Ok(holder);
        }
        let holder = db.lease_holder(agency.to_string()).await?;
        if let Ok(mut holders) = self.holders.lock() {
            holders.insert(agency.to_string(), (Instant::now(), holder.clone()));
        }
        Ok(holder)
    }

    /// The signature header's value for a request carried now.
    pub fn sign(&self, client: IpAddr, at_ms: i64, method: &str, path: &str) -> String {
        let mac = hmac_sha256(&self.secret, &signed_text(&self.node, &client.to_string(), at_ms, method, path));
        format!("{at_ms}.{}", hex::encode(mac))
    }

    /// Checks the node headers of a request: who carried it and the client's address, or why
    /// it is refused.
    pub fn verify(&self, headers: &HeaderMap, method: &str, path: &str, now: i64) -> Result<(String, IpAddr), String> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (Some(node), Some(client), Some(signature)) =
            (text(NODE_HEADER), text(CLIENT_HEADER), text(SIGNATURE_HEADER))
        else {
            return Err("it lacks one of the node headers".into());
        };
        let (at, mac) = signature.split_once('.').ok_or("its signature is malformed")?;
        let at: i64 = at.parse().map_err(|_| "its signature's time is malformed")?;
        if (now - at).abs() > MAX_SKEW_MS {
            return Err(format!("its signature is {} s from this node's clock", (now - at) / 1000));
        }
        let expected = hmac_sha256(&self.secret, &signed_text(&node, &client, at, method, path));
        if !same(hex::encode(expected).as_bytes(), mac.as_bytes()) {
            return Err("its signature does not match".into());
        }
        let client = client.parse().map_err(|_| "its client address is malformed")?;
        Ok((node, client))
    }

    /// Sends `request` on to `holder` and answers with what it answered; a WebSocket upgrade
    /// is joined to the holder's socket once both sides have switched. `None` when `gone`
    /// resolved first (the holder lost the agency before it answered: frozen, cut off or dead);
    /// a joined socket is cut when it resolves, so its client reconnects to the next holder.
    async fn carry(
        &self,
        holder: &Node,
        client: IpAddr,
        mut request: Request,
        mut gone: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Result<Option<Response>, reqwest::Error> {
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
        let method = request.method().clone();
        let upgrade = wants_upgrade(request.headers());
        let client_side = upgrade.then(|| hyper::upgrade::on(&mut request));
        let (parts, body) = request.into_parts();
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers, upgrade);
        let signature = self.sign(client, now_ms(), method.as_str(), &path);
        for (name, value) in
            [(NODE_HEADER, self.node.as_str()), (CLIENT_HEADER, &client.to_string()), (SIGNATURE_HEADER, &signature)]
        {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        let mut sent = self.http.request(method, format!("{}{path}", holder.address)).headers(headers);
        if !upgrade {
            sent = sent.body(reqwest::Body::wrap(Shared(sync_wrapper::SyncWrapper::new(body))));
        }
        let response = tokio::select! {
            response = sent.send() => response?,
            () = &mut gone => return Ok(None),
        };
        if let Some(client_side) = client_side
            && response.status() == StatusCode::SWITCHING_PROTOCOLS
        {
            let mut answer = Response::builder().status(StatusCode::SWITCHING_PROTOCOLS);
            if let Some(headers) = answer.headers_mut() {
                headers.clone_from(response.headers());
            }
            let holder_side = response.upgrade();
            let holder_address = holder.address.clone();
            tokio::spawn(async move {
                let (client_side, holder_side) = tokio::join!(client_side, holder_side);
                match (client_side, holder_side) {
                    (Ok(client_side), Ok(mut holder_side)) => {
                        let mut client_side = hyper_util::rt::TokioIo::new(client_side);
                        tokio::select! {
                            joined = tokio::io::copy_bidirectional(&mut client_side, &mut holder_side) => {
                                tracing::debug!(holder = %holder_address, ?joined, "a carried WebSocket ended");
                            }
                            () = gone => tracing::info!(
                                holder = %holder_address,
                                "the node serving a carried WebSocket lost its agency: cutting it"
                            ),
                        }
                    }
                    (client_side, holder_side) => tracing::debug!(
                        holder = %holder_address,
                        client = ?client_side.err(),
                        serving = ?holder_side.err(),
                        "a carried WebSocket did not start"
                    ),
                }
            });
            return Ok(Some(answer.body(Body::empty()).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())));
        }
        let response: axum::http::Response<reqwest::Body> = response.into();
        let (mut parts, body) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers, false);
        Ok(Some(Response::from_parts(parts, Body::new(body))))
    }
}

fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// Headers that describe one hop, not the request (RFC 9110 §7.6.1); an upgrade keeps its own.
fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !upgrade || v != "upgrade")
        .collect();
    for name in named {
        headers.remove(name.as_str());
    }
    for name in ["keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "host"] {
        headers.remove(name);
    }
    if !upgrade {
        headers.remove(header::CONNECTION);
        headers.remove(header::UPGRADE);
    }
}

/// A request body handed to reqwest, which wants a `Sync` one (axum's is not; it is only ever
/// polled through `&mut`, which `SyncWrapper` allows).
struct Shared(sync_wrapper::SyncWrapper<Body>);

impl http_body::Body for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(self.get_mut().0.get_mut()).poll_frame(cx)
    }
}

/// Answers a request whose agency's repo cannot be had here: carried to the node serving the
/// agency when another node does, and it can be reached; otherwise refused (503 with
/// `Retry-After` for an agency served elsewhere). A request another node carried here is never
/// carried further.
pub async fn elsewhere<D: Database>(app: &App<D>, refusal: RepoError, request: Request) -> Response {
    let RepoError::ServedElsewhere(agency, holder) = &refusal else { return AppError::from(refusal).into_response() };
    let carried_here = request.extensions().get::<Carried>().is_some();
    if carried_here || holder.address.is_empty() || holder.address == app.config.advertise {
        return AppError::from(refusal).into_response();
    }
    let Some(link) = app.link().await else { return AppError::from(refusal).into_response() };
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = peer.map_or(IpAddr::from([0, 0, 0, 0]), |peer| {
        crate::api::client_address(peer, request.headers(), &app.config.trusted_proxies)
    });
    let gone = Box::pin(holder_gone(app.clone(), agency.clone(), holder.name.clone()));
    match link.carry(holder, client, request, gone).await {
        Ok(Some(response)) => {
            app.metrics.carried_out.fetch_add(1, Ordering::Relaxed);
            response
        }
        Ok(None) => {
            tracing::warn!(node = %holder.name, %agency, "the node serving the agency lost it before answering a carried request");
            AppError::from(refusal).into_response()
        }
        Err(error) => {
            tracing::warn!(node = %holder.name, address = %holder.address, %error, "could not carry a request to the node serving its agency");
            AppError::from(refusal).into_response()
        }
    }
}

/// Resolves once `holder` no longer holds the agency's lease: it died, froze or was cut off
/// past its lease, or let the agency go. Looked up at a third of the lease's time to live
/// (through a short-lived cache, so that many carried connections cost one query).
async fn holder_gone<D: Database>(app: App<D>, agency: String, holder: String) {
    let every = app.config.lease_ttl / 3;
    loop {
        tokio::time::sleep(every).await;
        let Some(link) = app.link().await else { return };
        match link.holder(&app.db, &agency, every / 2).await {
            Ok(Some(node)) if node.name == holder => {}
            Ok(_) => return,
            Err(error) => tracing::debug!(%error, %agency, "could not read the agency's lease; asking again"),
        }
    }
}

/// Checks the node headers of every request that has any: a request carried by another node
/// (signature valid) is marked [`Carried`] and takes the client's address it names; anything
/// else claiming to come from a node is refused (403).
pub async fn accept<D: Database>(State(app): State<App<D>>, mut request: Request, next: Next) -> Response {
    let claims = [NODE_HEADER, CLIENT_HEADER, SIGNATURE_HEADER].iter().any(|h| request.headers().contains_key(*h));
    if !claims {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let checked = match app.link().await {
        Some(link) => link.verify(request.headers(), request.method().as_str(), &path, now_ms()),
        None => Err("this server has no other nodes".into()),
    };
    match checked {
        Ok((from, client)) => {
            app.metrics.carried_in.fetch_add(1, Ordering::Relaxed);
            request.extensions_mut().insert(Carried { from });
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, 0)));
            next.run(request).await
        }
        Err(why) => {
            let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
            tracing::warn!(?peer, %path, %why, "refused a request that claims to come from another node");
            AppError::Forbidden(format!("a request from another node was refused: {why}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn hmac_matches_the_rfc_test_vectors() {
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_signature_holds_only_for_what_was_signed_and_only_for_a_while() {
        let link = Link::new(vec![7; 32], "node-1".into(), &[]);
        let client: IpAddr = "203.0.113.7".parse().expect("an address");
        let at = 1_800_000_000_000;
        let headers = |node: &str, client: &str, signature: &str| {
            let mut h = HeaderMap::new();
            h.insert(NODE_HEADER, node.parse().expect("a header"));
            h.insert(CLIENT_HEADER, client.parse().expect("a header"));
            h.insert(SIGNATURE_HEADER, signature.parse().expect("a header"));
            h
        };
        let signature = link.sign(client, at, "GET", "/sync");
        let good = headers("node-1", "203.0.113.7", &signature);
        assert_eq!(link.verify(&good, "GET", "/sync", at + 1_000), Ok(("node-1".to_string(), client)));
        // Anything changed on the way is refused.
        assert!(link.verify(&good, "POST", "/sync", at).is_err(), "another method");
        assert!(link.verify(&good, "GET", "/api/me", at).is_err(), "another path");
        assert!(link.verify(&headers("node-2", "203.0.113.7", &signature), "GET", "/sync", at).is_err());
        assert!(link.verify(&headers("node-1", "198.51.100.1", &signature), "GET", "/sync", at).is_err());
        assert!(link.verify(&good, "GET", "/sync", at + 31_000).expect_err("refused").contains("clock"), "stale");
        // Another cluster's key signs nothing here.
        let other = Link::new(vec![8; 32], "node-1".into(), &[]);
        let forged = headers("node-1", "203.0.113.7", &other.sign(client, at, "GET", "/sync"));
        assert!(link.verify(&forged, "GET", "/sync", at).expect_err("refused").contains("does not match"));
        assert!(link.verify(&headers("node-1", "203.0.113.7", "garbage"), "GET", "/sync", at).is_err());
    }
}
