//! Thai text conventions: digits, Buddhist Era dates, quarter labels, collation and validation.
//!
//! Everything here is pure. Stored data keeps ISO dates and Arabic digits; these functions render
//! the official forms ("๒๑ มีนาคม ๒๕๖๕") and read what people type (either kind of digit).

use std::cmp::Ordering;
use std::sync::OnceLock;

use crate::calendar::{Date, FiscalQuarter, Schedule};

/// The Thai digits ๐–๙ (U+0E50–U+0E59), indexed by value.
const THAI_DIGITS: [char; 10] = ['๐', '๑', '๒', '๓', '๔', '๕', '๖', '๗', '๘', '๙'];

/// Full Thai month names, January first.
pub const MONTHS_FULL: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

/// Abbreviated Thai month names, January first.
pub const MONTHS_ABBR: [&str; 12] =
    ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];

/// Replaces every Arabic digit with its Thai digit; everything else is kept as is.
pub fn to_thai_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => THAI_DIGITS[d as usize],
            _ => c,
        })
        .collect()
}

/// Digits as official text writes them: Thai digits, except inside a word that also has Latin
/// letters, which is a code or an address ("O43", "https://…/2565", "COVID-19") and keeps its
/// Arabic digits as the seed memo does.
pub fn to_official_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_alphabetic()) {
            out.push_str(word);
        } else {
            out.push_str(&to_thai_digits(word));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Replaces every Thai digit with its Arabic digit; everything else is kept as is.
pub fn to_arabic_digits(text: &str) -> String {
    text.chars()
        .map(|c| match thai_digit_value(c) {
            Some(d) => char::from(b'0' + d),
            None => c,
        })
        .collect()
}

fn thai_digit_value(c: char) -> Option<u8> {
    let offset = (c as u32).checked_sub('๐' as u32)?;
    (offset < 10).then_some(offset as u8)
}

/// Reads a non-negative integer written with Arabic or Thai digits (or a mix), ignoring
/// surrounding whitespace. Returns `None` for anything else.
pub fn parse_number(text: &str) -> Option<u64> {
    let arabic = to_arabic_digits(text.trim());
    if arabic.is_empty() || !arabic.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    arabic.parse().ok()
}

/// How a month is written in a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonthStyle {
    /// "มีนาคม"
    Full,
    /// "มี.ค."
    Abbreviated,
}

/// Which digits official output uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digits {
    Thai,
    Arabic,
}

/// An amount of baht as people type it ("25,000", "๒๕,๐๐๐.๕๐", "1234.5 บาท") in satang; `None`
/// for anything else (a negative amount, more than two decimals, stray text, over a trillion baht).
pub fn parse_baht(text: &str) -> Option<i64> {
    let text = to_arabic_digits(text.trim());
    let text = text.strip_suffix("บาท").unwrap_or(&text).trim();
    let (baht, satang) = text.split_once('.').unwrap_or((text, ""));
    let grouped = baht.split(',').collect::<Vec<_>>();
    let groups_ok = grouped.len() == 1 || grouped.iter().skip(1).all(|g| g.len() == 3) && !grouped[0].is_empty();
    let baht: String = grouped.concat();
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if baht.is_empty() || baht.len() > 12 || !groups_ok || !digits(&baht) || satang.len() > 2 || !digits(satang) {
        return None;
    }
    let satang = if satang.is_empty() { 0 } else { format!("{satang:0<2}").parse::<i64>().ok()? };
    baht.parse::<i64>().ok()?.checked_mul(100)?.checked_add(satang)
}

/// An amount in satang as baht the way a Thai budget table writes it: thousands grouped with
/// commas, satang only when there are any ("๒๕,๐๐๐", "๑,๒๓๔.๕๐"), in `digits`.
pub fn format_baht(satang: i64, digits: Digits) -> String {
    let (baht, rest) = (satang.unsigned_abs() / 100, satang.unsigned_abs() % 100);
    let plain = baht.to_string();
    let mut grouped = String::new();
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if satang < 0 { "-" } else { "" };
    let text = if rest == 0 { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{rest:02}") };
    match digits {
        Digits::Thai => to_thai_digits(&text),
        Digits::Arabic => text,
    }
}

pub fn format_date(date: Date, month: MonthStyle, digits: Digits) -> String {
    let month_name = match month {
        MonthStyle::Full => MONTHS_FULL[usize::from(date.month() - 1)],
        MonthStyle::Abbreviated => MONTHS_ABBR[usize::from(date.month() - 1)],
    };
    let text = format!("{} {} {}", date.day(), month_name, date.year_be());
    match digits {
        Digits::Thai => to_thai_digits(&text),
        Digits::Arabic => text,
    }
}

/// The official form: Thai digits, full month name, Buddhist Era year.
pub fn format_date_official(date: Date) -> String {
    format_date(date, MonthStyle::Full, Digits::Thai)
}

/// Reads a Buddhist Era date as people write it: "21 มีนาคม 2565", "๒๑ มี.ค. ๒๕๖๕", "21/3/2565".
/// Years below 2400 are rejected rather than guessed: a CE year typed by mistake must not become a
/// date five centuries ago.
pub fn parse_date_be(text: &str) -> Result<Date, DateParseError> {
    let arabic = to_arabic_digits(text.trim());
    let parts: Vec<&str> = if arabic.contains('/') {
        arabic.split('/').map(str::trim).collect()
    } else {
        arabic.split_whitespace().collect()
    };
    let [day, month, year] = parts.as_slice() else {
        return Err(DateParseError::Shape);
    };
    let day: u8 = day.parse().map_err(|_| DateParseError::Shape)?;
    let month = month_number(month).ok_or(DateParseError::Month)?;
    let year_be: u32 = year.trim_start_matches("พ.ศ.").trim().parse().map_err(|_| DateParseError::Shape)?;
    if year_be < 2400 {
        return Err(DateParseError::NotBuddhistEra(year_be));
    }
    Date::from_be(year_be, month, day).ok_or(DateParseError::NoSuchDay)
}

pub(crate) fn month_number(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (1..=12).contains(&n).then_some(n);
    }
    let position =
        MONTHS_FULL.iter().position(|m| *m == text).or_else(|| MONTHS_ABBR.iter().position(|m| *m == text)).or_else(
            || {
                // "มีค" or "มี.ค" without the final dot
                let bare: String = text.chars().filter(|c| *c != '.').collect();
                MONTHS_ABBR.iter().position(|m| m.chars().filter(|c| *c != '.').collect::<String>() == bare)
            },
        )?;
    u8::try_from(position + 1).ok()
}

/// Why a typed date was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateParseError {
    #[error("write the date as day, month and Buddhist Era year, e.g. 21 มีนาคม 2565")]
    Shape,
    #[error("unknown month name")]
    Month,
    #[error("year {0} looks like a Christian Era year; write the Buddhist Era year (CE + 543)")]
    NotBuddhistEra(u32),
    #[error("that day does not exist in that month")]
    NoSuchDay,
}

/// "ไตรมาสที่ ๑" (fiscal quarter, Thai digits).
pub fn quarter_label(quarter: FiscalQuarter) -> String {
    to_thai_digits(&format!("ไตรมาสที่ {}", quarter.number()))
}

/// "ไตรมาสที่ ๑ - ๔", "ไตรมาสที่ ๒", "ไตรมาสที่ ๑, ๓": the seed's wording for a schedule.
pub fn schedule_label(schedule: &Schedule) -> String {
    if let Some(written) = schedule.written() {
        return to_thai_digits(written);
    }
    to_thai_digits(&format!("ไตรมาสที่ {}", schedule.to_code().replace('-', " - ").replace(',', ", ")))
}

/// A score with two decimals in Thai digits: 9521 hundredths → "๙๕.๒๑".
pub fn format_score(score_hundredths: u32) -> String {
    to_thai_digits(&format!("{}.{:02}", score_hundredths / 100, score_hundredths % 100))
}

/// Reads an ITA score as people type it ("95.21", "๙๕.๒๑", "88") into hundredths, 0–100 with at
/// most two decimals.
pub fn parse_score(text: &str) -> Option<u32> {
    let text = to_arabic_digits(text.trim());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || fraction.len() > 2 || !format!("{whole}{fraction}").bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hundredths = whole.parse::<u32>().ok()?.checked_mul(100)? + format!("{fraction:0<2}").parse::<u32>().ok()?;
    (hundredths <= 10_000).then_some(hundredths)
}

/// Compares two strings by Thai dictionary order (leading vowels เ แ โ ใ ไ sort by the consonant
/// that follows them), using ICU4X's Thai collation.
pub fn collate(a: &str, b: &str) -> Ordering {
    thai_collator().compare(a, b)
}

/// Sorts strings in Thai dictionary order.
pub fn sort_thai<T, F: Fn(&T) -> &str>(items: &mut [T], key: F) {
    let collator = thai_collator();
    items.sort_by(|a, b| collator.compare(key(a), key(b)));
}

fn thai_collator() -> &'static icu_collator::CollatorBorrowed<'static> {
    static COLLATOR: OnceLock<icu_collator::CollatorBorrowed<'static>> = OnceLock::new();
    COLLATOR.get_or_init(|| {
        let locale = icu_locale_core::locale!("th");
        icu_collator::Collator::try_new(locale.into(), icu_collator::options::CollatorOptions::default())
            .expect("the Thai collation is compiled into icu_collator's baked data")
    })
}

/// A problem found in Thai text. Validation flags; it never rewrites what the user typed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextIssue {
    /// Position in characters (Unicode scalar values) from the start of the text.
    pub at: usize,
    pub found: String,
    pub kind: TextIssueKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextIssueKind {
    /// A letter from a script that looks like Thai (Lao, Khmer, Myanmar), usually an OCR error:
    /// the seed's "คະแนน" has the Lao vowel U+0EB0.
    LookalikeScript,
    /// An invisible character (zero-width space/joiner, BOM, soft hyphen) or a control character.
    Invisible,
    /// U+FFFD: text that was decoded with the wrong encoding.
    ReplacementCharacter,
    /// A Thai vowel or tone mark that sits on no consonant.
    StrayMark,
    /// Two tone marks (or two identical above/below vowels) on one consonant.
    DoubledMark,
    /// "เเ" typed for "แ".
    DoubledSaraE,
    /// "ํา" (nikhahit + sara aa) typed for "ำ".
    DecomposedSaraAm,
}

impl TextIssueKind {
    /// What to tell the user, in Thai.
    pub fn explain_th(self) -> &'static str {
        match self {
            Self::LookalikeScript => "มีอักษรที่ไม่ใช่อักษรไทย (เช่น อักษรลาว) ปนอยู่",
            Self::Invisible => "มีอักขระที่มองไม่เห็นปนอยู่",
            Self::ReplacementCharacter => "มีอักขระเสีย (ถอดรหัสผิด)",
            Self::StrayMark => "มีสระหรือวรรณยุกต์ที่ไม่มีพยัญชนะกำกับ",
            Self::DoubledMark => "มีวรรณยุกต์หรือสระซ้อนกันสองตัว",
            Self::DoubledSaraE => "พิมพ์ เ สองตัวแทน แ",
            Self::DecomposedSaraAm => "พิมพ์ ํ กับ า แทน ำ",
        }
    }
}

/// Thai combining marks that sit above or below a consonant (vowels and tone marks).
fn is_thai_combining(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

fn is_tone_mark(c: char) -> bool {
    matches!(c, '\u{0E48}'..='\u{0E4B}')
}

fn is_thai_consonant(c: char) -> bool {
    matches!(c, '\u{0E01}'..='\u{0E2E}')
}

/// Flags code points that do not belong in Thai text, in the order they appear.
pub fn validate_thai_text(text: &str) -> Vec<TextIssue> {
    let mut issues = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut tone_seen_on_cluster = false;
    for (at, &c) in chars.iter().enumerate() {
        let previous = at.checked_sub(1).map(|i| chars[i]);
        let flag =
            |kind: TextIssueKind, len: usize| TextIssue { at, found: chars[at..at + len].iter().collect(), kind };
        if is_thai_consonant(c) {
            tone_seen_on_cluster = false;
        }
        match c {
            '\u{0E80}'..='\u{0EFF}' | '\u{1780}'..='\u{17FF}' | '\u{1000}'..='\u{109F}' => {
                issues.push(flag(TextIssueKind::LookalikeScript, 1));
            }
            '\u{FFFD}' => issues.push(flag(TextIssueKind::ReplacementCharacter, 1)),
            '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{00AD}' | '\u{2060}' => {
                issues.push(flag(TextIssueKind::Invisible, 1));
            }
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {
                issues.push(flag(TextIssueKind::Invisible, 1));
            }
            'เ' if previous == Some('เ') => {
                issues.push(TextIssue { at: at - 1, found: "เเ".into(), kind: TextIssueKind::DoubledSaraE })
            }
            '\u{0E32}' if previous == Some('\u{0E4D}') => issues.push(TextIssue {
                at: at - 1,
                found: "\u{0E4D}\u{0E32}".into(),
                kind: TextIssueKind::DecomposedSaraAm,
            }),
            c if is_thai_combining(c) => {
                let base_ok =
                    previous.is_some_and(|p| is_thai_consonant(p) || is_thai_combining(p) || matches!(p, 'ฤ' | 'ฦ'));
                if !base_ok {
                    issues.push(flag(TextIssueKind::StrayMark, 1));
                } else if previous == Some(c) || (is_tone_mark(c) && tone_seen_on_cluster) {
                    issues.push(flag(TextIssueKind::DoubledMark, 1));
                }
                if is_tone_mark(c) {
                    tone_seen_on_cluster = true;
                }
            }
            _ => {}
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baht_are_grouped_by_thousands_with_satang_only_when_there_are_any() {
        assert_eq!(format_baht(2_500_000, Digits::Thai), "๒๕,๐๐๐");
        assert_eq!(format_baht(123_450, Digits::Arabic), "1,234.50");
        assert_eq!(format_baht(99, Digits::Arabic), "0.99");
        assert_eq!(format_baht(10_000_000_000, Digits::Arabic), "100,000,000");
        assert_eq!(format_baht(-150, Digits::Arabic), "-1.50");
    }

    #[test]
    fn baht_are_read_as_people_type_them() {
        assert_eq!(parse_baht("25,000"), Some(2_500_000));
        assert_eq!(parse_baht(" ๒๕,๐๐๐.๕๐ "), Some(2_500_050));
        assert_eq!(parse_baht("1234.5 บาท"), Some(123_450));
        assert_eq!(parse_baht("0"), Some(0));
        for bad in ["", "-5", "1.234", "12,34", ",000", "abc", "1 2", "9999999999999"] {
            assert_eq!(parse_baht(bad), None, "{bad:?}");
        }
        assert_eq!(parse_baht(&format_baht(123_456_789, Digits::Thai)), Some(123_456_789), "reads what it writes");
    }

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn digits_both_ways() {
        let cases = [
            ("2565", "๒๕๖๕"),
            ("0123456789", "๐๑๒๓๔๕๖๗๘๙"),
            ("โทร 032-740291", "โทร ๐๓๒-๗๔๐๒๙๑"),
            ("ไม่มีตัวเลข", "ไม่มีตัวเลข"),
            ("", ""),
        ];
        for (arabic, thai) in cases {
            assert_eq!(to_thai_digits(arabic), thai, "{arabic}");
            assert_eq!(to_arabic_digits(thai), arabic, "{thai}");
        }
        // Mixed input reads as one kind.
        assert_eq!(to_arabic_digits("๒5๖5"), "2565");
        assert_eq!(to_thai_digits("๒5๖5"), "๒๕๖๕");
        assert_eq!(
            to_official_digits("ข้อ A43 ปี พ.ศ.2565 โทร 032-740291 ที่ https://a.go.th/2565 COVID-19"),
            "ข้อ A43 ปี พ.ศ.๒๕๖๕ โทร ๐๓๒-๗๔๐๒๙๑ ที่ https://a.go.th/2565 COVID-19"
        );
        // Other scripts' digits are not Thai digits.
        assert_eq!(to_arabic_digits("١٢"), "١٢");
    }

    #[test]
    fn numbers_from_either_digits() {
        let cases = [
            ("95", Some(95)),
            ("๙๕", Some(95)),
            (" ๑๒ ", Some(12)),
            ("9๕", Some(95)),
            ("", None),
            ("๑.๕", None),
            ("-1", None),
            ("หนึ่ง", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_number(input), expected, "{input:?}");
        }
    }

    #[test]
    fn dates_in_buddhist_era() {
        let cases = [
            (date(2022, 3, 21), MonthStyle::Full, Digits::Thai, "๒๑ มีนาคม ๒๕๖๕"),
            (date(2022, 3, 21), MonthStyle::Abbreviated, Digits::Thai, "๒๑ มี.ค. ๒๕๖๕"),
            (date(2022, 3, 21), MonthStyle::Full, Digits::Arabic, "21 มีนาคม 2565"),
            (date(2021, 10, 1), MonthStyle::Full, Digits::Thai, "๑ ตุลาคม ๒๕๖๔"),
            (date(2024, 2, 29), MonthStyle::Abbreviated, Digits::Arabic, "29 ก.พ. 2567"),
            (date(2023, 12, 31), MonthStyle::Full, Digits::Thai, "๓๑ ธันวาคม ๒๕๖๖"),
        ];
        for (d, month, digits, expected) in cases {
            assert_eq!(format_date(d, month, digits), expected);
        }
        assert_eq!(format_date_official(date(2022, 3, 21)), "๒๑ มีนาคม ๒๕๖๕");
    }

    #[test]
    fn typed_dates_are_read_back() {
        let ok = [
            ("21 มีนาคม 2565", date(2022, 3, 21)),
            ("๒๑ มีนาคม ๒๕๖๕", date(2022, 3, 21)),
            ("๒๑ มี.ค. ๒๕๖๕", date(2022, 3, 21)),
            ("21 มีค 2565", date(2022, 3, 21)),
            ("21/3/2565", date(2022, 3, 21)),
            ("๑/๑๐/๒๕๖๔", date(2021, 10, 1)),
            ("29 ก.พ. 2567", date(2024, 2, 29)),
        ];
        for (input, expected) in ok {
            assert_eq!(parse_date_be(input), Ok(expected), "{input}");
        }
        let bad = [
            ("21 มีนาคม 2022", DateParseError::NotBuddhistEra(2022)),
            ("30 ก.พ. 2567", DateParseError::NoSuchDay),
            ("21 มีนาค 2565", DateParseError::Month),
            ("มีนาคม", DateParseError::Shape),
            ("", DateParseError::Shape),
        ];
        for (input, expected) in bad {
            assert_eq!(parse_date_be(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn quarter_and_schedule_labels() {
        let cases = [
            ("1", "ไตรมาสที่ ๑"),
            ("4", "ไตรมาสที่ ๔"),
            ("1-4", "ไตรมาสที่ ๑ - ๔"),
            ("2-3", "ไตรมาสที่ ๒ - ๓"),
            ("1,3", "ไตรมาสที่ ๑, ๓"),
        ];
        for (code, label) in cases {
            let schedule = Schedule::parse(code).expect("valid schedule code");
            assert_eq!(schedule_label(&schedule), label, "{code}");
        }
        let q = FiscalQuarter::new(2).expect("quarter 2 exists");
        assert_eq!(quarter_label(q), "ไตรมาสที่ ๒");
    }

    #[test]
    fn scores_are_read_as_typed() {
        assert_eq!(parse_score("95.21"), Some(9521));
        assert_eq!(parse_score(" ๙๕.๒๑ "), Some(9521));
        assert_eq!(parse_score("88"), Some(8800));
        assert_eq!(parse_score("88.5"), Some(8850));
        assert_eq!(parse_score("100"), Some(10_000));
        for bad in ["", "100.01", "95.215", "abc", "-5", ".5", "9 5"] {
            assert_eq!(parse_score(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scores_in_thai_digits() {
        for (hundredths, expected) in [(9521, "๙๕.๒๑"), (8500, "๘๕.๐๐"), (5, "๐.๐๕"), (10000, "๑๐๐.๐๐")]
        {
            assert_eq!(format_score(hundredths), expected);
        }
    }

    #[test]
    fn thai_collation_orders_leading_vowels_by_consonant() {
        // Dictionary order: ก < ข ... ; "เก" sorts under ก, before "ข".
        let cases: [(&str, &str, Ordering); 6] = [
            ("กองคลัง", "กองช่าง", Ordering::Less),
            ("เกษตร", "ขนส่ง", Ordering::Less),
            ("ไก่", "ขา", Ordering::Less),
            ("แก้ว", "กา", Ordering::Greater),
            ("โต๊ะ", "ตา", Ordering::Greater),
            ("สำนักปลัด", "งานพัฒนาชุมชน", Ordering::Greater),
        ];
        for (a, b, expected) in cases {
            assert_eq!(collate(a, b), expected, "{a} vs {b}");
        }
        let mut names = vec!["ไพโรจน์", "กรรณิการ์", "ปาริชาติ", "เกศินี", "อำนาง", "วินัย"];
        sort_thai(&mut names, |s| s);
        assert_eq!(names, ["กรรณิการ์", "เกศินี", "ปาริชาติ", "ไพโรจน์", "วินัย", "อำนาง"]);
    }

    #[test]
    fn validation_flags_without_rewriting() {
        use TextIssueKind::*;
        type Expected = Vec<(usize, &'static str, TextIssueKind)>;
        let cases: Vec<(&str, Expected)> = vec![
            ("คะแนน", vec![]),
            ("ผลการดำเนินงาน ไตรมาสที่ ๑", vec![]),
            ("คະแนน", vec![(1, "ະ", LookalikeScript)]),
            ("เเก้ไข", vec![(0, "เเ", DoubledSaraE)]),
            ("ดําเนินการ", vec![(1, "ํา", DecomposedSaraAm)]),
            ("ก่่อน", vec![(2, "่", DoubledMark)]),
            ("ก้่อน", vec![(2, "่", DoubledMark)]),
            ("่ก", vec![(0, "่", StrayMark)]),
            ("ข้อ\u{200B}มูล", vec![(3, "\u{200B}", Invisible)]),
            ("ข้อมูล\u{FFFD}", vec![(6, "\u{FFFD}", ReplacementCharacter)]),
            ("สองบรรทัด\nได้", vec![]),
            ("ที่ รบ ๗๒๑๐๑/-", vec![]),
            ("ผู้รับผิดชอบ", vec![]),
            ("กี่ปี", vec![]),
        ];
        for (text, expected) in cases {
            let found: Vec<_> = validate_thai_text(text).into_iter().map(|i| (i.at, i.found, i.kind)).collect();
            let expected: Vec<_> = expected.into_iter().map(|(at, f, k)| (at, f.to_string(), k)).collect();
            assert_eq!(found, expected, "{text:?}");
        }
    }
}
