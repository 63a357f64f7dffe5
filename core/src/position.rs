//! Position keys for ordered collections (fractional indexing).
//!
//! Items of an ordered list live in a map from a stable id to the item, and each item carries a
//! `pos` string. Order is `(pos, id)`. Inserting or moving an item writes only that item's `pos`:
//! a key strictly between its new neighbours'. Two devices that move the same item at once produce
//! an ordinary conflict on `pos` (one wins, nothing is lost); two devices that insert at the same
//! place may pick the same key, and the id breaks the tie.
//!
//! Keys use the digits `0-9A-Za-z` (ASCII order) and never end in `0`, so there is always room
//! between two distinct keys.

const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();

fn digit_value(byte: u8) -> usize {
    DIGITS.iter().position(|d| *d == byte).unwrap_or(0)
}

/// A key that sorts after `before` (or first when `None`) and before `after` (or last when `None`).
///
/// When the neighbours are out of order or equal (a tie left by concurrent inserts), the key is
/// placed just after `before`: order stays deterministic, and only that item's place is approximate.
pub fn between(before: Option<&str>, after: Option<&str>) -> String {
    let before = before.unwrap_or("");
    match after {
        Some(after) if before < after => midpoint(before.as_bytes(), Some(after.as_bytes())),
        _ => midpoint(before.as_bytes(), None),
    }
}

/// `n` keys in increasing order, evenly spread, for building a list at once.
pub fn spread(n: usize) -> Vec<String> {
    let mut keys = Vec::with_capacity(n);
    let mut previous: Option<String> = None;
    for _ in 0..n {
        let key = between(previous.as_deref(), None);
        previous = Some(key.clone());
        keys.push(key);
    }
    keys
}

/// The key to give an item so that it lands at `index` of `others` (already sorted, without the
/// item itself).
pub fn for_index(others: &[&str], index: usize) -> String {
    let index = index.min(others.len());
    let before = index.checked_sub(1).map(|i| others[i]);
    let after = others.get(index).copied();
    between(before, after)
}

fn midpoint(a: &[u8], b: Option<&[u8]>) -> String {
    // Shared prefix: keep it and recurse on the rest.
    if let Some(b) = b {
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(b'0') == b[n] {
            n += 1;
        }
        if n > 0 {
            let rest_a = if n <= a.len() { &a[n..] } else { &[][..] };
            let mut key = String::from_utf8_lossy(&b[..n]).into_owned();
            key.push_str(&midpoint(rest_a, Some(&b[n..])));
            return key;
        }
    }
    let digit_a = a.first().map_or(0, |d| digit_value(*d));
    let digit_b = b.map_or(BASE, |b| b.first().map_or(BASE, |d| digit_value(*d)));
    if digit_b - digit_a > 1 {
        let mid = (digit_a + digit_b).div_ceil(2);
        return char::from(DIGITS[mid]).to_string();
    }
    match b {
        // b is longer: its first digit alone sorts between a and b.
        Some(b) if b.len() > 1 => char::from(b[0]).to_string(),
        _ => {
            let mut key = char::from(DIGITS[digit_a]).to_string();
            let rest = if a.is_empty() { &[][..] } else { &a[1..] };
            key.push_str(&midpoint(rest, None));
            key
        }
    }
}

/// Sorts `(pos, id, item)` entries by position, breaking ties by id.
pub fn sort_by_position<T>(items: &mut [(String, String, T)]) {
    items.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fall_strictly_between() {
        let cases: [(Option<&str>, Option<&str>); 10] = [
            (None, None),
            (None, Some("V")),
            (Some("V"), None),
            (Some("V"), Some("W")),
            (Some("V"), Some("V1")),
            (Some("V0V"), Some("V1")),
            (Some("1"), Some("2")),
            (Some("z"), None),
            (None, Some("01")),
            (Some("zzz"), None),
        ];
        for (a, b) in cases {
            let key = between(a, b);
            if let Some(a) = a {
                assert!(a < key.as_str(), "{a:?} < {key:?}");
            }
            if let Some(b) = b {
                assert!(key.as_str() < b, "{key:?} < {b:?}");
            }
            assert!(!key.ends_with('0'), "{key:?} must not end in 0");
        }
    }

    #[test]
    fn repeated_inserts_stay_ordered() {
        // Always insert at the front, always at the back, always in the middle.
        let mut front = vec![between(None, None)];
        for _ in 0..200 {
            let key = between(None, Some(&front[0]));
            front.insert(0, key);
        }
        let mut sorted = front.clone();
        sorted.sort();
        assert_eq!(front, sorted);

        let mut list = vec![between(None, None), between(Some("V"), None)];
        list.sort();
        for _ in 0..200 {
            let key = between(Some(&list[0]), Some(&list[1]));
            list.insert(1, key);
        }
        let mut sorted = list.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(list, sorted, "all keys distinct and ordered");
    }

    #[test]
    fn spread_and_index() {
        let keys = spread(8);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        for index in 0..=refs.len() {
            let key = for_index(&refs, index);
            if index > 0 {
                assert!(refs[index - 1] < key.as_str());
            }
            if index < refs.len() {
                assert!(key.as_str() < refs[index]);
            }
        }
    }

    #[test]
    fn equal_neighbours_place_after() {
        let key = between(Some("V"), Some("V"));
        assert!(key.as_str() > "V");
    }
}
