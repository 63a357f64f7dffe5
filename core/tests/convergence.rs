//! Randomized convergence: simulated devices edit the plan and one division's results while
//! exchanging only automerge sync messages (encoded bytes) over a network that drops, duplicates,
//! delays and reorders them, and sometimes cuts connections. After the network heals, every device
//! must hold the same documents, no method may be lost, and every character anyone typed must be
//! in the text or in a conflict the merged view reports.
//!
//! Reproduce one scenario with `SCENARIO_SEED=<n> cargo test -p prongsai-core --test convergence`;
//! run more with `SCENARIOS=<count>`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use prongsai_core::automerge::sync::{Message, State, SyncDoc};
use prongsai_core::automerge::{ActorId, Automerge};
use prongsai_core::docs::{CommitMeta, edit, plan, read, results};
use prongsai_core::model::{DocKey, DocKind, Method, PlanDoc, ResultsDoc, Status};
use prongsai_core::sample::pakchong_2565;
use prongsai_core::{AgencyYear, Date, merged_view};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PLAN: usize = 0;
const RESULTS: usize = 1;
/// The measure whose result every device edits (pre-created in the results document).
const SHARED: &str = "m1";
/// A measure added to the plan whose result nobody has yet: devices create it concurrently.
const NEW: &str = "m9";
/// The measure whose methods devices reorder and extend.
const REORDERED: &str = "m8";

struct Device {
    docs: [Automerge; 2],
    user: String,
    actor: ActorId,
    clock: i64,
}

#[derive(Clone)]
struct Packet {
    from: usize,
    to: usize,
    doc: usize,
    /// Connection generation: a packet from a cut connection is never delivered.
    generation: u64,
    bytes: Vec<u8>,
}

struct Network {
    in_flight: VecDeque<Packet>,
    /// Sync state of `from` about `to` for one document.
    states: HashMap<(usize, usize, usize), State>,
    generation: HashMap<(usize, usize), u64>,
}

impl Network {
    fn state(&mut self, from: usize, to: usize, doc: usize) -> &mut State {
        self.states.entry((from, to, doc)).or_default()
    }

    fn pair(a: usize, b: usize) -> (usize, usize) {
        (a.min(b), a.max(b))
    }

    /// Cuts the connection between two devices: both forget their sync state, as on reconnect.
    fn cut(&mut self, a: usize, b: usize) {
        *self.generation.entry(Self::pair(a, b)).or_default() += 1;
        for doc in [PLAN, RESULTS] {
            self.states.remove(&(a, b, doc));
            self.states.remove(&(b, a, doc));
        }
    }
}

/// What devices typed and created, to check nothing was lost.
#[derive(Default)]
struct Ledger {
    typed_shared: Vec<char>,
    typed_new: Vec<char>,
    methods: BTreeSet<String>,
    statuses_set: BTreeSet<String>,
    new_result_creations: usize,
}

struct Scenario {
    rng: StdRng,
    devices: Vec<Device>,
    net: Network,
    ledger: Ledger,
    next_char: u32,
    next_method: usize,
}

/// Saved bytes of the base plan and results documents, built once for all scenarios.
fn base_bytes() -> &'static [Vec<u8>; 2] {
    static BASE: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let [plan, results] = base_documents();
        [plan.save(), results.save()]
    })
}

fn base_documents() -> [Automerge; 2] {
    let fixture = pakchong_2565();
    let meta = CommitMeta::new("สร้างข้อมูลตัวอย่าง", "server", 1_640_995_200_000);
    let docs = fixture
        .typed_documents(meta.time_ms)
        .expect("fixture is consistent")
        .into_automerge(&meta, |k| format!("automerge:{k}"))
        .expect("documents are created");
    let mut plan_doc = docs.plan;
    // A measure added after the results document was made: nobody has a result for it yet.
    edit(&mut plan_doc, &meta, |tx| {
        plan::add_measure(tx, &prongsai_core::tracks::Slot::INTEGRITY, NEW, 8, "มาตรการที่เพิ่มภายหลัง")?;
        plan::set_responsible(tx, &prongsai_core::tracks::Slot::INTEGRITY, NEW, "palad", true)
    })
    .expect("add measure");
    let results_doc = docs.results.get("palad").expect("palad has a results document").clone();
    [plan_doc, results_doc]
}

impl Scenario {
    fn new(seed: u64) -> Scenario {
        let mut rng = StdRng::seed_from_u64(seed);
        let base = base_bytes();
        let count = rng.random_range(2..=4);
        let devices = (0..count)
            .map(|i| {
                let docs = [&base[PLAN], &base[RESULTS]].map(|b| Automerge::load(b).expect("base loads"));
                let mut actor_bytes = [0u8; 16];
                actor_bytes[0] = i as u8 + 1;
                actor_bytes[1..9].copy_from_slice(&seed.to_be_bytes());
                Device { docs, user: format!("user{i}"), actor: ActorId::from(actor_bytes), clock: 1_650_000_000_000 }
            })
            .collect();
        let plan: PlanDoc = read(&Automerge::load(&base[PLAN]).expect("base loads")).expect("plan reads");
        let methods = plan.measures[REORDERED].methods.keys().cloned().collect();
        Scenario {
            rng,
            devices,
            net: Network { in_flight: VecDeque::new(), states: HashMap::new(), generation: HashMap::new() },
            ledger: Ledger { methods, ..Ledger::default() },
            next_char: 0,
            next_method: 0,
        }
    }

    fn meta(&mut self, d: usize, message: &str) -> CommitMeta {
        let device = &mut self.devices[d];
        device.clock += 1000;
        CommitMeta::new(message, device.user.clone(), device.clock).with_actor(device.actor.clone())
    }

    /// Characters nobody else types: each typed character can be traced.
    fn fresh_chars(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                self.next_char += 1;
                char::from_u32(0x4E00 + self.next_char).expect("CJK block has room")
            })
            .collect()
    }

    fn random_edit(&mut self) {
        let d = self.rng.random_range(0..self.devices.len());
        match self.rng.random_range(0..10) {
            0..=2 => {
                let measure = if self.rng.random_bool(0.6) { SHARED } else { NEW };
                let had_result = read::<ResultsDoc>(&self.devices[d].docs[RESULTS])
                    .expect("results read")
                    .results
                    .contains_key(measure);
                let length = text_length(&self.devices[d].docs[RESULTS], measure);
                let at = self.rng.random_range(0..=length);
                let n = self.rng.random_range(1..=3);
                let insert = self.fresh_chars(n);
                let meta = self.meta(d, "พิมพ์ผลการดำเนินงาน");
                edit(&mut self.devices[d].docs[RESULTS], &meta, |tx| {
                    results::splice_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, measure, at, 0, &insert, &meta)
                })
                .expect("splice");
                let typed = if measure == SHARED { &mut self.ledger.typed_shared } else { &mut self.ledger.typed_new };
                typed.extend(insert.chars());
                if measure == NEW && !had_result {
                    self.ledger.new_result_creations += 1;
                }
            }
            3..=4 => {
                let status = [Status::NotStarted, Status::InProgress, Status::Done, Status::Blocked]
                    [self.rng.random_range(0..4)]
                .clone();
                let meta = self.meta(d, "เปลี่ยนสถานะ");
                edit(&mut self.devices[d].docs[RESULTS], &meta, |tx| {
                    results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, SHARED, &status, &meta)
                })
                .expect("status");
                self.ledger.statuses_set.insert(status.as_str().to_string());
            }
            5..=7 => {
                let plan: PlanDoc = read(&self.devices[d].docs[PLAN]).expect("plan reads");
                let ids: Vec<String> = plan.measures[REORDERED].methods.keys().cloned().collect();
                let id = ids[self.rng.random_range(0..ids.len())].clone();
                let index = self.rng.random_range(0..ids.len());
                let meta = self.meta(d, "เรียงวิธีดำเนินการใหม่");
                edit(&mut self.devices[d].docs[PLAN], &meta, |tx| {
                    plan::move_method(tx, &prongsai_core::tracks::Slot::INTEGRITY, REORDERED, &id, index)
                })
                .expect("move method");
            }
            _ => {
                self.next_method += 1;
                let id = format!("new-{}", self.next_method);
                let plan: PlanDoc = read(&self.devices[d].docs[PLAN]).expect("plan reads");
                let index = self.rng.random_range(0..=plan.measures[REORDERED].methods.len());
                let text = format!("วิธีใหม่ {}", self.next_method);
                let meta = self.meta(d, "เพิ่มวิธีดำเนินการ");
                edit(&mut self.devices[d].docs[PLAN], &meta, |tx| {
                    plan::add_method(tx, &prongsai_core::tracks::Slot::INTEGRITY, REORDERED, &id, index, &text)
                })
                .expect("add method");
                self.ledger.methods.insert(id);
            }
        }
    }

    /// One device generates a sync message for a peer and puts it on the wire.
    fn send(&mut self, from: usize, to: usize, doc: usize) -> bool {
        let generation = *self.net.generation.get(&Network::pair(from, to)).unwrap_or(&0);
        let device_doc = &self.devices[from].docs[doc];
        let state = self.net.states.entry((from, to, doc)).or_default();
        match device_doc.generate_sync_message(state) {
            Some(message) => {
                self.net.in_flight.push_back(Packet { from, to, doc, generation, bytes: message.encode() });
                true
            }
            None => false,
        }
    }

    fn deliver(&mut self, packet: Packet) {
        let current = *self.net.generation.get(&Network::pair(packet.from, packet.to)).unwrap_or(&0);
        if packet.generation != current {
            return; // the connection it was sent on is gone
        }
        let message = Message::decode(&packet.bytes).expect("messages we encoded decode");
        let state = self.net.state(packet.to, packet.from, packet.doc);
        let mut state_taken = std::mem::take(state);
        self.devices[packet.to].docs[packet.doc]
            .receive_sync_message(&mut state_taken, message)
            .expect("a valid sync message applies");
        *self.net.state(packet.to, packet.from, packet.doc) = state_taken;
    }

    fn chaos_step(&mut self) {
        let n = self.devices.len();
        match self.rng.random_range(0..20) {
            0..=5 => self.random_edit(),
            6..=10 => {
                let from = self.rng.random_range(0..n);
                let to = (from + self.rng.random_range(1..n)) % n;
                let doc = self.rng.random_range(0..2);
                self.send(from, to, doc);
            }
            11..=15 if !self.net.in_flight.is_empty() => {
                // Deliver a random packet: reordering.
                let i = self.rng.random_range(0..self.net.in_flight.len());
                let packet = self.net.in_flight.remove(i).expect("index in range");
                if self.rng.random_bool(0.15) {
                    // Duplicate: deliver now and keep a copy for later.
                    self.net.in_flight.push_back(packet.clone());
                }
                self.deliver(packet);
            }
            16 if !self.net.in_flight.is_empty() => {
                // Drop a packet.
                let i = self.rng.random_range(0..self.net.in_flight.len());
                self.net.in_flight.remove(i);
            }
            17 => {
                let a = self.rng.random_range(0..n);
                let b = (a + self.rng.random_range(1..n)) % n;
                self.net.cut(a, b);
            }
            _ => {} // time passes: packets stay delayed
        }
    }

    /// The network heals: every connection is re-established and messages flow until quiet.
    fn heal(&mut self) {
        let n = self.devices.len();
        for a in 0..n {
            for b in a + 1..n {
                self.net.cut(a, b);
            }
        }
        self.net.in_flight.clear();
        for _round in 0..200 {
            let mut sent = false;
            for from in 0..n {
                for to in 0..n {
                    if from != to {
                        for doc in [PLAN, RESULTS] {
                            sent |= self.send(from, to, doc);
                        }
                    }
                }
            }
            if !sent {
                return;
            }
            while let Some(packet) = self.net.in_flight.pop_front() {
                self.deliver(packet);
            }
        }
        panic!("sync did not go quiet after 200 rounds");
    }
}

fn text_length(doc: &Automerge, measure: &str) -> usize {
    read::<ResultsDoc>(doc)
        .ok()
        .and_then(|r| r.results.get(measure).map(|x| x.text.as_str().chars().count()))
        .unwrap_or(0)
}

/// What a scenario exercised, so the suite can check its generator still reaches the hard cases.
#[derive(Default)]
struct Coverage {
    concurrent_creations: usize,
    status_conflicts: usize,
}

fn run(seed: u64) -> Coverage {
    let mut s = Scenario::new(seed);
    let steps = s.rng.random_range(40..120);
    for _ in 0..steps {
        s.chaos_step();
    }
    s.heal();

    // 1. All devices hold the same documents.
    let first_heads = [s.devices[0].docs[PLAN].get_heads(), s.devices[0].docs[RESULTS].get_heads()];
    let first_plan: PlanDoc = read(&s.devices[0].docs[PLAN]).expect("plan reads");
    let first_results: ResultsDoc = read(&s.devices[0].docs[RESULTS]).expect("results read");
    for (i, device) in s.devices.iter().enumerate().skip(1) {
        assert_eq!(device.docs[PLAN].get_heads(), first_heads[PLAN], "seed {seed}: device {i} plan heads");
        assert_eq!(device.docs[RESULTS].get_heads(), first_heads[RESULTS], "seed {seed}: device {i} results heads");
        assert_eq!(read::<PlanDoc>(&device.docs[PLAN]).expect("plan"), first_plan, "seed {seed}: device {i} plan");
        assert_eq!(read::<ResultsDoc>(&device.docs[RESULTS]).expect("results"), first_results, "seed {seed}");
    }

    // 2. No method lost or duplicated; the order is a permutation of every method ever created.
    let methods: &BTreeMap<String, Method> = &first_plan.measures[REORDERED].methods;
    let ids: BTreeSet<String> = methods.keys().cloned().collect();
    assert_eq!(ids, s.ledger.methods, "seed {seed}: methods");

    // 3. Every typed character is in the text, or in a conflict the merged view reports.
    let mut year = AgencyYear::default();
    year.load(&DocKey::of(DocKind::Plan), &s.devices[0].docs[PLAN]).expect("plan loads");
    year.load(&DocKey::results("palad"), &s.devices[0].docs[RESULTS]).expect("results load");
    let view = merged_view(&year, Date::new(2022, 3, 21).expect("date"));

    let shared_text = first_results.results[SHARED].text.as_str().to_string();
    for c in &s.ledger.typed_shared {
        assert_eq!(shared_text.matches(*c).count(), 1, "seed {seed}: {c:?} typed once, present once");
    }
    let new_conflict = view
        .conflicts
        .iter()
        .find(|c| c.measure.as_deref() == Some(NEW) && c.field == "result" && c.division.as_deref() == Some("palad"));
    if s.ledger.new_result_creations >= 2 {
        let conflict = new_conflict.unwrap_or_else(|| panic!("seed {seed}: concurrent creation must be reported"));
        assert_eq!(conflict.values.len(), s.ledger.new_result_creations, "seed {seed}");
    } else {
        assert!(new_conflict.is_none(), "seed {seed}: no concurrent creation, no conflict");
    }
    let new_text = first_results.results.get(NEW).map(|r| r.text.as_str().to_string()).unwrap_or_default();
    let conflict_text: String =
        new_conflict.map(|c| c.values.iter().map(|v| v.display.as_str()).collect()).unwrap_or_default();
    for c in &s.ledger.typed_new {
        assert!(new_text.contains(*c) || conflict_text.contains(*c), "seed {seed}: {c:?} lost");
    }

    // 4. The status is one somebody set; a concurrent set shows as a conflict with their values.
    let status = first_results.results[SHARED].status.as_str().to_string();
    assert!(status == "not_started" || s.ledger.statuses_set.contains(&status), "seed {seed}: status {status}");
    let status_conflict = view.conflicts.iter().find(|c| c.measure.as_deref() == Some(SHARED) && c.field == "status");
    if let Some(conflict) = status_conflict {
        assert!(conflict.values.len() >= 2);
        assert!(conflict.values.iter().any(|v| v.display == status), "seed {seed}: the shown status is listed");
    }
    Coverage {
        concurrent_creations: usize::from(s.ledger.new_result_creations >= 2),
        status_conflicts: usize::from(status_conflict.is_some()),
    }
}

#[test]
fn devices_converge_over_a_faulty_network() {
    if let Ok(seed) = std::env::var("SCENARIO_SEED") {
        run(seed.parse().expect("SCENARIO_SEED is a number"));
        return;
    }
    let scenarios: u64 = std::env::var("SCENARIOS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let mut total = Coverage::default();
    for seed in 0..scenarios {
        let c = run(seed);
        total.concurrent_creations += c.concurrent_creations;
        total.status_conflicts += c.status_conflicts;
    }
    eprintln!(
        "{scenarios} scenarios: {} with concurrent creation of a result, {} ending in a status conflict",
        total.concurrent_creations, total.status_conflicts
    );
    if scenarios >= 50 {
        assert!(total.concurrent_creations > 0, "the generator no longer creates results concurrently");
        assert!(total.status_conflicts > 0, "the generator no longer sets a status concurrently");
    }
}
