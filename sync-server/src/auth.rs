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

type PasswordJob = Box<dyn FnOnce() + Send>;

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

/// Runs password work on the password threads.
async fn on_password_thread<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: PasswordJob = Box::new(move || {
        let _ = done.send(work());
    });
    password_pool().lock().ok()?.send(job).ok()?;
    result.await.ok()
}

/// [`hash_password`] off the async threads.
pub async fn hash_password_async(password: String) -> Result<String, String> {
    on_password_thread(move || hash_password(&password).map_err(|e| e.to_string()))
        .await
        .unwrap_or_else(|| Err("the password threads stopped".into()))
}

/// [`verify_password`] off the async threads; with no stored hash (an unknown or disabled user)
/// it verifies against a decoy so that the answer takes as long, and is false.
pub async fn verify_password_async(password: String, stored: Option<String>) -> bool {
    on_password_thread(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = verify_password(&password, decoy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
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

/// A fresh Automerge actor id (hex) for one login on one device.
pub fn new_actor_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// A readable generated password: 14 characters without look-alikes (0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..14).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// Failed-login limits per account and per client address, over a sliding window.
pub struct RateLimiter {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// A limited key and how long until it may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl RateLimiter {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        RateLimiter { window, per_account, per_address, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(username: &str, address: IpAddr) -> [String; 2] {
        [format!("user:{}", username.to_lowercase()), format!("addr:{address}")]
    }

    /// Refuses a login attempt while either key has used up its failures.
    pub fn check(&self, username: &str, address: IpAddr, now: Instant) -> Result<(), Limited> {
        let Ok(mut failures) = self.failures.lock() else { return Ok(()) };
        let limits = [self.per_account, self.per_address];
        for (key, limit) in Self::keys(username, address).iter().zip(limits) {
            if let Some(times) = failures.get_mut(key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = *times.front().expect("non-empty when at the limit");
                    return Err(Limited { retry_after: self.window.saturating_sub(now.duration_since(oldest)) });
                }
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, address: IpAddr, now: Instant) {
        if let Ok(mut failures) = self.failures.lock() {
            for key in Self::keys(username, address) {
                failures.entry(key).or_default().push_back(now);
            }
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, username: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("user:{}", username.to_lowercase()));
        }
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
            tokio::spawn(async move { verify_password_async(candidate.to_string(), Some(hash)).await })
        });
        let results: Vec<bool> =
            futures::future::join_all(checks).await.into_iter().map(|r| r.expect("joins")).collect();
        assert_eq!(results, [false, false, false, true]);
        assert!(!verify_password_async("รหัสผ่าน ๑๒๓".into(), None).await, "no user never verifies");
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(new_peer_id().starts_with("prongsai-"));
        assert_eq!(new_actor_id().len(), 32);
        assert_eq!(generate_password().len(), 14);
    }

    #[test]
    fn limits_per_account_and_per_address() {
        let limiter = RateLimiter::new(Duration::from_secs(300), 3, 5);
        let t0 = Instant::now();
        let home: IpAddr = "10.0.0.1".parse().expect("ip");
        let other: IpAddr = "10.0.0.2".parse().expect("ip");
        for i in 0..3 {
            assert_eq!(limiter.check("Somchai", home, t0), Ok(()), "attempt {i}");
            limiter.record_failure("somchai", home, t0);
        }
        // The account is limited from every address; other accounts are not.
        assert!(limiter.check("somchai", other, t0).is_err());
        assert_eq!(limiter.check("wipa", other, t0), Ok(()));
        // After the window it may try again.
        assert_eq!(limiter.check("somchai", other, t0 + Duration::from_secs(301)), Ok(()));
        // An address that fails on many accounts is limited too.
        for user in ["a", "b"] {
            limiter.record_failure(user, home, t0);
        }
        let limited = limiter.check("fresh", home, t0).expect_err("address limited");
        assert!(limited.retry_after <= Duration::from_secs(300));
        assert_eq!(limiter.check("fresh", other, t0), Ok(()));
    }
}
