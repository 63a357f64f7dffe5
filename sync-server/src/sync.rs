//! The WebSocket at `/sync`: authentication before the upgrade, then the automerge-repo protocol
//! through samod, with every incoming frame checked first.
//!
//! The check is ours, not samod's, so that the rules hold whatever samod does: a frame that is not
//! a well-formed automerge-repo message (CBOR) or carries an undecodable sync message closes the
//! connection; a sync message with changes for a document the user may not write is logged with
//! the user (samod then ignores the changes, as the peer is read-only there); a revoked session's
//! connection is closed.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use samod::{PeerId, Transport};

use std::time::Duration;

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
    #[error("websocket: {0}")]
    Transport(String),
}

/// The parts of an automerge-repo message the server looks at.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    pub kind: String,
    pub document_id: Option<String>,
    pub data: Option<Vec<u8>>,
    /// For `sync`/`request` messages: whether the sync data carries changes (set by
    /// [`check_frame`], which decodes it once).
    pub carries_changes: bool,
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

/// Checks one incoming frame: a well-formed envelope and, for sync messages, decodable sync data.
/// The returned envelope says whether the message carries changes (so the caller can check write
/// access).
pub fn check_frame(bytes: &[u8]) -> Result<Envelope, FrameError> {
    let mut envelope = decode_envelope(bytes)?;
    if matches!(envelope.kind.as_str(), "sync" | "request") {
        let document = envelope.document_id.clone().unwrap_or_default();
        let data = envelope
            .data
            .as_deref()
            .ok_or_else(|| FrameError::BadSyncMessage { document: document.clone(), reason: "no data".into() })?;
        let message = prongsai_core::automerge::sync::Message::decode(data)
            .map_err(|e| FrameError::BadSyncMessage { document, reason: e.to_string() })?;
        envelope.carries_changes = !message.changes.is_empty();
    }
    Ok(envelope)
}

/// The fuzzing entry point (fuzz/fuzz_targets/frames.rs): any bytes as one incoming frame. The
/// check must answer, accept or refuse, and never panic.
pub fn fuzz_one(bytes: &[u8]) {
    let _ = check_frame(bytes);
}

pub fn bearer_token(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .or_else(|| query.get("token").cloned())
        .filter(|t| !t.is_empty())
}

/// Per connection, what is read from the socket at a time.
const READ_BUFFER_BYTES: usize = 8 * 1024;

pub async fn websocket<D: Database>(
    State(app): State<App<D>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(token) = bearer_token(&headers, &query) else {
        return (StatusCode::UNAUTHORIZED, "sign in first: no token").into_response();
    };
    let auth = match app.authenticate(&token).await {
        Ok(Some(auth)) => auth,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "the token is not valid; sign in again").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "authenticating a sync connection");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    if !app.storage.is_healthy() {
        return (StatusCode::SERVICE_UNAVAILABLE, "storage is unhealthy").into_response();
    }
    let limit = app.config.max_message_bytes;
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        // tungstenite reserves 128 KiB per connection for reading by default: 1.4 GiB for 10,000
        // quiet devices. 8 KiB reads (a big message still grows its own buffer), and each
        // message written out as soon as samod sends it.
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve_connection(app, auth, socket))
}

async fn serve_connection<D: Database>(app: App<D>, auth: Auth, socket: WebSocket) {
    let agency = match app.repos.get(&auth.user.agency_id).await {
        Ok(agency) => agency,
        Err(_) => return,
    };
    let count = agency.connection_guard();
    let (live, close) = app.register_connection(&auth);
    let (sink, stream) = socket.split();
    let sink = sink
        .sink_map_err(|e| FrameError::Transport(e.to_string()))
        .with(|bytes: Vec<u8>| futures::future::ready(Ok::<_, FrameError>(Message::Binary(bytes.into()))));
    let username = auth.user.username.clone();
    let peer = auth.peer();
    tracing::info!(user = %username, peer = %auth.session.peer_id, "sync connection opened");

    struct Ctx<D: Database> {
        app: App<D>,
        stream: futures::stream::SplitStream<WebSocket>,
        close: tokio::sync::watch::Receiver<bool>,
        peer: crate::policy::Peer,
        writable: HashMap<String, bool>,
        _guards: (crate::app::LiveGuard<D>, crate::repos::ConnectionCount),
    }
    let ctx = Ctx { app: app.clone(), stream, close, peer, writable: HashMap::new(), _guards: (live, count) };
    let checked = futures::stream::unfold(Some(ctx), |ctx| async move {
        let mut ctx = ctx?;
        loop {
            let expires_in = Duration::from_millis(u64::try_from(ctx.peer.expires_at - now_ms()).unwrap_or(0));
            let message = tokio::select! {
                () = tokio::time::sleep(expires_in) => {
                    tracing::info!(user = %ctx.peer.username, "closing a sync connection: the session expired");
                    return Some((Err(FrameError::Closed("session expired")), None));
                }
                changed = ctx.close.changed() => {
                    if changed.is_err() || *ctx.close.borrow() {
                        tracing::info!(user = %ctx.peer.username, "closing a sync connection: session revoked or storage failed");
                        return Some((Err(FrameError::Closed("revoked")), None));
                    }
                    continue;
                }
                message = ctx.stream.next() => message,
            };
            let message = match message {
                None => return None,
                Some(Err(e)) => return Some((Err(FrameError::Transport(e.to_string())), None)),
                Some(Ok(m)) => m,
            };
            let bytes = match message {
                Message::Binary(bytes) => bytes.to_vec(),
                Message::Close(_) => return None,
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Text(_) => {
                    ctx.app.metrics.frames_rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(user = %ctx.peer.username, "closing a sync connection: text frame");
                    return Some((Err(FrameError::Text), None));
                }
            };
            ctx.app.metrics.frames_received.fetch_add(1, Ordering::Relaxed);
            let envelope = match check_frame(&bytes) {
                Ok(envelope) => envelope,
                Err(e) => {
                    ctx.app.metrics.frames_rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(user = %ctx.peer.username, error = %e, "closing a sync connection: bad frame");
                    return Some((Err(e), None));
                }
            };
            if let Some(doc) = envelope.document_id.as_deref()
                && envelope.kind == "sync"
                && envelope.carries_changes
            {
                let may_write = match ctx.writable.get(doc) {
                    Some(w) => *w,
                    None => {
                        let w = match ctx.app.access.document(doc).await {
                            Some(row) => ctx.peer.may_write(&row),
                            None => false,
                        };
                        ctx.writable.insert(doc.to_string(), w);
                        w
                    }
                };
                if !may_write {
                    ctx.app.metrics.refused_writes.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(user = %ctx.peer.username, document = %doc, "refused a write: the user may not write this document");
                }
            }
            return Some((Ok(bytes), Some(ctx)));
        }
    });

    let transport = Transport::new(Box::pin(checked), Box::pin(sink))
        .with_expected_peer_id(PeerId::from(auth.session.peer_id.as_str()));
    if agency.acceptor.accept(transport).is_err() {
        tracing::warn!(user = %username, "the agency's repo stopped while accepting a connection");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut buf = Vec::new();
        let mut e = minicbor::Encoder::new(&mut buf);
        e.map(3).expect("e").str("type").expect("e").str("sync").expect("e");
        e.str("documentId").expect("e").str("doc").expect("e");
        e.str("data").expect("e").bytes(b"not automerge").expect("e");
        assert!(matches!(check_frame(&buf), Err(FrameError::BadSyncMessage { .. })));
    }
}
