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

/// What can be written: the format list lives in core so the frontend offers exactly these.
pub use prongsai_core::report_format::ReportFormat as Format;

/// What a render may be given besides the documents.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The agency's emblem (Garuda), PNG or JPEG, printed at the top of the memo.
    pub emblem: Option<Vec<u8>>,
    /// The server's public address ("https://ita.example.go.th"): a fully signed report prints
    /// its verification page under it. Without it the report prints only the code.
    pub verify_base: Option<String>,
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
    let emblem = options.emblem.as_deref();
    let printed = |part: Kind| {
        let report = Report::build_part(year, part);
        Printed::new(&report).verified_at(&report, options.verify_base.as_deref())
    };
    match format {
        Format::Pdf => pdf::render(&printed(Kind::Report), emblem),
        Format::PlanPdf => pdf::render(&printed(Kind::Plan), emblem),
        Format::Docx => docx::render(&printed(Kind::Report), emblem),
        Format::PlanDocx => docx::render(&printed(Kind::Plan), emblem),
        Format::Html => Ok(html::render(&printed(Kind::Report), emblem).into_bytes()),
        Format::PlanHtml => Ok(html::render(&printed(Kind::Plan), emblem).into_bytes()),
        Format::Xlsx => xlsx::results_table(year, &Report::build(year)),
        Format::PlanXlsx => xlsx::plan_template(year),
        Format::Itas => Ok(itas::csv(&itas::rows(year))),
        Format::ItasXlsx => xlsx::itas(&itas::rows(year)),
    }
}
