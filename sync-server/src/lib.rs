//! Prongsai's sync server as a library: the automerge-repo protocol over WebSocket (samod), accounts
//! and sessions, the per-document access policy, durable storage, and the HTTP API. The
//! `prongsai-server` binary is a thin command line over it; tests start it on port 0.
//!
//! Invariant: only this server decides who may read or write a document; clients' own checks are
//! a courtesy.
//! Invariant: a change is confirmed to a client only after the chunk holding it has committed.

pub mod admin;
pub mod agency;
pub mod api;
pub mod app;
pub mod auth;
pub mod criteria;
pub mod db;
pub mod leaving;
pub mod link;
pub mod notifications;
pub mod policy;
pub mod provision;
pub mod quota;
pub mod reports;
pub mod repos;
pub mod routes;
pub mod second_factor;
pub mod storage;
pub mod sync;
pub mod tls;
pub mod verify;
pub mod web;
pub mod years;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

pub use app::{App, Config};
pub use db::sqlite::Sqlite;
pub use db::store::{Location, Store};

/// The setting another process bumps after changing users or sessions in the database.
pub const ACCESS_EPOCH_SETTING: &str = "access_epoch";

/// The router with every route.
pub fn router<D: db::Database>(app: App<D>) -> Router {
    api::routes::<D>(&app)
        .layer(axum::middleware::from_fn_with_state(app.clone(), link::accept::<D>))
        .layer(axum::middleware::from_fn(api::log_requests))
        .with_state(app)
}

/// Serves until `shutdown` resolves, with the server's background duties running beside it.
///
/// Connections are served by hyper directly (not `axum::serve`) so that a client that never
/// finishes its request headers is cut after `Config::header_timeout` instead of holding a
/// socket forever.
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
    let router = router(app.clone());
    let header_timeout = app.config.header_timeout;
    let (stop_accepting, stopping) = tokio::sync::watch::channel(false);
    let (connection_ended, all_ended) = tokio::sync::watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_accepting.send(true);
    });
    let mut stop = stopping.clone();
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment, never spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        // Sync messages are small and answer each other: without TCP_NODELAY one could wait for
        // the peer's delayed acknowledgement of the last (tens of milliseconds).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY refused on an accepted connection");
        }
        let service = router.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            request.map(axum::body::Body::new)
        });
        let stopping = stopping.clone();
        let ended = all_ended.clone();
        // The certificate in use now (a SIGHUP may have read a renewed one).
        let tls = app.config.tls.as_ref().map(|tls| tokio_rustls::TlsAcceptor::from(tls.current()));
        tokio::spawn(async move {
            match tls {
                None => serve_connection(tcp, service, header_timeout, stopping).await,
                // The handshake has the time the headers have: a client that opens a socket and
                // says nothing holds it no longer than one that never finishes its headers.
                Some(acceptor) => match tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_connection(stream, service, header_timeout, stopping).await,
                    Ok(Err(error)) => tracing::debug!(%error, %remote, "a TLS handshake failed"),
                    Err(_) => tracing::debug!(%remote, "a TLS handshake timed out"),
                },
            }
            drop(ended);
        });
    }
    drop(listener);
    drop(all_ended);
    background.abort();
    app.close_all_connections();
    // Open requests finish (a WebSocket is told to close above); then every repo saves and stops.
    let _ = tokio::time::timeout(Duration::from_secs(10), connection_ended.closed()).await;
    app.repos.stop_all().await;
    Ok(())
}

/// Serves HTTP/1.1 (with upgrades to WebSocket) on one connection, plain or TLS, until it ends
/// or the server stops (then gracefully: the request in flight finishes).
async fn serve_connection<I, S>(
    io: I,
    service: S,
    header_timeout: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
    let io = hyper_util::rt::TokioIo::new(io);
    let hyper_service = hyper_util::service::TowerToHyperService::new(service);
    let connection = builder.serve_connection_with_upgrades(io, hyper_service);
    tokio::pin!(connection);
    // Once told to stop (or once the stop signal is gone), the connection finishes what it is
    // doing; asking again would only spin.
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "a connection ended with an error");
    }
}

/// Stops idle agency repos, and notices user and session changes made by other processes (the
/// admin command line, other nodes): at once where the database announces them, otherwise by
/// reading the access epoch every `Config::access_poll`.
async fn background_duties<D: db::Database>(app: App<D>) {
    let mut last_epoch = app.db.setting(ACCESS_EPOCH_SETTING.into()).await.ok().flatten();
    // Announced at once where the database can (PostgreSQL's NOTIFY from any node); polled too,
    // for SQLite's other processes and a listening connection that is down.
    let mut announced = app.db.access_announcements().await.ok().flatten();
    let mut ticks = 0u64;
    let mut interval = tokio::time::interval(Duration::from_millis(500));
    let mut polled = tokio::time::Instant::now();
    loop {
        let ticked = tokio::select! {
            _ = interval.tick() => true,
            moved = async {
                match announced.as_mut() {
                    Some(announcements) => announcements.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            } => {
                if !moved {
                    announced = None;
                }
                false
            }
        };
        if ticked && polled.elapsed() < app.config.access_poll {
            ticks += 1;
            duties(&app, ticks).await;
            continue;
        }
        polled = tokio::time::Instant::now();
        let epoch = app.db.setting(ACCESS_EPOCH_SETTING.into()).await.ok().flatten();
        if epoch != last_epoch {
            last_epoch = epoch;
            app.access.invalidate();
            app.forget_security();
            app.recheck_live_sessions().await;
        }
        if ticked {
            ticks += 1;
            duties(&app, ticks).await;
        }
    }
}

/// What the server does every few ticks of half a second.
async fn duties<D: db::Database>(app: &App<D>, ticks: u64) {
    // Every 5 s: cheap (a scan of the running repos' counters).
    if ticks.is_multiple_of(10) {
        app.repos.stop_idle(app.config.repo_idle).await;
    }
    // New ITA criteria (an operator's import) reach the directories of the agencies served here.
    if ticks % 4 == 1
        && let Err(error) = criteria::refresh_directories(app).await
    {
        tracing::warn!(%error, "writing the ITA criteria into directories failed; will retry");
    }
}

/// Tells running servers that users or sessions changed in the database.
pub async fn bump_access_epoch<D: db::Database>(db: &D) -> Result<(), db::DbError> {
    db.set_setting(ACCESS_EPOCH_SETTING.into(), app::now_ms().to_string()).await?;
    db.announce_access_changed().await
}
