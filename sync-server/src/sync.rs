//! The WebSocket at `/sync`: authentication before the upgrade, then the automerge-repo protocol
//! through samod, with every incoming frame checked first and every outgoing one queued by us.
//!
//! The checks are ours, not samod's, so that the rules hold whatever samod does:
//! - a frame that is not a well-formed automerge-repo message (CBOR) or carries an undecodable
//!   sync message closes the connection;
//! - a frame about a document the peer may not read never reaches samod (a request for one is
//!   answered "unavailable" at once, so no document actor is started for made-up ids);
//! - a sync message with changes for a document the user may not write is logged (samod then
//!   ignores the changes, as the peer is read-only there);
//! - each change's author (its actor) must be a user who may write that document: a device may
//!   relay a colleague's change, never forge one. Refused changes are taken out of the message
//!   (the rest goes on), logged, never stored or relayed, and reported to the device by
//!   `/durable` (`refused: true`);
//! - ephemeral messages are capped in size and rate, and dropped from peers who may not write
//!   the document;
//! - a revoked or expired session's connection is closed.
//!
//! Outgoing messages go through a bounded queue to a writer task of our own: a peer that stops
//! reading is cut after a bounded backlog or write time instead of holding samod's connection
//! (and its revocation) hostage. The writer pings every `ping_interval` and closes a connection
//! that missed two pongs.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, MatchedPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{Sink, SinkExt, StreamExt};
use prongsai_core::automerge::sync::Message as SyncMessage;
use prongsai_core::automerge::{ChangeHash, ReadDoc};
use prongsai_core::wire::{ErrorBody, ErrorKind};
use samod::{PeerId, Transport};

use crate::app::{App, Auth, now_ms};
use crate::db::Database;

/// Why an incoming frame closed its connection.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame is not a CBOR automerge-repo message: {0}")]
    Malformed(String),
    #[error("sync message for {document} does not decode: {reason}")]
    BadSyncMessage { document: String, reason: String },
    #[error("text frames are not part of the protocol")]
    Text,
    #[error("connection closed: {0}")]
    Closed(&'static str),
    #[error("the peer is not reading: more than {0} bytes wait to be sent to it")]
    Backlog(usize),
    #[error("websocket: {0}")]
    Transport(String),
}

/// The parts of an automerge-repo message the server looks at.
#[derive(Debug, Default)]
pub struct Envelope {
    pub kind: String,
    pub document_id: Option<String>,
    pub data: Option<Vec<u8>>,
    /// For `sync`/`request` messages: the decoded sync message (set by [`check_frame`]).
    pub message: Option<SyncMessage>,
}

impl Envelope {
    /// Whether the sync message carries changes.
    pub fn carries_changes(&self) -> bool {
        self.message.as_ref().is_some_and(|m| !m.changes.is_empty())
    }
}

/// Decodes the top-level CBOR map of an automerge-repo message.
pub fn decode_envelope(bytes: &[u8]) -> Result<Envelope, FrameError> {
    use minicbor::data::Type;
    let bad = |e: &dyn std::fmt::Display| FrameError::Malformed(e.to_string());
    let mut d = minicbor::Decoder::new(bytes);
    let entries = d.map().map_err(|e| bad(&e))?;
    let mut envelope = Envelope::default();
    let mut seen = 0u64;
    loop {
        match entries {
            Some(n) if seen == n => break,
            None if d.datatype().map_err(|e| bad(&e))? == Type::Break => {
                d.skip().map_err(|e| bad(&e))?;
                break;
            }
            _ => {}
        }
        seen += 1;
        let key = d.str().map_err(|e| bad(&e))?.to_string();
        match key.as_str() {
            "type" => envelope.kind = d.str().map_err(|e| bad(&e))?.to_string(),
            "documentId" => envelope.document_id = Some(d.str().map_err(|e| bad(&e))?.to_string()),
            "data" => envelope.data = Some(d.bytes().map_err(|e| bad(&e))?.to_vec()),
            _ => d.skip().map_err(|e| bad(&e))?,
        }
    }
    if d.position() != bytes.len() {
        return Err(FrameError::Malformed("trailing bytes after the message".into()));
    }
    if envelope.kind.is_empty() {
        return Err(FrameError::Malformed("message without a type".into()));
    }
    Ok(envelope)
}

/// The same message with its `data` replaced (every other entry copied as it was).
pub fn replace_data(bytes: &[u8], data: &[u8]) -> Result<Vec<u8>, FrameError> {
    let bad = |e: &dyn std::fmt::Display| FrameError::Malformed(e.to_string());
    let mut d = minicbor::Decoder::new(bytes);
    let entries = d.map().map_err(|e| bad(&e))?.ok_or_else(|| FrameError::Malformed("indefinite map".into()))?;
    let mut out = Vec::with_capacity(bytes.len());
    let mut e = minicbor::Encoder::new(&mut out);
    e.map(entries).map_err(|e| bad(&e))?;
    for _ in 0..entries {
        let key = d.str().map_err(|e| bad(&e))?;
        e.str(key).map_err(|e| bad(&e))?;
        if key == "data" {
            d.skip().map_err(|e| bad(&e))?;
            e.bytes(data).map_err(|e| bad(&e))?;
        } else {
            let start = d.position();
            d.skip().map_err(|e| bad(&e))?;
            e.writer_mut().extend_from_slice(&bytes[start..d.position()]);
        }
    }
    Ok(out)
}

/// A `doc-unavailable` message from the server to `target` about `document`.
pub fn unavailable_message(sender: &str, target: &str, document: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = minicbor::Encoder::new(&mut out);
    let written = e
        .map(4)
        .and_then(|e| e.str("type"))
        .and_then(|e| e.str("doc-unavailable"))
        .and_then(|e| e.str("senderId"))
        .and_then(|e| e.str(sender))
        .and_then(|e| e.str("targetId"))
        .and_then(|e| e.str(target))
        .and_then(|e| e.str("documentId"))
        .and_then(|e| e.str(document))
        .is_ok();
    debug_assert!(written, "encoding into a Vec cannot fail");
    out
}

/// Checks one incoming frame: a well-formed envelope and, for sync messages, decodable sync data.
pub fn check_frame(bytes: &[u8]) -> Result<Envelope, FrameError> {
    let mut envelope = decode_envelope(bytes)?;
    if matches!(envelope.kind.as_str(), "sync" | "request") {
        let document = envelope.document_id.clone().unwrap_or_default();
        let data = envelope
            .data
            .as_deref()
            .ok_or_else(|| FrameError::BadSyncMessage { document: document.clone(), reason: "no data".into() })?;
        let message =
            SyncMessage::decode(data).map_err(|e| FrameError::BadSyncMessage { document, reason: e.to_string() })?;
        envelope.message = Some(message);
    }
    Ok(envelope)
}

/// The fuzzing entry point (fuzz/fuzz_targets/frames.rs): any bytes as one incoming frame. The
/// checks must answer, accept or refuse, and never panic.
pub fn fuzz_one(bytes: &[u8]) {
    if let Ok(envelope) = check_frame(bytes)
        && let Some(message) = envelope.message
    {
        let _ = prongsai_core::incoming::changes(&message);
        let _ = replace_data(bytes, b"x");
    }
}

/// The request's token: the `Authorization` header, or a WebSocket subprotocol
/// `bearer.<token>` (a browser's WebSocket can set no header), or `?token=` where `query` holds
/// the routes' query (see `api::QUERY_TOKEN_ROUTES`).
pub fn bearer_token(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    // Only a WebSocket handshake offers subprotocols; anywhere else the header means nothing.
    let upgrade =
        headers.get(axum::http::header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let subprotocol = || {
        upgrade.then_some(())?;
        headers.get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL).iter().filter_map(|v| v.to_str().ok()).find_map(
            |v| {
                v.split(',')
                    .find_map(|p| p.trim().strip_prefix(prongsai_core::wire::TOKEN_PROTOCOL_PREFIX))
                    .map(str::to_string)
            },
        )
    };
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .or_else(subprotocol)
        .or_else(|| query.get("token").cloned())
        .filter(|t| !t.is_empty())
}

/// Per connection, what is read from the socket at a time. tungstenite reserves it for every
/// connection, idle or not; a larger message reserves its own length once its header is read
/// and arrives in reads of this size (a 1 MB first sync: 500 reads, about a millisecond).
const READ_BUFFER_BYTES: usize = 2 * 1024;

/// The largest ephemeral message relayed (presence, cursors: small by nature).
pub const MAX_EPHEMERAL_BYTES: usize = 16 * 1024;
/// Ephemeral messages relayed per connection: a burst of this many, refilled at this many per
/// second.
const EPHEMERAL_BURST: f64 = 20.0;
const EPHEMERAL_PER_SECOND: f64 = 10.0;

pub async fn websocket<D: Database>(State(app): State<App<D>>, request: axum::extract::Request) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let auth = match crate::api::authenticate_request(&app, request.headers(), request.uri(), matched.as_ref()).await {
        Ok(auth) => auth,
        Err(refusal) => return refusal,
    };
    if !app.storage.is_healthy() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(ErrorBody::new(ErrorKind::Unavailable, "storage is unhealthy")),
        )
            .into_response();
    }
    let open = app.connections_of(auth.user.id);
    if open >= app.config.max_connections_per_user {
        tracing::warn!(user = %auth.user.username, open, "refused a sync connection: too many open");
        let body = ErrorBody::new(
            ErrorKind::RateLimited,
            format!("this user has {open} connections open already; close one (sign out on an unused device)"),
        );
        return (StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::RETRY_AFTER, "30")], axum::Json(body))
            .into_response();
    }
    // The agency's repo, here; or the connection carried to the node serving the agency (or a
    // refusal to try again).
    let agency = match app.serve_agency(&auth.user.agency_id).await {
        Ok(agency) => agency,
        Err(refusal) => {
            tracing::info!(user = %auth.user.username, %refusal, "this node does not serve the connection's agency");
            return crate::link::elsewhere(&app, refusal, request).await;
        }
    };
    let (mut parts, _) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &app).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let limit = app.config.max_message_bytes;
    upgrade
        .protocols([prongsai_core::wire::SYNC_PROTOCOL])
        .max_message_size(limit)
        .max_frame_size(limit)
        // tungstenite reserves 128 KiB per connection for reading by default: 1.4 GiB for 10,000
        // quiet devices. 2 KiB reads (a big message still grows its own buffer), and each
        // message written out as soon as it is sent.
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve_connection(app, auth, agency, socket))
}

/// The socket's sending half, shared by samod's side of the connection (which writes a message at
/// once when nothing is waiting, see [`QueueSink`]) and the connection's writer task (everything
/// else). Locked for one poll at a time, never across an await.
pub type SharedSink = Arc<std::sync::Mutex<futures::stream::SplitSink<WebSocket, Message>>>;

/// What a connection's writer is given.
pub enum Out {
    /// A message to write.
    Frame(Message),
    /// A message of this many bytes samod's side began writing and the socket could not take
    /// whole: finish writing it.
    Flush(usize),
}

/// samod's side of the outgoing queue: never blocks (samod's connection loop must keep reading,
/// or it would not see a revocation); a full backlog is an error, which ends the connection.
///
/// When nothing waits to be written it writes the message itself, at once, without waking the
/// writer task: with a writer and nine watchers on a document, each change went out as ten
/// hand-overs to ten writer tasks, each a wake, often of another thread. Only what the socket
/// cannot take at once goes through the writer, which finishes it and keeps the order.
struct QueueSink {
    queue: futures::channel::mpsc::UnboundedSender<Out>,
    sink: SharedSink,
    backlog: Arc<AtomicUsize>,
    limit: usize,
    /// Tells the writer to give up at once (it may be stuck writing to a peer that reads nothing).
    cut: Arc<tokio::sync::Notify>,
}

/// What writing a message at once came to.
enum AtOnce {
    /// The socket took all of it.
    Written,
    /// It began; the rest is for the writer to flush.
    Begun,
    /// The socket (or the writer, holding it) is busy: queue the message.
    Busy(Message),
    /// The connection failed.
    Failed,
}

impl QueueSink {
    fn write_at_once(&self, message: Message) -> AtOnce {
        let Ok(mut sink) = self.sink.try_lock() else { return AtOnce::Busy(message) };
        // Looked at again under the lock: a ping the writer began between the caller's look and
        // the lock has counted itself, and its waker must not be replaced by ours.
        if self.backlog.load(Ordering::SeqCst) != 0 {
            return AtOnce::Busy(message);
        }
        // A waker that does nothing: whatever the socket cannot take now goes to the writer,
        // which polls with its own.
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match sink.poll_ready_unpin(&mut cx) {
            Poll::Pending => return AtOnce::Busy(message),
            Poll::Ready(Err(_)) => return AtOnce::Failed,
            Poll::Ready(Ok(())) => {}
        }
        if sink.start_send_unpin(message).is_err() {
            return AtOnce::Failed;
        }
        match sink.poll_flush_unpin(&mut cx) {
            Poll::Ready(Ok(())) => AtOnce::Written,
            Poll::Ready(Err(_)) => AtOnce::Failed,
            Poll::Pending => AtOnce::Begun,
        }
    }
}

impl Sink<Vec<u8>> for QueueSink {
    type Error = FrameError;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), FrameError>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: Vec<u8>) -> Result<(), FrameError> {
        let size = item.len();
        let waiting = self.backlog.load(Ordering::SeqCst);
        // One message of any size may wait; more only up to the limit.
        if waiting > 0 && waiting + size > self.limit {
            self.cut.notify_one();
            return Err(FrameError::Backlog(self.limit));
        }
        let closed = |_| FrameError::Closed("the connection ended");
        let mut message = Message::Binary(item.into());
        // Nothing queued or being written (the writer counts everything it writes in the
        // backlog until written): this message may go first, and no write of the writer's is
        // waiting on the socket, whose waker a poll here would replace.
        if waiting == 0 {
            match self.write_at_once(message) {
                AtOnce::Written => return Ok(()),
                AtOnce::Begun => {
                    self.backlog.fetch_add(size, Ordering::SeqCst);
                    return self.queue.unbounded_send(Out::Flush(size)).map_err(closed);
                }
                AtOnce::Failed => {
                    self.cut.notify_one();
                    return Err(FrameError::Closed("the connection failed"));
                }
                AtOnce::Busy(m) => message = m,
            }
        }
        self.backlog.fetch_add(size, Ordering::SeqCst);
        self.queue.unbounded_send(Out::Frame(message)).map_err(closed)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), FrameError>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), FrameError>> {
        Poll::Ready(Ok(()))
    }
}

/// Writes `out` to the shared sink (a message, or the rest of one begun elsewhere), locking it for
/// one poll at a time.
fn send_shared(sink: &SharedSink, out: Out) -> impl std::future::Future<Output = Result<(), axum::Error>> + '_ {
    let mut message = match out {
        Out::Frame(m) => Some(m),
        Out::Flush(_) => None,
    };
    futures::future::poll_fn(move |cx| {
        let mut sink = sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if message.is_some() {
            match sink.poll_ready_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            if let Some(m) = message.take()
                && let Err(e) = sink.start_send_unpin(m)
            {
                return Poll::Ready(Err(e));
            }
        }
        sink.poll_flush_unpin(cx)
    })
}

/// How a connection is kept alive and cut.
#[derive(Clone, Copy, Debug)]
pub struct Keepalive {
    pub ping_interval: Duration,
    /// Missed pongs in a row before the connection is closed.
    pub missed_pongs: u32,
    /// The longest one message may take to write before the peer counts as not reading.
    pub write_timeout: Duration,
}

/// What a connection's writer shares with its reader, and how it is kept alive.
pub struct Writer {
    pub backlog: Arc<AtomicUsize>,
    pub pongs: Arc<AtomicU64>,
    pub close: crate::app::CloseSignal,
    pub cut: Arc<tokio::sync::Notify>,
    pub expires_at: i64,
    pub keepalive: Keepalive,
    /// For the log line saying why the writer stopped.
    pub username: String,
    /// Told why the writer stopped.
    pub done: futures::channel::oneshot::Sender<&'static str>,
}

/// Writes queued messages to the socket, pings, and closes on revocation, expiry, a peer that
/// stops reading, or one that stops answering pings; then logs and tells the reader why. (`writer` is
/// used in place, not taken apart: each local taken out of it would be held beside it by every
/// quiet connection's writer; and it is an `async` block, not an `async fn`, whose arguments
/// would be held twice, rust-lang/rust#62958.)
#[allow(clippy::manual_async_fn)]
pub fn write_loop(
    sink: SharedSink,
    mut queue: futures::channel::mpsc::UnboundedReceiver<Out>,
    writer: Writer,
) -> impl std::future::Future<Output = ()> + Send {
    async move {
        // One write, given up when the connection is cut meanwhile (a write to a peer that reads
        // nothing may never finish).
        async fn write(
            sink: &SharedSink,
            out: Out,
            cut: &tokio::sync::Notify,
            timeout: Duration,
        ) -> Result<(), &'static str> {
            tokio::select! {
                written = tokio::time::timeout(timeout, send_shared(sink, out)) => match written {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) => Err("the connection failed"),
                    Err(_) => Err("the peer stopped reading"),
                },
                () = cut.notified() => Err("the peer stopped reading: too much waited for it"),
            }
        }
        // One timer for both the next ping and the session's expiry, whichever comes first (each
        // timer is memory every quiet connection holds).
        let started = tokio::time::Instant::now();
        let left = Duration::from_millis(u64::try_from(writer.expires_at - now_ms()).unwrap_or(0));
        // An expiry too far off to represent is as good as never (a year from now).
        let expires = started.checked_add(left).unwrap_or_else(|| started + Duration::from_secs(365 * 24 * 3600));
        let mut next_ping = started + writer.keepalive.ping_interval;
        let timer = tokio::time::sleep_until(next_ping.min(expires));
        tokio::pin!(timer);
        let (mut missed, mut outstanding, mut seen) = (0u32, false, writer.pongs.load(Ordering::SeqCst));
        let reason = loop {
            tokio::select! {
                next = queue.next() => {
                    let Some(out) = next else { break "closed" };
                    let size = match &out { Out::Frame(Message::Binary(b)) => b.len(), Out::Frame(_) => 0, Out::Flush(size) => *size };
                    // Boxed: held inline, its timer and send would sit in every idle writer.
                    match Box::pin(write(&sink, out, &writer.cut, writer.keepalive.write_timeout)).await {
                        Ok(()) => { writer.backlog.fetch_sub(size, Ordering::SeqCst); }
                        Err(reason) => break reason,
                    }
                }
                () = writer.cut.notified() => break "the connection ended",
                () = &mut timer => {
                    let at = tokio::time::Instant::now();
                    if at >= expires {
                        break "the session expired";
                    }
                    next_ping = at + writer.keepalive.ping_interval;
                    timer.as_mut().reset(next_ping.min(expires));
                    let now = writer.pongs.load(Ordering::SeqCst);
                    if outstanding && now == seen { missed += 1 } else { missed = 0 }
                    seen = now;
                    if missed >= writer.keepalive.missed_pongs {
                        break "the peer stopped answering pings";
                    }
                    outstanding = true;
                    // Counted while it is written, so that samod's side does not write beside it
                    // (`QueueSink`: only the writer may poll the socket while it writes).
                    writer.backlog.fetch_add(1, Ordering::SeqCst);
                    if let Err(reason) = Box::pin(write(&sink, Out::Frame(Message::Ping(Vec::new().into())), &writer.cut, writer.keepalive.write_timeout)).await {
                        break reason;
                    }
                    writer.backlog.fetch_sub(1, Ordering::SeqCst);
                }
                () = writer.close.closed() => break "revoked",
            }
        };
        if reason != "the peer stopped reading: too much waited for it" {
            let _ = tokio::time::timeout(Duration::from_secs(1), send_shared(&sink, Out::Frame(Message::Close(None))))
                .await;
            let closing = futures::future::poll_fn(|cx| {
                sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).poll_close_unpin(cx)
            });
            let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
        }
        tracing::info!(user = %writer.username, reason, "sync connection closed by the server's writer");
        let _ = writer.done.send(reason);
    }
}

/// A token bucket for one connection's ephemeral messages.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * EPHEMERAL_PER_SECOND).min(EPHEMERAL_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What one connection's reader knows.
struct Reader<D: Database> {
    app: App<D>,
    stream: futures::stream::SplitStream<WebSocket>,
    close: crate::app::CloseSignal,
    /// Why the writer stopped, once it has.
    writer_done: futures::channel::oneshot::Receiver<&'static str>,
    peer: crate::policy::Peer,
    peer_id: String,
    queue: futures::channel::mpsc::UnboundedSender<Out>,
    backlog: Arc<AtomicUsize>,
    pongs: Arc<AtomicU64>,
    /// Per document: readable (registered in the peer's agency), writable.
    access: HashMap<String, (bool, bool)>,
    /// Moves on each access epoch (a role change, a revocation): `access` is then stale.
    epoch: tokio::sync::watch::Receiver<u64>,
    ephemeral: Bucket,
    /// Ends the writer when this connection ends (see [`Drop`] below).
    cut: Arc<tokio::sync::Notify>,
    _guards: (crate::app::LiveGuard<D>, crate::repos::ConnectionCount),
}

impl<D: Database> Drop for Reader<D> {
    fn drop(&mut self) {
        // samod let go of the connection (the peer closed, a bad frame, a full backlog): the
        // writer stops too, even if it is stuck writing.
        self.cut.notify_one();
    }
}

/// What to do with one checked frame.
enum Verdict {
    Pass(Vec<u8>),
    Drop,
}

impl<D: Database> Reader<D> {
    async fn document_access(&mut self, doc: &str) -> (bool, bool) {
        if let Some(known) = self.access.get(doc) {
            return *known;
        }
        let decided = match self.app.access.document(doc).await {
            Some(row) if row.agency_id == self.peer.agency_id => (true, self.peer.may_write(&row)),
            _ => (false, false),
        };
        // The documents' registrations never change; the peer's rights can (a role change):
        // those are re-read from the policy after an access epoch, see `refresh_rights`.
        self.access.insert(doc.to_string(), decided);
        decided
    }

    /// After an access epoch (a role change, a revocation): forget what was decided and read
    /// who the peer is again. `false` when the session is no longer valid.
    async fn refresh_rights(&mut self) -> bool {
        self.access.clear();
        match self.app.access.peer(&self.peer_id).await {
            Some(peer) => {
                self.peer = peer;
                true
            }
            None => false,
        }
    }

    /// Sends a message of the server's own to this peer (through the same queue as samod's).
    fn send_own(&self, bytes: Vec<u8>) {
        self.backlog.fetch_add(bytes.len(), Ordering::SeqCst);
        let _ = self.queue.unbounded_send(Out::Frame(Message::Binary(bytes.into())));
    }

    async fn judge(&mut self, bytes: Vec<u8>) -> Result<Verdict, FrameError> {
        let app = self.app.clone();
        app.metrics.frames_received.fetch_add(1, Ordering::Relaxed);
        let envelope = check_frame(&bytes)?;
        let Some(doc) = envelope.document_id.clone() else { return Ok(Verdict::Pass(bytes)) };
        let (readable, writable) = self.document_access(&doc).await;
        if !readable {
            // Never reaches samod: no document actor for a made-up or foreign id.
            app.metrics.unreadable_frames.fetch_add(1, Ordering::Relaxed);
            if matches!(envelope.kind.as_str(), "request" | "sync") {
                let server_peer = self.app.repos.peer_id().to_string();
                self.send_own(unavailable_message(&server_peer, &self.peer_id, &doc));
            }
            return Ok(Verdict::Drop);
        }
        match envelope.kind.as_str() {
            "ephemeral" => {
                let size_ok = bytes.len() <= MAX_EPHEMERAL_BYTES;
                if !writable || !size_ok || !self.ephemeral.take(Instant::now()) {
                    app.metrics.ephemeral_dropped.fetch_add(1, Ordering::Relaxed);
                    return Ok(Verdict::Drop);
                }
                app.metrics.ephemeral_relayed.fetch_add(1, Ordering::Relaxed);
                Ok(Verdict::Pass(bytes))
            }
            "sync" if envelope.carries_changes() => {
                if !writable {
                    app.metrics.refused_writes.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(user = %self.peer.username, document = %doc, "refused a write: the user may not write this document");
                }
                // Even from a peer who may not write, the changes are taken out here: samod hears
                // of a role change through its share policy a moment later than this reader does.
                self.check_authors(&doc, envelope, bytes, writable).await
            }
            _ => Ok(Verdict::Pass(bytes)),
        }
    }

    /// Keeps only the changes whose authors may write the document (none the server lacks,
    /// when the peer sending them may not write it: `peer_writes` false).
    async fn check_authors(
        &mut self,
        doc: &str,
        envelope: Envelope,
        bytes: Vec<u8>,
        peer_writes: bool,
    ) -> Result<Verdict, FrameError> {
        let Some(message) = envelope.message else { return Ok(Verdict::Pass(bytes)) };
        let bad = |e: prongsai_core::incoming::IncomingError| FrameError::BadSyncMessage {
            document: doc.to_string(),
            reason: e.to_string(),
        };
        let Some(row) = self.app.access.document(doc).await else { return Ok(Verdict::Drop) };
        // The usual case costs one look at each author: all may write, nothing was refused here.
        let mut verdicts: HashMap<Vec<u8>, bool> = HashMap::new();
        for actor in prongsai_core::incoming::authors(&message).map_err(bad)? {
            let actor = actor.to_bytes().to_vec();
            let ok = peer_writes && self.app.access.author_may_write(&actor, &row).await;
            verdicts.insert(actor, ok);
        }
        let earlier = self.app.refused_changes(doc);
        if earlier.is_empty() && verdicts.values().all(|ok| *ok) {
            return Ok(Verdict::Pass(bytes));
        }
        let changes = prongsai_core::incoming::changes(&message).map_err(bad)?;
        let author_ok: Vec<bool> =
            changes.iter().map(|c| verdicts.get(c.actor.to_bytes()).copied().unwrap_or(false)).collect();
        // Changes the server has already are no news, whoever made them (a V2 message may carry
        // a document's whole history: the server's own changes, colleagues' older ones).
        let hashes: Vec<ChangeHash> = changes.iter().map(|c| c.hash).collect();
        let known: Vec<bool> = match self.app.handle(&row).await {
            Ok(handle) => handle
                .with_document_async(move |d| hashes.iter().map(|h| d.get_change_by_hash(h).is_some()).collect())
                .await
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut refused: Vec<ChangeHash> = Vec::new();
        let mut refused_actors: Vec<String> = Vec::new();
        let mut keep = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            if known.get(i).copied().unwrap_or(false) {
                keep.push(change.clone());
                continue;
            }
            // A change built on a refused one is refused with it: it can never apply.
            let builds_on_refused = change.deps.iter().any(|d| refused.contains(d) || earlier.contains(d));
            if author_ok[i] && !builds_on_refused {
                keep.push(change.clone());
            } else {
                refused.push(change.hash);
                let actor = change.actor.to_hex_string();
                if !refused_actors.contains(&actor) {
                    refused_actors.push(actor);
                }
            }
        }
        if refused.is_empty() {
            return Ok(Verdict::Pass(bytes));
        }
        self.app.metrics.refused_changes.fetch_add(refused.len() as u64, Ordering::Relaxed);
        tracing::warn!(
            user = %self.peer.username, document = %doc, refused = refused.len(), kept = keep.len(), actors = ?refused_actors,
            "refused changes whose author may not write this document"
        );
        self.app.refuse_changes(doc, &refused);
        let data = prongsai_core::incoming::with_changes(message, &keep).encode();
        Ok(Verdict::Pass(replace_data(&bytes, &data)?))
    }
}

async fn serve_connection<D: Database>(
    app: App<D>,
    auth: Auth,
    agency: Arc<crate::repos::AgencyRepo>,
    socket: WebSocket,
) {
    let count = agency.connection_guard();
    let (live, close) = app.register_connection(&auth);
    let (sink, stream) = socket.split();
    let sink: SharedSink = Arc::new(std::sync::Mutex::new(sink));
    // futures' channel allocates per message: tokio's would keep a block of 32 slots (2 KiB) for
    // every quiet connection.
    let (queue, outgoing) = futures::channel::mpsc::unbounded();
    let backlog = Arc::new(AtomicUsize::new(0));
    let pongs = Arc::new(AtomicU64::new(0));
    let (writer_done_tx, writer_done) = futures::channel::oneshot::channel();
    let cut = Arc::new(tokio::sync::Notify::new());
    // The writer's future is spawned as it is: wrapped in another, its arguments would be held
    // twice by every quiet connection.
    tokio::spawn(write_loop(
        sink.clone(),
        outgoing,
        Writer {
            backlog: backlog.clone(),
            pongs: pongs.clone(),
            close: close.clone(),
            cut: cut.clone(),
            expires_at: auth.session.expires_at,
            keepalive: app.config.keepalive,
            username: auth.user.username.clone(),
            done: writer_done_tx,
        },
    ));
    let username = auth.user.username.clone();
    tracing::info!(user = %username, peer = %auth.session.peer_id, "sync connection opened");
    let reader = Reader {
        app: app.clone(),
        stream,
        close,
        writer_done,
        peer: auth.peer(),
        peer_id: auth.session.peer_id.clone(),
        queue: queue.clone(),
        backlog: backlog.clone(),
        pongs,
        access: HashMap::new(),
        epoch: app.access.epoch(),
        ephemeral: Bucket { tokens: EPHEMERAL_BURST, at: Instant::now() },
        cut: cut.clone(),
        _guards: (live, count),
    };
    // The reader is boxed: the stream keeps its state beside the future that runs on it, and
    // both would reserve room for the whole reader in every quiet connection.
    let checked = futures::stream::unfold(Some(Box::new(reader)), move |reader| {
        async move {
            let mut reader = reader?;
            loop {
                let message = tokio::select! {
                    () = reader.close.closed() => {
                        tracing::info!(user = %reader.peer.username, "closing a sync connection: session revoked or storage failed");
                        return Some((Err(FrameError::Closed("revoked")), None));
                    }
                    reason = &mut reader.writer_done => {
                        return Some((Err(FrameError::Closed(reason.unwrap_or("closed"))), None));
                    }
                    message = reader.stream.next() => message,
                };
                let message = match message {
                    None => return None,
                    Some(Err(e)) => return Some((Err(FrameError::Transport(e.to_string())), None)),
                    Some(Ok(m)) => m,
                };
                let bytes = match message {
                    Message::Binary(bytes) => bytes.to_vec(),
                    Message::Close(_) => return None,
                    Message::Pong(_) => {
                        reader.pongs.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    Message::Ping(_) => continue,
                    Message::Text(_) => {
                        reader.app.metrics.frames_rejected.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(user = %reader.peer.username, "closing a sync connection: text frame");
                        return Some((Err(FrameError::Text), None));
                    }
                };
                // Rights are read again when the frame is here, not when the wait began: a
                // demotion that landed meanwhile applies to this very frame. (The checks' futures
                // are boxed: held inline they would make every idle connection carry the largest
                // of them, several KiB, while it waits for its next frame.)
                if reader.epoch.has_changed().unwrap_or(false) {
                    reader.epoch.borrow_and_update();
                    if !Box::pin(reader.refresh_rights()).await {
                        tracing::info!(user = %reader.peer.username, "closing a sync connection: the session is no longer valid");
                        return Some((Err(FrameError::Closed("revoked")), None));
                    }
                }
                match Box::pin(reader.judge(bytes)).await {
                    Ok(Verdict::Pass(bytes)) => return Some((Ok(bytes), Some(reader))),
                    Ok(Verdict::Drop) => continue,
                    Err(e) => {
                        reader.app.metrics.frames_rejected.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(user = %reader.peer.username, error = %e, "closing a sync connection: bad frame");
                        return Some((Err(e), None));
                    }
                }
            }
        }
    });
    let sink = QueueSink { queue, sink, backlog, limit: app.config.max_backlog_bytes, cut };
    let transport = Transport::new(Box::pin(checked), Box::pin(sink))
        .with_expected_peer_id(PeerId::from(auth.session.peer_id.as_str()));
    if agency.acceptor.accept(transport).is_err() {
        tracing::warn!(user = %username, "the agency's repo stopped while accepting a connection");
    }
}

/// Which changes the server refused, per document (kept for this run of the server: a device
/// that asks `/durable` about them hears `refused`; after a restart it sends them again and they
/// are refused again).
#[derive(Default)]
pub struct RefusedChanges {
    by_document: std::sync::Mutex<HashMap<String, HashSet<ChangeHash>>>,
}

impl RefusedChanges {
    pub fn add(&self, doc: &str, hashes: &[ChangeHash]) {
        if let Ok(mut map) = self.by_document.lock() {
            map.entry(doc.to_string()).or_default().extend(hashes.iter().copied());
        }
    }

    pub fn of(&self, doc: &str) -> HashSet<ChangeHash> {
        self.by_document.lock().ok().and_then(|m| m.get(doc).cloned()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync_frame(doc: &str, data: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut e = minicbor::Encoder::new(&mut buf);
        e.map(5).expect("e").str("type").expect("e").str("sync").expect("e");
        e.str("senderId").expect("e").str("peer-1").expect("e");
        e.str("targetId").expect("e").str("server").expect("e");
        e.str("documentId").expect("e").str(doc).expect("e");
        e.str("data").expect("e").bytes(data).expect("e");
        buf
    }

    #[test]
    fn envelopes_decode_and_garbage_does_not() {
        let mut buf = Vec::new();
        let mut e = minicbor::Encoder::new(&mut buf);
        e.map(3).expect("encode").str("type").expect("e").str("join").expect("e");
        e.str("senderId").expect("e").str("peer-1").expect("e");
        e.str("supportedProtocolVersions").expect("e").array(1).expect("e").str("1").expect("e");
        let envelope = check_frame(&buf).expect("a join message is fine");
        assert_eq!(envelope.kind, "join");

        let cases: [&[u8]; 5] = [b"", b"\xff\xff\xff", b"hello", &[0xa1, 0x64], &[0xa0]];
        for bytes in cases {
            assert!(check_frame(bytes).is_err(), "{bytes:?}");
        }
        let mut trailing = buf.clone();
        trailing.push(0);
        assert!(check_frame(&trailing).is_err());

        // A sync message whose data is not a sync message.
        assert!(matches!(check_frame(&sync_frame("doc", b"not automerge")), Err(FrameError::BadSyncMessage { .. })));
    }

    #[test]
    fn replacing_the_data_keeps_every_other_entry() {
        let frame = sync_frame("doc-1", b"old data");
        let replaced = replace_data(&frame, b"new").expect("replaces");
        let envelope = decode_envelope(&replaced).expect("decodes");
        assert_eq!(envelope.kind, "sync");
        assert_eq!(envelope.document_id.as_deref(), Some("doc-1"));
        assert_eq!(envelope.data.as_deref(), Some(&b"new"[..]));
        assert_eq!(replaced.len(), frame.len() - 5);
        let unavailable = decode_envelope(&unavailable_message("server", "peer-1", "doc-1")).expect("decodes");
        assert_eq!(unavailable.kind, "doc-unavailable");
        assert_eq!(unavailable.document_id.as_deref(), Some("doc-1"));
    }

    #[test]
    fn ephemeral_messages_are_rate_limited() {
        let t0 = Instant::now();
        let mut bucket = Bucket { tokens: EPHEMERAL_BURST, at: t0 };
        let burst = (0..100).filter(|_| bucket.take(t0)).count();
        assert_eq!(burst, EPHEMERAL_BURST as usize);
        assert!(bucket.take(t0 + Duration::from_millis(150)), "refilled at 10 per second");
        assert!(!bucket.take(t0 + Duration::from_millis(150)));
    }
}
