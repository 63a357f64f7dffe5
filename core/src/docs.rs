//! Reading and changing the Automerge documents of an agency-year.
//!
//! Reads hydrate whole typed documents ([`read`]). Writes are small targeted operations inside one
//! commit ([`edit`]): a status is one `put`, a text edit splices the existing text object, a move
//! rewrites one `pos`. Reconciling a whole typed struct is used only to create a document or a new
//! entry, because reconciling a fresh [`autosurgeon::Text`] over an existing text would replace the
//! object and lose concurrent edits.
//!
//! Every commit carries a message, a timestamp (passed in: core never reads a clock) and, when the
//! caller gives one, the device's actor id.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use autosurgeon::{Hydrate, Reconcile};

use crate::hash;
use crate::model::*;
use crate::position;
use crate::tracks::Slot;

/// What every commit records besides its operations.
#[derive(Clone, Debug)]
pub struct CommitMeta {
    /// A short description of the change, shown in history.
    pub message: String,
    /// Unix milliseconds; stored in the change (as seconds, like automerge-repo) and in
    /// `updated_at` fields.
    pub time_ms: i64,
    /// The device's actor id; `None` keeps the document's current actor.
    pub actor: Option<ActorId>,
    /// The user making the change, written into `updated_by`/`added_by` fields.
    pub user: Username,
}

impl CommitMeta {
    pub fn new(message: impl Into<String>, user: impl Into<String>, time_ms: i64) -> CommitMeta {
        CommitMeta { message: message.into(), time_ms, actor: None, user: user.into() }
    }

    pub fn with_actor(mut self, actor: ActorId) -> CommitMeta {
        self.actor = Some(actor);
        self
    }
}

/// How many random bytes a run adds to its registered actor id.
const RUN_SUFFIX_BYTES: usize = 8;

/// The actor id one run of a program (a device's app, the server) writes with: its registered
/// actor (the session's, or the server's) followed by the first 8 bytes of `fresh`, a random actor
/// the caller makes at start-up.
///
/// Automerge numbers each actor's changes. A process killed after it sent a change but before it
/// saved it would, restarted with the same actor, give a different change the same number; the
/// server then refuses every later change of that actor (`DuplicateSeqNumber`) and the device never
/// syncs again. A new actor per run cannot collide, and history still names the registered actor's
/// owner (`registered_actor`).
pub fn actor_for_run(registered: &ActorId, fresh: &ActorId) -> ActorId {
    let mut bytes = registered.to_bytes().to_vec();
    bytes.extend(fresh.to_bytes().iter().chain(std::iter::repeat(&0)).take(RUN_SUFFIX_BYTES));
    ActorId::from(bytes)
}

/// The registered actor (hex) that a run's actor (hex, from `actor_for_run`) belongs to; an actor
/// too short to carry a run suffix is returned as it is.
pub fn registered_actor(actor_hex: &str) -> &str {
    let suffix = RUN_SUFFIX_BYTES * 2;
    match actor_hex.len().checked_sub(suffix) {
        Some(end) if end >= suffix => actor_hex.get(..end).unwrap_or(actor_hex),
        _ => actor_hex,
    }
}

/// Why a document could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("reading the document: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("writing the document: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("no {what} with id {id:?}")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
}

/// Hydrates a whole typed document.
pub fn read<T: Hydrate>(doc: &impl autosurgeon::ReadDoc) -> Result<T, DocError> {
    Ok(autosurgeon::hydrate(doc)?)
}

/// A new document holding `value`, created in one commit.
pub fn create<T: Reconcile>(value: &T, meta: &CommitMeta) -> Result<Automerge, DocError> {
    let mut doc = Automerge::new();
    edit(&mut doc, meta, |tx| Ok(autosurgeon::reconcile(tx, value)?))?;
    Ok(doc)
}

fn commit_options(meta: &CommitMeta) -> CommitOptions {
    CommitOptions::default().with_message(meta.message.clone()).with_time(meta.time_ms.div_euclid(1000))
}

/// Runs `change` in one transaction and commits it with `meta`. Nothing is committed if `change`
/// fails.
pub fn edit<R>(
    doc: &mut Automerge,
    meta: &CommitMeta,
    change: impl FnOnce(&mut Transaction<'_>) -> Result<R, DocError>,
) -> Result<R, DocError> {
    if let Some(actor) = &meta.actor
        && doc.get_actor() != actor
    {
        doc.set_actor(actor.clone());
    }
    doc.transact_with(|_| commit_options(meta), change).map(|ok| ok.result).map_err(|failure| failure.error)
}

// ---------------------------------------------------------------------------------------------
// small helpers over automerge

/// The object at `key` of `parent`, if it is an object.
pub(crate) fn child(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key).ok().flatten() {
        Some((Value::Object(_), id)) => Some(id),
        _ => None,
    }
}

fn require(doc: &impl ReadDoc, parent: &ObjId, key: &str, what: &'static str) -> Result<ObjId, DocError> {
    child(doc, parent, key).ok_or_else(|| DocError::NotFound { what, id: key.to_string() })
}

/// The map at `key`, created empty when absent.
fn ensure_map(tx: &mut Transaction<'_>, parent: &ObjId, key: &str) -> Result<ObjId, DocError> {
    match child(tx, parent, key) {
        Some(id) => Ok(id),
        None => Ok(tx.put_object(parent, key, ObjType::Map)?),
    }
}

/// `tracks/{track}` of a document, created when missing; the track id is checked.
fn track_map(tx: &mut Transaction<'_>, track: &str) -> Result<ObjId, DocError> {
    if !crate::tracks::valid_id(track) {
        return Err(DocError::Invalid(format!("{track:?} is not a track id")));
    }
    let tracks = ensure_map(tx, &ROOT, "tracks")?;
    ensure_map(tx, &tracks, track)
}

/// `tracks/{track}/rounds/{round}` of a document, created when missing; both ids are checked
/// (results and reviews of another track are always of one round).
fn round_map(tx: &mut Transaction<'_>, track: &str, round: Option<&str>) -> Result<ObjId, DocError> {
    let round = round.ok_or_else(|| DocError::Invalid("a track's results and reviews name their round".into()))?;
    if !crate::tracks::valid_id(round) {
        return Err(DocError::Invalid(format!("{round:?} is not a round id")));
    }
    let at = track_map(tx, track)?;
    let rounds = ensure_map(tx, &at, "rounds")?;
    ensure_map(tx, &rounds, round)
}

/// Sets the text at `key` to `value` by diffing, so concurrent edits elsewhere in it survive.
/// Creates the text object if it is missing (or if a non-text value is there).
pub fn set_text(tx: &mut Transaction<'_>, parent: &ObjId, key: &str, value: &str) -> Result<(), DocError> {
    match tx.get(parent, key)? {
        Some((Value::Object(ObjType::Text), id)) => tx.update_text(&id, value)?,
        _ => {
            let id = tx.put_object(parent, key, ObjType::Text)?;
            tx.splice_text(&id, 0, 0, value)?;
        }
    }
    Ok(())
}

/// Splices the text at `key`: at character `index`, delete `delete` characters and insert `insert`.
/// This is how an editor that captures keystrokes should write, since it merges best.
pub fn splice_text(
    tx: &mut Transaction<'_>,
    parent: &ObjId,
    key: &str,
    index: usize,
    delete: usize,
    insert: &str,
) -> Result<(), DocError> {
    let id = match tx.get(parent, key)? {
        Some((Value::Object(ObjType::Text), id)) => id,
        _ => tx.put_object(parent, key, ObjType::Text)?,
    };
    let length = tx.length(&id);
    if index > length || index + delete > length {
        return Err(DocError::Invalid(format!("splice {index}+{delete} outside text of length {length}")));
    }
    tx.splice_text(&id, index, delete as isize, insert)?;
    Ok(())
}

/// Ids of the entries of an ordered map (items with a `pos` key), in order.
pub fn ordered_ids(doc: &impl ReadDoc, map: &ObjId) -> Vec<String> {
    let mut entries: Vec<(String, String, ())> = doc
        .map_range(map, ..)
        .map(|item| {
            let pos = match &item.value {
                automerge::ValueRef::Object(_) => {
                    let id = item.id();
                    match doc.get(&id, "pos").ok().flatten() {
                        Some((Value::Scalar(s), _)) => s.as_str().unwrap_or_default().to_string(),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            (pos, item.key.to_string(), ())
        })
        .collect();
    position::sort_by_position(&mut entries);
    entries.into_iter().map(|(_, id, ())| id).collect()
}

fn pos_of(doc: &impl ReadDoc, map: &ObjId, id: &str) -> String {
    child(doc, map, id)
        .and_then(|item| match doc.get(&item, "pos").ok().flatten() {
            Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        })
        .unwrap_or_default()
}

/// The `pos` for an item placed at `index` among the other items of `map` (excluding `id`).
fn pos_for_index(doc: &impl ReadDoc, map: &ObjId, id: &str, index: usize) -> String {
    let others: Vec<String> = ordered_ids(doc, map).into_iter().filter(|other| other != id).collect();
    let positions: Vec<String> = others.iter().map(|other| pos_of(doc, map, other)).collect();
    let refs: Vec<&str> = positions.iter().map(String::as_str).collect();
    position::for_index(&refs, index)
}

/// Moves the item `id` of ordered `map` to `index` by rewriting only its `pos`.
pub fn move_item(tx: &mut Transaction<'_>, map: &ObjId, id: &str, index: usize) -> Result<(), DocError> {
    let item = require(tx, map, id, "item")?;
    let pos = pos_for_index(tx, map, id, index);
    tx.put(&item, "pos", pos)?;
    Ok(())
}

/// Inserts `value` as a new item `id` at `index` of ordered `map`. The value's own `pos` is
/// replaced by one that puts it at `index`.
pub fn insert_item<T: Reconcile>(
    tx: &mut Transaction<'_>,
    map: &ObjId,
    id: &str,
    index: usize,
    value: &T,
) -> Result<(), DocError> {
    if child(tx, map, id).is_some() {
        return Err(DocError::Invalid(format!("an item with id {id:?} already exists")));
    }
    let pos = pos_for_index(tx, map, id, index);
    autosurgeon::reconcile_prop(tx, map, id, value)?;
    let item = require(tx, map, id, "item")?;
    tx.put(&item, "pos", pos)?;
    Ok(())
}

fn scalar_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// results/{division}

/// Operations on a division's results document.
pub mod results {
    use super::*;

    /// The map of this division's results in `slot`: `results` for the integrity track,
    /// `tracks/{track}/rounds/{round}/results` for another (whose edits name their round).
    fn results_map(tx: &mut Transaction<'_>, slot: &Slot) -> Result<ObjId, DocError> {
        match &slot.track {
            None => ensure_map(tx, &ROOT, "results"),
            Some(track) => {
                let round = super::round_map(tx, track, slot.round.as_deref())?;
                ensure_map(tx, &round, "results")
            }
        }
    }

    /// The result object of a measure, created when this division has none yet in `slot`: empty
    /// and not started, or, in a track's later round, starting from the text, status and percent
    /// the division reported in `carried` (the previous round's result, when it has one).
    pub fn ensure(tx: &mut Transaction<'_>, slot: &Slot, measure: &str, meta: &CommitMeta) -> Result<ObjId, DocError> {
        let map = results_map(tx, slot)?;
        if let Some(id) = child(tx, &map, measure) {
            return Ok(id);
        }
        // Read, never created: the previous round may have nothing of this division.
        let carried = match (&slot.track, slot.carry_from.as_deref()) {
            (Some(track), Some(previous)) => child(tx, &ROOT, "tracks")
                .and_then(|t| child(tx, &t, track))
                .and_then(|t| child(tx, &t, "rounds"))
                .and_then(|r| child(tx, &r, previous))
                .and_then(|r| child(tx, &r, "results"))
                .and_then(|map| autosurgeon::hydrate_prop::<_, Option<DivisionResult>, _, _>(&*tx, &map, measure).ok())
                .flatten(),
            _ => None,
        };
        let fresh = DivisionResult {
            updated_by: meta.user.clone(),
            updated_at: meta.time_ms,
            ..carried
                .map(|c| DivisionResult {
                    status: c.status,
                    // A text of its own, with the carried words: later edits of either round
                    // change only that round's.
                    text: autosurgeon::Text::with_value(c.text.as_str()),
                    percent: c.percent,
                    ..DivisionResult::default()
                })
                .unwrap_or_default()
        };
        autosurgeon::reconcile_prop(tx, &map, measure, &fresh)?;
        require(tx, &map, measure, "result")
    }

    fn touch(tx: &mut Transaction<'_>, result: &ObjId, meta: &CommitMeta) -> Result<(), DocError> {
        tx.put(result, "updated_by", meta.user.as_str())?;
        tx.put(result, "updated_at", meta.time_ms)?;
        Ok(())
    }

    pub fn set_status(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        status: &Status,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        let result = ensure(tx, slot, measure, meta)?;
        tx.put(&result, "status", status.as_str())?;
        touch(tx, &result, meta)
    }

    /// Replaces the result text by diffing against the current text.
    pub fn set_text(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        text: &str,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        let result = ensure(tx, slot, measure, meta)?;
        super::set_text(tx, &result, "text", text)?;
        touch(tx, &result, meta)
    }

    /// Splices the result text at a character index.
    pub fn splice_text(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        index: usize,
        delete: usize,
        insert: &str,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        let result = ensure(tx, slot, measure, meta)?;
        super::splice_text(tx, &result, "text", index, delete, insert)?;
        touch(tx, &result, meta)
    }

    pub fn set_percent(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        percent: Option<u8>,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        if percent.is_some_and(|p| p > 100) {
            return Err(DocError::Invalid("percent must be between 0 and 100".into()));
        }
        let result = ensure(tx, slot, measure, meta)?;
        match percent {
            Some(p) => tx.put(&result, "percent", i64::from(p))?,
            None => tx.put(&result, "percent", ScalarValue::Null)?,
        }
        touch(tx, &result, meta)
    }

    /// Adds evidence at the end of the list; returns nothing, the caller chose the id.
    pub fn add_evidence(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        id: &str,
        evidence: &Evidence,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        if evidence.sha256.is_none() && evidence.url.is_none() {
            return Err(DocError::Invalid("evidence needs a file or a URL".into()));
        }
        let result = ensure(tx, slot, measure, meta)?;
        let list = ensure_map(tx, &result, "evidence")?;
        let end = tx.length(&list);
        let evidence = Evidence { added_by: meta.user.clone(), added_at: meta.time_ms, ..evidence.clone() };
        insert_item(tx, &list, id, end, &evidence)?;
        touch(tx, &result, meta)
    }

    pub fn remove_evidence(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        id: &str,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        let result = ensure(tx, slot, measure, meta)?;
        let list = require(tx, &result, "evidence", "evidence list")?;
        require(tx, &list, id, "evidence")?;
        tx.delete(&list, id)?;
        touch(tx, &result, meta)
    }

    /// Records "please review" with the content hash of the result as it is now.
    pub fn submit(tx: &mut Transaction<'_>, slot: &Slot, measure: &str, meta: &CommitMeta) -> Result<String, DocError> {
        let result = ensure(tx, slot, measure, meta)?;
        let map = results_map(tx, slot)?;
        let current: DivisionResult = autosurgeon::hydrate_prop(tx, &map, measure)?;
        let content_hash = hash::result_content_hash(&current);
        let submission = Submission { by: meta.user.clone(), at: meta.time_ms, content_hash: content_hash.clone() };
        autosurgeon::reconcile_prop(tx, &result, "submission", Some(&submission))?;
        Ok(content_hash)
    }
}

// ---------------------------------------------------------------------------------------------
// plan

/// Operations on the plan document.
pub mod plan {
    use super::*;

    /// The plan's measures in `slot`: `measures` for the integrity track, `tracks/{track}/measures`
    /// for another.
    fn measures(tx: &mut Transaction<'_>, slot: &Slot) -> Result<ObjId, DocError> {
        match &slot.track {
            None => ensure_map(tx, &ROOT, "measures"),
            Some(track) => {
                let at = super::track_map(tx, track)?;
                ensure_map(tx, &at, "measures")
            }
        }
    }

    fn measure(tx: &mut Transaction<'_>, slot: &Slot, id: &str) -> Result<ObjId, DocError> {
        let map = measures(tx, slot)?;
        require(tx, &map, id, "measure")
    }

    /// A track's budget column (satang; `None` clears it).
    pub fn set_budget(tx: &mut Transaction<'_>, slot: &Slot, id: &str, satang: Option<i64>) -> Result<(), DocError> {
        if satang.is_some_and(|b| b < 0) {
            return Err(DocError::Invalid("a budget is not negative".into()));
        }
        let m = measure(tx, slot, id)?;
        match satang {
            Some(b) => tx.put(&m, "budget", b)?,
            None => tx.put(&m, "budget", ScalarValue::Null)?,
        }
        Ok(())
    }

    /// A track's indicator column.
    pub fn set_indicator(tx: &mut Transaction<'_>, slot: &Slot, id: &str, text: &str) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        set_text(tx, &m, "indicator", text)
    }

    /// A new measure at `index` (0-based) of the plan's order.
    pub fn add_measure(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        id: &str,
        index: usize,
        title: &str,
    ) -> Result<(), DocError> {
        let map = measures(tx, slot)?;
        let measure = Measure { title: title.into(), ..Measure::default() };
        insert_item(tx, &map, id, index, &measure)
    }

    pub fn remove_measure(tx: &mut Transaction<'_>, slot: &Slot, id: &str) -> Result<(), DocError> {
        let map = measures(tx, slot)?;
        require(tx, &map, id, "measure")?;
        tx.delete(&map, id)?;
        Ok(())
    }

    pub fn move_measure(tx: &mut Transaction<'_>, slot: &Slot, id: &str, index: usize) -> Result<(), DocError> {
        let map = measures(tx, slot)?;
        move_item(tx, &map, id, index)
    }

    pub fn set_title(tx: &mut Transaction<'_>, slot: &Slot, id: &str, title: &str) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        set_text(tx, &m, "title", title)
    }

    pub fn set_published_result(tx: &mut Transaction<'_>, slot: &Slot, id: &str, text: &str) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        set_text(tx, &m, "published_result", text)
    }

    pub fn set_suggestion(tx: &mut Transaction<'_>, slot: &Slot, id: &str, text: &str) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        set_text(tx, &m, "suggestion", text)
    }

    pub fn set_schedule(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        id: &str,
        schedule: &crate::calendar::Schedule,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        tx.put(&m, "schedule", schedule.to_code())?;
        Ok(())
    }

    pub fn set_responsible(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        id: &str,
        division: &str,
        responsible: bool,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, id)?;
        let map = ensure_map(tx, &m, "responsible")?;
        if responsible {
            tx.put(&map, division, true)?;
        } else if tx.get(&map, division)?.is_some() {
            tx.delete(&map, division)?;
        }
        Ok(())
    }

    pub fn add_method(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure_id: &str,
        method_id: &str,
        index: usize,
        text: &str,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, measure_id)?;
        let map = ensure_map(tx, &m, "methods")?;
        insert_item(tx, &map, method_id, index, &Method { pos: String::new(), text: text.into() })
    }

    pub fn set_method_text(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure_id: &str,
        method_id: &str,
        text: &str,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, measure_id)?;
        let map = require(tx, &m, "methods", "methods")?;
        let method = require(tx, &map, method_id, "method")?;
        set_text(tx, &method, "text", text)
    }

    pub fn move_method(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure_id: &str,
        method_id: &str,
        index: usize,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, measure_id)?;
        let map = require(tx, &m, "methods", "methods")?;
        move_item(tx, &map, method_id, index)
    }

    pub fn remove_method(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure_id: &str,
        method_id: &str,
    ) -> Result<(), DocError> {
        let m = measure(tx, slot, measure_id)?;
        let map = require(tx, &m, "methods", "methods")?;
        require(tx, &map, method_id, "method")?;
        tx.delete(&map, method_id)?;
        Ok(())
    }

    /// The agency's ITAS answer for one OIT item.
    pub fn set_itas_answer(
        tx: &mut Transaction<'_>,
        item: &str,
        available: bool,
        url: &str,
        explanation: &str,
    ) -> Result<(), DocError> {
        let map = ensure_map(tx, &ROOT, "itas")?;
        let answer = ensure_map(tx, &map, item)?;
        tx.put(&answer, "available", available)?;
        tx.put(&answer, "url", url)?;
        set_text(tx, &answer, "explanation", explanation)
    }
}

// ---------------------------------------------------------------------------------------------
// review

/// Operations on the review document.
pub mod review {
    use super::*;

    /// Records the coordinator's decision on the result whose content hash is `content_hash`.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        tx: &mut Transaction<'_>,
        slot: &Slot,
        measure: &str,
        division: &str,
        decision: ReviewDecisionKind,
        comment: &str,
        content_hash: &str,
        meta: &CommitMeta,
    ) -> Result<(), DocError> {
        if decision == ReviewDecisionKind::Returned && comment.trim().is_empty() {
            return Err(DocError::Invalid("a returned result needs a comment saying what to fix".into()));
        }
        let map = match &slot.track {
            None => ensure_map(tx, &ROOT, "decisions")?,
            Some(track) => {
                let round = super::round_map(tx, track, slot.round.as_deref())?;
                ensure_map(tx, &round, "decisions")?
            }
        };
        let value = ReviewDecision {
            decision,
            comment: comment.to_string(),
            content_hash: content_hash.to_string(),
            by: meta.user.clone(),
            at: meta.time_ms,
        };
        autosurgeon::reconcile_prop(tx, &map, review_key(measure, division).as_str(), &value)?;
        Ok(())
    }

    /// The coordinator's result of `measure` for the report of `slot`'s round (another track's
    /// only: the integrity measures' is the plan's `published_result`).
    pub fn set_round_result(tx: &mut Transaction<'_>, slot: &Slot, measure: &str, text: &str) -> Result<(), DocError> {
        let Some(track) = &slot.track else {
            return Err(DocError::Invalid(
                "a round's result is another track's; the integrity measures' is the plan's".into(),
            ));
        };
        let round = super::round_map(tx, track, slot.round.as_deref())?;
        let published = ensure_map(tx, &round, "published")?;
        set_text(tx, &published, measure, text)
    }
}

// ---------------------------------------------------------------------------------------------
// memo

/// The memo's text fields that are edited as prose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoField {
    Department,
    Subject,
    Addressee,
    Background,
    Facts,
    ReportTitle,
    ReportIntro,
    TableLead,
    ProposalsIntro,
    Closing,
}

impl MemoField {
    pub fn key(self) -> &'static str {
        match self {
            MemoField::Department => "department",
            MemoField::Subject => "subject",
            MemoField::Addressee => "addressee",
            MemoField::Background => "background",
            MemoField::Facts => "facts",
            MemoField::ReportTitle => "report_title",
            MemoField::ReportIntro => "report_intro",
            MemoField::TableLead => "table_lead",
            MemoField::ProposalsIntro => "proposals_intro",
            MemoField::Closing => "closing",
        }
    }
}

/// Operations on the memo document. Each takes the memo they edit: the integrity measures' at
/// the root, a track's round's at `tracks/{track}/rounds/{round}` ([`memo::of`]).
pub mod memo {
    use super::*;

    /// The memo `slot` names, created when missing: a track's memo is its report round's.
    pub fn of(tx: &mut Transaction<'_>, slot: &Slot) -> Result<ObjId, DocError> {
        match &slot.track {
            None => Ok(ROOT),
            Some(track) => {
                let round = slot
                    .round
                    .as_deref()
                    .ok_or_else(|| DocError::Invalid("a track's memo is its report round's".into()))?;
                super::round_map(tx, track, Some(round))
            }
        }
    }

    pub fn set_field(tx: &mut Transaction<'_>, at: &ObjId, field: MemoField, text: &str) -> Result<(), DocError> {
        set_text(tx, at, field.key(), text)
    }

    pub fn set_reference(tx: &mut Transaction<'_>, at: &ObjId, reference: &str) -> Result<(), DocError> {
        tx.put(at, "reference", reference)?;
        Ok(())
    }

    pub fn set_date(tx: &mut Transaction<'_>, at: &ObjId, date: Option<crate::calendar::Date>) -> Result<(), DocError> {
        match date {
            Some(d) => tx.put(at, "date", d.to_string())?,
            None => tx.put(at, "date", ScalarValue::Null)?,
        }
        Ok(())
    }

    pub fn set_drafter(tx: &mut Transaction<'_>, at: &ObjId, name: &str, position: &str) -> Result<(), DocError> {
        tx.put(at, "drafter_name", name)?;
        tx.put(at, "drafter_position", position)?;
        Ok(())
    }

    pub fn set_previous_assessment(
        tx: &mut Transaction<'_>,
        at: &ObjId,
        year_be: i64,
        score_hundredths: i64,
    ) -> Result<(), DocError> {
        let value = PreviousAssessment { year: year_be, score_hundredths };
        autosurgeon::reconcile_prop(tx, at, "previous_assessment", Some(&value))?;
        Ok(())
    }

    pub fn add_proposal(
        tx: &mut Transaction<'_>,
        at: &ObjId,
        id: &str,
        index: usize,
        text: &str,
    ) -> Result<(), DocError> {
        let map = ensure_map(tx, at, "proposals")?;
        insert_item(tx, &map, id, index, &Proposal { pos: String::new(), text: text.into() })
    }

    pub fn set_proposal(tx: &mut Transaction<'_>, at: &ObjId, id: &str, text: &str) -> Result<(), DocError> {
        let map = require(tx, at, "proposals", "proposals")?;
        let item = require(tx, &map, id, "proposal")?;
        set_text(tx, &item, "text", text)
    }

    pub fn move_proposal(tx: &mut Transaction<'_>, at: &ObjId, id: &str, index: usize) -> Result<(), DocError> {
        let map = require(tx, at, "proposals", "proposals")?;
        move_item(tx, &map, id, index)
    }

    pub fn remove_proposal(tx: &mut Transaction<'_>, at: &ObjId, id: &str) -> Result<(), DocError> {
        let map = require(tx, at, "proposals", "proposals")?;
        require(tx, &map, id, "proposal")?;
        tx.delete(&map, id)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// directory and approvals: the server's documents

/// Operations the server performs on the directory.
pub mod directory {
    use super::*;

    /// Records that changes by `actor` (hex) are `username`'s.
    pub fn register_actor(tx: &mut Transaction<'_>, actor: &str, info: &ActorInfo) -> Result<(), DocError> {
        let map = ensure_map(tx, &ROOT, "actors")?;
        autosurgeon::reconcile_prop(tx, &map, actor, info)?;
        Ok(())
    }

    pub fn set_user(tx: &mut Transaction<'_>, username: &str, info: &UserInfo) -> Result<(), DocError> {
        let map = ensure_map(tx, &ROOT, "users")?;
        autosurgeon::reconcile_prop(tx, &map, username, info)?;
        Ok(())
    }

    /// Binds the user who may sign a step of the approval chain.
    pub fn set_step_approver(tx: &mut Transaction<'_>, step: &str, approver: Option<&str>) -> Result<(), DocError> {
        let map = require(tx, &ROOT, "approval_steps", "approval chain")?;
        let item = require(tx, &map, step, "approval step")?;
        match approver {
            Some(user) => tx.put(&item, "approver", user)?,
            None => tx.put(&item, "approver", ScalarValue::Null)?,
        }
        Ok(())
    }

    /// Writes the agency's profile (name, letterhead, divisions, approval chain) into a year's
    /// directory. Divisions are never removed (a retired one is marked); steps no longer in the
    /// chain are.
    pub fn apply_profile(tx: &mut Transaction<'_>, profile: &crate::profile::AgencyProfile) -> Result<(), DocError> {
        autosurgeon::reconcile_prop(tx, &ROOT, "agency", profile.agency())?;
        let divisions = ensure_map(tx, &ROOT, "divisions")?;
        for (id, division) in profile.directory_divisions() {
            autosurgeon::reconcile_prop(tx, &divisions, id.as_str(), &division)?;
        }
        let steps = ensure_map(tx, &ROOT, "approval_steps")?;
        let wanted = profile.directory_steps();
        let existing: Vec<String> = tx.keys(&steps).collect();
        for gone in existing.iter().filter(|id| !wanted.contains_key(*id)) {
            tx.delete(&steps, gone.as_str())?;
        }
        for (id, step) in wanted {
            autosurgeon::reconcile_prop(tx, &steps, id.as_str(), &step)?;
        }
        Ok(())
    }

    /// Adds a track the year runs, after the ones it has, with its report rounds in order.
    pub fn add_track(tx: &mut Transaction<'_>, id: &str, track: &TrackEntry) -> Result<(), DocError> {
        if !crate::tracks::valid_id(id) || track.rounds.keys().any(|r| !crate::tracks::valid_id(r)) {
            return Err(DocError::Invalid(format!("{id:?} or one of its rounds is not a valid id")));
        }
        let map = ensure_map(tx, &ROOT, "tracks")?;
        let end = tx.length(&map);
        insert_item(tx, &map, id, end, track)
    }

    /// Sets the day a track's round is cut off (ISO).
    pub fn set_round_cutoff(tx: &mut Transaction<'_>, track: &str, round: &str, cutoff: &str) -> Result<(), DocError> {
        let missing = || DocError::Invalid(format!("the year runs no round {round:?} of {track:?}"));
        let tracks = match tx.get(&ROOT, "tracks")? {
            Some((Value::Object(_), id)) => id,
            _ => return Err(missing()),
        };
        let entry = match tx.get(&tracks, track)? {
            Some((Value::Object(_), id)) => id,
            _ => return Err(missing()),
        };
        let rounds = match tx.get(&entry, "rounds")? {
            Some((Value::Object(_), id)) => id,
            _ => return Err(missing()),
        };
        match tx.get(&rounds, round)? {
            Some((Value::Object(_), id)) => {
                tx.put(&id, "cutoff", cutoff)?;
                Ok(())
            }
            _ => Err(missing()),
        }
    }

    /// Records a report the server published, under the OIT item it answers.
    pub fn set_publication(
        tx: &mut Transaction<'_>,
        item: &str,
        published: &crate::model::PublishedItem,
    ) -> Result<(), DocError> {
        let map = ensure_map(tx, &ROOT, "publications")?;
        autosurgeon::reconcile_prop(tx, &map, item, published)?;
        Ok(())
    }

    /// Names a division's results document in the directory's list.
    pub fn set_results_url(tx: &mut Transaction<'_>, division: &str, url: &str) -> Result<(), DocError> {
        let documents = ensure_map(tx, &ROOT, "documents")?;
        let results = ensure_map(tx, &documents, "results")?;
        tx.put(&results, division, url)?;
        Ok(())
    }

    /// The ITA criteria the agency-year prints under (see `DirectoryDoc::criteria`).
    pub fn set_criteria(tx: &mut Transaction<'_>, criteria: &[crate::ita::Criteria]) -> Result<(), DocError> {
        let json = serde_json::to_string(criteria).map_err(|e| DocError::Invalid(e.to_string()))?;
        tx.put(ROOT, "criteria", json)?;
        tx.put(ROOT, "criteria_version", crate::ita::version_hash(criteria))?;
        Ok(())
    }

    /// The document's `division` key, if the results document says which division it is for.
    pub fn results_division(doc: &impl ReadDoc) -> Option<String> {
        scalar_str(doc, &ROOT, "division")
    }
}

/// Operations the server performs on the approvals document.
pub mod approvals {
    use super::*;

    /// Records `step`'s signature on `part` of `slot`'s track: the integrity report's at today's
    /// key, its plan's under `plan`; another track's under `tracks/{t}/plan` or
    /// `tracks/{t}/rounds/{r}`.
    pub fn record(
        tx: &mut Transaction<'_>,
        slot: &crate::tracks::Slot,
        part: crate::report_model::Part,
        step: &str,
        signature: &Signature,
    ) -> Result<(), DocError> {
        use crate::report_model::Part;
        let parent = match (slot.track.as_deref(), part) {
            (None, Part::Report) => ROOT,
            (None, Part::Plan) => ensure_map(tx, &ROOT, "plan")?,
            (Some(track), Part::Plan) => {
                let at = track_map(tx, track)?;
                ensure_map(tx, &at, "plan")?
            }
            (Some(track), Part::Report) => round_map(tx, track, slot.round.as_deref())?,
        };
        let map = ensure_map(tx, &parent, "signatures")?;
        autosurgeon::reconcile_prop(tx, &map, step, signature)?;
        Ok(())
    }

    /// Records (or, with `None`, withdraws) why `slot`'s track's reports may be published before
    /// its plan.
    pub fn set_plan_waiver(
        tx: &mut Transaction<'_>,
        slot: &crate::tracks::Slot,
        waiver: Option<&crate::model::PlanWaiver>,
    ) -> Result<(), DocError> {
        let plan = match slot.track.as_deref() {
            None => ensure_map(tx, &ROOT, "plan")?,
            Some(track) => {
                let at = track_map(tx, track)?;
                ensure_map(tx, &at, "plan")?
            }
        };
        match waiver {
            Some(w) => autosurgeon::reconcile_prop(tx, &plan, "waiver", w)?,
            None => {
                if tx.get(&plan, "waiver")?.is_some() {
                    tx.delete(&plan, "waiver")?;
                }
            }
        }
        Ok(())
    }
}

/// The schema version a document says it was written under.
pub fn schema_of(doc: &impl ReadDoc) -> Option<i64> {
    match doc.get(&ROOT, "schema").ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Int(n) => Some(*n),
            ScalarValue::Uint(n) => i64::try_from(*n).ok(),
            ScalarValue::F64(n) => Some(*n as i64),
            _ => None,
        },
        _ => None,
    }
}

/// The `kind` a document says it is.
pub fn kind_of(doc: &impl ReadDoc) -> Option<DocKind> {
    scalar_str(doc, &ROOT, "kind").and_then(|k| DocKind::parse(&k))
}
