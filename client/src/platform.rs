//! What the device needs from the platform it runs on, in one place: tasks in the background,
//! timers, heavy work off the async threads, and the wall clock. Natively that is tokio and
//! std; in a browser's Worker (issue 21, `docs/notes/browser-device.md`) it becomes the browser's
//! event loop behind these same functions, so the device's own code does not change.

use std::future::Future;
use std::time::Duration;

/// `Send + Sync` natively, where tasks move between threads; nothing in a browser's Worker,
/// which has one thread and whose JavaScript values are neither.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> MaybeSend for T {}
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
#[cfg(target_arch = "wasm32")]
pub use web::*;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::future::Future;
    use std::time::Duration;

    /// samod's runtime: the tokio runtime this runs on.
    pub fn runtime() -> tokio::runtime::Handle {
        tokio::runtime::Handle::current()
    }

    /// A task running in the background; [`Task::abort`] stops it at its next await.
    pub struct Task(tokio::task::JoinHandle<()>);

    impl Task {
        pub fn abort(&self) {
            self.0.abort();
        }
    }

    /// Runs `task` in the background.
    pub fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Task {
        Task(tokio::spawn(task))
    }

    /// Waits for `limit`.
    pub async fn sleep(limit: Duration) {
        tokio::time::sleep(limit).await
    }

    /// Runs CPU-heavy work (decoding a photo, parsing a stored chunk) where it holds up no other
    /// task; `None` if the work panicked.
    pub async fn offload<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        tokio::task::spawn_blocking(work).await.ok()
    }
}

/// The browser's side: one thread (the device's Worker), its event loop and its timers.
#[cfg(target_arch = "wasm32")]
mod web {
    use std::future::Future;
    use std::time::Duration;

    /// A task running in the background; [`Task::abort`] stops it at its next await.
    pub struct Task(futures::future::AbortHandle);

    impl Task {
        pub fn abort(&self) {
            self.0.abort();
        }
    }

    /// Runs `task` in the background, on the Worker's event loop.
    pub fn spawn(task: impl Future<Output = ()> + 'static) -> Task {
        let (task, handle) = futures::future::abortable(task);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = task.await;
        });
        Task(handle)
    }

    /// Waits for `limit` (`setTimeout`).
    pub async fn sleep(limit: Duration) {
        gloo_timers::future::sleep(limit).await
    }

    /// The browser's event loop as samod's runtime: tasks are spawned on the current thread (a
    /// Worker's, or the page's), timers are the browser's.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Runtime;

    /// samod's runtime: this thread's event loop.
    pub fn runtime() -> Runtime {
        Runtime
    }

    impl samod::runtime::LocalRuntimeHandle for Runtime {
        fn spawn(&self, task: std::pin::Pin<Box<dyn Future<Output = ()>>>) {
            wasm_bindgen_futures::spawn_local(task)
        }

        fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()>>> {
            Box::pin(gloo_timers::future::sleep(duration))
        }
    }

    /// Runs CPU-heavy work: here, in place. The device already runs in its own Worker, off the
    /// page's thread, so a photo being decoded delays sync, never a tap.
    pub async fn offload<T>(work: impl FnOnce() -> T) -> Option<T> {
        Some(work())
    }
}

/// `future`'s output, or `None` once `limit` has passed.
pub async fn timeout<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    let sleep = std::pin::pin!(sleep(limit));
    match futures::future::select(std::pin::pin!(future), sleep).await {
        futures::future::Either::Left((value, _)) => Some(value),
        futures::future::Either::Right(_) => None,
    }
}

/// Milliseconds since the Unix epoch (a browser's `Date.now()` there: std's clock panics on
/// wasm32).
pub fn now_ms() -> i64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timeout_answers_what_finished_in_time_and_nothing_for_what_did_not() {
        assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Some(7));
        assert_eq!(timeout(Duration::from_millis(10), std::future::pending::<()>()).await, None);
        assert_eq!(offload(|| 6 * 7).await, Some(42));
        let now = now_ms();
        assert!(now > 1_600_000_000_000, "{now}");
    }

    #[tokio::test]
    async fn an_aborted_task_stops() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = spawn(async move {
            std::future::pending::<()>().await;
            drop(tx);
        });
        task.abort();
        // The sender is dropped when the aborted task is: the receiver sees it closed.
        assert!(rx.await.is_err());
    }
}
