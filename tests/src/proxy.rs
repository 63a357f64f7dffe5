//! A loopback proxy between devices and the server that loses, delays, duplicates and cuts
//! WebSocket frames (the sync connection), and passes every other HTTP request through untouched.
//!
//! It forwards the upgrade request and the server's answer byte for byte (so a refused token is
//! still a 401 to the device), then reads whole WebSocket messages on both sides and decides for
//! each one what the network does to it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// What the network does, per message, in thousandths; changeable while the proxy runs.
#[derive(Default)]
pub struct Faults {
    pub drop_per_mille: AtomicU32,
    pub duplicate_per_mille: AtomicU32,
    pub cut_per_mille: AtomicU32,
    pub max_delay_ms: AtomicU32,
    /// What happened so far.
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
    pub cuts: AtomicU64,
}

impl Faults {
    pub fn set(&self, drop: u32, duplicate: u32, cut: u32, max_delay_ms: u32) {
        self.drop_per_mille.store(drop, Ordering::SeqCst);
        self.duplicate_per_mille.store(duplicate, Ordering::SeqCst);
        self.cut_per_mille.store(cut, Ordering::SeqCst);
        self.max_delay_ms.store(max_delay_ms, Ordering::SeqCst);
    }

    pub fn heal(&self) {
        self.set(0, 0, 0, 0);
    }

    pub fn summary(&self) -> String {
        format!(
            "forwarded {}, dropped {}, duplicated {}, cut {}",
            self.forwarded.load(Ordering::SeqCst),
            self.dropped.load(Ordering::SeqCst),
            self.duplicated.load(Ordering::SeqCst),
            self.cuts.load(Ordering::SeqCst)
        )
    }
}

pub struct FaultyProxy {
    pub addr: SocketAddr,
    pub faults: Arc<Faults>,
    cut_all: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

enum Fate {
    Forward { delay: Duration, duplicate: bool },
    Drop,
    Cut,
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `upstream`. `seed` makes the faults
    /// repeatable for one order of events.
    pub async fn start(upstream: SocketAddr, seed: u64) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy binds");
        let addr = listener.local_addr().expect("the proxy's address");
        let faults = Arc::new(Faults::default());
        let (cut_all, _) = tokio::sync::watch::channel(0u64);
        let task = {
            let faults = faults.clone();
            let cut_all = cut_all.clone();
            tokio::spawn(async move {
                let mut connection = 0u64;
                while let Ok((client, _)) = listener.accept().await {
                    connection += 1;
                    let faults = faults.clone();
                    let cut = cut_all.subscribe();
                    tokio::spawn(serve(client, upstream, faults, cut, seed.wrapping_mul(1_000_003) + connection));
                }
            })
        };
        FaultyProxy { addr, faults, cut_all, task }
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("a valid URL")
    }

    /// Cuts every open sync connection at once (devices reconnect on their own).
    pub fn cut_all(&self) {
        self.cut_all.send_modify(|n| *n += 1);
        self.faults.cuts.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads an HTTP head (up to the blank line) one byte at a time, so nothing after it is consumed.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Arc<Faults>,
    cut: tokio::sync::watch::Receiver<u64>,
    seed: u64,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let mut peek = [0u8; 10];
    let is_sync = matches!(client.peek(&mut peek).await, Ok(n) if peek[..n].starts_with(b"GET /sync"));
    if !is_sync {
        // The HTTP API (login, document lists, durability checks) passes through as it is.
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let Some(request) = read_head(&mut client).await else { return };
    if server.write_all(&request).await.is_err() {
        return;
    }
    let Some(response) = read_head(&mut server).await else { return };
    if client.write_all(&response).await.is_err() {
        return;
    }
    if !response.starts_with(b"HTTP/1.1 101") {
        // A refusal (401, 403, 400) and its body reach the device unchanged.
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
    let device_side = WebSocketStream::from_raw_socket(client, Role::Server, Some(config)).await;
    let server_side = WebSocketStream::from_raw_socket(server, Role::Client, Some(config)).await;
    let (to_device, from_device) = device_side.split();
    let (to_server, from_server) = server_side.split();
    let rng = Arc::new(std::sync::Mutex::new(Rng(seed | 1)));
    let mut cut = cut;
    cut.borrow_and_update();
    tokio::select! {
        _ = pump(from_device, to_server, faults.clone(), rng.clone()) => {}
        _ = pump(from_server, to_device, faults.clone(), rng) => {}
        _ = cut.changed() => {}
    }
    // Dropping both sockets here is the cut: no close frame, as when a network goes away.
}

async fn pump<S, K>(mut from: S, mut to: K, faults: Arc<Faults>, rng: Arc<std::sync::Mutex<Rng>>)
where
    S: futures::Stream<Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
    K: futures::Sink<tokio_tungstenite::tungstenite::Message> + Unpin,
{
    use tokio_tungstenite::tungstenite::Message;
    while let Some(Ok(message)) = from.next().await {
        if matches!(message, Message::Close(_)) {
            let _ = to.send(message).await;
            return;
        }
        let fate = {
            let mut rng = rng.lock().expect("the proxy's random numbers");
            let roll = rng.below(1000) as u32;
            let drop = faults.drop_per_mille.load(Ordering::SeqCst);
            let cut = faults.cut_per_mille.load(Ordering::SeqCst);
            let duplicate = faults.duplicate_per_mille.load(Ordering::SeqCst);
            let max_delay = faults.max_delay_ms.load(Ordering::SeqCst);
            if roll < cut {
                Fate::Cut
            } else if roll < cut + drop {
                Fate::Drop
            } else {
                Fate::Forward {
                    delay: Duration::from_millis(if max_delay == 0 { 0 } else { rng.below(max_delay as u64 + 1) }),
                    duplicate: rng.below(1000) < duplicate as u64,
                }
            }
        };
        match fate {
            Fate::Cut => {
                faults.cuts.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Fate::Drop => {
                faults.dropped.fetch_add(1, Ordering::SeqCst);
            }
            Fate::Forward { delay, duplicate } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if duplicate {
                    faults.duplicated.fetch_add(1, Ordering::SeqCst);
                    if to.send(message.clone()).await.is_err() {
                        return;
                    }
                }
                if to.send(message).await.is_err() {
                    return;
                }
                faults.forwarded.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// xorshift64*: enough randomness for choosing faults, and repeatable from a seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
