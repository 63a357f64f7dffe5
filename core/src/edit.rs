//! Edits as data: what a person asked to change, in a form that crosses a boundary (a Tauri
//! command, an HTTP request) unchanged. Each edit names its document; [`apply`] turns a batch for
//! one document into the targeted operations of [`crate::docs`], in one commit.

use automerge::transaction::Transaction;

use crate::calendar::{Date, Schedule};
use crate::docs::{self, CommitMeta, DocError, MemoField};
use crate::model::{DocKey, DocKind, Evidence, ReviewDecisionKind, Status};
use crate::tracks::Slot;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    // A division's result (document results/{division}).
    SetStatus {
        division: String,
        measure: String,
        status: Status,
    },
    SetResultText {
        division: String,
        measure: String,
        text: String,
    },
    SetPercent {
        division: String,
        measure: String,
        percent: Option<u8>,
    },
    AddEvidence {
        division: String,
        measure: String,
        id: String,
        evidence: EvidenceInput,
    },
    RemoveEvidence {
        division: String,
        measure: String,
        id: String,
    },
    Submit {
        division: String,
        measure: String,
    },
    // The plan.
    AddMeasure {
        id: String,
        index: usize,
        title: String,
    },
    RemoveMeasure {
        id: String,
    },
    MoveMeasure {
        id: String,
        index: usize,
    },
    SetTitle {
        measure: String,
        title: String,
    },
    SetPublishedResult {
        measure: String,
        text: String,
    },
    /// (a track's round) The coordinator's result of a project for the round's report.
    SetRoundResult {
        measure: String,
        text: String,
    },
    SetSuggestion {
        measure: String,
        text: String,
    },
    /// A track's budget column, in satang; `None` clears it.
    SetBudget {
        measure: String,
        satang: Option<i64>,
    },
    /// A track's indicator column.
    SetIndicator {
        measure: String,
        text: String,
    },
    /// Edits of the plan, a division's results or the review in another track than the
    /// integrity measures (one document, as any batch); they apply to that track's part of the
    /// document, and to `slot.round` for results and reviews.
    InTrack {
        slot: crate::tracks::Slot,
        edits: Vec<Edit>,
    },
    /// A schedule code: "1-4", "1,3".
    SetSchedule {
        measure: String,
        schedule: String,
    },
    SetResponsible {
        measure: String,
        division: String,
        responsible: bool,
    },
    AddMethod {
        measure: String,
        id: String,
        index: usize,
        text: String,
    },
    SetMethodText {
        measure: String,
        id: String,
        text: String,
    },
    MoveMethod {
        measure: String,
        id: String,
        index: usize,
    },
    RemoveMethod {
        measure: String,
        id: String,
    },
    /// The agency's ITAS answer for one OIT item: มี/ไม่มี, the URL (http or https, or empty),
    /// where to click.
    SetItasAnswer {
        item: String,
        available: bool,
        url: String,
        explanation: String,
    },
    // The review document.
    Decide {
        measure: String,
        division: String,
        decision: ReviewDecisionKind,
        comment: String,
        content_hash: String,
    },
    // The memo.
    SetMemoField {
        field: MemoField,
        text: String,
    },
    /// ที่: the memo's reference number.
    SetMemoReference {
        reference: String,
    },
    /// วันที่, ISO; `None` leaves the date blank.
    SetMemoDate {
        date: Option<Date>,
    },
    SetDrafter {
        name: String,
        position: String,
    },
    /// Last year's ITA score, quoted in เรื่องเดิม (the band follows from the year's reference data).
    SetPreviousAssessment {
        year: i64,
        score_hundredths: i64,
    },
    AddProposal {
        id: String,
        index: usize,
        text: String,
    },
    SetProposal {
        id: String,
        text: String,
    },
    MoveProposal {
        id: String,
        index: usize,
    },
    RemoveProposal {
        id: String,
    },
    /// Keep one of the values two people set at once: `index` into the conflict's values, whose
    /// shown text was `expected` (if the values changed meanwhile, nothing is written).
    ResolveConflict {
        document: DocKey,
        path: Vec<String>,
        index: usize,
        expected: String,
    },
}

/// Evidence as a person adds it: a stored file (by hash) or a link.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceInput {
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<i64>,
    pub url: Option<String>,
    #[serde(default)]
    pub caption: String,
}

impl Edit {
    /// `edits` as written for `slot`: as they are for the integrity measures, else inside one
    /// [`Edit::InTrack`] (nothing for no edits).
    pub fn in_slot(slot: &Slot, edits: Vec<Edit>) -> Vec<Edit> {
        if slot.is_integrity() || edits.is_empty() { edits } else { vec![Edit::InTrack { slot: slot.clone(), edits }] }
    }

    /// The document this edit writes.
    pub fn document(&self) -> DocKey {
        use Edit::*;
        match self {
            SetStatus { division, .. }
            | SetResultText { division, .. }
            | SetPercent { division, .. }
            | AddEvidence { division, .. }
            | RemoveEvidence { division, .. }
            | Submit { division, .. } => DocKey::results(division),
            AddMeasure { .. }
            | RemoveMeasure { .. }
            | MoveMeasure { .. }
            | SetTitle { .. }
            | SetPublishedResult { .. }
            | SetSuggestion { .. }
            | SetBudget { .. }
            | SetIndicator { .. }
            | SetSchedule { .. }
            | SetResponsible { .. }
            | AddMethod { .. }
            | SetMethodText { .. }
            | MoveMethod { .. }
            | RemoveMethod { .. }
            | SetItasAnswer { .. } => DocKey::of(DocKind::Plan),
            Decide { .. } | SetRoundResult { .. } => DocKey::of(DocKind::Review),
            SetMemoField { .. }
            | SetMemoReference { .. }
            | SetMemoDate { .. }
            | SetDrafter { .. }
            | SetPreviousAssessment { .. }
            | AddProposal { .. }
            | SetProposal { .. }
            | MoveProposal { .. }
            | RemoveProposal { .. } => DocKey::of(DocKind::Memo),
            ResolveConflict { document, .. } => document.clone(),
            // A batch inside is refused whole when it writes more than one document.
            InTrack { edits, .. } => edits.first().map(Edit::document).unwrap_or_else(|| DocKey::of(DocKind::Plan)),
        }
    }

    /// The commit message history shows (English; the UI translates by the edit's kind).
    pub fn message(&self) -> &'static str {
        use Edit::*;
        match self {
            SetStatus { .. } => "set status",
            SetResultText { .. } => "edit result",
            SetPercent { .. } => "set percent",
            AddEvidence { .. } => "add evidence",
            RemoveEvidence { .. } => "remove evidence",
            Submit { .. } => "submit for review",
            AddMeasure { .. } => "add measure",
            RemoveMeasure { .. } => "remove measure",
            MoveMeasure { .. } => "move measure",
            SetTitle { .. } => "edit title",
            SetPublishedResult { .. } => "edit published result",
            SetSuggestion { .. } => "edit suggestion",
            SetRoundResult { .. } => "edit round result",
            SetSchedule { .. } => "set schedule",
            SetResponsible { .. } => "assign division",
            AddMethod { .. } => "add method",
            SetMethodText { .. } => "edit method",
            MoveMethod { .. } => "move method",
            RemoveMethod { .. } => "remove method",
            SetItasAnswer { .. } => "edit ITAS answer",
            Decide { .. } => "review decision",
            SetMemoField { .. } | SetMemoReference { .. } | SetMemoDate { .. } => "edit memo",
            SetDrafter { .. } => "set drafter",
            SetPreviousAssessment { .. } => "set previous assessment",
            AddProposal { .. } => "add proposal",
            SetProposal { .. } => "edit proposal",
            MoveProposal { .. } => "move proposal",
            RemoveProposal { .. } => "remove proposal",
            ResolveConflict { .. } => "resolve conflict",
            SetBudget { .. } => "set budget",
            SetIndicator { .. } => "set indicator",
            InTrack { edits, .. } => edits.first().map(Edit::message).unwrap_or("edit a track"),
        }
    }
}

/// The document all of `edits` write, or an error when they write more than one (one commit
/// changes one document).
pub fn batch_document(edits: &[Edit]) -> Result<DocKey, DocError> {
    let first = edits.first().ok_or_else(|| DocError::Invalid("nothing to change".into()))?.document();
    if edits.iter().any(|e| e.document() != first) {
        return Err(DocError::Invalid("one batch of edits must change one document".into()));
    }
    Ok(first)
}

/// The commit message of a batch: the messages of its edits, without repeats.
pub fn batch_message(edits: &[Edit]) -> String {
    let mut messages: Vec<&str> = Vec::new();
    for edit in edits {
        if !messages.contains(&edit.message()) {
            messages.push(edit.message());
        }
    }
    messages.join(", ")
}

/// Applies every edit of a batch inside one transaction.
pub fn apply(tx: &mut Transaction<'_>, edits: &[Edit], meta: &CommitMeta) -> Result<(), DocError> {
    for edit in edits {
        apply_one(tx, &Slot::INTEGRITY, edit, meta)?;
    }
    Ok(())
}

fn apply_one(tx: &mut Transaction<'_>, slot: &Slot, edit: &Edit, meta: &CommitMeta) -> Result<(), DocError> {
    use docs::{memo, plan, results, review};
    match edit {
        Edit::InTrack { slot: inner, edits } => {
            if !slot.is_integrity() {
                return Err(DocError::Invalid("a track's edits do not nest".into()));
            }
            if inner.is_integrity() {
                return Err(DocError::Invalid("name the track the edits are for".into()));
            }
            let document = batch_document(edits)?;
            if document != edit.document() {
                return Err(DocError::Invalid("one batch of edits must change one document".into()));
            }
            for e in edits {
                apply_one(tx, inner, e, meta)?;
            }
            Ok(())
        }
        Edit::SetBudget { measure, satang } => plan::set_budget(tx, slot, measure, *satang),
        Edit::SetIndicator { measure, text } => plan::set_indicator(tx, slot, measure, text),
        Edit::SetStatus { measure, status, .. } => results::set_status(tx, slot, measure, status, meta),
        Edit::SetResultText { measure, text, .. } => results::set_text(tx, slot, measure, text, meta),
        Edit::SetPercent { measure, percent, .. } => results::set_percent(tx, slot, measure, *percent, meta),
        Edit::AddEvidence { measure, id, evidence, .. } => {
            let evidence = Evidence {
                sha256: evidence.sha256.clone(),
                file_name: evidence.file_name.clone(),
                media_type: evidence.media_type.clone(),
                size: evidence.size,
                url: evidence.url.clone().filter(|u| !u.trim().is_empty()),
                caption: evidence.caption.clone(),
                ..Evidence::default()
            };
            results::add_evidence(tx, slot, measure, id, &evidence, meta)
        }
        Edit::RemoveEvidence { measure, id, .. } => results::remove_evidence(tx, slot, measure, id, meta),
        Edit::Submit { measure, .. } => results::submit(tx, slot, measure, meta).map(|_| ()),
        Edit::AddMeasure { id, index, title } => plan::add_measure(tx, slot, id, *index, title),
        Edit::RemoveMeasure { id } => plan::remove_measure(tx, slot, id),
        Edit::MoveMeasure { id, index } => plan::move_measure(tx, slot, id, *index),
        Edit::SetTitle { measure, title } => plan::set_title(tx, slot, measure, title),
        Edit::SetPublishedResult { measure, text } => plan::set_published_result(tx, slot, measure, text),
        Edit::SetSuggestion { measure, text } => plan::set_suggestion(tx, slot, measure, text),
        Edit::SetRoundResult { measure, text } => review::set_round_result(tx, slot, measure, text),
        Edit::SetItasAnswer { item, available, url, explanation } => {
            if item.trim().is_empty() || item.chars().count() > 20 {
                return Err(DocError::Invalid("the OIT item's code is empty or too long".into()));
            }
            if !url.trim().is_empty() {
                crate::itas::url_host(url).map_err(|e| DocError::Invalid(e.to_string()))?;
            }
            plan::set_itas_answer(tx, item, *available, url.trim(), explanation)
        }
        Edit::SetSchedule { measure, schedule } => {
            let schedule = Schedule::parse(schedule).map_err(|e| DocError::Invalid(e.to_string()))?;
            plan::set_schedule(tx, slot, measure, &schedule)
        }
        Edit::SetResponsible { measure, division, responsible } => {
            plan::set_responsible(tx, slot, measure, division, *responsible)
        }
        Edit::AddMethod { measure, id, index, text } => plan::add_method(tx, slot, measure, id, *index, text),
        Edit::SetMethodText { measure, id, text } => plan::set_method_text(tx, slot, measure, id, text),
        Edit::MoveMethod { measure, id, index } => plan::move_method(tx, slot, measure, id, *index),
        Edit::RemoveMethod { measure, id } => plan::remove_method(tx, slot, measure, id),
        Edit::Decide { measure, division, decision, comment, content_hash } => {
            review::decide(tx, slot, measure, division, decision.clone(), comment, content_hash, meta)
        }
        Edit::SetMemoField { .. }
        | Edit::SetMemoReference { .. }
        | Edit::SetMemoDate { .. }
        | Edit::SetDrafter { .. }
        | Edit::SetPreviousAssessment { .. }
        | Edit::AddProposal { .. }
        | Edit::SetProposal { .. }
        | Edit::MoveProposal { .. }
        | Edit::RemoveProposal { .. } => {
            let at = memo::of(tx, slot)?;
            apply_to_memo(tx, &at, edit)
        }
        Edit::ResolveConflict { path, index, expected, .. } => crate::conflicts::resolve(tx, path, *index, expected),
    }
}

/// A memo edit, on the memo at `at` (the integrity measures' or a track round's).
fn apply_to_memo(tx: &mut Transaction<'_>, at: &automerge::ObjId, edit: &Edit) -> Result<(), DocError> {
    use docs::memo;
    match edit {
        Edit::SetMemoField { field, text } => memo::set_field(tx, at, *field, text),
        Edit::SetMemoReference { reference } => memo::set_reference(tx, at, reference.trim()),
        Edit::SetMemoDate { date } => memo::set_date(tx, at, *date),
        Edit::SetDrafter { name, position } => memo::set_drafter(tx, at, name.trim(), position.trim()),
        Edit::SetPreviousAssessment { year, score_hundredths } => {
            if !(0..=10_000).contains(score_hundredths) {
                return Err(DocError::Invalid("an ITA score is between 0 and 100".into()));
            }
            memo::set_previous_assessment(tx, at, *year, *score_hundredths)
        }
        Edit::AddProposal { id, index, text } => memo::add_proposal(tx, at, id, *index, text),
        Edit::SetProposal { id, text } => memo::set_proposal(tx, at, id, text),
        Edit::MoveProposal { id, index } => memo::move_proposal(tx, at, id, *index),
        Edit::RemoveProposal { id } => memo::remove_proposal(tx, at, id),
        _ => Err(DocError::Invalid("not an edit of the memo".into())),
    }
}
