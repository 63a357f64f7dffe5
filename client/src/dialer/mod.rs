//! Our WebSocket dialer: it sends the token (samod's bundled dialer sends no headers) and treats
//! 401/403 as a permanent failure, so a revoked or expired login sends the user to the sign-in
//! page instead of retrying forever. Natively over tungstenite ([`TokenDialer`]); in a browser
//! over its own WebSocket ([`BrowserDialer`]), which can send no header.

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(target_arch = "wasm32")]
pub use browser::BrowserDialer;
#[cfg(not(target_arch = "wasm32"))]
pub use native::TokenDialer;

/// The dialer of the platform this device runs on.
#[cfg(target_arch = "wasm32")]
pub type PlatformDialer = BrowserDialer;
#[cfg(not(target_arch = "wasm32"))]
pub type PlatformDialer = TokenDialer;

/// The server refused the token: the user must sign in again.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the server refused the login (HTTP {status}); sign in again")]
pub struct SignedOut {
    pub status: u16,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WireError(String);
