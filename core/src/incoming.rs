//! What an incoming sync message carries, change by change: who authored each change (its
//! actor), and the message again without the changes a receiver refuses. The server uses this to
//! accept a change only from an author who may write the document (a device may relay a
//! colleague's change, never forge one).
//!
//! A sync message's changes come as chunks: one change each (sync message V1), or a bundle of
//! many (V2), or even a whole saved document. All are turned into single changes here.

use automerge::sync::{ChunkList, Message, MessageVersion};
use automerge::{ActorId, Automerge, Bundle, Change, ChangeHash};

/// One change of an incoming message.
#[derive(Clone, Debug)]
pub struct IncomingChange {
    pub hash: ChangeHash,
    pub actor: ActorId,
    pub deps: Vec<ChangeHash>,
    /// The change as a chunk of its own, to send on or store.
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum IncomingError {
    #[error("a chunk of the message is cut short or has no automerge header")]
    Truncated,
    #[error("a change does not load: {0}")]
    Change(String),
    #[error("unknown chunk type {0}")]
    UnknownChunk(u8),
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Splits bytes that hold one or more automerge chunks into the chunks (header included).
fn split_chunks(mut data: &[u8]) -> Result<Vec<(u8, &[u8])>, IncomingError> {
    let mut chunks = Vec::new();
    while !data.is_empty() {
        if data.len() < 9 || data[..4] != MAGIC {
            return Err(IncomingError::Truncated);
        }
        let kind = data[8];
        let mut position = 9;
        let mut length = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = *data.get(position).ok_or(IncomingError::Truncated)?;
            position += 1;
            length |= u64::from(byte & 0x7f).checked_shl(shift).ok_or(IncomingError::Truncated)?;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(IncomingError::Truncated);
            }
        }
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| position.checked_add(l))
            .filter(|end| *end <= data.len())
            .ok_or(IncomingError::Truncated)?;
        chunks.push((kind, &data[..end]));
        data = &data[end..];
    }
    Ok(chunks)
}

/// The authors of the changes a message carries (each actor once): cheaper than [`changes`],
/// which the receiver needs only when an author is refused.
pub fn authors(message: &Message) -> Result<Vec<ActorId>, IncomingError> {
    let mut out: Vec<ActorId> = Vec::new();
    let bad = |e: &dyn std::fmt::Display| IncomingError::Change(e.to_string());
    let mut add = |actor: ActorId| {
        if !out.contains(&actor) {
            out.push(actor);
        }
    };
    for element in message.changes.iter() {
        for (kind, chunk) in split_chunks(element)? {
            match kind {
                1 | 2 => add(Change::try_from(chunk).map_err(|e| bad(&e))?.actor_id().clone()),
                3 => {
                    let bundle = Bundle::try_from(chunk).map_err(|e| bad(&e))?;
                    for change in bundle.iter_changes() {
                        let actor = bundle.actors().get(change.actor).ok_or(IncomingError::Truncated)?;
                        add(actor.clone());
                    }
                }
                0 => {
                    for change in Automerge::load(chunk).map_err(|e| bad(&e))?.get_changes(&[]) {
                        add(change.actor_id().clone());
                    }
                }
                other => return Err(IncomingError::UnknownChunk(other)),
            }
        }
    }
    Ok(out)
}

/// Every change a message carries, in the order sent.
pub fn changes(message: &Message) -> Result<Vec<IncomingChange>, IncomingError> {
    let mut out = Vec::new();
    let bad = |e: &dyn std::fmt::Display| IncomingError::Change(e.to_string());
    for element in message.changes.iter() {
        for (kind, chunk) in split_chunks(element)? {
            let loaded: Vec<Change> = match kind {
                // A change, plain or compressed.
                1 | 2 => vec![Change::try_from(chunk).map_err(|e| bad(&e))?],
                3 => Bundle::try_from(chunk).map_err(|e| bad(&e))?.to_changes().map_err(|e| bad(&e))?,
                0 => Automerge::load(chunk).map_err(|e| bad(&e))?.get_changes(&[]),
                other => return Err(IncomingError::UnknownChunk(other)),
            };
            out.extend(loaded.into_iter().map(|c| IncomingChange {
                hash: c.hash(),
                actor: c.actor_id().clone(),
                deps: c.deps().to_vec(),
                bytes: c.raw_bytes().to_vec(),
            }));
        }
    }
    Ok(out)
}

/// The message with only `keep` as its changes (one chunk each, so a V1 message), everything
/// else (heads, needs, haves, flags) as it was.
pub fn with_changes(message: Message, keep: &[IncomingChange]) -> Message {
    Message {
        changes: ChunkList::from(keep.iter().map(|c| c.bytes.clone()).collect::<Vec<_>>()),
        version: MessageVersion::V1,
        ..message
    }
}

#[cfg(test)]
mod tests {
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutomergeError, ROOT};

    use super::*;

    fn doc_with(actor: &ActorId, edits: usize) -> Automerge {
        let mut doc = Automerge::new().with_actor(actor.clone());
        for i in 0..edits {
            doc.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, format!("k{i}"), i as i64).map(drop)).expect("edit");
        }
        doc
    }

    /// The first message a peer holding `doc` sends to one that has nothing, after the other's
    /// first message (which asks for everything).
    fn first_changes(doc: &mut Automerge) -> Message {
        let mut empty = Automerge::new();
        let (mut ours, mut theirs) = (automerge::sync::State::new(), automerge::sync::State::new());
        let hello = doc.generate_sync_message(&mut ours).expect("a first message");
        empty.receive_sync_message(&mut theirs, hello).expect("receives");
        let ask = empty.generate_sync_message(&mut theirs).expect("asks");
        doc.receive_sync_message(&mut ours, ask).expect("receives");
        doc.generate_sync_message(&mut ours).expect("sends changes")
    }

    #[test]
    fn every_change_is_found_with_its_author() {
        let (alice, bob) = (ActorId::from(&[1u8; 24][..]), ActorId::from(&[2u8; 24][..]));
        let mut doc = doc_with(&alice, 3);
        let mut other = doc.fork().with_actor(bob.clone());
        other.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, "bob", 1).map(drop)).expect("edit");
        doc.merge(&mut other).expect("merge");
        let message = first_changes(&mut doc);
        let found = changes(&message).expect("parses");
        let mut actors = authors(&message).expect("parses");
        actors.sort();
        assert_eq!(actors, [alice.clone(), bob.clone()]);
        assert_eq!(found.len(), 4);
        assert_eq!(found.iter().filter(|c| c.actor == alice).count(), 3);
        assert_eq!(found.iter().filter(|c| c.actor == bob).count(), 1);
        let mut hashes: Vec<_> = found.iter().map(|c| c.hash).collect();
        hashes.sort();
        let mut expected: Vec<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
        expected.sort();
        assert_eq!(hashes, expected);
    }

    #[test]
    fn a_message_without_some_changes_still_applies_the_rest() {
        let (alice, bob) = (ActorId::from(&[1u8; 24][..]), ActorId::from(&[2u8; 24][..]));
        let mut base = doc_with(&alice, 1);
        let mut forged = base.fork().with_actor(bob.clone());
        forged.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, "forged", 1).map(drop)).expect("edit");
        base.transact::<_, _, AutomergeError>(|tx| tx.put(ROOT, "honest", 1).map(drop)).expect("edit");
        base.merge(&mut forged).expect("merge");
        let message = first_changes(&mut base);
        let all = changes(&message).expect("parses");
        let keep: Vec<_> = all.iter().filter(|c| c.actor != bob).cloned().collect();
        assert_eq!(keep.len(), 2);
        let stripped = Message::decode(&with_changes(message, &keep).encode()).expect("re-encodes");
        let mut receiver = Automerge::new();
        receiver.receive_sync_message(&mut automerge::sync::State::new(), stripped).expect("applies");
        use automerge::ReadDoc;
        assert!(receiver.get(ROOT, "honest").expect("reads").is_some());
        assert!(receiver.get(ROOT, "forged").expect("reads").is_none());
    }

    #[test]
    fn garbage_chunks_are_refused() {
        let mut message = first_changes(&mut doc_with(&ActorId::from(&[3u8; 24][..]), 1));
        message.changes = ChunkList::from(vec![vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 0x7f]]);
        assert!(changes(&message).is_err());
        message.changes = ChunkList::from(vec![b"hello".to_vec()]);
        assert!(changes(&message).is_err());
    }
}
