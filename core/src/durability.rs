//! Which change hashes a stored chunk holds. samod stores a document as chunks under keys
//! `{document}/incremental/{change hash}` (one change each) and `{document}/snapshot/{hash}` (a
//! whole saved document). The server uses this to confirm durability; devices use it to know an
//! edit is safely on their own disk.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, ChangeHash};

/// The document a chunk key belongs to and the change hashes the chunk holds. Keys that are not
/// chunk keys hold nothing.
pub fn chunk_changes(key: &str, data: &[u8]) -> Option<(String, Vec<ChangeHash>)> {
    let mut parts = key.split('/');
    let (Some(doc), Some(kind), Some(name), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let hashes = match kind {
        "incremental" => name.parse::<ChangeHash>().ok().into_iter().collect(),
        "snapshot" => match Automerge::load(data) {
            Ok(saved) => saved.get_changes_meta(&[]).into_iter().map(|m| m.hash).collect(),
            Err(_) => Vec::new(),
        },
        _ => return None,
    };
    Some((doc.to_string(), hashes))
}

/// Change hashes known to be stored, per document.
#[derive(Clone, Debug, Default)]
pub struct StoredIndex {
    stored: HashMap<String, HashSet<ChangeHash>>,
}

impl StoredIndex {
    pub fn extend(&mut self, doc: &str, hashes: impl IntoIterator<Item = ChangeHash>) {
        self.stored.entry(doc.to_string()).or_default().extend(hashes);
    }

    /// True when every hash is stored for `doc` (vacuously true for none).
    pub fn contains_all(&self, doc: &str, hashes: &[ChangeHash]) -> bool {
        hashes.is_empty() || self.stored.get(doc).is_some_and(|set| hashes.iter().all(|h| set.contains(h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    #[test]
    fn chunk_keys_name_their_changes() {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "a", 1).expect("put");
        tx.commit();
        let hash = doc.get_heads()[0];
        let incremental = format!("DOC/incremental/{hash}");
        assert_eq!(chunk_changes(&incremental, b""), Some(("DOC".into(), vec![hash])));
        let snapshot = chunk_changes("DOC/snapshot/abc", &doc.save()).expect("a chunk key");
        assert_eq!(snapshot.1, vec![hash]);
        assert_eq!(chunk_changes("storage-adapter-id", b"x"), None);
        assert_eq!(chunk_changes("DOC/incremental/not-a-hash", b""), Some(("DOC".into(), vec![])));

        let mut index = StoredIndex::default();
        assert!(!index.contains_all("DOC", &[hash]));
        index.extend("DOC", chunk_changes(&incremental, b"").expect("a chunk key").1);
        assert!(index.contains_all("DOC", &[hash]));
        assert!(!index.contains_all("OTHER", &[hash]));
        assert!(index.contains_all("OTHER", &[]));
    }
}
