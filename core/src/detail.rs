//! One measure seen up close: its row of the plan, every responsible division's full result
//! (evidence, submission, the coordinator's decision), and the conflicts that touch it. The
//! measure page of the app and of the web shows exactly this.

use crate::agency_year::{AgencyYear, ordered};
use crate::calendar::Date;
use crate::conflicts::Conflict;
use crate::hash::result_content_hash;
use crate::model::{Status, review_key};
use crate::view::{MeasureRow, ReviewState, merged_view, review_state};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MeasureDetail {
    pub row: MeasureRow,
    /// One per responsible division, in the directory's order.
    pub results: Vec<ResultDetail>,
    /// Conflicts in the plan about this measure and in any division's result for it.
    pub conflicts: Vec<Conflict>,
    /// The divisions that may be given this measure (id, name): every division in use, and a
    /// retired one only while it still holds it, so it can be taken off.
    pub divisions: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultDetail {
    pub division: String,
    pub division_name: String,
    pub status: Status,
    pub text: String,
    pub percent: Option<i64>,
    pub evidence: Vec<EvidenceView>,
    pub updated_by: Option<String>,
    /// Unix milliseconds.
    pub updated_at: Option<i64>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<i64>,
    pub review: ReviewState,
    pub review_comment: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub late: bool,
    /// The hash a review decision must name to approve exactly this content.
    pub content_hash: String,
    /// (a track's round) The earlier round whose result stands in, by its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceView {
    pub id: String,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<i64>,
    pub url: Option<String>,
    pub caption: String,
    pub added_by: String,
    pub added_at: i64,
}

/// The measure `measure_id` as it stands on `today`; `None` when the plan has no such measure.
pub fn measure_detail(year: &AgencyYear, measure_id: &str, today: Date) -> Option<MeasureDetail> {
    let view = merged_view(year, today);
    let row = view.measures.into_iter().find(|m| m.id == measure_id)?;
    let results = row
        .cells
        .iter()
        .map(|cell| {
            let result = year.result(measure_id, &cell.division);
            let decision = year.review.decisions.get(&review_key(measure_id, &cell.division));
            let evidence = result
                .map(|r| {
                    ordered(&r.evidence, |e| &e.pos)
                        .into_iter()
                        .map(|(id, e)| EvidenceView {
                            id: id.clone(),
                            sha256: e.sha256.clone(),
                            file_name: e.file_name.clone(),
                            media_type: e.media_type.clone(),
                            size: e.size,
                            url: e.url.clone(),
                            caption: e.caption.clone(),
                            added_by: e.added_by.clone(),
                            added_at: e.added_at,
                        })
                        .collect()
                })
                .unwrap_or_default();
            ResultDetail {
                division: cell.division.clone(),
                division_name: year.division_name(&cell.division),
                status: cell.status.clone(),
                text: cell.text.clone(),
                percent: cell.percent,
                evidence,
                updated_by: cell.updated_by.clone(),
                updated_at: cell.updated_at,
                submitted_by: result.and_then(|r| r.submission.as_ref()).map(|s| s.by.clone()),
                submitted_at: result.and_then(|r| r.submission.as_ref()).map(|s| s.at),
                review: review_state(result, decision),
                review_comment: decision.map(|d| d.comment.clone()).filter(|c| !c.trim().is_empty()),
                reviewed_by: decision.map(|d| d.by.clone()),
                reviewed_at: decision.map(|d| d.at),
                late: cell.late,
                content_hash: result.map(result_content_hash).unwrap_or_default(),
                carried_from: cell.carried_from.clone(),
            }
        })
        .collect();
    let conflicts = year.all_conflicts().filter(|c| c.measure.as_deref() == Some(measure_id)).cloned().collect();
    let divisions = year
        .divisions()
        .into_iter()
        .filter(|(id, d)| !d.retired || row.responsible.contains(*id))
        .map(|(id, d)| (id.clone(), d.name.clone()))
        .collect();
    Some(MeasureDetail { row, results, conflicts, divisions })
}
