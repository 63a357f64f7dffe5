#[cfg(test)]
mod tests;

use std::time::Duration;

// Prongsai's patch: std's Instant panics on wasm32-unknown-unknown; web_time's is std's elsewhere.
use web_time::Instant;

use automerge::{
    Automerge, AutomergeError, ChangeHash,
    sync::{self, SyncDoc},
};

use crate::actors::messages::SyncMessage;
use crate::{ConnectionId, PeerId, ShareConfig, UnixTimestamp, network::PeerDocState};

#[derive(Debug)]
pub(crate) struct PeerDocConnection {
    pub(super) connection_id: ConnectionId,
    pub(super) peer_id: PeerId,
    pub(super) sync_state: sync::State,
    // Remember inbound requests or sync attempts, even while denied/paused,
    // so that granting access can answer them without proactive announcement.
    pub(super) has_requested: bool,
    // Whether this state has changed since the last pop
    dirty: bool,
    state: PeerDocState,
    pub(super) share_policy: SharePolicyState,
    last_share_config: Option<ShareConfig>,
    // Preserve message ordering while the asynchronous policy lookup is pending.
    pub(super) pending_sync_messages: Vec<(SyncMessage, UnixTimestamp)>,
    /// Prongsai's patch: when the last message that carried changes went to this peer, while
    /// it has not answered since (see `holds_back`).
    awaiting_reply_since: Option<UnixTimestamp>,
    /// Prongsai's patch: whether a message for this peer was held back (see `holds_back`).
    pub(super) held_back: bool,
}

/// Prongsai's patch: what one round of generating sync messages for a document's peers has
/// produced so far, by the sync state it started from (`PeerDocConnection::generate_shared`).
/// Valid for one document at one set of heads only: a round ends before the document changes.
#[derive(Default)]
pub(crate) struct GenerationRound {
    done: Vec<Generated>,
}

impl GenerationRound {
    /// The distinct starting states kept: watchers in step share one; a peer catching up, or
    /// the writer, has its own.
    const KEPT: usize = 4;
}

struct Generated {
    before: sync::State,
    after: sync::State,
    messages: Vec<Sent>,
}

struct Sent {
    data: Vec<u8>,
    heads: Vec<ChangeHash>,
    carries_changes: bool,
}

/// Prongsai's patch: how long a peer's answer is waited for before the next changes go anyway.
pub(crate) const REPLY_WAIT: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SharePolicyState {
    Unknown,
    Loading,
    Ready(ShareConfig),
}

impl PeerDocConnection {
    pub(super) fn new(peer_id: PeerId, connection_id: ConnectionId) -> Self {
        Self {
            connection_id,
            peer_id,
            sync_state: sync::State::new_read_only(),
            has_requested: false,
            state: PeerDocState::empty(),
            dirty: false,
            share_policy: SharePolicyState::Unknown,
            last_share_config: None,
            pending_sync_messages: Vec::new(),
            awaiting_reply_since: None,
            held_back: false,
        }
    }

    /// Prongsai's patch: flow control. While a message with changes is unanswered (an
    /// automerge peer answers changes new to it with its new heads), newer changes wait for
    /// that answer and then go in one message, rather than one message each: a peer behind a
    /// slow link or a busy server gets fewer, larger messages, and a fast one notices nothing.
    /// A peer that stays silent (it had those changes already) is waited for `REPLY_WAIT` at
    /// most; the document actor is ticked until then (`DocActorResult::wants_tick`).
    ///
    /// The clock is the wall clock the actor is given; one that stepped back (`now < since`)
    /// counts as the wait being over, so a clock correction never holds a peer back for longer.
    pub(super) fn holds_back(&self, now: UnixTimestamp) -> bool {
        self.awaiting_reply_since
            .is_some_and(|since| since <= now && now < since + REPLY_WAIT)
    }

    /// Prongsai's patch: whether this peer's held-back changes may go now.
    pub(super) fn due(&self, now: UnixTimestamp) -> bool {
        self.held_back && !self.holds_back(now)
    }

    pub(super) fn reset_sync_state(&mut self) {
        self.sync_state = if self.can_write() {
            sync::State::new()
        } else {
            sync::State::new_read_only()
        };
    }

    pub(super) fn prepare_request(&mut self) {
        // Initial requests already have a fresh state. Automerge has no explicit
        // API to restart synchronization, so for retries we force a read-only to
        // read-write transition. This resets local bookkeeping and tells the
        // remote to resend changes; replacing the state alone would not do that.
        if self.state.last_sent.is_some() || self.state.last_received.is_some() {
            self.sync_state.set_read_only(true);
            self.sync_state.set_read_only(false);
            self.state.shared_heads = Some(self.sync_state.shared_heads.clone());
            self.state.their_heads = self.sync_state.their_heads.clone();
            self.state.peer_read_only = self.sync_state.is_peer_read_only();
            self.dirty = true;
        }
    }

    pub(super) fn mark_requested(&mut self) {
        if !self.has_requested {
            self.has_requested = true;
            self.dirty = true; // Mark as dirty since the request status changed
        }
    }

    pub(super) fn receive_sync_message(
        &mut self,
        now: UnixTimestamp,
        doc: &mut Automerge,
        msg: sync::Message,
    ) -> Result<Duration, AutomergeError> {
        let start = Instant::now();
        self.awaiting_reply_since = None;
        doc.receive_sync_message(&mut self.sync_state, msg)?;
        let duration = start.elapsed();
        self.dirty = true;
        self.state.last_received = Some(now);
        self.state.last_acked_heads = self.sync_state.their_heads.clone();
        self.state.shared_heads = Some(self.sync_state.shared_heads.clone());
        self.state.their_heads = self.sync_state.their_heads.clone();
        self.state.peer_read_only = self.sync_state.is_peer_read_only();
        Ok(duration)
    }

    /// Generate messages in wire order, with timing for each message.
    pub(super) fn generate_sync_messages(
        &mut self,
        now: UnixTimestamp,
        doc: &Automerge,
    ) -> Vec<(sync::Message, Duration)> {
        let heads = doc.get_heads();
        let mut messages = Vec::new();
        loop {
            let start = Instant::now();
            let Some(msg) = doc.generate_sync_message(&mut self.sync_state) else {
                break;
            };
            let duration = start.elapsed();
            let follow_up = msg.heads != heads;
            if follow_up {
                // Automerge 0.12's fallback reset advertises empty heads but
                // records the real heads as sent. An empty peer may not reply.
                // Correct the bookkeeping to what we actually advertised, then
                // immediately generate the real-heads follow-up in this batch.
                self.sync_state.last_sent_heads.clone_from(&msg.heads);
            }
            self.record_sent(now, &msg.heads, !msg.changes.is_empty());
            messages.push((msg, duration));
            if !follow_up {
                break;
            }
        }
        messages
    }

    /// What sending a message with `heads` (carrying changes or not) does to this peer's
    /// bookkeeping, beside its sync state.
    fn record_sent(&mut self, now: UnixTimestamp, heads: &[ChangeHash], carries_changes: bool) {
        self.state.last_sent = Some(now);
        self.state.last_sent_heads = Some(heads.to_vec());
        self.state.shared_heads = Some(self.sync_state.shared_heads.clone());
        self.dirty = true;
        if carries_changes {
            self.awaiting_reply_since = Some(now);
        }
    }

    /// Prongsai's patch: `generate_sync_messages`, encoded, for one of several peers of the
    /// document generated for in one round. What automerge generates depends only on the
    /// document and the peer's sync state, and the peers watching a document are usually in the
    /// same state (each has had and acknowledged the same changes): a peer whose state equals
    /// one already generated for in this round gets those messages and that new state, without
    /// automerge building, and encoding, the same message again.
    pub(super) fn generate_shared(
        &mut self,
        now: UnixTimestamp,
        doc: &Automerge,
        round: &mut GenerationRound,
    ) -> Vec<(Vec<u8>, Duration)> {
        let start = Instant::now();
        if let Some(done) = round.done.iter().find(|d| d.before == self.sync_state) {
            self.sync_state.clone_from(&done.after);
            let mut messages = Vec::with_capacity(done.messages.len());
            for sent in &done.messages {
                self.record_sent(now, &sent.heads, sent.carries_changes);
                messages.push((sent.data.clone(), start.elapsed()));
            }
            return messages;
        }
        let before = (round.done.len() < GenerationRound::KEPT).then(|| self.sync_state.clone());
        let generated = self.generate_sync_messages(now, doc);
        let mut messages = Vec::with_capacity(generated.len());
        let mut sent = Vec::with_capacity(generated.len());
        for (msg, duration) in generated {
            let (heads, carries_changes) = (msg.heads.clone(), !msg.changes.is_empty());
            let data = msg.encode();
            if before.is_some() {
                sent.push(Sent {
                    data: data.clone(),
                    heads,
                    carries_changes,
                });
            }
            messages.push((data, duration));
        }
        if let Some(before) = before {
            round.done.push(Generated {
                before,
                after: self.sync_state.clone(),
                messages: sent,
            });
        }
        messages
    }

    pub(super) fn their_heads(&self) -> Option<Vec<automerge::ChangeHash>> {
        self.sync_state.their_heads.clone()
    }

    pub(super) fn pop(&mut self) -> Option<PeerDocState> {
        if self.dirty {
            self.dirty = false;
            Some(self.state.clone())
        } else {
            None
        }
    }

    pub(super) fn state(&self) -> &PeerDocState {
        &self.state
    }

    /// Bound buffering while an application-provided policy future is pending.
    /// Permit one oversized message so a legitimate full-document sync is not
    /// limited by this queue's byte budget; transports should bound frame size.
    pub(super) fn buffer_sync_message(
        &mut self,
        msg: SyncMessage,
        received_at: UnixTimestamp,
    ) -> bool {
        const MAX_MESSAGES: usize = 64;
        const MAX_BYTES: usize = 16 * 1024 * 1024;
        let message_bytes = |msg: &SyncMessage| match msg {
            SyncMessage::Sync { data } | SyncMessage::Request { data } => data.len(),
            SyncMessage::DocUnavailable => 0,
        };
        let queued_bytes = self
            .pending_sync_messages
            .iter()
            .fold(0usize, |bytes, (msg, _)| {
                bytes.saturating_add(message_bytes(msg))
            });
        if self.pending_sync_messages.len() >= MAX_MESSAGES
            || (!self.pending_sync_messages.is_empty()
                && queued_bytes.saturating_add(message_bytes(&msg)) > MAX_BYTES)
        {
            return false;
        }
        self.pending_sync_messages.push((msg, received_at));
        true
    }

    pub(super) fn share_config(&self) -> Option<ShareConfig> {
        match self.share_policy {
            SharePolicyState::Ready(config) => Some(config),
            _ => None,
        }
    }

    pub(super) fn can_read(&self) -> bool {
        self.share_config().is_some_and(|config| config.can_read())
    }

    pub(super) fn can_write(&self) -> bool {
        self.share_config().is_some_and(|config| config.can_write())
    }

    pub(super) fn can_send(&self) -> bool {
        self.can_read()
            && (self.has_requested
                || self.sync_state.their_heads.is_some()
                || self.share_config().is_some_and(|config| config.announce))
    }

    pub(super) fn set_share_config(&mut self, config: ShareConfig) -> Option<ShareConfig> {
        if !config.can_read() {
            // Prongsai's patch: nothing goes to a peer that may not read, so nothing is held
            // back for it either (a held flag left set kept its document ticking at 10 Hz).
            self.awaiting_reply_since = None;
            self.held_back = false;
        }
        let previous = self.last_share_config.replace(config);
        self.share_policy = SharePolicyState::Ready(config);
        if self.state.last_sent.is_none() && self.state.last_received.is_none() {
            // Initialize sessions which have not exchanged any sync messages yet.
            self.reset_sync_state();
        } else {
            if previous.is_some_and(|old| !old.can_read()) && config.can_read() {
                // Denial may have dropped messages; restart the exchange on re-grant.
                self.sync_state.set_read_only(false);
            }
            self.sync_state.set_read_only(!config.can_write());
            self.state.shared_heads = Some(self.sync_state.shared_heads.clone());
            self.state.their_heads = self.sync_state.their_heads.clone();
            self.state.peer_read_only = self.sync_state.is_peer_read_only();
        }
        self.state.share_config = Some(config);
        self.dirty = true;
        previous
    }
}
