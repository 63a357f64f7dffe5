//! Spreadsheets: the measure table with each division's result, the ITAS answers, and the plan in
//! the template that import reads back.

use prongsai_core::AgencyYear;
use prongsai_core::agency_year::ordered;
use prongsai_core::report_model::Report;
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::RenderError;
use crate::itas::{self, ItasRow};

/// The plan template's columns, in order. Import finds columns by these headings.
pub const PLAN_COLUMNS: [&str; 6] =
    ["ลำดับ", "มาตรการ/แนวทาง", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน (ไตรมาส)", "ข้อเสนอ"];

/// The sheet import reads.
pub const PLAN_SHEET: &str = "แผนมาตรการ";

fn failed(e: XlsxError) -> RenderError {
    RenderError::Spreadsheet(e.to_string())
}

fn heading() -> CellFormat {
    CellFormat::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#E8EEF7")
        .set_font_name("TH SarabunPSK")
}

fn body() -> CellFormat {
    CellFormat::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
        .set_font_name("TH SarabunPSK")
}

fn column(sheet: &mut Worksheet, col: u16, width: f64) -> Result<(), RenderError> {
    sheet.set_column_width(col, width).map_err(failed)?;
    Ok(())
}

/// One row per measure; the published columns, then one group (status, result, percent) per
/// division of the agency, filled where that division is responsible.
pub fn results_table(year: &AgencyYear, report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("ผลการดำเนินงาน").map_err(failed)?;
    let (head, cell) = (heading(), body());
    let fixed = ["ที่", "มาตรการ/แนวทาง", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน", "ผลการดำเนินงาน", "ข้อเสนอ"];
    let widths = [6.0, 28.0, 40.0, 24.0, 14.0, 36.0, 20.0];
    for (i, (name, width)) in fixed.iter().zip(widths).enumerate() {
        let col = u16::try_from(i).unwrap_or(0);
        sheet.merge_range(0, col, 1, col, name, &head).map_err(failed)?;
        column(sheet, col, width)?;
    }
    let divisions = year.divisions();
    let mut col = u16::try_from(fixed.len()).unwrap_or(0);
    for (_, division) in &divisions {
        sheet.merge_range(0, col, 0, col + 2, &division.name, &head).map_err(failed)?;
        for (offset, (name, width)) in [("สถานะ", 14.0), ("ผลการดำเนินงาน", 36.0), ("ร้อยละ", 8.0)].iter().enumerate()
        {
            let c = col + u16::try_from(offset).unwrap_or(0);
            sheet.write_string_with_format(1, c, *name, &head).map_err(failed)?;
            column(sheet, c, *width)?;
        }
        col += 3;
    }
    for (i, m) in report.content.measures.iter().enumerate() {
        let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let divisions_text =
            m.divisions.iter().enumerate().map(|(n, d)| format!("{}.{d}", n + 1)).collect::<Vec<_>>().join("\n");
        let fixed_cells = [
            m.number.to_string(),
            m.title.clone(),
            m.methods.iter().map(|x| format!("- {x}")).collect::<Vec<_>>().join("\n"),
            divisions_text,
            m.schedule_label.clone(),
            m.result.clone(),
            m.suggestion.clone(),
        ];
        for (c, text) in fixed_cells.iter().enumerate() {
            sheet.write_string_with_format(row, u16::try_from(c).unwrap_or(0), text, &cell).map_err(failed)?;
        }
        let mut col = u16::try_from(fixed.len()).unwrap_or(0);
        for (division_id, _) in &divisions {
            if m.division_ids.iter().any(|d| d == *division_id) {
                let result = year.result(&m.id, division_id);
                let status = result.map(|r| r.status.label_th()).unwrap_or("ยังไม่รายงาน");
                sheet.write_string_with_format(row, col, status, &cell).map_err(failed)?;
                let text = result.map(|r| r.text.as_str().to_string()).unwrap_or_default();
                sheet.write_string_with_format(row, col + 1, text, &cell).map_err(failed)?;
                match result.and_then(|r| r.percent) {
                    Some(p) => sheet.write_number_with_format(row, col + 2, p as f64, &cell).map_err(failed)?,
                    None => sheet.write_string_with_format(row, col + 2, "", &cell).map_err(failed)?,
                };
            }
            col += 3;
        }
    }
    sheet.set_freeze_panes(2, 2).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

/// The plan as the import template: one row per measure, methods and divisions one per line,
/// quarters as "1-4". A second sheet lists the divisions and the other names import accepts.
pub fn plan_template(year: &AgencyYear) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(PLAN_SHEET).map_err(failed)?;
    let (head, cell) = (heading(), body());
    for (i, (name, width)) in PLAN_COLUMNS.iter().zip([7.0, 30.0, 50.0, 28.0, 16.0, 24.0]).enumerate() {
        let col = u16::try_from(i).unwrap_or(0);
        sheet.write_string_with_format(0, col, *name, &head).map_err(failed)?;
        column(sheet, col, width)?;
    }
    for (i, (_, m)) in year.measures().into_iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let cells = [
            (i + 1).to_string(),
            m.title.as_str().to_string(),
            ordered(&m.methods, |x| &x.pos)
                .into_iter()
                .map(|(_, x)| x.text.as_str().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            year.responsible(m).iter().map(|d| year.division_name(d)).collect::<Vec<_>>().join("\n"),
            m.schedule.to_code(),
            m.suggestion.as_str().to_string(),
        ];
        for (c, text) in cells.iter().enumerate() {
            sheet.write_string_with_format(row, u16::try_from(c).unwrap_or(0), text, &cell).map_err(failed)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    let divisions = book.add_worksheet();
    divisions.set_name("หน่วยงาน").map_err(failed)?;
    for (col, name) in ["ชื่อหน่วยงาน", "ชื่ออื่นที่รับได้"].iter().enumerate()
    {
        divisions.write_string_with_format(0, u16::try_from(col).unwrap_or(0), *name, &head).map_err(failed)?;
    }
    divisions.set_column_width(0, 30).map_err(failed)?;
    divisions.set_column_width(1, 50).map_err(failed)?;
    for (i, (_, d)) in year.divisions().into_iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        divisions.write_string_with_format(row, 0, &d.name, &cell).map_err(failed)?;
        divisions.write_string_with_format(row, 1, d.aliases.join(", "), &cell).map_err(failed)?;
    }
    book.save_to_buffer().map_err(failed)
}

/// The ITAS answers as a sheet.
pub fn itas(rows: &[ItasRow]) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("ITAS").map_err(failed)?;
    let (head, cell) = (heading(), body());
    for (i, (name, width)) in itas::HEADINGS.iter().zip([7.0, 50.0, 10.0, 40.0, 50.0]).enumerate() {
        let col = u16::try_from(i).unwrap_or(0);
        sheet.write_string_with_format(0, col, *name, &head).map_err(failed)?;
        column(sheet, col, width)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (c, text) in row.cells().iter().enumerate() {
            sheet
                .write_string_with_format(
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                    u16::try_from(c).unwrap_or(0),
                    *text,
                    &cell,
                )
                .map_err(failed)?;
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}
