//! The report as it prints: every text final (Thai digits, BE dates, numbering), shared by every
//! renderer so the PDF, DOCX and HTML say exactly the same thing.

use prongsai_core::model::SignatureDecision;
use prongsai_core::report_model::Report;
use prongsai_core::thai::{self, Digits, MonthStyle};
use prongsai_core::verification;

/// Which document: the report memo (results, signatures) or the plan (measures and the plan's
/// own signatures). Which items they answer comes from the year's criteria.
pub use prongsai_core::report_model::Part as Kind;

/// The column headings of a track's project table (its plan; its report adds the result).
pub const PROJECT_COLUMNS: [&str; 7] =
    ["โครงการ/กิจกรรม", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน", "งบประมาณ (บาท)", "ตัวชี้วัด", "ผลการดำเนินงาน"];

/// The column headings of the measure table, as the seed prints them.
pub const REPORT_COLUMNS: [&str; 6] =
    ["มาตรการ/แนวทาง", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน", "ผลการดำเนินงาน", "ข้อเสนอ"];

#[derive(Clone, Debug, serde::Serialize)]
pub struct Printed {
    pub kind: Kind,
    /// A track's projects (with budget and indicator columns) rather than the integrity measures.
    pub projects: bool,
    /// "ร่าง" marks: not every approval step has signed the current content.
    pub draft: bool,
    /// The memo's header and body before the table: every report's (the integrity measures' and each
    /// track round's); a plan has none.
    pub memo: Option<MemoHead>,
    /// The report heading, one entry per line.
    pub title: Vec<String>,
    pub intro: Vec<String>,
    pub item: Option<ItemPrint>,
    pub table_lead: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// The memo's proposals and closing, and the signatures (the plan's: its chain only).
    pub tail: Option<MemoTail>,
    /// Terms never broken across lines.
    pub glossary: Vec<String>,
    /// The verification code and address, printed under the signatures once every step has
    /// approved the current content.
    pub verification: Option<VerificationPrint>,
}

/// Where a reader checks a signed report: its code and the address of its verification page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VerificationPrint {
    /// "รหัสตรวจสอบเอกสาร 7K3M-Q9XA-2PTR-HW0D"
    pub code_line: String,
    /// "ตรวจสอบได้ที่ https://…/verify/7K3MQ9XA2PTRHW0D", or "" when the server's address is not known.
    pub address_line: String,
    /// The address alone, for a link.
    pub address: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct MemoHead {
    pub department: String,
    /// ที่
    pub reference: String,
    /// วันที่, "" when the memo has no date yet.
    pub date: String,
    pub subject: String,
    pub addressee: String,
    pub background: Vec<String>,
    pub facts: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ItemPrint {
    /// "O43 การดำเนินการตามมาตรการ…"
    pub heading: String,
    pub elements: Vec<String>,
}

/// One measure: one cell per column, each cell a list of lines.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub cells: Vec<Vec<String>>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct MemoTail {
    /// "ข้อเสนอเพื่อพิจารณา" in the memo; "" in the plan, which has no proposals, and in a track
    /// round's memo that proposes nothing.
    pub proposals_heading: String,
    pub proposals_intro: Vec<String>,
    /// "๑. แจ้งเวียน…"
    pub proposals: Vec<String>,
    pub closing: Vec<String>,
    /// Who drafted the memo; the plan names none.
    pub drafter: Option<Signer>,
    pub approvals: Vec<ApprovalPrint>,
    /// [`COMMENT_LINE`], for the template.
    pub comment_line: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Signer {
    /// "(นางสาวกรรณิการ์ รวยบุญส่ง)"
    pub name: String,
    pub position: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ApprovalPrint {
    pub title: String,
    /// "- เห็นชอบ" or the approver's comment; "" while unsigned.
    pub comment: String,
    pub signed: bool,
    /// [`SIGN_LINE`] while unsigned, [`SIGNED_IN_SYSTEM`] once signed in the system.
    pub sign_line: String,
    pub signer: Signer,
    /// "๒๑ มีนาคม ๒๕๖๕", "" while unsigned.
    pub date: String,
}

/// What every page of a report not yet signed by every step says at its top right.
pub const DRAFT_MARK: &str = "ฉบับร่าง (ยังลงนามไม่ครบ)";

/// The dotted line an approver's comment goes on while the step is unsigned.
pub const COMMENT_LINE: &str = "....................................................................";

/// "ลงชื่อ" and the dotted line the signature goes on.
pub const SIGN_LINE: &str = "ลงชื่อ.............................................";

pub use prongsai_core::report_model::SIGNED_IN_SYSTEM;

/// The verification page's path under the server's address.
pub fn verification_path(code: &str) -> String {
    format!("/verify/{code}")
}

/// Official text: Thai digits (codes such as O43 and addresses keep theirs).
pub fn official(text: &str) -> String {
    thai::to_official_digits(text)
}

/// Paragraphs of a multi-line text, empty ones dropped.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(official).collect()
}

fn number(n: usize) -> String {
    thai::to_thai_digits(&n.to_string())
}

impl Printed {
    pub fn new(report: &Report) -> Printed {
        let kind = report.part;
        let c = &report.content;
        let projects = !c.track.is_empty();
        let columns = match (kind, projects) {
            (Kind::Report, false) => REPORT_COLUMNS.iter().map(|s| s.to_string()).collect(),
            (Kind::Plan, false) => REPORT_COLUMNS[..4].iter().map(|s| s.to_string()).collect(),
            (Kind::Report, true) => PROJECT_COLUMNS.iter().map(|s| s.to_string()).collect(),
            (Kind::Plan, true) => PROJECT_COLUMNS[..6].iter().map(|s| s.to_string()).collect(),
        };
        let rows = c
            .measures
            .iter()
            .map(|m| {
                let title = format!("{}.{}", number(m.number), official(&m.title));
                let mut cells = vec![
                    vec![title],
                    m.methods.iter().map(|x| format!("- {}", official(x))).collect(),
                    m.divisions.iter().enumerate().map(|(i, d)| format!("{}.{}", number(i + 1), official(d))).collect(),
                    // "ไตรมาสที่ ๑ - ๔": the range stays on one line.
                    vec![m.schedule_label.replace(" - ", "\u{a0}-\u{a0}")],
                ];
                if projects {
                    cells.push(m.budget.map(|b| vec![thai::format_baht(b, Digits::Thai)]).unwrap_or_default());
                    cells.push(paragraphs(&m.indicator));
                }
                if kind == Kind::Report {
                    cells.push(paragraphs(&m.result));
                    if !projects {
                        cells.push(paragraphs(&m.suggestion));
                    }
                }
                Row { cells }
            })
            .collect();
        let year = number(usize::try_from(c.year).unwrap_or(0));
        let item = report.item().map(|i| ItemPrint {
            heading: format!("{} {}", i.code, official(&i.title)),
            elements: i.elements.iter().map(|e| format!("-{}", official(e))).collect(),
        });
        // A report (the integrity measures' or a track round's) is carried by its memo.
        let memo = (kind == Kind::Report).then(|| MemoHead {
            department: official(&c.department),
            reference: official(&c.reference),
            date: c.date.map(thai::format_date_official).unwrap_or_default(),
            subject: official(&c.subject),
            addressee: official(&c.addressee),
            background: paragraphs(&c.background),
            facts: paragraphs(&c.facts),
        });
        let (title, intro, table_lead) = match kind {
            Kind::Report => (paragraphs(&c.report_title), paragraphs(&c.report_intro), paragraphs(&c.table_lead)),
            Kind::Plan if projects => (
                vec![official(&c.track_title), format!("{} ประจำปีงบประมาณ พ.ศ. {year}", official(&c.agency_name))],
                vec![format!(
                    "{} ได้จัดทำ{} ประจำปีงบประมาณ พ.ศ. {year} โดยมีโครงการ/กิจกรรม งบประมาณ และตัวชี้วัด ดังนี้",
                    official(&c.agency_name),
                    official(&c.track_title)
                )],
                Vec::new(),
            ),
            Kind::Plan => (
                vec![
                    "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน".to_string(),
                    format!("{} ประจำปีงบประมาณ พ.ศ. {year}", official(&c.agency_name)),
                ],
                vec![format!(
                    "{} ได้วิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ \
                     และกำหนดมาตรการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {year} ดังนี้",
                    official(&c.agency_name)
                )],
                Vec::new(),
            ),
        };
        let memo_tail = kind == Kind::Report;
        // A track round's memo may propose nothing; the integrity measures' always has the heading.
        let proposes = !projects || !c.proposals.is_empty() || !c.proposals_intro.trim().is_empty();
        let tail = Some(MemoTail {
            proposals_heading: if memo_tail && proposes {
                "ข้อเสนอเพื่อพิจารณา".to_string()
            } else {
                String::new()
            },
            proposals_intro: paragraphs(&c.proposals_intro),
            proposals: c
                .proposals
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}. {}", number(i + 1), official(p)))
                .collect(),
            closing: paragraphs(&c.closing),
            drafter: memo_tail
                .then(|| Signer { name: format!("({})", c.drafter_name), position: official(&c.drafter_position) }),
            comment_line: COMMENT_LINE.to_string(),
            approvals: report
                .steps_as_printed()
                .into_iter()
                .map(|step| {
                    // A signature on earlier content does not count: the step prints unsigned.
                    let current = step.signed;
                    let comment = current.map(|s| {
                        let said = official(s.comment.trim());
                        match (&s.decision, said.is_empty()) {
                            (SignatureDecision::Approved, true) => "- เห็นชอบ".to_string(),
                            (SignatureDecision::Returned, true) => "- ส่งกลับแก้ไข".to_string(),
                            (SignatureDecision::Returned, false) => format!("- ส่งกลับแก้ไข {said}"),
                            (_, _) => format!("- {said}"),
                        }
                    });
                    let (block, name, position) = (step.block, step.name, step.position);
                    ApprovalPrint {
                        title: official(&block.title),
                        comment: comment.unwrap_or_default(),
                        signed: current.is_some(),
                        sign_line: if current.is_some() { SIGNED_IN_SYSTEM } else { SIGN_LINE }.to_string(),
                        signer: Signer { name: format!("({name})"), position: official(position) },
                        date: current
                            .and_then(|s| s.date)
                            .map(|d| thai::format_date(d, MonthStyle::Full, Digits::Thai))
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        });
        Printed {
            kind,
            projects,
            draft: !report.fully_approved(),
            memo,
            title,
            intro,
            item,
            table_lead,
            columns,
            rows,
            tail,
            glossary: glossary(&c.glossary),
            verification: None,
        }
    }

    /// Adds the verification code (and the address under `base`, the server's public address)
    /// when every step has approved this report or plan.
    pub fn verified_at(mut self, report: &Report, base: Option<&str>) -> Printed {
        if !report.fully_approved() {
            return self;
        }
        let code = verification::code(report);
        let address =
            base.map(|b| format!("{}{}", b.trim_end_matches('/'), verification_path(&code))).unwrap_or_default();
        self.verification = Some(VerificationPrint {
            code_line: format!("รหัสตรวจสอบเอกสาร {}", verification::grouped(&code)),
            address_line: if address.is_empty() {
                String::new()
            } else {
                format!("ตรวจสอบได้ที่ {address}")
            },
            address,
        });
        self
    }
}

/// Words that are never broken, whatever the agency's glossary says: compounds the line breaker
/// splits wrongly (measured: ผู้รับผิด|ชอบ) and that every O43 report uses.
pub const COMMON_TERMS: [&str; 8] =
    ["ผู้รับผิดชอบ", "ปีงบประมาณ", "ประชาสัมพันธ์", "เว็บไซต์", "ผู้บริหาร", "ความโปร่งใส", "ไตรมาสที่", "มาตรการ"];

/// The agency's glossary plus the common terms, in Thai digits, longest first (so the longest
/// match wins), without duplicates or blanks.
fn glossary(agency_terms: &[String]) -> Vec<String> {
    let mut terms: Vec<String> = agency_terms
        .iter()
        .map(|t| official(t.trim()))
        .chain(COMMON_TERMS.iter().map(|t| t.to_string()))
        .filter(|t| !t.is_empty())
        .collect();
    terms.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then_with(|| a.cmp(b)));
    terms.dedup();
    terms
}

/// A text cut into runs, each either free to break or to be kept whole (a glossary term).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub t: String,
    /// Keep on one line.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub k: bool,
}

/// Splits `text` at the glossary terms `keep` allows (longest match first, left to right).
pub fn runs(text: &str, glossary: &[String], keep: impl Fn(&str) -> bool) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut free = String::new();
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for term in glossary {
            if rest.starts_with(term.as_str()) && keep(term) {
                if !free.is_empty() {
                    out.push(Run { t: std::mem::take(&mut free), k: false });
                }
                out.push(Run { t: term.clone(), k: true });
                rest = &rest[term.len()..];
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            free.push(c);
        }
        rest = chars.as_str();
    }
    if !free.is_empty() {
        out.push(Run { t: free, k: false });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glossary_terms_become_kept_runs_longest_first() {
        let g = glossary(&["อบต.".into(), "อบต.ปากช่อง".into(), "ปากช่อง".into()]);
        let r = runs("ติดต่อ อบต.ปากช่อง และปากช่อง", &g, |_| true);
        let kept: Vec<&str> = r.iter().filter(|r| r.k).map(|r| r.t.as_str()).collect();
        assert_eq!(kept, ["อบต.ปากช่อง", "ปากช่อง"]);
        assert_eq!(r.iter().map(|r| r.t.as_str()).collect::<String>(), "ติดต่อ อบต.ปากช่อง และปากช่อง");
        // A term the caller refuses (too wide for its cell) stays free text.
        let r = runs("อบต.ปากช่อง", &g, |t| t != "อบต.ปากช่อง");
        assert_eq!(r.iter().filter(|r| r.k).map(|r| r.t.as_str()).collect::<Vec<_>>(), ["อบต.", "ปากช่อง"]);
    }
}
