//! Passwords (argon2id), opaque session tokens (stored hashed), and login rate limits.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes)?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Checks a password against a stored hash; a malformed hash never verifies.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// How many threads hash and verify passwords. Each argon2 run holds a 19 MiB buffer, and a
/// thread's allocator keeps what it once held; a small fixed pool (instead of tokio's up to 512
/// blocking threads) bounds that memory, and queues a burst of logins instead of thrashing.
const PASSWORD_THREADS: usize = 2;

/// The most password jobs waiting or running at once. A burst beyond it (a flood of sign-ins)
/// is answered "busy, retry" at once instead of queueing seconds of argon2 work.
pub const MAX_PASSWORD_JOBS: usize = 32;

/// The password threads are full: answer 503 with `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking other sign-ins; try again in a moment")]
pub struct Busy;

type PasswordJob = Box<dyn FnOnce() + Send>;

static PASSWORD_JOBS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn password_pool() -> &'static Mutex<std::sync::mpsc::Sender<PasswordJob>> {
    static POOL: std::sync::OnceLock<Mutex<std::sync::mpsc::Sender<PasswordJob>>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::channel::<PasswordJob>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..PASSWORD_THREADS {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("password-{i}")).spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "starting a password thread");
            }
        }
        Mutex::new(jobs)
    })
}

/// Password jobs queued or running now.
pub fn password_jobs() -> usize {
    PASSWORD_JOBS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Counts a password job from when it is queued until it finished (or was dropped).
struct JobSlot;

impl JobSlot {
    fn take() -> Result<JobSlot, Busy> {
        use std::sync::atomic::Ordering;
        let taken = PASSWORD_JOBS
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_PASSWORD_JOBS).then_some(n + 1));
        taken.map(|_| JobSlot).map_err(|_| Busy)
    }
}

impl Drop for JobSlot {
    fn drop(&mut self) {
        PASSWORD_JOBS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Runs password work on the password threads; [`Busy`] when [`MAX_PASSWORD_JOBS`] are queued.
async fn on_password_thread<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Result<Option<R>, Busy> {
    let slot = JobSlot::take()?;
    let (done, result) = tokio::sync::oneshot::channel();
    let job: PasswordJob = Box::new(move || {
        let _slot = slot;
        let _ = done.send(work());
    });
    let queued = match password_pool().lock() {
        Ok(pool) => pool.send(job).is_ok(),
        Err(_) => false,
    };
    if !queued {
        return Ok(None);
    }
    Ok(result.await.ok())
}

/// [`hash_password`] off the async threads.
pub async fn hash_password_async(password: String) -> Result<String, String> {
    match on_password_thread(move || hash_password(&password).map_err(|e| e.to_string())).await {
        Ok(Some(result)) => result,
        Ok(None) => Err("the password threads stopped".into()),
        Err(busy) => Err(busy.to_string()),
    }
}

/// [`verify_password`] off the async threads; with no stored hash (an unknown or disabled user)
/// it verifies against a decoy so that the answer takes as long, and is false.
pub async fn verify_password_async(password: String, stored: Option<String>) -> Result<bool, Busy> {
    let verified = on_password_thread(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = verify_password(&password, decoy_hash());
            false
        }
    })
    .await?;
    Ok(verified.unwrap_or(false))
}

/// A hash to verify against when the user does not exist, so that a wrong username costs as
/// much time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that nobody has").unwrap_or_default())
}

/// A new bearer token: 32 random bytes, base64url.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh samod peer id for one login.
pub fn new_peer_id() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    format!("prongsai-{}", hex::encode(bytes))
}

/// The first bytes of every actor a user's sessions are issued: the server tells who authored a
/// change from its actor alone (a device may relay a colleague's change, and the colleague must
/// be someone who may write that document). Derived, not stored: it is no secret (every change
/// shows its actor), it only has to be the same for the same user.
pub const ACTOR_PREFIX_BYTES: usize = 8;

pub fn actor_prefix(agency_id: &str, user_id: i64) -> [u8; ACTOR_PREFIX_BYTES] {
    let digest = Sha256::digest(format!("prongsai user actor {agency_id}/{user_id}").as_bytes());
    let mut prefix = [0u8; ACTOR_PREFIX_BYTES];
    prefix.copy_from_slice(&digest[..ACTOR_PREFIX_BYTES]);
    prefix
}

/// A fresh Automerge actor id (hex) for one login on one device: the user's prefix and 8 random
/// bytes (a device appends 8 more at each start, `docs::actor_for_run`).
pub fn new_actor_id(prefix: [u8; ACTOR_PREFIX_BYTES]) -> String {
    let random: [u8; 8] = rand::rng().random();
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(&random);
    hex::encode(bytes)
}

/// A readable generated password: 14 characters without look-alikes (0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..14).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// The key a client address is limited by: an IPv4 address, or an IPv6 address's /64 (one
/// household or phone gets a whole /64, so limiting single IPv6 addresses limits nothing).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Password-guess limits per account and per client address, over a sliding window. A guess
/// counts from the moment it is let through, before the password is checked: however many
/// arrive at once, at most the limit's number are ever checked in a window.
pub struct RateLimiter {
    window: Duration,
    per_account: usize,
    per_address: usize,
    state: Mutex<LimiterState>,
}

/// More keys than this and the oldest are forgotten (a flood of made-up usernames).
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
struct LimiterState {
    keys: HashMap<String, Attempts>,
    last_sweep: Option<Instant>,
}

#[derive(Default)]
struct Attempts {
    /// When each failed (or still unsettled) guess began.
    failures: VecDeque<Instant>,
    /// Guesses let through and not yet settled.
    in_flight: usize,
    last_seen: Option<Instant>,
}

impl Attempts {
    fn expire(&mut self, now: Instant, window: Duration) {
        while self.failures.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.failures.pop_front();
        }
    }

    fn idle(&self) -> bool {
        self.in_flight == 0 && self.failures.is_empty()
    }
}

/// A limited key and how long until it may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

/// A guess let through: settle it with [`Guess::succeeded`] or [`Guess::failed`]. Dropped
/// unsettled (the request was cancelled mid-check), it counts as failed.
pub struct Guess<'a> {
    limiter: &'a RateLimiter,
    keys: [String; 2],
    started: Instant,
    settled: bool,
}

impl Guess<'_> {
    /// The password was right: the account's failures are forgotten (not the address's).
    pub fn succeeded(mut self) {
        self.settled = true;
        self.limiter.settle(&self.keys, Settled::Succeeded);
    }

    pub fn failed(mut self) {
        self.settled = true;
        self.limiter.settle(&self.keys, Settled::Failed(self.started));
    }

    /// Refused after all (by the limits other nodes count), the password unchecked: it counts
    /// for nothing here.
    pub fn withdrawn(mut self) {
        self.settled = true;
        self.limiter.settle(&self.keys, Settled::Withdrawn);
    }
}

/// How a guess ended.
#[derive(Clone, Copy)]
enum Settled {
    Succeeded,
    Failed(Instant),
    Withdrawn,
}

impl Drop for Guess<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.limiter.settle(&self.keys, Settled::Failed(self.started));
        }
    }
}

impl RateLimiter {
    /// The window, and the guesses allowed in it per account and per address.
    pub fn limits(&self) -> (Duration, usize, usize) {
        (self.window, self.per_account, self.per_address)
    }

    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        RateLimiter { window, per_account, per_address, state: Mutex::new(LimiterState::default()) }
    }

    /// The keys a guess counts against: the account's and the address's.
    pub fn keys(account: &str, address: IpAddr) -> [String; 2] {
        [format!("user:{}", account.to_lowercase()), format!("addr:{}", address_key(address))]
    }

    /// Lets one guess for `account` from `address` through, or refuses it while either key has
    /// used up its guesses (failed ones plus those being checked right now).
    pub fn begin(&self, account: &str, address: IpAddr, now: Instant) -> Result<Guess<'_>, Limited> {
        let keys = Self::keys(account, address);
        let Ok(mut state) = self.state.lock() else { return Err(Limited { retry_after: self.window }) };
        self.sweep(&mut state, now);
        let limits = [self.per_account, self.per_address];
        for (key, limit) in keys.iter().zip(limits) {
            if let Some(attempts) = state.keys.get_mut(key) {
                attempts.expire(now, self.window);
                if attempts.failures.len() + attempts.in_flight >= limit {
                    let retry_after = attempts.failures.front().map_or(Duration::from_secs(1), |oldest| {
                        self.window.saturating_sub(now.duration_since(*oldest))
                    });
                    return Err(Limited { retry_after: retry_after.max(Duration::from_secs(1)) });
                }
            }
        }
        for key in &keys {
            let attempts = state.keys.entry(key.clone()).or_default();
            attempts.in_flight += 1;
            attempts.last_seen = Some(now);
        }
        Ok(Guess { limiter: self, keys, started: now, settled: false })
    }

    fn settle(&self, keys: &[String; 2], settled: Settled) {
        let Ok(mut state) = self.state.lock() else { return };
        for (i, key) in keys.iter().enumerate() {
            let Some(attempts) = state.keys.get_mut(key) else { continue };
            attempts.in_flight = attempts.in_flight.saturating_sub(1);
            match settled {
                Settled::Failed(at) => attempts.failures.push_back(at),
                // Success clears the account (index 0), never the address.
                Settled::Succeeded if i == 0 => attempts.failures.clear(),
                Settled::Succeeded | Settled::Withdrawn => {}
            }
            if attempts.idle() {
                state.keys.remove(key);
            }
        }
    }

    /// Forgets keys whose failures all left the window (once a minute, or when there are too
    /// many), then, if still too many, the least recently seen.
    fn sweep(&self, state: &mut LimiterState, now: Instant) {
        let due = state.last_sweep.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(60));
        if !due && state.keys.len() < MAX_KEYS {
            return;
        }
        state.last_sweep = Some(now);
        let window = self.window;
        state.keys.retain(|_, a| {
            a.expire(now, window);
            !a.idle()
        });
        if state.keys.len() >= MAX_KEYS {
            let mut by_age: Vec<(Option<Instant>, String)> =
                state.keys.iter().filter(|(_, a)| a.in_flight == 0).map(|(k, a)| (a.last_seen, k.clone())).collect();
            by_age.sort();
            for (_, key) in by_age.into_iter().take(state.keys.len() + 1 - MAX_KEYS / 2) {
                state.keys.remove(&key);
            }
        }
    }

    /// How many keys are remembered (for tests and metrics).
    pub fn keys_remembered(&self) -> usize {
        self.state.lock().map(|s| s.keys.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("รหัสผ่าน ๑๒๓").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("รหัสผ่าน ๑๒๓", &hash));
        assert!(!verify_password("รหัสผ่าน 123", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash, hash_password("รหัสผ่าน ๑๒๓").expect("hashes"), "salted");
    }

    #[tokio::test]
    async fn password_threads_hash_and_verify() {
        let hash = hash_password_async("รหัสผ่าน ๑๒๓".into()).await.expect("hashes");
        let checks = ["รหัสผ่าน ๑๒๐", "รหัสผ่าน 123", "รหัสผ่าน", "รหัสผ่าน ๑๒๓"].map(|candidate| {
            let hash = hash.clone();
            tokio::spawn(
                async move { verify_password_async(candidate.to_string(), Some(hash)).await.expect("not busy") },
            )
        });
        let results: Vec<bool> =
            futures::future::join_all(checks).await.into_iter().map(|r| r.expect("joins")).collect();
        assert_eq!(results, [false, false, false, true]);
        assert!(!verify_password_async("รหัสผ่าน ๑๒๓".into(), None).await.expect("not busy"), "no user never verifies");
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(new_peer_id().starts_with("prongsai-"));
        let prefix = actor_prefix("pakchong", 7);
        assert_eq!(prefix, actor_prefix("pakchong", 7));
        assert_ne!(prefix, actor_prefix("pakchong", 8));
        assert_ne!(prefix, actor_prefix("other", 7));
        let actor = new_actor_id(prefix);
        assert_eq!(actor.len(), 32);
        assert!(actor.starts_with(&hex::encode(prefix)));
        assert_ne!(actor, new_actor_id(prefix));
        assert_eq!(generate_password().len(), 14);
    }

    #[test]
    fn limits_per_account_and_per_address() {
        let limiter = RateLimiter::new(Duration::from_secs(300), 3, 5);
        let t0 = Instant::now();
        let home: IpAddr = "10.0.0.1".parse().expect("ip");
        let other: IpAddr = "10.0.0.2".parse().expect("ip");
        for i in 0..3 {
            limiter.begin("Somchai", home, t0).unwrap_or_else(|_| panic!("attempt {i}")).failed();
        }
        // The account is limited from every address; other accounts are not.
        assert!(limiter.begin("somchai", other, t0).is_err());
        limiter.begin("wipa", other, t0).expect("another account").succeeded();
        // An address that fails on many accounts is limited too.
        for user in ["a", "b"] {
            limiter.begin(user, home, t0).expect("under the address limit").failed();
        }
        let limited = limiter.begin("fresh", home, t0).err().expect("address limited");
        assert!(limited.retry_after <= Duration::from_secs(300));
        limiter.begin("fresh", other, t0).expect("another address").succeeded();
        // After the window it may try again.
        limiter.begin("somchai", other, t0 + Duration::from_secs(301)).expect("after the window").succeeded();
    }

    #[test]
    fn guesses_in_flight_count_before_they_are_checked() {
        let limiter = RateLimiter::new(Duration::from_secs(300), 3, 100);
        let t0 = Instant::now();
        let address: IpAddr = "10.0.0.9".parse().expect("ip");
        // Ten guesses arrive at once: three are let through, seven refused before any work.
        let outcomes: Vec<_> = (0..10).map(|_| limiter.begin("somchai", address, t0)).collect();
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3);
        // A guess dropped unsettled (a cancelled request) still counts as failed.
        drop(outcomes);
        assert!(limiter.begin("somchai", address, t0).is_err());
    }

    #[test]
    fn ipv6_is_limited_by_its_64_and_idle_keys_are_forgotten() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1".parse().expect("ip")), "2001:db8:1:2::/64");
        assert_eq!(
            address_key("2001:db8:1:2:bbbb::9".parse().expect("ip")),
            address_key("2001:db8:1:2::77".parse().expect("ip"))
        );
        assert_eq!(address_key("::ffff:10.1.2.3".parse().expect("ip")), "10.1.2.3");
        let limiter = RateLimiter::new(Duration::from_secs(60), 3, 100);
        let t0 = Instant::now();
        for i in 0..50 {
            limiter.begin(&format!("user{i}"), "10.0.0.1".parse().expect("ip"), t0).expect("first guess").failed();
        }
        assert_eq!(limiter.keys_remembered(), 51);
        // A minute later every failure left the window: the next guess sweeps them all.
        limiter.begin("late", "10.0.0.2".parse().expect("ip"), t0 + Duration::from_secs(61)).expect("ok").succeeded();
        assert_eq!(limiter.keys_remembered(), 0, "nothing is remembered without a failure in the window");
    }
}
