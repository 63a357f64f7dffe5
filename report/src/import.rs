//! Reading a plan from a spreadsheet: XLSX, or CSV in UTF-8 (with or without BOM) or Windows-874
//! (what old Thai Excel writes), in the template `plan-xlsx` exports. Every row is reported: read,
//! corrected (and how), or rejected (and why). A broken or hostile file is refused as a whole with
//! a clear error, before anything is changed.

use std::io::Read;

use prongsai_core::AgencyYear;
use prongsai_core::agency_year::ordered;
use prongsai_core::calendar::Schedule;
use prongsai_core::divisions;
use prongsai_core::edit::Edit;
use prongsai_core::thai;

use crate::xlsx::{PLAN_COLUMNS, PLAN_SHEET};

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Largest total an XLSX may unpack to (a zip bomb unpacks to gigabytes).
pub const MAX_UNPACKED_BYTES: u64 = 40 * 1024 * 1024;
pub const MAX_ZIP_ENTRIES: usize = 500;
pub const MAX_ROWS: usize = 1_000;
/// The widest plan accepted: the template has a dozen columns.
pub const MAX_COLUMNS: usize = 100;
/// Cells read from a sheet at most (filled or not), before anything is laid out.
pub const MAX_CELLS: usize = 200_000;
/// Longest cell accepted: a real method list is a few hundred characters.
pub const MAX_CELL_CHARS: usize = 5_000;

/// Why a whole file was refused. `code()` is stable for programs; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("ไฟล์ใหญ่เกินไป ({bytes} ไบต์; รับได้ไม่เกิน {max}) · the file is too large")]
    TooLarge { bytes: usize, max: usize },
    #[error("ไฟล์ว่างเปล่า · the file is empty")]
    Empty,
    #[error("ไฟล์นี้ไม่ใช่ตาราง XLSX หรือ CSV · this is not an XLSX or CSV spreadsheet")]
    NotASpreadsheet,
    #[error("ไฟล์ XLS รุ่นเก่ายังไม่รองรับ กรุณาบันทึกเป็น XLSX หรือ CSV · old .xls files are not supported: save as XLSX or CSV")]
    OldExcel,
    #[error("ไฟล์ XLSX เสียหายหรือแตกไฟล์แล้วใหญ่ผิดปกติ: {0} · the XLSX is damaged or unpacks to too much")]
    BadZip(String),
    #[error("อ่านไฟล์ XLSX ไม่ได้: {0} · the XLSX cannot be read")]
    Unreadable(String),
    #[error("ข้อความในไฟล์ไม่ใช่ UTF-8 หรือ Windows-874 · the text is neither UTF-8 nor Windows-874")]
    NotText,
    #[error("ไม่พบหัวตาราง ขาดคอลัมน์: {} · the header row is missing columns", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("มีมากกว่า {max} แถว · more than {max} rows")]
    TooManyRows { max: usize },
    #[error("มีมากกว่า {max} คอลัมน์ · more than {max} columns")]
    TooManyColumns { max: usize },
    #[error("มีมากกว่า {max} ช่อง · more than {max} cells")]
    TooManyCells { max: usize },
    #[error("แถว {row} คอลัมน์ {column} ยาว {chars} ตัวอักษร (รับได้ไม่เกิน {max}) · a cell is too long")]
    CellTooLong { row: usize, column: String, chars: usize, max: usize },
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::TooLarge { .. } => "too_large",
            ImportError::Empty => "empty",
            ImportError::NotASpreadsheet => "not_a_spreadsheet",
            ImportError::OldExcel => "old_excel",
            ImportError::BadZip(_) => "bad_zip",
            ImportError::Unreadable(_) => "unreadable",
            ImportError::NotText => "not_text",
            ImportError::MissingColumns(_) => "missing_columns",
            ImportError::TooManyRows { .. } => "too_many_rows",
            ImportError::TooManyColumns { .. } => "too_many_columns",
            ImportError::TooManyCells { .. } => "too_many_cells",
            ImportError::CellTooLong { .. } => "cell_too_long",
        }
    }
}

/// One measure as read from a row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportedMeasure {
    pub title: String,
    pub methods: Vec<String>,
    /// Division ids, in the file's order.
    pub divisions: Vec<String>,
    /// "1-4"
    pub schedule: String,
    pub suggestion: String,
    /// (a track's projects) งบประมาณ in satang and ตัวชี้วัด, where the file has those columns.
    pub budget: Option<i64>,
    pub indicator: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Read,
    Corrected,
    Rejected,
}

/// What happened to one row of the file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowReport {
    /// The row number as the spreadsheet shows it (1-based, header included).
    pub row: usize,
    pub title: String,
    pub outcome: Outcome,
    /// Corrections made, problems flagged, or why the row was rejected.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// "xlsx", "csv-utf8" or "csv-windows-874".
    pub source: String,
    pub rows: Vec<RowReport>,
    /// The rows read or corrected, in order.
    pub measures: Vec<ImportedMeasure>,
}

impl ImportReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }
}

/// Reads a plan file against the agency-year's divisions.
pub fn read(bytes: &[u8], year: &AgencyYear) -> Result<ImportReport, ImportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { bytes: bytes.len(), max: MAX_FILE_BYTES });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    let (source, table) = if bytes.starts_with(b"PK\x03\x04") {
        ("xlsx", read_xlsx(bytes)?)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ImportError::OldExcel);
    } else {
        let (source, text) = decode_text(bytes)?;
        (source, parse_csv(&text))
    };
    rows_to_plan(source, &table, year)
}

/// Unpacks every entry with a hard limit first (declared sizes can lie), then lets calamine read.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::BadZip(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(ImportError::BadZip(format!("{} entries", archive.len())));
    }
    let mut total: u64 = 0;
    let mut sink = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| ImportError::BadZip(e.to_string()))?;
        loop {
            let n = entry.read(&mut sink).map_err(|e| ImportError::BadZip(e.to_string()))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > MAX_UNPACKED_BYTES {
                return Err(ImportError::BadZip(format!("unpacks to more than {MAX_UNPACKED_BYTES} bytes")));
            }
        }
    }
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::Unreadable(e.to_string()))?;
    let names = workbook.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == PLAN_SHEET)
        .or(names.first())
        .cloned()
        .ok_or(ImportError::NotASpreadsheet)?;
    // Cell by cell, bounded before any grid exists: calamine's own range is a dense grid from
    // the first to the last cell, so two cells at A1 and XFD1048576 would ask for 17 billion.
    let mut reader = workbook.worksheet_cells_reader(&sheet).map_err(|e| ImportError::Unreadable(e.to_string()))?;
    let mut cells: Vec<((u32, u32), String)> = Vec::new();
    let mut seen = 0usize;
    while let Some(cell) = reader.next_cell().map_err(|e| ImportError::Unreadable(e.to_string()))? {
        seen += 1;
        if seen > MAX_CELLS {
            return Err(ImportError::TooManyCells { max: MAX_CELLS });
        }
        let (row, column) = cell.get_position();
        let text = calamine::Data::from(cell.get_value().clone()).to_string();
        if text.is_empty() {
            continue;
        }
        if row as usize > MAX_ROWS + 10 {
            return Err(ImportError::TooManyRows { max: MAX_ROWS });
        }
        if column as usize >= MAX_COLUMNS {
            return Err(ImportError::TooManyColumns { max: MAX_COLUMNS });
        }
        cells.push(((row, column), text));
    }
    Ok(grid(cells))
}

/// The cells laid out from the first filled row and column to the last (as calamine's range
/// would), within the bounds already checked.
fn grid(cells: Vec<((u32, u32), String)>) -> Vec<Vec<String>> {
    let Some(first_row) = cells.iter().map(|((r, _), _)| *r).min() else { return Vec::new() };
    let first_column = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let last_row = cells.iter().map(|((r, _), _)| *r).max().unwrap_or(first_row);
    let last_column = cells.iter().map(|((_, c), _)| *c).max().unwrap_or(first_column);
    let width = (last_column - first_column + 1) as usize;
    let mut table = vec![vec![String::new(); width]; (last_row - first_row + 1) as usize];
    for ((row, column), text) in cells {
        table[(row - first_row) as usize][(column - first_column) as usize] = text;
    }
    table
}

/// UTF-8 (a BOM is dropped) or, failing that, Windows-874. Binary content is refused.
fn decode_text(bytes: &[u8]) -> Result<(&'static str, String), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let binary = |text: &str| text.chars().any(|c| c == '\0' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
    if let Ok(text) = std::str::from_utf8(bytes) {
        if binary(text) {
            return Err(ImportError::NotASpreadsheet);
        }
        return Ok(("csv-utf8", text.to_string()));
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_874.decode(bytes);
    if had_errors || text.contains('\u{FFFD}') {
        return Err(ImportError::NotText);
    }
    if binary(&text) {
        return Err(ImportError::NotASpreadsheet);
    }
    Ok(("csv-windows-874", text.into_owned()))
}

/// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. The delimiter is a
/// comma, or a semicolon or tab when the first line has more of those.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = [',', ';', '\t'].into_iter().max_by_key(|d| first_line.matches(*d).count()).unwrap_or(',');
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else if c == '"' && field.is_empty() {
            quoted = true;
        } else if c == delimiter {
            row.push(std::mem::take(&mut field));
        } else if c == '\r' && chars.peek() == Some(&'\n') {
        } else if c == '\n' || c == '\r' {
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        } else {
            field.push(c);
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Which column holds what, found by heading (Thai or English, spacing ignored).
struct Columns {
    title: usize,
    methods: usize,
    responsible: usize,
    schedule: usize,
    suggestion: Option<usize>,
    budget: Option<usize>,
    indicator: Option<usize>,
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

fn find_columns(header: &[String]) -> Result<Columns, Vec<String>> {
    let find = |prefixes: &[&str]| {
        header.iter().position(|h| {
            let h = squash(h);
            !h.is_empty() && prefixes.iter().any(|p| h.starts_with(&squash(p)))
        })
    };
    // A track's plan names its rows projects (โครงการ/กิจกรรม).
    let title = find(&["มาตรการ", "measure"]).or_else(|| find(&["โครงการ", "project"]));
    let methods = find(&["วิธีดำเนินการ", "วิธีการ", "method"]);
    let responsible = find(&["ผู้รับผิดชอบ", "หน่วยงานที่รับผิดชอบ", "responsible"]);
    let schedule = find(&["ระยะเวลา", "ไตรมาส", "quarter", "schedule"]);
    match (title, methods, responsible, schedule) {
        (Some(title), Some(methods), Some(responsible), Some(schedule)) => Ok(Columns {
            title,
            methods,
            responsible,
            schedule,
            suggestion: find(&["ข้อเสนอ", "suggestion"]),
            budget: find(&["งบประมาณ", "budget"]),
            indicator: find(&["ตัวชี้วัด", "indicator"]),
        }),
        _ => Err([
            (title, PLAN_COLUMNS[1]),
            (methods, PLAN_COLUMNS[2]),
            (responsible, PLAN_COLUMNS[3]),
            (schedule, PLAN_COLUMNS[4]),
        ]
        .into_iter()
        .filter(|(found, _)| found.is_none())
        .map(|(_, name)| name.to_string())
        .collect()),
    }
}

/// Lines of a cell, with list markers ("-", "•", "๑.") taken off; blank lines dropped.
fn cell_lines(cell: &str) -> Vec<String> {
    cell.lines()
        .map(|l| l.trim().trim_start_matches(['-', '•', '–', '*']).trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn strip_number(text: &str) -> Option<&str> {
    let rest = text.trim_start();
    let end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || ('๐'..='๙').contains(c)))
        .map_or(rest.len(), |(i, _)| i);
    (end > 0).then(|| rest[end..].strip_prefix(['.', ')']).map(str::trim_start)).flatten()
}

fn rows_to_plan(source: &str, table: &[Vec<String>], year: &AgencyYear) -> Result<ImportReport, ImportError> {
    // The header is within the first rows (a title line may come before it).
    let header_at = table.iter().take(10).position(|row| find_columns(row).is_ok());
    let Some(header_at) = header_at else {
        let best = table
            .first()
            .map(|r| find_columns(r).err().unwrap_or_default())
            .unwrap_or_else(|| PLAN_COLUMNS[1..5].iter().map(|s| s.to_string()).collect());
        return Err(ImportError::MissingColumns(best));
    };
    let header = &table[header_at];
    let columns = find_columns(header).map_err(ImportError::MissingColumns)?;
    let body = &table[header_at + 1..];
    if body.len() > MAX_ROWS {
        return Err(ImportError::TooManyRows { max: MAX_ROWS });
    }
    for (i, row) in body.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let chars = cell.chars().count();
            if chars > MAX_CELL_CHARS {
                return Err(ImportError::CellTooLong {
                    row: header_at + i + 2,
                    column: header.get(c).cloned().unwrap_or_default(),
                    chars,
                    max: MAX_CELL_CHARS,
                });
            }
        }
    }
    let division_list = year.divisions();
    let mut report = ImportReport { source: source.to_string(), rows: Vec::new(), measures: Vec::new() };
    let mut seen_titles: Vec<String> = Vec::new();
    for (i, row) in body.iter().enumerate() {
        let cell = |at: usize| row.get(at).map(|s| s.trim()).unwrap_or_default();
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let row_number = header_at + i + 2;
        let mut notes = Vec::new();
        let mut rejected = Vec::new();
        let raw_title = cell(columns.title).split_whitespace().collect::<Vec<_>>().join(" ");
        let title = match strip_number(&raw_title) {
            Some(rest) if !rest.is_empty() => {
                notes.push(format!("ตัดเลขลำดับหน้าชื่อมาตรการออก: \"{raw_title}\" → \"{rest}\""));
                rest.to_string()
            }
            _ => raw_title.clone(),
        };
        if title.is_empty() {
            rejected.push("ไม่มีชื่อมาตรการ · no measure title".to_string());
        } else if seen_titles.contains(&squash(&title)) {
            rejected.push("ชื่อมาตรการซ้ำกับแถวก่อนหน้า · the same measure appears twice".to_string());
        }
        let mut division_ids: Vec<String> = Vec::new();
        for name in cell(columns.responsible).split(['\n', ',']).map(str::trim).filter(|n| !n.is_empty()) {
            match divisions::resolve_detailed(division_list.iter().copied(), name) {
                Some(found) if division_list.iter().any(|(id, d)| **id == found.division && d.retired) => {
                    rejected.push(format!("หน่วยงาน \"{name}\" เลิกใช้แล้ว · the division is retired"))
                }
                Some(found) => {
                    let canonical = year.division_name(&found.division);
                    if !found.canonical {
                        notes.push(format!("หน่วยงาน \"{name}\" → \"{canonical}\""));
                    }
                    if !division_ids.contains(&found.division) {
                        division_ids.push(found.division);
                    }
                }
                None => rejected.push(format!("ไม่รู้จักหน่วยงาน \"{name}\" · unknown division")),
            }
        }
        if division_ids.is_empty() && rejected.is_empty() {
            rejected.push("ไม่ได้ระบุผู้รับผิดชอบ · no responsible division".to_string());
        }
        // Wording that names no quarters is kept as written and flagged, never dropped.
        let schedule = Schedule::read(cell(columns.schedule));
        if let Some(written) = schedule.written() {
            notes.push(format!(
                "อ่านไตรมาสจาก \"{written}\" ไม่ได้ เก็บไว้ตามที่เขียน โปรดเลือกไตรมาส · schedule kept as written"
            ));
        }
        let schedule = schedule.to_code();
        let methods = cell_lines(cell(columns.methods));
        let suggestion = columns.suggestion.map(|c| cell(c).to_string()).unwrap_or_default();
        let indicator = columns.indicator.map(|c| cell(c).trim().to_string()).unwrap_or_default();
        let budget = match columns.budget.map(|c| cell(c).trim()).filter(|b| !b.is_empty() && *b != "-") {
            None => None,
            Some(written) => match thai::parse_baht(written) {
                Some(satang) => Some(satang),
                None => {
                    notes.push(format!("อ่านงบประมาณ \"{written}\" ไม่ได้ เว้นว่างไว้ · budget not read"));
                    None
                }
            },
        };
        for text in std::iter::once(&title).chain(&methods).chain(std::iter::once(&suggestion)) {
            for issue in thai::validate_thai_text(text) {
                notes.push(format!(
                    "ตรวจพบอักขระผิดปกติ \"{}\" ({}) ในข้อความ \"{text}\"",
                    issue.found,
                    issue.kind.explain_th()
                ));
            }
        }
        let outcome = if !rejected.is_empty() {
            Outcome::Rejected
        } else if notes.is_empty() {
            Outcome::Read
        } else {
            Outcome::Corrected
        };
        if outcome == Outcome::Rejected {
            notes = rejected;
        } else {
            seen_titles.push(squash(&title));
            report.measures.push(ImportedMeasure {
                title: title.clone(),
                methods,
                divisions: division_ids,
                schedule,
                suggestion,
                budget,
                indicator,
            });
        }
        report.rows.push(RowReport { row: row_number, title, outcome, notes });
    }
    Ok(report)
}

/// The edits that make the plan hold the imported measures: a measure whose title matches (spacing
/// ignored) is updated in place, others are added at the end; measures not in the file are kept.
/// Importing the same file twice changes nothing the second time.
pub fn plan_edits(
    year: &AgencyYear,
    measures: &[ImportedMeasure],
    new_id: &mut dyn FnMut(&str) -> String,
) -> Vec<Edit> {
    let existing = year.measures();
    let mut edits = Vec::new();
    let mut count = existing.len();
    for imported in measures {
        let found = existing.iter().find(|(_, m)| squash(m.title.as_str()) == squash(&imported.title));
        let (id, current_methods, current_divisions, current_schedule, current_suggestion) = match found {
            Some((id, m)) => (
                (*id).clone(),
                ordered(&m.methods, |x| &x.pos)
                    .into_iter()
                    .map(|(mid, x)| (mid.clone(), x.text.as_str().to_string()))
                    .collect(),
                year.responsible(m),
                m.schedule.to_code(),
                m.suggestion.as_str().to_string(),
            ),
            None => {
                let id = new_id("m");
                edits.push(Edit::AddMeasure { id: id.clone(), index: count, title: imported.title.clone() });
                count += 1;
                (id, Vec::<(String, String)>::new(), Vec::new(), String::new(), String::new())
            }
        };
        let texts: Vec<&str> = current_methods.iter().map(|(_, t)| t.as_str()).collect();
        if texts != imported.methods.iter().map(String::as_str).collect::<Vec<_>>() {
            for (method, _) in &current_methods {
                edits.push(Edit::RemoveMethod { measure: id.clone(), id: method.clone() });
            }
            for (index, text) in imported.methods.iter().enumerate() {
                edits.push(Edit::AddMethod { measure: id.clone(), id: new_id("x"), index, text: text.clone() });
            }
        }
        for division in &current_divisions {
            if !imported.divisions.contains(division) {
                edits.push(Edit::SetResponsible {
                    measure: id.clone(),
                    division: division.clone(),
                    responsible: false,
                });
            }
        }
        for division in &imported.divisions {
            if !current_divisions.contains(division) {
                edits.push(Edit::SetResponsible { measure: id.clone(), division: division.clone(), responsible: true });
            }
        }
        if current_schedule != imported.schedule {
            edits.push(Edit::SetSchedule { measure: id.clone(), schedule: imported.schedule.clone() });
        }
        if current_suggestion != imported.suggestion {
            edits.push(Edit::SetSuggestion { measure: id.clone(), text: imported.suggestion.clone() });
        }
        let (current_budget, current_indicator) = match found {
            Some((_, m)) => (m.budget, m.indicator.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default()),
            None => (None, String::new()),
        };
        if imported.budget.is_some() && current_budget != imported.budget {
            edits.push(Edit::SetBudget { measure: id.clone(), satang: imported.budget });
        }
        if !imported.indicator.is_empty() && current_indicator != imported.indicator {
            edits.push(Edit::SetIndicator { measure: id.clone(), text: imported.indicator.clone() });
        }
    }
    edits
}

/// The fuzzing entry point: any bytes, read against the sample agency's divisions. It must
/// return (an error or a report) and never panic.
pub fn fuzz_one(bytes: &[u8]) {
    static YEAR: std::sync::LazyLock<AgencyYear> = std::sync::LazyLock::new(|| {
        let fixture = prongsai_core::sample::pakchong_2565();
        let docs = fixture.typed_documents(0).expect("the sample fixture is valid");
        AgencyYear { directory: docs.directory, ..AgencyYear::default() }
    });
    if let Ok(report) = read(bytes, &YEAR) {
        let mut n = 0;
        let _ = plan_edits(&YEAR, &report.measures, &mut |p| {
            n += 1;
            format!("{p}{n}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_hold_quotes_commas_and_line_breaks() {
        let rows = parse_csv("a,\"b, c\",\"d\"\"e\"\r\n\"x\ny\",z\n");
        assert_eq!(rows, vec![vec!["a", "b, c", "d\"e"], vec!["x\ny", "z"]]);
        assert_eq!(parse_csv("a;b;c\n1;2;3"), vec![vec!["a", "b", "c"], vec!["1", "2", "3"]]);
    }

    #[test]
    fn list_markers_and_numbers_come_off() {
        assert_eq!(cell_lines("- หนึ่ง\n\n• สอง\n-สาม"), ["หนึ่ง", "สอง", "สาม"]);
        assert_eq!(strip_number("๔.การปรับปรุง"), Some("การปรับปรุง"));
        assert_eq!(strip_number("การปรับปรุง"), None);
    }
}
