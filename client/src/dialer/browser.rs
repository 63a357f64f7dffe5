//! In a browser: its own WebSocket, which can send no `Authorization` header. The token goes as
//! a subprotocol (`wire::TOKEN_PROTOCOL_PREFIX`) beside [`prongsai_core::wire::SYNC_PROTOCOL`],
//! never in the address. A refused handshake shows in a browser only as a closed socket, so a
//! failed one asks `GET /api/me` whether the token still counts: 401/403 → signed out for good,
//! anything else (offline, a server restarting) → try again after the backoff.
//!
//! The socket and its callbacks are JavaScript values, which samod (whose dialer and transport
//! are `Send`) must not hold: they live in a task on this thread, and samod gets only channels.

use futures::channel::{mpsc, oneshot};
use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use samod::{DialError, Dialer, Transport};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use super::{SignedOut, WireError};
use crate::api::{ApiError, ServerApi};

pub struct BrowserDialer {
    url: url::Url,
    token: String,
}

impl BrowserDialer {
    pub fn new(url: url::Url, token: String) -> BrowserDialer {
        BrowserDialer { url, token }
    }

    /// The server's HTTP address for the sync address (`wss://host/sync` → `https://host/`).
    fn api(&self) -> Option<ServerApi> {
        let mut base = self.url.join("./").ok()?;
        let scheme = if base.scheme() == "wss" { "https" } else { "http" };
        base.set_scheme(scheme).ok()?;
        base.set_query(None);
        Some(ServerApi::new(base).with_token(&self.token))
    }
}

impl Dialer for BrowserDialer {
    type Error = SignedOut;

    fn url(&self) -> url::Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<SignedOut>>> {
        let (opened_tx, opened_rx) = oneshot::channel();
        let (inbound_tx, inbound_rx) = mpsc::unbounded();
        let (outbound_tx, outbound_rx) = mpsc::unbounded();
        let protocols = [
            prongsai_core::wire::SYNC_PROTOCOL.to_string(),
            format!("{}{}", prongsai_core::wire::TOKEN_PROTOCOL_PREFIX, self.token),
        ];
        let socket = run_socket(self.url.to_string(), protocols, self.api(), opened_tx, inbound_tx, outbound_rx);
        wasm_bindgen_futures::spawn_local(socket);
        async move {
            match opened_rx.await {
                Ok(Ok(())) => Ok(Transport::new(inbound_rx, outbound_tx.sink_map_err(|e| WireError(e.to_string())))),
                Ok(Err(refusal)) => Err(refusal),
                Err(_) => Err(DialError::transient(WireError("the socket's task ended".into()))),
            }
        }
        .boxed()
    }
}

/// Why a socket that never opened did not: a refused token, or anything else.
async fn refused_or_offline(api: Option<ServerApi>, reason: String) -> DialError<SignedOut> {
    let Some(api) = api else { return DialError::transient(WireError(reason)) };
    match crate::platform::timeout(std::time::Duration::from_secs(10), api.me()).await {
        Some(Err(ApiError::Unauthorized)) => DialError::PermanentFailure(SignedOut { status: 401 }),
        Some(Err(ApiError::Refused { status: status @ 403, .. })) => DialError::PermanentFailure(SignedOut { status }),
        _ => DialError::transient(WireError(reason)),
    }
}

/// The socket's life, on this thread: opens it, reports whether it opened, then carries samod's
/// messages out and the server's in until either side ends.
async fn run_socket(
    url: String,
    protocols: [String; 2],
    api: Option<ServerApi>,
    opened: oneshot::Sender<Result<(), DialError<SignedOut>>>,
    inbound: mpsc::UnboundedSender<Result<Vec<u8>, WireError>>,
    mut outbound: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let offered: js_sys::Array = protocols.iter().map(|p| JsValue::from_str(p)).collect();
    let socket = match WebSocket::new_with_str_sequence(&url, &offered) {
        Ok(socket) => socket,
        Err(e) => {
            let _ = opened.send(Err(DialError::transient(WireError(format!("{e:?}")))));
            return;
        }
    };
    socket.set_binary_type(BinaryType::Arraybuffer);

    // open → Ok; close before open → Err; close after open → the inbound stream ends.
    let (state_tx, mut state_rx) = mpsc::unbounded::<Option<String>>();
    let on_open = {
        let state = state_tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            let _ = state.unbounded_send(None);
        })
    };
    let on_close = {
        let state = state_tx.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let _ = state.unbounded_send(Some(format!("closed ({}) {}", event.code(), event.reason())));
        })
    };
    let on_message = {
        let inbound = inbound.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let message = match event.data().dyn_into::<js_sys::ArrayBuffer>() {
                Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer).to_vec()),
                Err(_) => Err(WireError("unexpected text frame".into())),
            };
            let _ = inbound.unbounded_send(message);
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

    match state_rx.next().await {
        Some(None) => {
            if opened.send(Ok(())).is_err() {
                socket.set_onclose(None);
                let _ = socket.close();
                return;
            }
            loop {
                futures::select! {
                    message = outbound.next() => match message {
                        Some(bytes) => {
                            if socket.send_with_u8_array(&bytes).is_err() {
                                break;
                            }
                        }
                        None => break, // samod let the connection go
                    },
                    closed = state_rx.next() => {
                        if let Some(Some(reason)) = closed {
                            tracing::info!(%reason, "the sync socket closed");
                        }
                        break;
                    }
                }
            }
        }
        closed => {
            let reason = closed.flatten().unwrap_or_else(|| "the socket went away".into());
            let _ = opened.send(Err(refused_or_offline(api, reason).await));
        }
    }
    socket.set_onopen(None);
    socket.set_onclose(None);
    socket.set_onmessage(None);
    let _ = socket.close();
    inbound.close_channel();
    drop((on_open, on_close, on_message));
}
