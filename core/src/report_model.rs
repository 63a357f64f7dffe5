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

/// Which document of a track a report model is: its plan (O42 in 2565: the measures, signed and
/// published before the work) or its report (the year's last round, today's memo).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Plan,
    #[default]
    Report,
}

impl Part {
    /// The name URLs (`?round=`) and the command line (`--round`) use.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Plan => "plan",
            Part::Report => "report",
        }
    }

    /// A `round` as a URL or the command line gives it: absent, `report` or the id of the
    /// track's last round is the report; `plan` is the plan. `None` for anything else.
    pub fn parse(round: Option<&str>, items: Option<&crate::ita::ResolvedTrack>) -> Option<Part> {
        match round.map(str::trim) {
            None | Some("") | Some("report") => Some(Part::Report),
            Some("plan") => Some(Part::Plan),
            Some(id) if items.and_then(|t| t.rounds.last()).is_some_and(|r| r.round == id) => Some(Part::Report),
            Some(_) => None,
        }
    }
}

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
    /// The track, for another track than the integrity measures (empty for those, so their
    /// content, and what was signed, hashes as before tracks).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub track: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub track_title: String,
    /// The report round it reports ("รอบ ๖ เดือน"), for a track's report.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub round_title: String,
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
    /// งบประมาณ in satang, where the track's plan has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<i64>,
    /// ตัวชี้วัด, where the track's plan has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub indicator: String,
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
    /// Whether this is the plan or the report.
    #[serde(default)]
    pub part: Part,
}

/// A track round's result for one project: each responsible division's text in the round (the
/// division named first when there are several), one paragraph each.
fn round_result(year: &AgencyYear, measure: &str, divisions: &[String]) -> String {
    let texts: Vec<(String, String)> = divisions
        .iter()
        .filter_map(|d| {
            let text = year.result(measure, d)?.text.as_str().trim().to_string();
            (!text.is_empty()).then(|| (year.division_name(d), text))
        })
        .collect();
    match texts.as_slice() {
        [(_, only)] => only.clone(),
        many => many.iter().map(|(name, text)| format!("{name}: {text}")).collect::<Vec<_>>().join("\n"),
    }
}

impl ReportContent {
    /// Builds the report content from an agency-year's documents.
    pub fn build(year: &AgencyYear) -> ReportContent {
        let dir = &year.directory;
        let memo = &year.memo;
        let fiscal_year = year.fiscal_year();
        let criteria = year.criteria();
        let report_item = year.track_items().and_then(|t| t.report().cloned());
        let measures = year
            .measures()
            .into_iter()
            .enumerate()
            .map(|(index, (id, m))| {
                let division_ids = year.responsible(m);
                let result = if year.slot.is_integrity() || !m.published_result.as_str().trim().is_empty() {
                    // The integrity measures' result, or the coordinator's for a track's round.
                    m.published_result.as_str().to_string()
                } else {
                    // A track's round reports what each responsible division reported in it.
                    round_result(year, id, &division_ids)
                };
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
                    result,
                    suggestion: m.suggestion.as_str().to_string(),
                    budget: m.budget,
                    indicator: m.indicator.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(),
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
            track: year.slot.track.clone().unwrap_or_default(),
            track_title: year
                .slot
                .track
                .as_ref()
                .and_then(|t| dir.tracks.get(t))
                .map(|t| t.title.clone())
                .unwrap_or_default(),
            round_title: match (&year.slot.track, &year.slot.round) {
                (Some(t), Some(r)) => {
                    dir.tracks.get(t).and_then(|t| t.rounds.get(r)).map(|r| r.title.clone()).unwrap_or_default()
                }
                _ => String::new(),
            },
        }
    }

    /// The plan's content: what the plan prints (the agency, the year, the measures with their
    /// methods, divisions and quarters, the plan item, the chain), and nothing of the results or
    /// the memo, so reporting results never unsigns the plan.
    pub fn build_plan(year: &AgencyYear) -> ReportContent {
        let full = ReportContent::build(year);
        let plan_item = year.track_items().and_then(|t| t.plan);
        ReportContent {
            agency_id: full.agency_id,
            agency_name: full.agency_name,
            agency_short_name: full.agency_short_name,
            district: full.district,
            province: full.province,
            year: full.year,
            item: plan_item.map(|i| ItemBlock { code: i.code, title: i.title, elements: i.elements }),
            measures: full
                .measures
                .into_iter()
                .map(|m| ReportMeasure { result: String::new(), suggestion: String::new(), ..m })
                .collect(),
            approval_steps: full.approval_steps,
            glossary: full.glossary,
            track: full.track,
            track_title: full.track_title,
            ..ReportContent::default()
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
    /// The report (the memo with its results), as every caller before plans had their own chain.
    pub fn build(year: &AgencyYear) -> Report {
        Report::build_part(year, Part::Report)
    }

    /// The plan or the report, each with its own content and its own chain's signatures.
    pub fn build_part(year: &AgencyYear, part: Part) -> Report {
        let (content, signed) = match part {
            Part::Report => (ReportContent::build(year), &year.approvals.signatures),
            Part::Plan => (ReportContent::build_plan(year), &year.approvals.plan.signatures),
        };
        let content_hash = content.hash();
        let signatures = content
            .approval_steps
            .iter()
            .map(|block| {
                signed.get(&block.step).map(|s| PrintedSignature {
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
        Report { content, content_hash, signatures, items: year.track_items(), part }
    }

    /// The item this part answers: the plan item for the plan, the report item for the report.
    pub fn item(&self) -> Option<&crate::ita::ResolvedItem> {
        self.items.as_ref()?.item(self.part)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Signature;
    use crate::sample::pakchong_2565;

    fn sample() -> AgencyYear {
        pakchong_2565().typed_documents(0).expect("the sample").into_agency_year()
    }

    fn signed(hash: &str) -> Signature {
        Signature { decision: SignatureDecision::Approved, report_hash: hash.into(), ..Signature::default() }
    }

    #[test]
    fn the_plan_signs_its_own_content_so_reporting_results_never_unsigns_it() {
        let mut year = sample();
        let plan = Report::build_part(&year, Part::Plan);
        let report = Report::build(&year);
        assert_ne!(plan.content_hash, report.content_hash, "two documents");
        assert_eq!(plan.item().map(|i| &i.code), report.plan_item().map(|i| &i.code), "the plan answers the plan item");
        assert!(plan.content.measures.iter().all(|m| m.result.is_empty() && m.suggestion.is_empty()));
        assert!(plan.content.subject.is_empty(), "no memo in the plan");
        for (id, _) in year.approval_steps().into_iter().map(|(id, s)| (id.clone(), s.clone())).collect::<Vec<_>>() {
            year.approvals.plan.signatures.insert(id, signed(&plan.content_hash));
        }
        assert!(Report::build_part(&year, Part::Plan).fully_approved());
        assert!(!Report::build(&year).fully_approved(), "the report's chain is its own");

        // A result reported: the report changes, the plan does not.
        let id = year.measures()[0].0.clone();
        let measure = year.plan.measures.get_mut(&id).expect("a measure");
        measure.published_result = "ดำเนินการแล้วเสร็จทุกไตรมาส".into();
        assert_ne!(Report::build(&year).content_hash, report.content_hash);
        assert!(Report::build_part(&year, Part::Plan).fully_approved(), "the plan stays signed");
        // The plan itself changed: its chain starts again.
        year.plan.measures.get_mut(&id).expect("a measure").title = "มาตรการที่แก้ไขแล้ว".into();
        assert!(!Report::build_part(&year, Part::Plan).fully_approved());
    }

    #[test]
    fn a_round_names_the_plan_or_the_report() {
        let items = sample().track_items();
        let last = items.as_ref().and_then(|t| t.rounds.last()).map(|r| r.round.clone()).expect("a round");
        assert_eq!(Part::parse(None, items.as_ref()), Some(Part::Report));
        assert_eq!(Part::parse(Some("plan"), items.as_ref()), Some(Part::Plan));
        assert_eq!(Part::parse(Some(&last), items.as_ref()), Some(Part::Report), "the year's last round");
        assert_eq!(Part::parse(Some("monthly"), items.as_ref()), None);
    }
}
