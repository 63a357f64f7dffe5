//! The report formats Prongsai writes: their names (command line, URLs), file names and media
//! types, and how the reports page names them. The report crate renders them; the frontend,
//! which cannot link the renderer, offers exactly this list.

/// What can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// The O43 memo with its table and signatures.
    Pdf,
    Docx,
    Html,
    /// The measure table, one row per measure, one column group per division's result.
    Xlsx,
    /// The O42 plan (the measures without results).
    O42Pdf,
    O42Docx,
    /// ITAS answers: CSV (UTF-8 with BOM) and XLSX.
    Itas,
    ItasXlsx,
    /// The plan in the import template.
    PlanXlsx,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 9] = [
        ReportFormat::Pdf,
        ReportFormat::Docx,
        ReportFormat::Html,
        ReportFormat::Xlsx,
        ReportFormat::O42Pdf,
        ReportFormat::O42Docx,
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
            ReportFormat::O42Pdf => "o42-pdf",
            ReportFormat::O42Docx => "o42-docx",
            ReportFormat::Itas => "itas",
            ReportFormat::ItasXlsx => "itas-xlsx",
            ReportFormat::PlanXlsx => "plan-xlsx",
        }
    }

    pub fn parse(name: &str) -> Option<ReportFormat> {
        ReportFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Pdf | ReportFormat::O42Pdf => "pdf",
            ReportFormat::Docx | ReportFormat::O42Docx => "docx",
            ReportFormat::Html => "html",
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

    /// What the format is, in Thai and in English, for the page that offers it.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ReportFormat::Pdf => ("บันทึกข้อความรายงานผล O43 (PDF)", "O43 report memo (PDF)"),
            ReportFormat::Docx => ("บันทึกข้อความรายงานผล O43 (Word แก้ไขได้)", "O43 report memo (editable Word)"),
            ReportFormat::Html => ("รายงาน O43 หน้าเว็บ (HTML สำหรับเว็บไซต์หน่วยงาน)", "O43 report web page (HTML)"),
            ReportFormat::Xlsx => ("ตารางผลการดำเนินงานรายหน่วยงาน (Excel)", "Results by division (Excel)"),
            ReportFormat::O42Pdf => ("มาตรการส่งเสริมคุณธรรมฯ O42 (PDF)", "O42 measures (PDF)"),
            ReportFormat::O42Docx => ("มาตรการส่งเสริมคุณธรรมฯ O42 (Word)", "O42 measures (Word)"),
            ReportFormat::Itas => ("คำตอบสำหรับระบบ ITAS (CSV)", "Answers for ITAS (CSV)"),
            ReportFormat::ItasXlsx => ("คำตอบสำหรับระบบ ITAS (Excel)", "Answers for ITAS (Excel)"),
            ReportFormat::PlanXlsx => ("แผนมาตรการในแบบฟอร์มนำเข้า (Excel)", "The plan as an import template (Excel)"),
        }
    }

    /// A file name for the download: "pakchong-2565-o43.pdf".
    pub fn file_name(self, agency_id: &str, year: i64) -> String {
        let what = match self {
            ReportFormat::Pdf | ReportFormat::Docx | ReportFormat::Html | ReportFormat::Xlsx => "o43",
            ReportFormat::O42Pdf | ReportFormat::O42Docx => "o42",
            ReportFormat::Itas | ReportFormat::ItasXlsx => "itas",
            ReportFormat::PlanXlsx => "plan",
        };
        format!("{agency_id}-{year}-{what}.{}", self.extension())
    }
}
