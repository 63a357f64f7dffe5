//! Prongsai's reports: the O43 memo and the O42 plan as PDF, DOCX, HTML and XLSX; the ITAS answers
//! as CSV and XLSX; the plan template (XLSX) that import reads back.
//!
//! Every renderer starts from [`printed::Printed`], built from core's report model, so all formats
//! print the same words.

pub mod docx;
pub mod html;
pub mod import;
pub mod itas;
pub mod pdf;
pub mod printed;
pub mod xlsx;

use prongsai_core::AgencyYear;
use prongsai_core::report_model::Report;

pub use printed::{Kind, Printed};

/// What can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
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

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Pdf,
        Format::Docx,
        Format::Html,
        Format::Xlsx,
        Format::O42Pdf,
        Format::O42Docx,
        Format::Itas,
        Format::ItasXlsx,
        Format::PlanXlsx,
    ];

    /// The name used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Xlsx => "xlsx",
            Format::O42Pdf => "o42-pdf",
            Format::O42Docx => "o42-docx",
            Format::Itas => "itas",
            Format::ItasXlsx => "itas-xlsx",
            Format::PlanXlsx => "plan-xlsx",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf | Format::O42Pdf => "pdf",
            Format::Docx | Format::O42Docx => "docx",
            Format::Html => "html",
            Format::Itas => "csv",
            Format::Xlsx | Format::ItasXlsx | Format::PlanXlsx => "xlsx",
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

    /// A file name for the download: "pakchong-2565-o43.pdf".
    pub fn file_name(self, agency_id: &str, year: i64) -> String {
        let what = match self {
            Format::Pdf | Format::Docx | Format::Html | Format::Xlsx => "o43",
            Format::O42Pdf | Format::O42Docx => "o42",
            Format::Itas | Format::ItasXlsx => "itas",
            Format::PlanXlsx => "plan",
        };
        format!("{agency_id}-{year}-{what}.{}", self.extension())
    }
}

/// What a render may be given besides the documents.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The agency's emblem (Garuda), PNG or JPEG, printed at the top of the memo.
    pub emblem: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the report could not be laid out: {0}")]
    Layout(String),
    #[error("the spreadsheet could not be written: {0}")]
    Spreadsheet(String),
    #[error("the document could not be packed: {0}")]
    Pack(String),
}

/// Renders one format of an agency-year.
pub fn render(year: &AgencyYear, format: Format, options: &Options) -> Result<Vec<u8>, RenderError> {
    let report = Report::build(year);
    let emblem = options.emblem.as_deref();
    match format {
        Format::Pdf => pdf::render(&Printed::new(&report, Kind::O43), emblem),
        Format::O42Pdf => pdf::render(&Printed::new(&report, Kind::O42), emblem),
        Format::Docx => docx::render(&Printed::new(&report, Kind::O43), emblem),
        Format::O42Docx => docx::render(&Printed::new(&report, Kind::O42), emblem),
        Format::Html => Ok(html::render(&Printed::new(&report, Kind::O43), emblem).into_bytes()),
        Format::Xlsx => xlsx::results_table(year, &report),
        Format::PlanXlsx => xlsx::plan_template(year),
        Format::Itas => Ok(itas::csv(&itas::rows(year))),
        Format::ItasXlsx => xlsx::itas(&itas::rows(year)),
    }
}
