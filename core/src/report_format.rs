//! The report formats Prongsai writes: their names (command line, URLs), file names and media
//! types, and how the reports page names them. The report crate renders them; the frontend,
//! which cannot link the renderer, offers exactly this list.

use crate::ita::{ResolvedItem, ResolvedTrack};

/// What can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// The report memo (the integrity track's report item) with its table and signatures.
    Pdf,
    Docx,
    Html,
    /// The measure table, one row per measure, one column group per division's result.
    Xlsx,
    /// The plan (the measures without results), under the track's plan item.
    PlanPdf,
    PlanDocx,
    /// The plan as a web page (what is published at the plan item's address).
    PlanHtml,
    /// ITAS answers: CSV (UTF-8 with BOM) and XLSX.
    Itas,
    ItasXlsx,
    /// The plan in the import template.
    PlanXlsx,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 10] = [
        ReportFormat::Pdf,
        ReportFormat::Docx,
        ReportFormat::Html,
        ReportFormat::Xlsx,
        ReportFormat::PlanPdf,
        ReportFormat::PlanDocx,
        ReportFormat::PlanHtml,
        ReportFormat::Itas,
        ReportFormat::ItasXlsx,
        ReportFormat::PlanXlsx,
    ];

    /// The name used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Docx => "docx",
            ReportFormat::Html => "html",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::PlanPdf => "plan-pdf",
            ReportFormat::PlanDocx => "plan-docx",
            ReportFormat::PlanHtml => "plan-html",
            ReportFormat::Itas => "itas",
            ReportFormat::ItasXlsx => "itas-xlsx",
            ReportFormat::PlanXlsx => "plan-xlsx",
        }
    }

    pub fn parse(name: &str) -> Option<ReportFormat> {
        ReportFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// A name as an agency-year knows it: also the plan's item code in place of `plan`
    /// ("<code>-pdf"), the name these formats had when the plan item had one code.
    pub fn parse_for(name: &str, items: Option<&ResolvedTrack>) -> Option<ReportFormat> {
        ReportFormat::parse(name).or_else(|| {
            let plan = items?.plan.as_ref()?.slug();
            let rest = name.strip_prefix(plan.as_str())?.strip_prefix('-')?;
            ReportFormat::parse(&format!("plan-{rest}"))
        })
    }

    /// The same kind of file of `part`: `pdf` of the plan is `plan-pdf` (what `?round=plan`
    /// asks for). Formats that are not a printed report or plan stay what they are.
    pub fn of_part(self, part: crate::report_model::Part) -> ReportFormat {
        use crate::report_model::Part;
        match (self, part) {
            (ReportFormat::Pdf, Part::Plan) => ReportFormat::PlanPdf,
            (ReportFormat::Docx, Part::Plan) => ReportFormat::PlanDocx,
            (ReportFormat::Html, Part::Plan) => ReportFormat::PlanHtml,
            (ReportFormat::PlanPdf, Part::Report) => ReportFormat::Pdf,
            (ReportFormat::PlanDocx, Part::Report) => ReportFormat::Docx,
            (ReportFormat::PlanHtml, Part::Report) => ReportFormat::Html,
            (other, _) => other,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Pdf | ReportFormat::PlanPdf => "pdf",
            ReportFormat::Docx | ReportFormat::PlanDocx => "docx",
            ReportFormat::Html | ReportFormat::PlanHtml => "html",
            ReportFormat::Itas => "csv",
            ReportFormat::Xlsx | ReportFormat::ItasXlsx | ReportFormat::PlanXlsx => "xlsx",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self.extension() {
            "pdf" => "application/pdf",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "html" => "text/html; charset=utf-8",
            "csv" => "text/csv; charset=utf-8",
            _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// What the format is, in Thai and in English, for the page that offers it; item codes from
    /// the year's criteria.
    pub fn label(self, items: Option<&ResolvedTrack>) -> (String, String) {
        let report = items.and_then(|t| t.report()).map(|i| format!(" {}", i.code)).unwrap_or_default();
        let plan = items.and_then(|t| t.plan.as_ref()).map(|i| format!(" {}", i.code)).unwrap_or_default();
        // Another track's report prints its projects without the integrity memo; its plan is named
        // by the track ("แผนปฏิบัติการป้องกันการทุจริต O39").
        let other = items.filter(|t| t.id != crate::ita::INTEGRITY_TRACK);
        let (memo_th, memo_en) = if other.is_some() {
            ("รายงาน", "Report")
        } else {
            ("บันทึกข้อความรายงานผล", "Report memo")
        };
        let (plan_th, plan_en) = match other {
            Some(t) => (t.title.clone(), "Plan".to_string()),
            None => ("มาตรการส่งเสริมคุณธรรมฯ".to_string(), "Measures".to_string()),
        };
        let (th, en) = match self {
            ReportFormat::Pdf => (format!("{memo_th}{report} (PDF)"), format!("{memo_en}{report} (PDF)")),
            ReportFormat::Docx => {
                (format!("{memo_th}{report} (Word แก้ไขได้)"), format!("{memo_en}{report} (editable Word)"))
            }
            ReportFormat::Html => {
                (format!("รายงาน{report} หน้าเว็บ (HTML สำหรับเว็บไซต์หน่วยงาน)"), format!("Report{report} web page (HTML)"))
            }
            ReportFormat::Xlsx => ("ตารางผลการดำเนินงานรายหน่วยงาน (Excel)".into(), "Results by division (Excel)".into()),
            ReportFormat::PlanPdf => (format!("{plan_th}{plan} (PDF)"), format!("{plan_en}{plan} (PDF)")),
            ReportFormat::PlanDocx => (format!("{plan_th}{plan} (Word)"), format!("{plan_en}{plan} (Word)")),
            ReportFormat::PlanHtml => {
                (format!("{plan_th}{plan} หน้าเว็บ (HTML)"), format!("{plan_en}{plan} web page (HTML)"))
            }
            ReportFormat::Itas => ("คำตอบสำหรับระบบ ITAS (CSV)".into(), "Answers for ITAS (CSV)".into()),
            ReportFormat::ItasXlsx => ("คำตอบสำหรับระบบ ITAS (Excel)".into(), "Answers for ITAS (Excel)".into()),
            ReportFormat::PlanXlsx => {
                ("แผนมาตรการในแบบฟอร์มนำเข้า (Excel)".into(), "The plan as an import template (Excel)".into())
            }
        };
        (th, en)
    }

    /// A file name for the download: the agency, the year and the item the document answers,
    /// as the year's criteria spell it ("pakchong-2565-<item>.pdf").
    pub fn file_name(self, agency_id: &str, year: i64, items: Option<&ResolvedTrack>) -> String {
        let report = items.and_then(|t| t.report()).map(ResolvedItem::slug).unwrap_or_else(|| "report".into());
        let plan = items.and_then(|t| t.plan.as_ref()).map(ResolvedItem::slug).unwrap_or_else(|| "measures".into());
        let what = match self {
            ReportFormat::Pdf | ReportFormat::Docx | ReportFormat::Html | ReportFormat::Xlsx => report,
            ReportFormat::PlanPdf | ReportFormat::PlanDocx | ReportFormat::PlanHtml => plan,
            ReportFormat::Itas | ReportFormat::ItasXlsx => "itas".to_string(),
            ReportFormat::PlanXlsx => "plan".to_string(),
        };
        format!("{agency_id}-{year}-{what}.{}", self.extension())
    }
}
