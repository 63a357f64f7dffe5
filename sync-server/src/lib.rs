//! Prongsai's sync server as a library: the automerge-repo protocol over WebSocket (samod), accounts
//! and sessions, the per-document access policy, durable storage, and the HTTP API. The
//! `prongsai-server` binary is a thin command line over it; tests start it on port 0.
//!
//! Invariant: only this server decides who may read or write a document; clients' own checks are
//! a courtesy.
//! Invariant: a change is confirmed to a client only after the chunk holding it has committed.

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod db;
pub mod policy;
pub mod provision;
pub mod reports;
pub mod repos;
pub mod storage;
pub mod sync;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

pub use app::{App, Config};
pub use db::sqlite::Sqlite;

/// The setting another process bumps after changing users or sessions in the database.
pub const ACCESS_EPOCH_SETTING: &str = "access_epoch";

/// The router with every route.
pub fn router<D: db::Database>(app: App<D>) -> Router {
    api::routes::<D>().layer(axum::middleware::from_fn(api::log_requests)).with_state(app)
}

/// Serves until `shutdown` resolves, with the server's background duties running beside it.
pub async fn serve<D: db::Database>(
    app: App<D>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let background = tokio::spawn(background_duties(app.clone()));
    let unhealthy = app.storage.unhealthy();
    let closer = app.clone();
    tokio::spawn(async move {
        unhealthy.await;
        tracing::error!("storage failed: closing every sync connection");
        closer.close_all_connections();
    });
    // Sync messages are small and answer each other: without TCP_NODELAY one could wait for the
    // peer's delayed acknowledgement of the last (tens of milliseconds).
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY refused on an accepted connection");
        }
    });
    let result = axum::serve(listener, router(app.clone()).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    background.abort();
    app.close_all_connections();
    app.repos.stop_all().await;
    result
}

/// Stops idle agency repos, and notices user and session changes made by other processes (the
/// admin command line) so that a revoked session loses its connection within a second.
async fn background_duties<D: db::Database>(app: App<D>) {
    let mut last_epoch = app.db.setting(ACCESS_EPOCH_SETTING.into()).await.ok().flatten();
    let mut ticks = 0u64;
    let mut interval = tokio::time::interval(Duration::from_millis(500));
    loop {
        interval.tick().await;
        ticks += 1;
        let epoch = app.db.setting(ACCESS_EPOCH_SETTING.into()).await.ok().flatten();
        if epoch != last_epoch {
            last_epoch = epoch;
            app.access.invalidate();
            app.recheck_live_sessions().await;
        }
        // Every 5 s: cheap (a scan of the running repos' counters).
        if ticks.is_multiple_of(10) {
            app.repos.stop_idle(app.config.repo_idle).await;
        }
    }
}

/// Tells running servers that users or sessions changed in the database.
pub async fn bump_access_epoch<D: db::Database>(db: &D) -> Result<(), db::DbError> {
    db.set_setting(ACCESS_EPOCH_SETTING.into(), app::now_ms().to_string()).await
}
