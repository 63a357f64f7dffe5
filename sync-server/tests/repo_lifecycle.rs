//! An agency's repo is started on first use and stopped when idle; a stopped repo must leave
//! nothing behind, or the server's memory grows with every agency that comes and goes (samod
//! 0.16.0 kept every stopped repo alive; see vendor/samod/PATCHED.md).

use std::net::SocketAddr;
use std::time::Duration;

use prongsai_core::sample::pakchong_2565;
use prongsai_sync_server::{App, Config, Sqlite, provision};

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Waits until no task is left on the runtime (the test itself is not a task).
async fn no_task_left(what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while alive_tasks() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{what}: {} tasks outlive the stopped repo", alive_tasks());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_agency_repo_leaves_no_task_behind() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Sqlite::open(dir.path()).expect("database");
    let app =
        App::new(Config::new(dir.path().to_path_buf(), SocketAddr::from(([127, 0, 0, 1], 0))), db).await.expect("app");
    provision::create_sample(&app, &pakchong_2565()).await.expect("the sample agency");
    app.repos.stop_all().await;
    no_task_left("after creating the sample").await;

    for round in 0..3 {
        let (year, _) = app.agency_year("pakchong", 2565).await.expect("the documents load");
        assert_eq!(year.measures().len(), 8, "round {round}");
        assert_eq!(app.repos.running().await, 1);
        assert!(alive_tasks() > 0, "a running repo has its tasks");
        assert_eq!(app.repos.stop_idle(Duration::ZERO).await, 1);
        assert_eq!(app.repos.running().await, 0);
        // The repo's IO loop, actor loop, actor runner and tick loop all end.
        no_task_left(&format!("round {round}")).await;
    }
}

/// Runs the server's 5 s duty (`stop_idle`, with `doc_idle` zero) until the running repos hold
/// no document: a document still loading (a request's, a write's) is dropped by a later run.
async fn all_documents_unloaded<D: prongsai_sync_server::db::Database>(app: &App<D>, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert_eq!(app.repos.stop_idle(Duration::from_secs(3600)).await, 0, "{what}: the repo is not idle");
        if app.repos.documents_loaded().await == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {} documents still loaded",
            app.repos.documents_loaded().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// While an agency's repo runs, its documents nobody touches leave memory (our patch to samod,
/// `Repo::unload_idle_documents`, run by `stop_idle` for `Config::doc_idle`) and load again,
/// whole, from the server's storage when next used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_documents_leave_a_running_agency_repo_and_load_again() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Sqlite::open(dir.path()).expect("database");
    let mut config = Config::new(dir.path().to_path_buf(), SocketAddr::from(([127, 0, 0, 1], 0)));
    config.doc_idle = Duration::ZERO;
    let app = App::new(config, db).await.expect("app");
    provision::create_sample(&app, &pakchong_2565()).await.expect("the sample agency");
    app.repos.stop_all().await;

    let (year, _) = app.agency_year("pakchong", 2565).await.expect("the documents load");
    assert_eq!(year.measures().len(), 8);
    let loaded = app.repos.documents_loaded().await;
    assert!(loaded > 0, "the agency's documents are in memory");
    assert_eq!(app.repos.unload_idle_documents(Duration::from_secs(3600)).await, 0, "touched just now");

    // The repo is not idle, so it keeps running; its documents (idle for `doc_idle`) go.
    all_documents_unloaded(&app, "after unloading").await;
    assert_eq!(app.repos.running().await, 1);

    for round in 0..2 {
        let (year, _) = app.agency_year("pakchong", 2565).await.expect("the documents load again");
        assert_eq!(year.measures().len(), 8, "round {round}");
        assert!(app.repos.documents_loaded().await > 0, "round {round}");
        assert!(app.repos.unload_idle_documents(Duration::ZERO).await > 0, "round {round}");
        all_documents_unloaded(&app, &format!("round {round}")).await;
    }
    app.repos.stop_all().await;
}

/// A dialer that never connects (a device whose server is out of reach), counting its owners.
struct Unreachable;

impl samod::Dialer for Unreachable {
    type Error = std::convert::Infallible;

    fn url(&self) -> url::Url {
        url::Url::parse("ws://192.0.2.1:9/sync").expect("a URL")
    }

    fn connect(&self) -> futures::future::BoxFuture<'static, Result<samod::Transport, samod::DialError<Self::Error>>> {
        Box::pin(async { Err(samod::DialError::transient(std::io::Error::other("out of reach"))) })
    }
}

/// A repo stopped while one of its dialers is still trying is freed with that dialer (each
/// registered dialer holds a handle to the repo: samod 0.16.0 kept both alive for good).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_repo_with_an_open_dialer_is_freed() {
    let dialer = std::sync::Arc::new(Unreachable);
    let repo = samod::Repo::build_tokio().load().await;
    let handle = repo.dial(samod::BackoffConfig::default(), dialer.clone()).expect("dialing starts");
    assert!(std::sync::Arc::strong_count(&dialer) > 1, "the repo holds the dialer while it runs");
    repo.stop().await;
    drop(handle);
    drop(repo);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while std::sync::Arc::strong_count(&dialer) > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stopped repo still holds its dialer ({} owners): it was never freed",
            std::sync::Arc::strong_count(&dialer)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    no_task_left("after stopping a repo with a dialer").await;
}
