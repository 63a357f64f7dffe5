use super::*;
use crate::{DocumentId, actors::document::phase::request::Request};

fn document() -> Automerge {
    let mut doc = Automerge::new();
    doc.empty_commit(Default::default());
    doc
}

fn connection() -> PeerDocConnection {
    PeerDocConnection::new("remote".into(), ConnectionId::new())
}

#[test]
fn ordinary_generation_returns_one_message_then_an_empty_batch() {
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_write());
    let doc = document();
    let now = UnixTimestamp::now();
    let messages = conn.generate_sync_messages(now, &doc);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0.heads, doc.get_heads());
    let state = conn.pop().unwrap();
    assert_eq!(state.last_sent, Some(now));
    assert_eq!(state.last_sent_heads, Some(doc.get_heads()));
    assert!(conn.generate_sync_messages(now, &doc).is_empty());
    assert!(conn.pop().is_none());
}

#[test]
fn fallback_reset_batch_converges_with_an_empty_legacy_peer() {
    let now = UnixTimestamp::now();
    let mut doc = document();
    let mut remote = Automerge::new();
    let mut remote_state = sync::State::new();
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_only());
    let mut hello = remote.generate_sync_message(&mut remote_state).unwrap();
    hello.flags = None;
    conn.receive_sync_message(now, &mut doc, hello).unwrap();
    conn.set_share_config(ShareConfig::read_write());

    let messages = conn.generate_sync_messages(now, &doc);
    assert_eq!(messages.len(), 2);
    assert!(messages[0].0.heads.is_empty());
    assert_eq!(messages[1].0.heads, doc.get_heads());
    assert_eq!(conn.state().last_sent_heads, Some(doc.get_heads()));
    let mut messages = messages.into_iter();
    remote
        .receive_sync_message(&mut remote_state, messages.next().unwrap().0)
        .unwrap();
    assert!(remote.generate_sync_message(&mut remote_state).is_none());
    assert_ne!(doc.get_heads(), remote.get_heads());
    remote
        .receive_sync_message(&mut remote_state, messages.next().unwrap().0)
        .unwrap();

    for _ in 0..20 {
        let reply = remote.generate_sync_message(&mut remote_state);
        let replied = reply.is_some();
        if let Some(mut reply) = reply {
            reply.flags = None;
            conn.receive_sync_message(now, &mut doc, reply).unwrap();
        }
        let messages = conn.generate_sync_messages(now, &doc);
        if !replied && messages.is_empty() {
            assert_eq!(doc.get_heads(), remote.get_heads());
            return;
        }
        for (message, _) in messages {
            remote
                .receive_sync_message(&mut remote_state, message)
                .unwrap();
        }
    }
    panic!("sync did not become quiescent");
}

#[test]
fn advertised_reset_support_needs_only_one_message() {
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_only());
    let mut doc = document();
    let now = UnixTimestamp::now();
    let hello = Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .unwrap();
    conn.receive_sync_message(now, &mut doc, hello).unwrap();
    conn.set_share_config(ShareConfig::read_write());

    let messages = conn.generate_sync_messages(now, &doc);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0.heads, doc.get_heads());
    assert!(
        messages[0]
            .0
            .flags
            .unwrap()
            .contains(sync::MessageFlags::SYNC_RESET)
    );
    assert!(conn.generate_sync_messages(now, &doc).is_empty());
}

#[test]
fn empty_document_needs_no_follow_up_after_a_fallback_reset() {
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_only());
    let mut doc = Automerge::new();
    let now = UnixTimestamp::now();
    let mut hello = Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .unwrap();
    hello.flags = None;
    conn.receive_sync_message(now, &mut doc, hello).unwrap();
    conn.set_share_config(ShareConfig::read_write());

    let messages = conn.generate_sync_messages(now, &doc);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].0.heads.is_empty());
    assert!(conn.generate_sync_messages(now, &doc).is_empty());
}

#[test]
fn only_the_first_message_of_a_request_batch_initiates_a_request() {
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_only());
    let mut doc = document();
    let now = UnixTimestamp::now();
    let mut hello = Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .unwrap();
    hello.flags = None;
    conn.receive_sync_message(now, &mut doc, hello).unwrap();
    conn.set_share_config(ShareConfig::read_write());
    let mut request = Request::new(DocumentId::new(&mut rand::rng()), std::iter::once(&conn));

    let messages = request.generate_messages(now, &doc, &mut conn);
    assert_eq!(messages.len(), 2);
    let SyncMessage::Request { data } = &messages[0].0 else {
        panic!("first message must initiate the request");
    };
    assert!(sync::Message::decode(data).unwrap().heads.is_empty());
    let SyncMessage::Sync { data } = &messages[1].0 else {
        panic!("subsequent messages must continue sync");
    };
    assert_eq!(sync::Message::decode(data).unwrap().heads, doc.get_heads());
}

/// A peer with a message carrying changes in flight to it, generated at `now`.
fn awaiting_reply(now: UnixTimestamp) -> PeerDocConnection {
    let mut conn = connection();
    conn.set_share_config(ShareConfig::read_write());
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        use automerge::transaction::Transactable;
        tx.put(automerge::ROOT, "k", 1)
    })
    .unwrap();
    // The peer announces it has nothing; our answer then carries the change.
    let mut remote = Automerge::new();
    let hello = remote.generate_sync_message(&mut sync::State::new()).unwrap();
    conn.receive_sync_message(now, &mut doc, hello).unwrap();
    let sent = conn.generate_sync_messages(now, &doc);
    assert!(sent.iter().any(|(m, _)| !m.changes.is_empty()), "a message with the change went out");
    conn
}

// Prongsai's patch (flow control): a wall clock that steps back must not hold a peer back for
// the length of the step.
#[test]
fn a_clock_stepping_back_releases_a_held_peer() {
    let now = UnixTimestamp::now();
    let conn = awaiting_reply(now);
    assert!(conn.holds_back(now + Duration::from_millis(10)), "waits for the reply");
    assert!(!conn.holds_back(now + REPLY_WAIT), "not past the wait");
    assert!(
        !conn.holds_back(now - Duration::from_secs(3600)),
        "a clock an hour back counts as the wait being over"
    );
}

// Prongsai's patch (flow control): a peer whose read access is taken away has nothing held back,
// so its document stops asking for ticks.
#[test]
fn losing_read_access_clears_what_is_held_back() {
    let now = UnixTimestamp::now();
    let mut conn = awaiting_reply(now);
    conn.held_back = true;
    conn.set_share_config(ShareConfig::none());
    assert!(!conn.held_back);
    assert!(!conn.holds_back(now + Duration::from_millis(10)));
}

/// A watcher: a connection on the server's side and the remote document and sync state behind it.
struct Watcher {
    conn: PeerDocConnection,
    remote: Automerge,
    state: sync::State,
}

impl Watcher {
    fn new() -> Self {
        let mut conn = connection();
        conn.set_share_config(ShareConfig::read_write());
        Watcher { conn, remote: Automerge::new(), state: sync::State::new() }
    }

    /// Delivers the server's messages and, when the watcher answers, the answer to the server.
    fn deliver(&mut self, now: UnixTimestamp, doc: &mut Automerge, messages: Vec<(Vec<u8>, Duration)>) -> bool {
        for (data, _) in messages {
            let msg = sync::Message::decode(&data).unwrap();
            self.remote.receive_sync_message(&mut self.state, msg).unwrap();
        }
        match self.remote.generate_sync_message(&mut self.state) {
            Some(answer) => {
                self.conn.receive_sync_message(now, doc, answer).unwrap();
                true
            }
            None => false,
        }
    }
}

fn edit(doc: &mut Automerge, n: u64) {
    use automerge::transaction::Transactable;
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, format!("slot_{}", n % 4), n).unwrap();
    tx.commit();
}

// Prongsai's patch (shared generation): watchers in the same sync state get, from one
// generation, exactly the messages and the state automerge would have given each of them, and
// every one of them converges, edit after edit.
#[test]
fn watchers_in_step_share_one_generation_and_all_converge() {
    let now = UnixTimestamp::now();
    let mut doc = document();
    let mut watchers: Vec<Watcher> = (0..5).map(|_| Watcher::new()).collect();
    for n in 0..6 {
        edit(&mut doc, n);
        // Until nobody answers: each round generates for every watcher at the document's heads.
        for _ in 0..10 {
            let mut round = GenerationRound::default();
            let mut answered = false;
            for w in &mut watchers {
                // What automerge gives this watcher on its own, from a copy of its state.
                let mut alone = PeerDocConnection::new("alone".into(), ConnectionId::new());
                alone.set_share_config(ShareConfig::read_write());
                alone.sync_state = w.conn.sync_state.clone();
                let expected: Vec<Vec<u8>> =
                    alone.generate_sync_messages(now, &doc).into_iter().map(|(m, _)| m.encode()).collect();
                let messages = w.conn.generate_shared(now, &doc, &mut round);
                let got: Vec<Vec<u8>> = messages.iter().map(|(d, _)| d.clone()).collect();
                assert_eq!(got, expected, "edit {n}: the messages automerge would have generated");
                assert_eq!(w.conn.sync_state, alone.sync_state, "edit {n}: the state it would have left");
                if !expected.is_empty() {
                    assert_eq!(w.conn.state().last_sent_heads, alone.state().last_sent_heads);
                }
                answered |= w.deliver(now, &mut doc, messages);
            }
            // The watchers were, and stayed, in step: one generation served all five.
            assert_eq!(round.done.len(), 1, "edit {n}: one generation for watchers in step");
            if !answered {
                break;
            }
        }
        for w in &watchers {
            assert_eq!(w.remote.get_heads(), doc.get_heads(), "edit {n}: every watcher has it");
        }
    }
}

// Prongsai's patch (shared generation): a watcher in a state of its own (it is behind, having
// missed a round) gets its own generation, and catches up.
#[test]
fn a_watcher_behind_the_others_gets_its_own_messages() {
    let now = UnixTimestamp::now();
    let mut doc = document();
    let mut watchers: Vec<Watcher> = (0..3).map(|_| Watcher::new()).collect();
    edit(&mut doc, 0);
    // The last watcher misses the first exchange.
    for _ in 0..10 {
        let mut round = GenerationRound::default();
        let mut answered = false;
        for w in &mut watchers[..2] {
            let messages = w.conn.generate_shared(now, &doc, &mut round);
            answered |= w.deliver(now, &mut doc, messages);
        }
        if !answered {
            break;
        }
    }
    edit(&mut doc, 1);
    let mut round = GenerationRound::default();
    let sent: Vec<Vec<(Vec<u8>, Duration)>> =
        watchers.iter_mut().map(|w| w.conn.generate_shared(now, &doc, &mut round)).collect();
    assert_eq!(sent[0][0].0, sent[1][0].0, "the two in step get the same message");
    assert_ne!(sent[2][0].0, sent[0][0].0, "the one behind gets its own");
    assert_eq!(round.done.len(), 2);
    for (w, messages) in watchers.iter_mut().zip(sent) {
        w.deliver(now, &mut doc, messages);
        for _ in 0..10 {
            let mut round = GenerationRound::default();
            let messages = w.conn.generate_shared(now, &doc, &mut round);
            if !w.deliver(now, &mut doc, messages) {
                break;
            }
        }
        assert_eq!(w.remote.get_heads(), doc.get_heads());
    }
}
