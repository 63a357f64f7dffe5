//! ITA reference data per assessment year: score bands, the OIT collection window, and OIT item
//! codes, titles and required elements. It is data (`core/data/ita-reference.json`), not code,
//! because the NACC changes all of it between years.

use std::sync::OnceLock;

use crate::calendar::Date;

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ReferenceData {
    pub years: Vec<AssessmentYear>,
}

/// One assessment year's rules.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct AssessmentYear {
    /// Buddhist Era.
    pub year: u32,
    /// Highest band first.
    pub bands: Vec<Band>,
    pub oit_window: DateRange,
    pub items: Vec<OitItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Band {
    pub band: String,
    /// The lowest score in this band, ×100.
    pub min_hundredths: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

/// An OIT item as the manual of that year defines it.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct OitItem {
    pub code: String,
    pub indicator: String,
    pub indicator_title: String,
    pub sub_indicator: String,
    pub sub_indicator_title: String,
    pub title: String,
    /// องค์ประกอบด้านข้อมูล, in the manual's order.
    pub elements: Vec<String>,
}

impl ReferenceData {
    /// The reference data compiled into this build.
    pub fn builtin() -> &'static ReferenceData {
        static DATA: OnceLock<ReferenceData> = OnceLock::new();
        DATA.get_or_init(|| {
            serde_json::from_str(include_str!("../data/ita-reference.json"))
                .expect("core/data/ita-reference.json is checked by the reference_data_loads test")
        })
    }

    pub fn year(&self, year_be: u32) -> Option<&AssessmentYear> {
        self.years.iter().find(|y| y.year == year_be)
    }
}

impl AssessmentYear {
    /// The band of a score (×100) under this year's rules.
    pub fn band(&self, score_hundredths: u32) -> Option<&str> {
        self.bands.iter().find(|b| score_hundredths >= b.min_hundredths).map(|b| b.band.as_str())
    }

    pub fn item(&self, code: &str) -> Option<&OitItem> {
        self.items.iter().find(|i| i.code.eq_ignore_ascii_case(code))
    }

    /// Days left in the OIT collection window on `today`, counting today and the last day:
    /// `None` before the window opens (see [`AssessmentYear::days_until_window`]), 0 after it closed.
    pub fn window_days_left(&self, today: Date) -> Option<i64> {
        if today < self.oit_window.from {
            return None;
        }
        Some((today.days_until(self.oit_window.to) + 1).max(0))
    }

    /// Days until the OIT window opens, when it has not yet.
    pub fn days_until_window(&self, today: Date) -> Option<i64> {
        (today < self.oit_window.from).then(|| today.days_until(self.oit_window.from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y2565() -> &'static AssessmentYear {
        ReferenceData::builtin().year(2565).expect("2565 is in the reference data")
    }

    #[test]
    fn reference_data_loads() {
        let year = y2565();
        assert_eq!(year.item("O42").map(|i| i.sub_indicator.as_str()), Some("10.2"));
        assert_eq!(year.item("o43").map(|i| i.elements.len()), Some(3));
        assert!(ReferenceData::builtin().year(2400).is_none());
        // Bands are listed highest first, so the first match is the right one.
        assert!(year.bands.windows(2).all(|w| w[0].min_hundredths > w[1].min_hundredths));
    }

    #[test]
    fn score_to_band() {
        let cases = [
            (10000, "AA"),
            (9521, "AA"),
            (9500, "AA"),
            (9499, "A"),
            (8500, "A"),
            (8499, "B"),
            (7500, "B"),
            (7499, "C"),
            (6500, "C"),
            (6499, "D"),
            (5500, "D"),
            (5499, "E"),
            (5000, "E"),
            (4999, "F"),
            (0, "F"),
        ];
        for (score, band) in cases {
            assert_eq!(y2565().band(score), Some(band), "{score}");
        }
    }

    #[test]
    fn oit_window_days() {
        let d = |s: &str| s.parse::<Date>().expect("valid date");
        let year = y2565();
        let cases = [
            ("2022-02-20", None, Some(9)),
            ("2022-03-01", Some(61), None),
            ("2022-03-21", Some(41), None),
            ("2022-04-30", Some(1), None),
            ("2022-05-01", Some(0), None),
        ];
        for (today, left, until) in cases {
            assert_eq!(year.window_days_left(d(today)), left, "{today}");
            assert_eq!(year.days_until_window(d(today)), until, "{today}");
        }
    }
}
