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

/// The heads of a saved document (a snapshot), read from its chunk header without loading it:
/// everything before them is in the snapshot too. `None` for anything that is not a document chunk.
pub fn snapshot_heads(data: &[u8]) -> Option<Vec<ChangeHash>> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    const DOCUMENT_CHUNK: u8 = 0;
    let mut input = Reader(data);
    (input.take(4)? == MAGIC).then_some(())?;
    input.take(4)?; // checksum of the chunk, checked when the document is loaded
    (input.take(1)?[0] == DOCUMENT_CHUNK).then_some(())?;
    let length = usize::try_from(input.uleb()?).ok()?;
    let mut body = Reader(input.0.get(..length)?);
    for _ in 0..body.uleb()? {
        let actor_len = usize::try_from(body.uleb()?).ok()?;
        body.take(actor_len)?;
    }
    let count = usize::try_from(body.uleb()?).ok()?;
    // A head is 32 bytes: the count cannot claim more heads than the chunk has room for.
    (count <= body.0.len() / 32).then_some(())?;
    (0..count).map(|_| ChangeHash::try_from(body.take(32)?).ok()).collect()
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
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

        assert_eq!(snapshot_heads(&doc.save()), Some(vec![hash]));

        let mut index = StoredIndex::default();
        assert!(!index.contains_all("DOC", &[hash]));
        index.extend("DOC", chunk_changes(&incremental, b"").expect("a chunk key").1);
        assert!(index.contains_all("DOC", &[hash]));
        assert!(!index.contains_all("OTHER", &[hash]));
        assert!(index.contains_all("OTHER", &[]));
    }

    #[test]
    fn snapshot_heads_are_read_from_the_header_alone() {
        // A document with many actors and concurrent heads, saved the way samod saves a snapshot.
        let mut base = Automerge::new();
        base.transact::<_, _, automerge::AutomergeError>(|tx| tx.put(automerge::ROOT, "n", 0).map(drop)).expect("edit");
        let mut forks: Vec<Automerge> = (0..40).map(|_| base.fork()).collect();
        for (i, fork) in forks.iter_mut().enumerate() {
            fork.transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(automerge::ROOT, format!("k{i}"), "ข้อความ".repeat(i)).map(drop)
            })
            .expect("edit");
        }
        for fork in &mut forks {
            base.merge(fork).expect("merge");
        }
        let mut heads = base.get_heads();
        heads.sort();
        assert_eq!(heads.len(), 40);
        let mut read = snapshot_heads(&base.save()).expect("a document chunk");
        read.sort();
        assert_eq!(read, heads);
        assert_eq!(snapshot_heads(&Automerge::new().save()), Some(vec![]));

        // Anything else is not a snapshot: a change chunk, a cut header, noise.
        let saved = base.save();
        let change = base.get_changes(&[]).last().map(|c| c.raw_bytes().to_vec()).expect("a change");
        assert_eq!(snapshot_heads(&change), None);
        for cut in [0, 3, 8, 9, 12, 40] {
            assert_eq!(snapshot_heads(&saved[..cut]), None, "cut at {cut}");
        }
        assert_eq!(snapshot_heads(b"not an automerge document"), None);
        assert_eq!(snapshot_heads(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff]), None);
    }
}
