//! Prongsai's patch (see PATCHED.md, change 3): the last changes a document applied or made, as
//! they were encoded, kept so that sending them on does not build them again.
//!
//! A document keeps its ops in columns, not its changes: `get_changes` and
//! `get_changes_by_hashes` (what a sync message to a peer carries, and what a repo stores after
//! each change) rebuild every change asked for by walking the op set over the change's range of
//! op counters, which costs in proportion to the document, not to the change. A sync server
//! relays each change it receives to every peer of the document, and stores it, moments after
//! applying it: it rebuilt the same few changes again and again. (On a server relaying edits to
//! nine peers of a plan document, rebuilding changes was 8 % of the server's CPU.)
//!
//! A change is immutable and named by its hash, so a kept one never goes stale. The last
//! [`KEPT`] changes (at most [`KEPT_BYTES`] of them in all) are kept, in the order they were
//! applied; a request served only when every change it asks for is kept, in the order the
//! rebuilt changes would have had.

use std::collections::{HashMap, VecDeque};

use crate::types::ChangeHash;
use crate::Change;

/// How many changes are kept.
pub(crate) const KEPT: usize = 32;
/// The most bytes of changes kept; a change larger than a quarter of it is not kept at all.
pub(crate) const KEPT_BYTES: usize = 64 * 1024;

#[derive(Default)]
pub(crate) struct RecentChanges {
    by_hash: HashMap<ChangeHash, Change>,
    order: VecDeque<ChangeHash>,
    bytes: usize,
    /// How many requests were served from what was kept (read by the tests).
    #[cfg(test)]
    pub(crate) served: std::sync::atomic::AtomicUsize,
}

impl RecentChanges {
    /// Keeps `change` (just applied or made), forgetting the oldest beyond the limits.
    pub(crate) fn keep(&mut self, change: &Change) {
        let size = change.raw_bytes().len();
        if size > KEPT_BYTES / 4 || self.by_hash.contains_key(&change.hash()) {
            return;
        }
        while self.order.len() >= KEPT || (self.bytes + size > KEPT_BYTES && !self.order.is_empty()) {
            if let Some(old) = self.order.pop_front() {
                if let Some(gone) = self.by_hash.remove(&old) {
                    self.bytes -= gone.raw_bytes().len();
                }
            }
        }
        self.order.push_back(change.hash());
        self.by_hash.insert(change.hash(), change.clone());
        self.bytes += size;
    }

    /// Every change of `hashes`, in that order, if every one is kept.
    pub(crate) fn all(&self, hashes: &[ChangeHash]) -> Option<Vec<Change>> {
        if hashes.is_empty() || hashes.len() > self.order.len() {
            return None;
        }
        let kept = hashes.iter().map(|h| self.by_hash.get(h).cloned()).collect::<Option<Vec<_>>>()?;
        #[cfg(test)]
        self.served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(kept)
    }

    pub(crate) fn get(&self, hash: &ChangeHash) -> Option<Change> {
        self.by_hash.get(hash).cloned()
    }
}

/// A copy of a document starts with nothing kept: the cache is a cost saving, not state.
impl Clone for RecentChanges {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for RecentChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecentChanges({})", self.order.len())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::sync::{self, SyncDoc};
    use crate::transaction::Transactable;
    use crate::{ActorId, Automerge, ReadDoc, ROOT};

    fn edit(doc: &mut Automerge, key: &str, n: i64) {
        let mut tx = doc.transaction();
        tx.put(ROOT, key, n).unwrap();
        tx.commit();
    }

    /// Changes as bytes, by hash: what a peer or the storage is given.
    fn bytes(changes: &[crate::Change]) -> Vec<(crate::ChangeHash, Vec<u8>)> {
        changes.iter().map(|c| (c.hash(), c.raw_bytes().to_vec())).collect()
    }

    // A document with some history, a change from each of two peers made concurrently, then
    // one on top: what `get_changes` and `get_changes_by_hashes` give is served from what was
    // kept, and is exactly what rebuilding them from the op set gives (a clone keeps nothing).
    #[test]
    fn changes_just_applied_are_given_as_kept_and_equal_rebuilt_ones() {
        let mut server = Automerge::new().with_actor(ActorId::from(b"server".to_vec()));
        for n in 0..50 {
            edit(&mut server, &format!("k{}", n % 7), n);
        }
        let before = server.get_heads();
        let mut a = server.fork().with_actor(ActorId::from(b"aaaa".to_vec()));
        let mut b = server.fork().with_actor(ActorId::from(b"bbbb".to_vec()));
        edit(&mut a, "a", 1);
        edit(&mut b, "b", 2);
        edit(&mut b, "b", 3);
        server.apply_changes(a.get_changes(&before)).unwrap();
        server.apply_changes(b.get_changes(&before)).unwrap();
        edit(&mut server, "s", 4);

        let rebuilt = server.clone();
        let served = || server.recent.served.load(Ordering::Relaxed);
        let kept = server.get_changes(&before);
        assert_eq!(served(), 1, "served from what was kept");
        assert_eq!(kept.len(), 4);
        assert_eq!(bytes(&kept), bytes(&rebuilt.get_changes(&before)), "the same changes, in the same order");
        assert_eq!(rebuilt.recent.served.load(Ordering::Relaxed), 0, "the clone rebuilt them");

        let hashes: Vec<_> = kept.iter().rev().map(|c| c.hash()).collect();
        let by_hash = server.get_changes_by_hashes(hashes.clone()).unwrap();
        assert_eq!(served(), 2);
        assert_eq!(bytes(&by_hash), bytes(&rebuilt.get_changes_by_hashes(hashes).unwrap()));

        // Older changes than those kept are rebuilt, and right.
        let all = server.get_changes(&[]);
        assert_eq!(served(), 2);
        assert_eq!(bytes(&all), bytes(&rebuilt.get_changes(&[])));
        assert_eq!(all.len(), 54);
    }

    // Only the last `KEPT` changes are kept: asking for more than that rebuilds, and right.
    #[test]
    fn a_request_beyond_what_is_kept_is_rebuilt() {
        let mut doc = Automerge::new();
        edit(&mut doc, "start", 0);
        let start = doc.get_heads();
        for n in 0..(super::KEPT as i64 + 5) {
            edit(&mut doc, "k", n);
        }
        let rebuilt = doc.clone();
        let changes = doc.get_changes(&start);
        assert_eq!(doc.recent.served.load(Ordering::Relaxed), 0);
        assert_eq!(changes.len(), super::KEPT + 5);
        assert_eq!(bytes(&changes), bytes(&rebuilt.get_changes(&start)));
    }

    // A server relaying a writer's edits to watchers: every message to a watcher takes its
    // changes from what was kept, and every watcher ends with the writer's document.
    #[test]
    fn relayed_edits_come_from_what_was_kept_and_every_watcher_converges() {
        // Some history first: a peer missing more than a third of a document is sent all of it.
        let mut writer = Automerge::new();
        for n in 0..30 {
            edit(&mut writer, &format!("k{n}"), n);
        }
        let mut server = Automerge::new();
        let (mut w_state, mut s_for_writer) = (sync::State::new(), sync::State::new());
        let mut watchers: Vec<(Automerge, sync::State, sync::State)> =
            (0..3).map(|_| (Automerge::new(), sync::State::new(), sync::State::new())).collect();
        let exchange = |a: &mut Automerge, a_state: &mut sync::State, b: &mut Automerge, b_state: &mut sync::State| {
            for _ in 0..10 {
                let one = a.generate_sync_message(a_state);
                let two = b.generate_sync_message(b_state);
                if one.is_none() && two.is_none() {
                    return;
                }
                if let Some(m) = one {
                    b.receive_sync_message(b_state, m).unwrap();
                }
                if let Some(m) = two {
                    a.receive_sync_message(a_state, m).unwrap();
                }
            }
            panic!("no quiet after ten rounds");
        };
        for n in 0..10 {
            edit(&mut writer, "at", n);
            exchange(&mut writer, &mut w_state, &mut server, &mut s_for_writer);
            let before = server.recent.served.load(Ordering::Relaxed);
            for (doc, theirs, ours) in &mut watchers {
                exchange(&mut server, ours, doc, theirs);
            }
            if n > 0 {
                assert!(
                    server.recent.served.load(Ordering::Relaxed) >= before + 3,
                    "edit {n}: each watcher's changes came from what was kept"
                );
            }
            for (doc, _, _) in &watchers {
                assert_eq!(doc.get_heads(), writer.get_heads());
                assert_eq!(doc.get(ROOT, "at").unwrap().unwrap().0.to_i64(), Some(n));
            }
        }
    }
}
