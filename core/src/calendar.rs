//! Dates, Buddhist Era fiscal years and fiscal quarters.
//!
//! Fiscal year N (BE) runs 1 October N−1 to 30 September N. Fiscal quarter ๑ is October–December,
//! ๒ January–March, ๓ April–June, ๔ July–September. Calendar quarters are never used here.

use std::fmt;
use std::str::FromStr;

/// Years between the Christian and the Buddhist Era.
pub const BE_OFFSET: i32 = 543;

/// A calendar day (proleptic Gregorian). Stored and exchanged as ISO `YYYY-MM-DD` (CE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// A CE date, or `None` when that day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// A date given with a Buddhist Era year.
    pub fn from_be(year_be: u32, month: u8, day: u8) -> Option<Date> {
        let year = i32::try_from(year_be).ok()? - BE_OFFSET;
        Date::new(year, month, day)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn year_be(self) -> i32 {
        self.year + BE_OFFSET
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days_since_epoch`].
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The day of a Unix timestamp in milliseconds, in Thailand's time zone (UTC+7, no DST).
    pub fn from_unix_millis_bangkok(millis: i64) -> Date {
        const BANGKOK_OFFSET_MS: i64 = 7 * 3600 * 1000;
        Date::from_days_since_epoch((millis + BANGKOK_OFFSET_MS).div_euclid(86_400_000))
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Whole days from `self` to `other` (positive when `other` is later).
    pub fn days_until(self, other: Date) -> i64 {
        other.days_since_epoch() - self.days_since_epoch()
    }

    /// The fiscal year (BE) this day belongs to.
    pub fn fiscal_year(self) -> FiscalYear {
        let be = self.year_be() + i32::from(self.month >= 10);
        FiscalYear(u32::try_from(be).expect("dates in this product are after year 0 BE"))
    }

    /// The fiscal quarter this day falls in.
    pub fn fiscal_quarter(self) -> FiscalQuarter {
        FiscalQuarter(match self.month {
            10..=12 => 1,
            1..=3 => 2,
            4..=6 => 3,
            _ => 4,
        })
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An ISO date string was not `YYYY-MM-DD` or named a day that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected an ISO date YYYY-MM-DD, got {0:?}")]
pub struct IsoDateError(pub String);

impl FromStr for Date {
    type Err = IsoDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IsoDateError(s.to_string());
        let mut parts = s.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let year = y.parse().map_err(|_| err())?;
        let month = m.parse().map_err(|_| err())?;
        let day = d.parse().map_err(|_| err())?;
        Date::new(year, month, day).ok_or_else(err)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A fiscal year in the Buddhist Era, e.g. `FiscalYear(2565)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FiscalYear(pub u32);

impl FiscalYear {
    /// 1 October of the previous BE year.
    pub fn first_day(self) -> Date {
        Date::from_be(self.0 - 1, 10, 1).expect("1 October exists")
    }

    /// 30 September.
    pub fn last_day(self) -> Date {
        Date::from_be(self.0, 9, 30).expect("30 September exists")
    }

    /// The first day of a fiscal quarter of this year.
    pub fn quarter_start(self, quarter: FiscalQuarter) -> Date {
        let (be, month) = match quarter.0 {
            1 => (self.0 - 1, 10),
            2 => (self.0, 1),
            3 => (self.0, 4),
            _ => (self.0, 7),
        };
        Date::from_be(be, month, 1).expect("the first of a month exists")
    }

    /// The last day of a fiscal quarter of this year.
    pub fn quarter_end(self, quarter: FiscalQuarter) -> Date {
        match FiscalQuarter::new(quarter.0 + 1) {
            Some(next) => self.quarter_start(next).add_days(-1),
            None => self.last_day(),
        }
    }

    /// The quarter a day falls in, if the day is inside this fiscal year.
    pub fn quarter_of(self, date: Date) -> Option<FiscalQuarter> {
        (date.fiscal_year() == self).then(|| date.fiscal_quarter())
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Fiscal quarter ๑–๔ (๑ = October–December).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct FiscalQuarter(u8);

impl FiscalQuarter {
    pub const ALL: [FiscalQuarter; 4] = [FiscalQuarter(1), FiscalQuarter(2), FiscalQuarter(3), FiscalQuarter(4)];

    pub fn new(number: u8) -> Option<FiscalQuarter> {
        (1..=4).contains(&number).then_some(FiscalQuarter(number))
    }

    pub fn number(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for FiscalQuarter {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        FiscalQuarter::new(n).ok_or_else(|| format!("fiscal quarter must be 1-4, got {n}"))
    }
}

impl From<FiscalQuarter> for u8 {
    fn from(q: FiscalQuarter) -> u8 {
        q.0
    }
}

/// When a measure is carried out: one fiscal quarter, a set, or a range ("ไตรมาสที่ ๑ - ๔").
///
/// Stored as one scalar code ("2", "1-4", "1,3") so that two people setting it at once produce an
/// Automerge conflict the merged view reports, rather than a silently mixed list. Wording that
/// names no quarters we can tell ("ช่วงเทศกาล") is kept as written, code `~` + the text, and
/// flagged ([`Schedule::written`]) until someone sets the quarters: never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Schedule {
    /// Bit `q-1` set when quarter `q` is included.
    quarters: u8,
    /// The schedule as written, when it could not be read as quarters.
    written: Option<String>,
}

impl Schedule {
    pub fn single(quarter: FiscalQuarter) -> Schedule {
        Schedule { quarters: 1 << (quarter.0 - 1), written: None }
    }

    pub fn range(from: FiscalQuarter, to: FiscalQuarter) -> Schedule {
        let (lo, hi) = if from <= to { (from.0, to.0) } else { (to.0, from.0) };
        Schedule { quarters: (lo..=hi).fold(0, |bits, q| bits | 1 << (q - 1)), written: None }
    }

    pub fn from_quarters(quarters: impl IntoIterator<Item = FiscalQuarter>) -> Schedule {
        Schedule { quarters: quarters.into_iter().fold(0, |bits, q| bits | 1 << (q.0 - 1)), written: None }
    }

    /// Every quarter: "ตลอดปีงบประมาณ".
    pub fn whole_year() -> Schedule {
        Schedule::range(FiscalQuarter(1), FiscalQuarter(4))
    }

    /// A schedule kept as written because it names no quarters this build can tell.
    pub fn as_written(text: &str) -> Schedule {
        Schedule { quarters: 0, written: Some(text.trim().to_string()) }
    }

    /// The text kept as written when it could not be read (shown flagged; printed as is).
    pub fn written(&self) -> Option<&str> {
        self.written.as_deref()
    }

    /// No quarter set and nothing written.
    pub fn is_empty(&self) -> bool {
        self.quarters == 0 && self.written.is_none()
    }

    pub fn quarters(&self) -> impl Iterator<Item = FiscalQuarter> + '_ {
        FiscalQuarter::ALL.into_iter().filter(|q| self.contains(*q))
    }

    pub fn contains(&self, quarter: FiscalQuarter) -> bool {
        self.quarters & (1 << (quarter.0 - 1)) != 0
    }

    /// The quarter by whose end the work is due.
    pub fn last_quarter(&self) -> Option<FiscalQuarter> {
        self.quarters().last()
    }

    pub fn first_quarter(&self) -> Option<FiscalQuarter> {
        self.quarters().next()
    }

    /// "2", "1-4" (a contiguous run of two or more), "1,3", "1-2,4"; "" when empty; `~` and the
    /// text when kept as written.
    pub fn to_code(&self) -> String {
        if let Some(text) = &self.written {
            return format!("{WRITTEN_MARK}{text}");
        }
        self.quarters_code()
    }

    fn quarters_code(&self) -> String {
        let mut runs: Vec<(u8, u8)> = Vec::new();
        for q in self.quarters().map(|q| q.0) {
            match runs.last_mut() {
                Some((_, end)) if *end + 1 == q => *end = q,
                _ => runs.push((q, q)),
            }
        }
        runs.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(",")
    }

    /// Reads a schedule as agencies write it, or its code:
    /// - quarters: "2", "1-4", "1,3", "๑ - ๔", "ไตรมาสที่ ๑ - ๔", "ไตรมาส ๑ ถึง ไตรมาส ๔",
    ///   "ไตรมาสที่ ๑ และ ๓", "Q1-Q4";
    /// - the whole year: "ตลอดปีงบประมาณ", "ตลอดปี", "ทั้งปี";
    /// - months and month ranges, with or without years: "ต.ค. ๖๕ – ก.ย. ๖๖",
    ///   "ตุลาคม ๒๕๖๕ - มีนาคม ๒๕๖๖", "มกราคม", "ต.ค., ม.ค." (each month counts for its quarter);
    /// - `~text`, a schedule kept as written.
    ///
    /// "" is an empty schedule. A range running backwards across the year's end (ก.ค. – ธ.ค.) or
    /// across two fiscal years is not a schedule of one year and is refused.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        if let Some(written) = text.strip_prefix(WRITTEN_MARK) {
            return Ok(Schedule::as_written(written));
        }
        let error = || ScheduleError(text.to_string());
        let arabic = crate::thai::to_arabic_digits(text);
        let compact: String = arabic.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Ok(Schedule::default());
        }
        if WHOLE_YEAR.contains(&compact.as_str()) {
            return Ok(Schedule::whole_year());
        }
        let cleaned = compact
            .replace("ไตรมาสที่", "")
            .replace("ไตรมาส", "")
            .replace("ถึง", "-")
            .replace("และ", ",")
            .replace(['Q', 'q'], "")
            .replace(['–', '—', '~'], "-");
        let mut schedule = Schedule::default();
        for part in cleaned.split(',') {
            let ends: Vec<&str> = part.split('-').collect();
            let added = match ends.as_slice() {
                [one] => match one.parse::<u8>() {
                    Ok(q) => Schedule::single(FiscalQuarter::new(q).ok_or_else(error)?),
                    Err(_) => month_span(month_of(one).ok_or_else(error)?, month_of(one).ok_or_else(error)?)
                        .ok_or_else(error)?,
                },
                [a, b] => match (a.parse::<u8>(), b.parse::<u8>()) {
                    (Ok(a), Ok(b)) => Schedule::range(
                        FiscalQuarter::new(a).ok_or_else(error)?,
                        FiscalQuarter::new(b).ok_or_else(error)?,
                    ),
                    _ => {
                        month_span(month_of(a).ok_or_else(error)?, month_of(b).ok_or_else(error)?).ok_or_else(error)?
                    }
                },
                _ => return Err(error()),
            };
            schedule.quarters |= added.quarters;
        }
        Ok(schedule)
    }

    /// [`Schedule::parse`], or the text kept as written (flagged) when it cannot be read.
    pub fn read(text: &str) -> Schedule {
        Schedule::parse(text).unwrap_or_else(|_| Schedule::as_written(text))
    }
}

/// The code prefix of a schedule kept as written.
const WRITTEN_MARK: char = '~';

/// How agencies write "the whole fiscal year" (spaces removed).
const WHOLE_YEAR: [&str; 5] = ["ตลอดปีงบประมาณ", "ตลอดปี", "ทั้งปี", "ทั้งปีงบประมาณ", "ตลอดทั้งปีงบประมาณ"];

/// A month as written, with its year when one is given: "ต.ค.65", "ตุลาคม2565", "มกราคม".
fn month_of(text: &str) -> Option<(u8, Option<i32>)> {
    let split = text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len());
    let (name, year) = text.split_at(split);
    let name = name.trim_end_matches("พ.ศ.").trim_end_matches("พ.ศ").trim_end_matches('.');
    let month = crate::thai::month_number(name)
        .or_else(|| crate::thai::month_number(&format!("{name}.")))
        .filter(|_| !name.is_empty())?;
    let year = match year {
        "" => None,
        digits => {
            let n: i32 = digits.parse().ok()?;
            Some(match n {
                0..=99 => 2500 + n,
                2400..=2700 => n,
                _ => return None,
            })
        }
    };
    Some((month, year))
}

/// The quarters from month `a` to month `b` of one fiscal year (each month counts for its
/// quarter), or `None` when the span is not inside one fiscal year.
fn month_span((a, year_a): (u8, Option<i32>), (b, year_b): (u8, Option<i32>)) -> Option<Schedule> {
    // Months in fiscal order: October is 0.
    let index = |m: u8| (usize::from(m) + 2) % 12;
    let fiscal_year = |m: u8, y: i32| if m >= 10 { y + 1 } else { y };
    if let (Some(ya), Some(yb)) = (year_a, year_b)
        && fiscal_year(a, ya) != fiscal_year(b, yb)
    {
        return None;
    }
    let (from, to) = (index(a), index(b));
    if from > to {
        return None;
    }
    let quarters = (from..=to).map(|i| FiscalQuarter((i / 3) as u8 + 1));
    Some(Schedule::from_quarters(quarters))
}

/// A schedule that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read fiscal quarters from {0:?}; write e.g. 1, 1-4 or 1,3")]
pub struct ScheduleError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn fiscal_quarter_of_a_date() {
        let cases = [
            (date(2021, 10, 1), 2565, 1),
            (date(2021, 12, 31), 2565, 1),
            (date(2022, 1, 1), 2565, 2),
            (date(2022, 3, 21), 2565, 2),
            (date(2022, 4, 1), 2565, 3),
            (date(2022, 6, 30), 2565, 3),
            (date(2022, 7, 1), 2565, 4),
            (date(2022, 9, 30), 2565, 4),
            (date(2022, 10, 1), 2566, 1),
        ];
        for (d, fy, q) in cases {
            assert_eq!(d.fiscal_year(), FiscalYear(fy), "{d}");
            assert_eq!(d.fiscal_quarter().number(), q, "{d}");
        }
    }

    #[test]
    fn quarter_boundaries_of_a_fiscal_year() {
        let fy = FiscalYear(2565);
        assert_eq!(fy.first_day(), date(2021, 10, 1));
        assert_eq!(fy.last_day(), date(2022, 9, 30));
        let expected = [
            (date(2021, 10, 1), date(2021, 12, 31)),
            (date(2022, 1, 1), date(2022, 3, 31)),
            (date(2022, 4, 1), date(2022, 6, 30)),
            (date(2022, 7, 1), date(2022, 9, 30)),
        ];
        for (q, (start, end)) in FiscalQuarter::ALL.into_iter().zip(expected) {
            assert_eq!(fy.quarter_start(q), start, "start of {q:?}");
            assert_eq!(fy.quarter_end(q), end, "end of {q:?}");
        }
        assert_eq!(fy.quarter_of(date(2022, 10, 1)), None);
    }

    #[test]
    fn day_arithmetic_round_trips() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        assert_eq!(date(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(date(2024, 2, 28).add_days(1), date(2024, 2, 29));
        assert_eq!(date(2023, 2, 28).add_days(1), date(2023, 3, 1));
        assert_eq!(date(2022, 3, 1).days_until(date(2022, 4, 30)), 60);
        // 2022-03-20T17:30Z is already 21 March in Bangkok.
        assert_eq!(Date::from_unix_millis_bangkok(1_647_797_400_000), date(2022, 3, 21));
    }

    #[test]
    fn iso_dates() {
        assert_eq!("2022-03-21".parse(), Ok(date(2022, 3, 21)));
        for bad in ["2022-3-21", "2022-02-30", "21/03/2022", "", "2022-03-21x"] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert_eq!(date(2022, 3, 21).to_string(), "2022-03-21");
        assert_eq!(Date::from_be(2565, 3, 21), Some(date(2022, 3, 21)));
    }

    #[test]
    fn schedules_parse_and_print() {
        let cases = [
            ("1", "1"),
            ("๑ - ๔", "1-4"),
            ("ไตรมาสที่ ๑ - ๔", "1-4"),
            ("ไตรมาสที่ ๒", "2"),
            ("1,3", "1,3"),
            ("1,2", "1-2"),
            ("3-1", "1-3"),
            ("Q1-Q4", "1-4"),
            ("1–2, 4", "1-2,4"),
            ("", ""),
            ("ตลอดปีงบประมาณ", "1-4"),
            ("ตลอดปี งบประมาณ", "1-4"),
            ("ต.ค. ๖๕ – ก.ย. ๖๖", "1-4"),
            ("ตุลาคม ๒๕๖๕ - มีนาคม ๒๕๖๖", "1-2"),
            ("พฤศจิกายน - กุมภาพันธ์", "1-2"),
            ("ม.ค. - มิ.ย. 2566", "2-3"),
            ("กรกฎาคม", "4"),
            ("ต.ค., ม.ค., ก.ค.", "1-2,4"),
            ("ไตรมาส 1 ถึง ไตรมาส 3", "1-3"),
            ("ไตรมาสที่ ๑ และ ๓", "1,3"),
            ("ไตรมาสที่ ๑, ๒ และ ๔", "1-2,4"),
            ("Q2 - Q3", "2-3"),
            ("~ช่วงเทศกาลสงกรานต์", "~ช่วงเทศกาลสงกรานต์"),
        ];
        for (input, code) in cases {
            assert_eq!(Schedule::parse(input).map(|s| s.to_code()), Ok(code.to_string()), "{input}");
        }
        for bad in ["5", "0-2", "หนึ่ง", "1-", "ก.ค. - ธ.ค.", "ต.ค. ๖๕ - ต.ค. ๖๖", "1-2-3"]
        {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        let s = Schedule::parse("1-4").expect("valid");
        assert_eq!(s.last_quarter().map(FiscalQuarter::number), Some(4));
        assert_eq!(s.first_quarter().map(FiscalQuarter::number), Some(1));
        assert!(Schedule::parse("").expect("valid").last_quarter().is_none());
    }

    #[test]
    fn unreadable_schedules_are_kept_as_written_and_flagged() {
        let kept = Schedule::read(" ช่วงเทศกาลสงกรานต์ ");
        assert_eq!(kept.written(), Some("ช่วงเทศกาลสงกรานต์"));
        assert!(!kept.is_empty());
        assert_eq!(kept.quarters().count(), 0);
        // Its code reads back the same, so it survives the document.
        assert_eq!(Schedule::parse(&kept.to_code()), Ok(kept.clone()));
        assert_eq!(Schedule::read("ไตรมาสที่ ๒").written(), None);
        assert_eq!(Schedule::read("ก.ค. - ธ.ค.").written(), Some("ก.ค. - ธ.ค."));
    }
}
