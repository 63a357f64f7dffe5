//! The merged view: one picture of an agency-year for the central office, computed purely from
//! the documents and a date. The app, the web dashboard and the server's status API all call
//! [`merged_view`]; none computes its own.

use crate::agency_year::{AgencyYear, ordered};
use crate::calendar::{Date, FiscalQuarter, FiscalYear};
use crate::conflicts::Conflict;
use crate::hash::result_content_hash;
use crate::model::*;
use crate::report_model::{Part, Report};
use crate::thai;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MergedView {
    pub agency: AgencySummary,
    /// Fiscal year, BE.
    pub year: i64,
    pub as_of: Date,
    pub divisions: Vec<DivisionSummary>,
    pub measures: Vec<MeasureRow>,
    pub quarters: Vec<QuarterProgress>,
    pub late: Vec<CellRef>,
    pub awaiting_review: Vec<CellRef>,
    pub changed_since_approval: Vec<CellRef>,
    pub returned: Vec<CellRef>,
    pub approvals: Vec<ApprovalView>,
    /// The plan's chain: the same steps, signing the plan's own content.
    #[serde(default)]
    pub plan_approvals: Vec<ApprovalView>,
    pub report_hash: String,
    /// The plan's content hash (what its chain signs).
    #[serde(default)]
    pub plan_hash: String,
    pub conflicts: Vec<Conflict>,
    pub counts: Counts,
    pub oit_window: Option<WindowView>,
    /// The integrity track's items for this year, from its criteria (codes, headings, whether
    /// they are confirmed yet).
    #[serde(default)]
    pub integrity: Option<crate::ita::ResolvedTrack>,
    /// Every track the year runs (the integrity measures first), so a device offline can offer
    /// them all.
    #[serde(default)]
    pub tracks: Vec<crate::tracks::TrackSummary>,
    /// The track and round this is a picture of (its round resolved); the integrity measures'
    /// when empty.
    #[serde(default)]
    pub slot: crate::tracks::Slot,
}

impl MergedView {
    /// (a track's round) The day its results are cut off, as the directory says.
    pub fn round_cutoff(&self) -> Option<Date> {
        let track = self.tracks.iter().find(|t| Some(&t.id) == self.slot.track.as_ref())?;
        let round = track.rounds.iter().find(|r| Some(&r.id) == self.slot.round.as_ref())?;
        round.cutoff.as_deref()?.parse().ok()
    }

    /// The titles of the track and round this pictures, when it is another track than the
    /// integrity measures (whose pages lay out projects, with budget and indicator).
    pub fn track_and_round(&self) -> Option<(&str, &str)> {
        let track = self.tracks.iter().find(|t| Some(&t.id) == self.slot.track.as_ref())?;
        let round = track.rounds.iter().find(|r| Some(&r.id) == self.slot.round.as_ref())?;
        Some((&track.title, &round.title))
    }

    /// The report's approval chain as [`crate::signing`] reads it.
    pub fn chain(&self) -> Vec<crate::signing::ChainStep> {
        self.chain_of(Part::Report)
    }

    /// The steps of the plan's or the report's chain.
    pub fn approvals_of(&self, part: Part) -> &[ApprovalView] {
        match part {
            Part::Report => &self.approvals,
            Part::Plan => &self.plan_approvals,
        }
    }

    /// The plan's or the report's chain as [`crate::signing`] reads it.
    pub fn chain_of(&self, part: Part) -> Vec<crate::signing::ChainStep> {
        self.approvals_of(part)
            .iter()
            .map(|a| crate::signing::ChainStep {
                step: a.step.clone(),
                approver: a.approver.clone(),
                approved_current: a.up_to_date && a.decision == Some(SignatureDecision::Approved),
            })
            .collect()
    }

    /// Whether `username` may sign the report's `step` now, by the same rule the server applies.
    pub fn may_sign(&self, step: &str, username: &str, roles: &[Role]) -> bool {
        self.may_sign_part(Part::Report, step, username, roles)
    }

    /// Whether `username` may sign `step` of the plan's or the report's chain now.
    pub fn may_sign_part(&self, part: Part, step: &str, username: &str, roles: &[Role]) -> bool {
        crate::signing::may_sign(&self.chain_of(part), step, username, roles).is_ok()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgencySummary {
    pub id: String,
    pub name: String,
    pub short_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DivisionSummary {
    pub id: String,
    pub name: String,
    pub responsibilities: usize,
    pub done: usize,
    pub in_progress: usize,
    pub not_started: usize,
    pub blocked: usize,
    pub late: usize,
    pub awaiting_review: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeasureRow {
    pub id: String,
    pub number: usize,
    pub title: String,
    pub methods: Vec<MethodRow>,
    /// Responsible division ids, in the directory's order.
    pub responsible: Vec<String>,
    /// "1-4"
    pub schedule: String,
    /// "ไตรมาสที่ ๑ - ๔"
    pub schedule_label: String,
    /// The last day of the last scheduled quarter.
    pub due: Option<Date>,
    pub published_result: String,
    pub suggestion: String,
    /// The measure of last year this one continues, with that year's ข้อเสนอ (this year's input).
    #[serde(default)]
    pub carried: Option<Carried>,
    /// One cell per responsible division, same order as `responsible`.
    pub cells: Vec<Cell>,
    /// A track's budget column (satang) and indicator, where its plan has them.
    #[serde(default)]
    pub budget: Option<i64>,
    #[serde(default)]
    pub indicator: String,
}

/// Last year's measure a measure continues.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Carried {
    /// Fiscal year, BE.
    pub year: i64,
    pub measure: String,
    /// Its ข้อเสนอ when this year was started.
    pub suggestion: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MethodRow {
    pub id: String,
    pub text: String,
}

/// One division's state on one measure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    pub division: String,
    pub status: Status,
    pub text: String,
    pub percent: Option<i64>,
    pub evidence_count: usize,
    pub review: ReviewState,
    /// The coordinator's comment when the result was returned (or approved with a note).
    pub review_comment: Option<String>,
    pub late: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
    pub content_hash: String,
    /// (a track's round) The earlier round whose result stands in, by its title, until the
    /// division reports the measure in this round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Not submitted yet.
    Draft,
    AwaitingReview,
    Approved,
    Returned,
    /// Approved, then edited: the approval no longer covers what is there.
    ChangedSinceApproval,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellRef {
    pub measure: String,
    pub number: usize,
    pub title: String,
    pub division: String,
    pub division_name: String,
    pub status: Status,
    pub due: Option<Date>,
    /// When the division submitted, for results awaiting review.
    pub submitted_at: Option<i64>,
    pub submitted_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarterProgress {
    pub quarter: u8,
    pub label: String,
    pub start: Date,
    pub end: Date,
    /// (measure, division) pairs scheduled in this quarter, and how they stand.
    pub scheduled: usize,
    pub done: usize,
    pub in_progress: usize,
    pub not_started: usize,
    pub blocked: usize,
    /// Pairs whose work is due by the end of this quarter (their last scheduled quarter).
    pub due: usize,
    pub due_done: usize,
    pub ended: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApprovalView {
    pub step: String,
    pub title: String,
    pub name: String,
    pub position: String,
    pub approver: Option<String>,
    pub signed: bool,
    pub decision: Option<SignatureDecision>,
    pub comment: Option<String>,
    pub signer: Option<String>,
    pub date: Option<String>,
    /// True when signed on the report's current content.
    pub up_to_date: bool,
    /// True for the step whose turn it is ([`crate::signing::turn`]): the first that has not
    /// approved the current content.
    pub is_next: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub measures: usize,
    pub methods: usize,
    pub responsibilities: usize,
    pub done: usize,
    pub in_progress: usize,
    pub not_started: usize,
    pub blocked: usize,
    pub evidence: usize,
    pub published_results: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowView {
    pub from: Date,
    pub to: Date,
    /// None before the window opens.
    pub days_left: Option<i64>,
    pub days_until_open: Option<i64>,
}

/// The review state of one (measure, division) result.
pub fn review_state(result: Option<&DivisionResult>, decision: Option<&ReviewDecision>) -> ReviewState {
    let Some(result) = result else { return ReviewState::Draft };
    let current = result_content_hash(result);
    let submission = result.submission.as_ref();
    match decision {
        Some(d) if d.decision == ReviewDecisionKind::Approved && d.content_hash == current => ReviewState::Approved,
        Some(d) => {
            let resubmitted = submission.is_some_and(|s| s.at > d.at && s.content_hash != d.content_hash);
            if resubmitted {
                ReviewState::AwaitingReview
            } else if d.decision == ReviewDecisionKind::Approved {
                ReviewState::ChangedSinceApproval
            } else {
                ReviewState::Returned
            }
        }
        None if submission.is_some() => ReviewState::AwaitingReview,
        None => ReviewState::Draft,
    }
}

/// Computes the central picture of an agency-year as it stands on `today`.
pub fn merged_view(year: &AgencyYear, today: Date) -> MergedView {
    // A track's round is seen as of its cut-off at the latest: what was due by then.
    let today = year.round_cutoff().filter(|cutoff| *cutoff < today).unwrap_or(today);
    let fiscal_year_be = if year.directory.year != 0 { year.directory.year } else { year.plan.year };
    let fiscal_year = FiscalYear(u32::try_from(fiscal_year_be).unwrap_or(0));
    let criteria = year.criteria();
    let reference = criteria.sheet(fiscal_year_be, year.form()).map(|(c, _)| c);

    let mut divisions: Vec<DivisionSummary> = year
        .divisions()
        .into_iter()
        .map(|(id, d)| DivisionSummary { id: id.clone(), name: d.name.clone(), ..DivisionSummary::default() })
        .collect();
    let mut counts = Counts::default();
    let mut late = Vec::new();
    let mut awaiting_review = Vec::new();
    let mut changed_since_approval = Vec::new();
    let mut returned = Vec::new();
    let mut quarters: Vec<QuarterProgress> = FiscalQuarter::ALL
        .into_iter()
        .map(|q| QuarterProgress {
            quarter: q.number(),
            label: thai::quarter_label(q),
            start: fiscal_year.quarter_start(q),
            end: fiscal_year.quarter_end(q),
            scheduled: 0,
            done: 0,
            in_progress: 0,
            not_started: 0,
            blocked: 0,
            due: 0,
            due_done: 0,
            ended: fiscal_year.quarter_end(q) < today,
        })
        .collect();

    let mut measures = Vec::new();
    for (index, (measure_id, measure)) in year.measures().into_iter().enumerate() {
        let number = index + 1;
        let responsible = year.responsible(measure);
        let due = measure.schedule.last_quarter().map(|q| fiscal_year.quarter_end(q));
        let methods: Vec<MethodRow> = ordered(&measure.methods, |m| &m.pos)
            .into_iter()
            .map(|(id, m)| MethodRow { id: id.clone(), text: m.text.as_str().to_string() })
            .collect();
        counts.measures += 1;
        counts.methods += methods.len();
        if !measure.published_result.as_str().trim().is_empty() {
            counts.published_results += 1;
        }
        let mut cells = Vec::new();
        for division in &responsible {
            let result = year.result(measure_id, division);
            let decision = year.review.decisions.get(&review_key(measure_id, division));
            let status = result.map(|r| r.status.clone()).unwrap_or_default();
            let review = review_state(result, decision);
            let is_late = due.is_some_and(|d| d < today) && status != Status::Done;
            let evidence_count = result.map_or(0, |r| r.evidence.len());
            let cell_ref = CellRef {
                measure: measure_id.clone(),
                number,
                title: measure.title.as_str().to_string(),
                division: division.clone(),
                division_name: year.division_name(division),
                status: status.clone(),
                due,
                submitted_at: result.and_then(|r| r.submission.as_ref()).map(|s| s.at),
                submitted_by: result.and_then(|r| r.submission.as_ref()).map(|s| s.by.clone()),
            };

            counts.responsibilities += 1;
            counts.evidence += evidence_count;
            let summary = divisions.iter_mut().find(|d| &d.id == division);
            let (total_done, total_progress, total_not, total_blocked) = match status {
                Status::Done => (1, 0, 0, 0),
                Status::InProgress => (0, 1, 0, 0),
                Status::Blocked => (0, 0, 0, 1),
                Status::NotStarted | Status::Other(_) => (0, 0, 1, 0),
            };
            counts.done += total_done;
            counts.in_progress += total_progress;
            counts.not_started += total_not;
            counts.blocked += total_blocked;
            if let Some(s) = summary {
                s.responsibilities += 1;
                s.done += total_done;
                s.in_progress += total_progress;
                s.not_started += total_not;
                s.blocked += total_blocked;
                s.late += usize::from(is_late);
                s.awaiting_review += usize::from(review == ReviewState::AwaitingReview);
            }
            for q in measure.schedule.quarters() {
                let progress = &mut quarters[usize::from(q.number() - 1)];
                progress.scheduled += 1;
                progress.done += total_done;
                progress.in_progress += total_progress;
                progress.not_started += total_not;
                progress.blocked += total_blocked;
            }
            if let Some(last) = measure.schedule.last_quarter() {
                let progress = &mut quarters[usize::from(last.number() - 1)];
                progress.due += 1;
                progress.due_done += total_done;
            }
            match review {
                ReviewState::AwaitingReview => awaiting_review.push(cell_ref.clone()),
                ReviewState::ChangedSinceApproval => changed_since_approval.push(cell_ref.clone()),
                ReviewState::Returned => returned.push(cell_ref.clone()),
                ReviewState::Draft | ReviewState::Approved => {}
            }
            if is_late {
                late.push(cell_ref);
            }
            cells.push(Cell {
                division: division.clone(),
                status,
                text: result.map(|r| r.text.as_str().to_string()).unwrap_or_default(),
                percent: result.and_then(|r| r.percent),
                evidence_count,
                review,
                review_comment: decision.map(|d| d.comment.clone()).filter(|c| !c.is_empty()),
                late: is_late,
                updated_by: result.map(|r| r.updated_by.clone()).filter(|u| !u.is_empty()),
                updated_at: result.map(|r| r.updated_at).filter(|t| *t != 0),
                content_hash: result.map(result_content_hash).unwrap_or_default(),
                carried_from: year.carried_from(division, measure_id),
            });
        }
        measures.push(MeasureRow {
            id: measure_id.clone(),
            number,
            title: measure.title.as_str().to_string(),
            methods,
            responsible,
            schedule: measure.schedule.to_code(),
            schedule_label: if measure.schedule.is_empty() {
                String::new()
            } else {
                thai::schedule_label(&measure.schedule)
            },
            due,
            published_result: measure.published_result.as_str().to_string(),
            suggestion: measure.suggestion.as_str().to_string(),
            carried: measure.continues.as_ref().map(|c| Carried {
                year: c.year,
                measure: c.measure.clone(),
                suggestion: c.suggestion.clone(),
            }),
            cells,
            budget: measure.budget,
            indicator: measure.indicator.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(),
        });
    }
    awaiting_review.sort_by_key(|c| c.submitted_at);

    let report = Report::build(year);
    let approvals = approval_views(year, &report);
    let plan = Report::build_part(year, Part::Plan);
    let plan_approvals = approval_views(year, &plan);

    MergedView {
        agency: AgencySummary {
            id: year.directory.agency.id.clone(),
            name: year.directory.agency.name.clone(),
            short_name: year.directory.agency.short_name.clone(),
        },
        year: fiscal_year_be,
        as_of: today,
        divisions,
        measures,
        quarters,
        late,
        awaiting_review,
        changed_since_approval,
        returned,
        approvals,
        plan_approvals,
        report_hash: report.content_hash,
        plan_hash: plan.content_hash,
        conflicts: year.all_conflicts().cloned().collect(),
        counts,
        integrity: year.track_items(),
        tracks: year.tracks(),
        slot: year.slot.clone(),
        oit_window: reference.and_then(|r| {
            Some(WindowView {
                from: r.oit_window.from?,
                to: r.oit_window.to?,
                days_left: r.window_days_left(today),
                days_until_open: r.days_until_window(today),
            })
        }),
    }
}

/// Each step of `report`'s chain (the plan's or the report's) with its signature and its turn.
fn approval_views(year: &AgencyYear, report: &Report) -> Vec<ApprovalView> {
    let turn = crate::signing::turn(&crate::signing::chain(year, report));
    let signatures = match report.part {
        Part::Report => &year.approvals.signatures,
        Part::Plan => &year.approvals.plan.signatures,
    };
    year.approval_steps()
        .into_iter()
        .zip(&report.signatures)
        .enumerate()
        .map(|(index, ((id, step), printed))| {
            let signature = signatures.get(id);
            ApprovalView {
                step: id.clone(),
                title: step.title.clone(),
                name: step.name.clone(),
                position: step.position.clone(),
                approver: step.approver.clone(),
                signed: signature.is_some(),
                decision: signature.map(|s| s.decision.clone()),
                comment: signature.map(|s| s.comment.clone()),
                signer: signature.map(|s| s.signer.clone()),
                date: signature.map(|s| s.date.clone()),
                up_to_date: printed.as_ref().is_some_and(|p| p.up_to_date),
                is_next: turn == Some(index),
            }
        })
        .collect()
}
