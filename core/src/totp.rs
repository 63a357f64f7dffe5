//! Time-based one-time passwords (RFC 6238 with RFC 4226's HOTP: HMAC-SHA1, 30-second steps,
//! 6 digits), the second factor admins and approvers use: what authenticator apps (Google
//! Authenticator, Microsoft Authenticator, FreeOTP, …) compute from the secret in the QR code.
//! Time is an argument: this module reads no clock.

use sha1::{Digest, Sha1};

/// Seconds per code.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// HMAC (RFC 2104) under a hash with 64-byte blocks (SHA-1 here; SHA-256 signs the server
/// nodes' requests to each other).
pub fn hmac<H: Digest>(key: &[u8], message: &[u8]) -> sha1::digest::Output<H> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let hashed = H::digest(key);
        block[..hashed.len()].copy_from_slice(&hashed);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = H::new().chain_update(pad(0x36)).chain_update(message).finalize();
    H::new().chain_update(pad(0x5c)).chain_update(inner).finalize()
}

/// The HOTP value for a counter (RFC 4226, section 5.3).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mac = hmac::<Sha1>(secret, &counter.to_be_bytes());
    let offset = usize::from(mac[19] & 0x0f);
    let binary = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    binary % 10u32.pow(DIGITS)
}

/// The time step a moment falls in.
pub fn step(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The code for a moment, as the app shows it ("042137").
pub fn code(secret: &[u8], unix_secs: u64) -> String {
    format!("{:0width$}", hotp(secret, step(unix_secs)), width = DIGITS as usize)
}

/// Checks a typed code against the step of `unix_secs` and its neighbours (a phone's clock a
/// little off, a code typed as it changed). A step at or before `last_used` is refused: a code
/// works once. Returns the step it matched, to remember as the last used.
pub fn verify(secret: &[u8], unix_secs: u64, typed: &str, last_used: Option<u64>) -> Option<u64> {
    let digits: String = crate::thai::to_arabic_digits(typed).chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = digits.parse().ok()?;
    let now = step(unix_secs);
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|s| last_used.is_none_or(|used| *s > used))
        .find(|s| hotp(secret, *s) == value)
}

/// A secret as authenticator apps take it: base32 without padding.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_uppercase();
    data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok()
}

/// The `otpauth://` URI a QR code carries: the app files the account under `issuer: account`.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        escape(issuer),
        escape(account),
        encode_secret(secret),
        escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B (SHA1 rows; their 8-digit values end in these 6 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        let cases = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        for (time, expected) in cases {
            assert_eq!(code(secret, time), expected, "at {time}");
        }
    }

    /// RFC 4226, appendix D.
    #[test]
    fn rfc_4226_hotp_values() {
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64), value);
        }
    }

    #[test]
    fn a_code_works_once_within_a_step_either_side() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let current = code(secret, now);
        let used = verify(secret, now, &current, None).expect("the current code");
        assert_eq!(verify(secret, now, &current, Some(used)), None, "not twice");
        assert!(verify(secret, now, &code(secret, now - 30), None).is_some(), "the last step");
        assert!(verify(secret, now, &code(secret, now + 30), None).is_some(), "the next step");
        assert_eq!(verify(secret, now, &code(secret, now - 90), None), None, "too old");
        // Thai digits and spaces as people type them.
        let thai = crate::thai::to_thai_digits(&format!("{} {}", &current[..3], &current[3..]));
        assert!(verify(secret, now, &thai, None).is_some());
        assert_eq!(verify(secret, now, "12345", None), None);
        assert_eq!(verify(secret, now, "abcdef", None), None);
    }

    #[test]
    fn secrets_round_trip_and_uris_escape() {
        let secret = [7u8; SECRET_BYTES];
        assert_eq!(decode_secret(&encode_secret(&secret)), Some(secret.to_vec()));
        assert_eq!(decode_secret("gdgs-6qju"), data_encoding::BASE32_NOPAD.decode(b"GDGS6QJU").ok());
        let uri = otpauth_uri(&secret, "โปร่งใส pakchong", "admin");
        assert!(uri.starts_with("otpauth://totp/%E0%B9%82"), "{uri}");
        assert!(uri.contains("secret=") && uri.contains("&digits=6&period=30"));
    }
}
