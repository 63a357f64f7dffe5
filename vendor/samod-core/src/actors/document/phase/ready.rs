use std::time::Duration;

use automerge::{Automerge, sync};

use crate::{
    UnixTimestamp,
    actors::{
        document::peer_doc_connection::{GenerationRound, PeerDocConnection},
        messages::SyncMessage,
    },
};

#[derive(Debug)]
pub(crate) struct Ready;

impl Ready {
    pub(crate) fn new() -> Self {
        Self
    }

    pub(crate) fn receive_sync_message(
        &mut self,
        now: UnixTimestamp,
        doc: &mut Automerge,
        conn: &mut PeerDocConnection,
        msg: SyncMessage,
    ) -> Option<Duration> {
        match msg {
            SyncMessage::Request { data } | SyncMessage::Sync { data } => {
                let msg = match sync::Message::decode(&data) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(err=?e, conn_id=?conn.connection_id, "failed to decode sync message");
                        return None;
                    }
                };
                match conn.receive_sync_message(now, doc, msg) {
                    Ok(duration) => Some(duration),
                    Err(e) => {
                        tracing::warn!(conn_id=?conn.connection_id, err=?e, "failed to process sync message");
                        None
                    }
                }
            }
            SyncMessage::DocUnavailable => {
                tracing::debug!("received doc-unavailable message whilst we have a doc");
                None
            }
        }
    }

    pub(crate) fn generate_sync_messages(
        &mut self,
        now: UnixTimestamp,
        doc: &mut Automerge,
        conn: &mut PeerDocConnection,
        round: &mut GenerationRound,
    ) -> Vec<(SyncMessage, Duration)> {
        if !conn.can_send() {
            // Prongsai's patch: a peer that may not receive has nothing held back either.
            conn.held_back = false;
            return Vec::new();
        }
        // Prongsai's patch: flow control (`PeerDocConnection::holds_back`).
        conn.held_back = conn.holds_back(now);
        if conn.held_back {
            return Vec::new();
        }
        conn.generate_shared(now, doc, round)
            .into_iter()
            .map(|(data, duration)| (SyncMessage::Sync { data }, duration))
            .collect()
    }
}
