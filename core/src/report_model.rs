//! The O43 report as data: everything the memo and its table print, resolved from the documents
//! (numbers, division names, schedule labels, the assessment item's required elements).
//!
//! The report crate renders this into PDF, DOCX, HTML and XLSX. Approvers sign its content hash:
//! the server computes [`Report::content_hash`] at signing, and a step is out of date when the
//! content no longer hashes the same.

use crate::agency_year::{AgencyYear, ordered};
use crate::calendar::Date;
use crate::hash::sha256_hex;
use crate::model::SignatureDecision;
use crate::thai;

/// What a step signed in the system prints where the pen would sign.
pub const SIGNED_IN_SYSTEM: &str = "ลงชื่อ ลงนามในระบบ";

/// What is printed, without signatures. Its JSON is what [`Report::content_hash`] covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportContent {
    pub agency_id: String,
    pub agency_name: String,
    pub agency_short_name: String,
    pub district: String,
    pub province: String,
    /// Fiscal year, BE.
    pub year: i64,
    pub department: String,
    /// ที่, as stored (Arabic digits); renderers convert digits.
    pub reference: String,
    pub date: Option<Date>,
    pub subject: String,
    pub addressee: String,
    pub background: String,
    pub previous_score: Option<PreviousScore>,
    pub facts: String,
    pub report_title: String,
    pub report_intro: String,
    /// The assessment item this report answers (the integrity track's report item of the
    /// assessment year that covers this fiscal year), from the year's criteria.
    pub item: Option<ItemBlock>,
    pub table_lead: String,
    pub measures: Vec<ReportMeasure>,
    pub proposals_intro: String,
    pub proposals: Vec<String>,
    pub closing: String,
    pub drafter_name: String,
    pub drafter_position: String,
    /// The approval chain's blocks (heading, name, position), in order.
    pub approval_steps: Vec<ApprovalBlock>,
    /// Words a renderer must not break across lines.
    pub glossary: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PreviousScore {
    pub year: i64,
    pub score_hundredths: i64,
    pub band: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemBlock {
    pub code: String,
    pub title: String,
    pub elements: Vec<String>,
}

/// One row of the six-column table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportMeasure {
    pub id: String,
    /// 1-based, the plan's order.
    pub number: usize,
    pub title: String,
    pub methods: Vec<String>,
    /// Division ids and names, numbered in this order in the table.
    pub division_ids: Vec<String>,
    pub divisions: Vec<String>,
    /// "1-4"
    pub schedule: String,
    /// "ไตรมาสที่ ๑ - ๔"
    pub schedule_label: String,
    pub result: String,
    pub suggestion: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApprovalBlock {
    pub step: String,
    pub title: String,
    pub name: String,
    pub position: String,
}

/// A signature as printed under its block.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrintedSignature {
    pub step: String,
    pub decision: SignatureDecision,
    pub comment: String,
    pub name: String,
    pub position: String,
    pub date: Option<Date>,
    /// False when the content changed after this signature.
    pub up_to_date: bool,
}

/// One approval step as it prints ([`Report::steps_as_printed`]).
#[derive(Clone, Copy, Debug)]
pub struct StepAsPrinted<'a> {
    pub block: &'a ApprovalBlock,
    /// The signature that covers the current content; `None` prints the step unsigned.
    pub signed: Option<&'a PrintedSignature>,
    pub name: &'a str,
    pub position: &'a str,
}

/// The report with its signatures.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub content: ReportContent,
    pub content_hash: String,
    /// One entry per approval step, in order; `None` where the step is not signed.
    pub signatures: Vec<Option<PrintedSignature>>,
    /// The items the report and its plan go under, resolved from the year's criteria (outside
    /// the signed content: the same work keeps its signatures when only a heading's source
    /// changes).
    #[serde(default)]
    pub items: Option<crate::ita::ResolvedTrack>,
}

impl ReportContent {
    /// Builds the report content from an agency-year's documents.
    pub fn build(year: &AgencyYear) -> ReportContent {
        let dir = &year.directory;
        let memo = &year.memo;
        let fiscal_year = year.fiscal_year();
        let criteria = year.criteria();
        let report_item = year.integrity_items().and_then(|t| t.report().cloned());
        let measures = year
            .measures()
            .into_iter()
            .enumerate()
            .map(|(index, (id, m))| {
                let division_ids = year.responsible(m);
                ReportMeasure {
                    id: id.clone(),
                    number: index + 1,
                    title: m.title.as_str().to_string(),
                    methods: ordered(&m.methods, |x| &x.pos)
                        .into_iter()
                        .map(|(_, x)| x.text.as_str().to_string())
                        .collect(),
                    divisions: division_ids.iter().map(|d| year.division_name(d)).collect(),
                    division_ids,
                    schedule: m.schedule.to_code(),
                    schedule_label: if m.schedule.is_empty() {
                        String::new()
                    } else {
                        thai::schedule_label(&m.schedule)
                    },
                    result: m.published_result.as_str().to_string(),
                    suggestion: m.suggestion.as_str().to_string(),
                }
            })
            .collect();
        ReportContent {
            agency_id: dir.agency.id.clone(),
            agency_name: dir.agency.name.clone(),
            agency_short_name: dir.agency.short_name.clone(),
            district: dir.agency.district.clone(),
            province: dir.agency.province.clone(),
            year: fiscal_year,
            department: memo.department.as_str().to_string(),
            reference: memo.reference.clone(),
            date: memo.date.as_deref().and_then(|d| d.parse().ok()),
            subject: memo.subject.as_str().to_string(),
            addressee: memo.addressee.as_str().to_string(),
            background: memo.background.as_str().to_string(),
            previous_score: memo.previous_assessment.as_ref().map(|p| PreviousScore {
                year: p.year,
                score_hundredths: p.score_hundredths,
                // The band under the rules of the year the score was given in.
                band: criteria
                    .sheet(p.year, year.form())
                    .and_then(|(r, _)| r.band(u32::try_from(p.score_hundredths).unwrap_or(0)))
                    .map(str::to_string),
            }),
            facts: memo.facts.as_str().to_string(),
            report_title: memo.report_title.as_str().to_string(),
            report_intro: memo.report_intro.as_str().to_string(),
            item: report_item.map(|i| ItemBlock { code: i.code, title: i.title, elements: i.elements }),
            table_lead: memo.table_lead.as_str().to_string(),
            measures,
            proposals_intro: memo.proposals_intro.as_str().to_string(),
            proposals: ordered(&memo.proposals, |p| &p.pos)
                .into_iter()
                .map(|(_, p)| p.text.as_str().to_string())
                .collect(),
            closing: memo.closing.as_str().to_string(),
            drafter_name: memo.drafter_name.clone(),
            drafter_position: memo.drafter_position.clone(),
            approval_steps: year
                .approval_steps()
                .into_iter()
                .map(|(id, s)| ApprovalBlock {
                    step: id.clone(),
                    title: s.title.clone(),
                    name: s.name.clone(),
                    position: s.position.clone(),
                })
                .collect(),
            glossary: dir.agency.letterhead.glossary.clone(),
        }
    }

    /// Hex SHA-256 of the content's JSON: what approvers sign.
    pub fn hash(&self) -> String {
        sha256_hex(serde_json::to_string(self).expect("report content is plain data").as_bytes())
    }
}

/// The memo for its editor and readers: the report as it prints, plus what editing needs that the
/// printout does not carry (the proposals' ids, the previous assessment as stored).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoView {
    pub report: Report,
    /// The ids of `report.content.proposals`, in the same order.
    pub proposal_ids: Vec<String>,
    /// True when every step is signed "approved" on the current content.
    pub fully_approved: bool,
}

impl MemoView {
    pub fn build(year: &AgencyYear) -> MemoView {
        let report = Report::build(year);
        MemoView {
            proposal_ids: ordered(&year.memo.proposals, |p| &p.pos).into_iter().map(|(id, _)| id.clone()).collect(),
            fully_approved: report.fully_approved(),
            report,
        }
    }
}

impl Report {
    pub fn build(year: &AgencyYear) -> Report {
        let content = ReportContent::build(year);
        let content_hash = content.hash();
        let signatures = content
            .approval_steps
            .iter()
            .map(|block| {
                year.approvals.signatures.get(&block.step).map(|s| PrintedSignature {
                    step: block.step.clone(),
                    decision: s.decision.clone(),
                    comment: s.comment.clone(),
                    name: s.name.clone(),
                    position: s.position.clone(),
                    date: s.date.parse().ok(),
                    up_to_date: s.report_hash == content_hash,
                })
            })
            .collect();
        Report { content, content_hash, signatures, items: year.integrity_items() }
    }

    /// The item the plan goes under ("the measures" item), with its heading.
    pub fn plan_item(&self) -> Option<&crate::ita::ResolvedItem> {
        self.items.as_ref()?.plan.as_ref()
    }

    /// The item the report goes under.
    pub fn report_item(&self) -> Option<&crate::ita::ResolvedItem> {
        self.items.as_ref()?.report()
    }

    /// Each step's block as it prints: a signature counts only while it covers the current
    /// content, and prints its signer's name and position (the block's own where it has none).
    pub fn steps_as_printed(&self) -> Vec<StepAsPrinted<'_>> {
        self.content
            .approval_steps
            .iter()
            .zip(self.signatures.iter().chain(std::iter::repeat(&None)))
            .map(|(block, signature)| {
                let signed = signature.as_ref().filter(|s| s.up_to_date);
                StepAsPrinted {
                    block,
                    signed,
                    name: signed.map(|s| s.name.as_str()).filter(|n| !n.is_empty()).unwrap_or(&block.name),
                    position: signed.map(|s| s.position.as_str()).filter(|p| !p.is_empty()).unwrap_or(&block.position),
                }
            })
            .collect()
    }

    /// True when every step is signed "approved" on the current content.
    pub fn fully_approved(&self) -> bool {
        !self.signatures.is_empty()
            && self
                .signatures
                .iter()
                .all(|s| s.as_ref().is_some_and(|s| s.up_to_date && s.decision == SignatureDecision::Approved))
    }
}
