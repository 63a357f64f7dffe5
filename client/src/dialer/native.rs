//! Natively: the token in an `Authorization` header, rustls for `wss://` with the system's
//! certificate store (the trust the app's HTTP has), and 401/403 read off the handshake's answer.

use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use futures::{SinkExt, StreamExt, TryStreamExt};
use samod::{DialError, Dialer, Transport};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{SignedOut, WireError};

pub struct TokenDialer {
    url: url::Url,
    token: String,
    max_message_bytes: usize,
}

impl TokenDialer {
    pub fn new(url: url::Url, token: String) -> TokenDialer {
        crate::api::install_crypto();
        TokenDialer { url, token, max_message_bytes: 64 * 1024 * 1024 }
    }
}

/// The TLS settings of `wss://`: the platform's verifier, as reqwest's for the app's HTTP, so a
/// server whose certificate comes from an authority installed on the machine (an agency's or a
/// ministry's own) is reached for sync as for sign-in, not only ones the bundled roots know.
/// Made once per process when it succeeds (the verifier reads the store at each handshake); a
/// failure (no certificate store on the machine yet) is tried again at the next dial.
fn tls() -> Result<tokio_tungstenite::Connector, String> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(tokio_tungstenite::Connector::Rustls(config.clone()));
    }
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("TLS settings: {e}"))?
        .with_no_client_auth();
    let config = CONFIG.get_or_init(|| Arc::new(config)).clone();
    Ok(tokio_tungstenite::Connector::Rustls(config))
}

impl Dialer for TokenDialer {
    type Error = SignedOut;

    fn url(&self) -> url::Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<SignedOut>>> {
        let url = self.url.clone();
        let token = self.token.clone();
        let max = self.max_message_bytes;
        Box::pin(async move {
            let mut request = url.as_str().into_client_request().map_err(DialError::transient)?;
            let bearer = format!("Bearer {token}").parse().map_err(DialError::transient)?;
            request.headers_mut().insert("authorization", bearer);
            let config =
                tungstenite::protocol::WebSocketConfig::default().max_message_size(Some(max)).max_frame_size(Some(max));
            // TLS settings only for wss://: a plain ws:// server (a test, a LAN) needs none.
            let connector = match url.scheme() {
                "wss" => Some(tls().map_err(|e| DialError::transient(WireError(e)))?),
                _ => None,
            };
            let connected = tokio_tungstenite::connect_async_tls_with_config(request, Some(config), true, connector);
            let (socket, _) = match connected.await {
                Ok(ok) => ok,
                Err(tungstenite::Error::Http(response)) if matches!(response.status().as_u16(), 401 | 403) => {
                    return Err(DialError::PermanentFailure(SignedOut { status: response.status().as_u16() }));
                }
                Err(e) => return Err(DialError::transient(e)),
            };
            let (sink, stream) = socket.split();
            let stream = stream.map_err(|e| WireError(e.to_string())).try_filter_map(|message| async move {
                match message {
                    Message::Binary(bytes) => Ok(Some(bytes.to_vec())),
                    Message::Text(_) => Err(WireError("unexpected text frame".into())),
                    Message::Close(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(None),
                }
            });
            let sink = sink
                .sink_map_err(|e| WireError(e.to_string()))
                .with(|bytes: Vec<u8>| futures::future::ready(Ok::<_, WireError>(Message::Binary(bytes.into()))));
            Ok(Transport::new(Box::pin(stream), Box::pin(sink)))
        })
    }
}
