//! Prongsai's patch (see PATCHED.md, change 2): what a sync message to a peer that has nothing
//! carries, kept for as long as the document's heads stay the same.
//!
//! A peer that has nothing of a document (a new device, or one whose sync state was lost) is sent
//! the whole document as one `save()`, and so is a peer that lacks more than a third of it; until
//! it confirms what it has, each message to it also carries a bloom filter of every change. The
//! save runs the document through DEFLATE column by column and the filter hashes every change:
//! a server paid both again for every new peer of the same document. Both depend only on the
//! change graph, which the heads name exactly (every ancestor of the heads is present), so one of
//! each serves every peer until the document changes.

use std::sync::{Arc, Mutex};

use crate::sync::BloomFilter;
use crate::types::ChangeHash;

#[derive(Default)]
pub(crate) struct SaveCache {
    inner: Mutex<Option<AtHeads>>,
    /// How many times a save was computed rather than reused (read by the tests).
    #[cfg(test)]
    pub(crate) saves: std::sync::atomic::AtomicUsize,
    /// How many times a filter of every change was computed rather than reused.
    #[cfg(test)]
    pub(crate) filters: std::sync::atomic::AtomicUsize,
}

struct AtHeads {
    heads: Vec<ChangeHash>,
    saved: Option<Arc<[u8]>>,
    filter_of_all: Option<BloomFilter>,
}

impl SaveCache {
    fn at<'a>(inner: &'a mut Option<AtHeads>, heads: &[ChangeHash]) -> &'a mut AtHeads {
        if inner.as_ref().is_none_or(|at| at.heads != heads) {
            *inner = Some(AtHeads { heads: heads.to_vec(), saved: None, filter_of_all: None });
        }
        inner.as_mut().expect("just set")
    }

    /// The saved document at `heads`: the bytes kept from an earlier save at the same heads,
    /// otherwise `save()`'s, kept for the next caller.
    pub(crate) fn get_or_save(&self, heads: &[ChangeHash], save: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = Self::at(&mut inner, heads);
        if let Some(saved) = &at.saved {
            return saved.to_vec();
        }
        #[cfg(test)]
        self.saves.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bytes = save();
        at.saved = Some(Arc::from(bytes.as_slice()));
        bytes
    }

    /// The bloom filter of every change at `heads`, kept the same way.
    pub(crate) fn get_or_filter(&self, heads: &[ChangeHash], filter: impl FnOnce() -> BloomFilter) -> BloomFilter {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = Self::at(&mut inner, heads);
        if let Some(kept) = &at.filter_of_all {
            return kept.clone();
        }
        #[cfg(test)]
        self.filters.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let made = filter();
        at.filter_of_all = Some(made.clone());
        made
    }

    /// Forget what was kept (the document changed): it would only hold memory until the next
    /// peer replaced it.
    pub(crate) fn clear(&mut self) {
        *self.inner.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// A copy of a document starts with nothing kept: the cache is a cost saving, not state.
impl Clone for SaveCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for SaveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaveCache")
    }
}
