//! The ITAS export: for each OIT item of the assessment year, มี/ไม่มี, the URL and the
//! explanation the agency answers in the NACC's system (which has no API), ready to paste.

use prongsai_core::AgencyYear;

/// The column headings, in the order ITAS asks.
pub const HEADINGS: [&str; 5] = ["ข้อ", "ประเด็น", "มี/ไม่มี", "URL", "คำอธิบาย"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItasRow {
    pub code: String,
    pub title: String,
    /// "มี", "ไม่มี", or "" when the agency has not answered yet.
    pub answer: String,
    pub url: String,
    pub explanation: String,
}

impl ItasRow {
    pub fn cells(&self) -> [&str; 5] {
        [&self.code, &self.title, &self.answer, &self.url, &self.explanation]
    }
}

/// One row per OIT item of the assessment year the agency-year is assessed in, in the manual's
/// order (the nearest known year's items while that one is not published): the coordinator's
/// answers, and the address of each report Prongsai published filled in by itself.
pub fn rows(year: &AgencyYear) -> Vec<ItasRow> {
    prongsai_core::itas::items(year, None)
        .into_iter()
        .map(|item| ItasRow {
            code: item.code,
            title: item.title,
            answer: match item.available {
                Some(true) => "มี",
                Some(false) => "ไม่มี",
                None => "",
            }
            .to_string(),
            url: item.url,
            explanation: item.explanation,
        })
        .collect()
}

/// CSV for Excel: UTF-8 with a byte-order mark (without it Excel shows Thai as mojibake), CRLF,
/// every field quoted.
pub fn csv(rows: &[ItasRow]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let mut line = |cells: &[&str]| {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(&HEADINGS);
    for row in rows {
        line(&row.cells());
    }
    out.into_bytes()
}
