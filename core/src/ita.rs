//! The ITA criteria of each assessment year, as data (`core/data/ita/{year}-{form}.json`, and
//! whatever an operator imports later): score bands and the quality rating, the OIT window, every
//! OIT item (code, indicator, title, required elements, which fiscal year it reports on) and which
//! items pair up as plan-and-report tracks, each fact with its sources and whether it is
//! confirmed. The NACC changes all of it between years, so no code names an item.
//!
//! Two years matter for an item: the fiscal year the work was done in (which keys an
//! agency-year's documents) and the assessment year it is reported in. An item of assessment year
//! A with `fiscal_year_offset` o covers fiscal year A + o: in 2565 the integrity report covered
//! 2565 itself, from 2569 it covers the year before. [`ReferenceData::resolve`] finds, for a
//! fiscal year, the item each track's plan and reports go under; where the assessment year is not
//! known yet it takes the last known one and marks it unconfirmed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::calendar::Date;

/// The form local governments (อปท.) answer: filled first.
pub const LOCAL_FORM: &str = "local";

/// The integrity measures track: the one every agency-year has.
pub const INTEGRITY_TRACK: &str = "integrity";

/// One assessment year's criteria for one form.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Criteria {
    /// Assessment year, Buddhist Era.
    pub year: u32,
    /// Which agencies answer this form (`local` for อปท.).
    pub form: String,
    #[serde(default)]
    pub form_title: String,
    /// Every fact of the year checked against a source that states it.
    #[serde(default)]
    pub confirmed: bool,
    /// What the file is based on and what is uncertain.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub about: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    pub bands: Bands,
    #[serde(default)]
    pub rating: Option<Rating>,
    pub oit_window: Window,
    pub items: Vec<OitItem>,
    #[serde(default)]
    pub tracks: Vec<TrackDef>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Source {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Bands {
    /// Highest first.
    pub levels: Vec<Band>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Band {
    pub band: String,
    /// The lowest score in this band, ×100.
    pub min_hundredths: u32,
}

/// The quality rating (from 2567): levels in order, the first whose conditions hold.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Rating {
    pub levels: Vec<RatingLevel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct RatingLevel {
    pub label: String,
    pub min_total_hundredths: u32,
    /// The least each of IIT, EIT and OIT must score (0: no condition).
    #[serde(default)]
    pub min_each_hundredths: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

/// When assessors collect the OIT answers (unknown for some years).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Window {
    pub from: Option<Date>,
    pub to: Option<Date>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default)]
    pub confirmed: bool,
}

/// An OIT item as the manual of that year defines it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct OitItem {
    pub code: String,
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub indicator_title: Option<String>,
    #[serde(default)]
    pub sub_indicator: Option<String>,
    #[serde(default)]
    pub sub_indicator_title: Option<String>,
    pub title: String,
    /// องค์ประกอบด้านข้อมูล, in the manual's order.
    #[serde(default)]
    pub elements: Vec<String>,
    /// The fiscal year the item covers, relative to the assessment year (0 or -1).
    #[serde(default)]
    pub fiscal_year_offset: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default)]
    pub confirmed: bool,
}

/// A plan-and-report pair of the year: the plan item and its report rounds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TrackDef {
    /// Stable across years for the same kind of work (`integrity`, `anticorruption`, …).
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub reports: Vec<RoundDef>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct RoundDef {
    pub item: String,
    /// `annual`, `half`, …: stable across years.
    pub round: String,
    #[serde(default)]
    pub round_title: String,
}

/// Why a criteria file is refused, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CriteriaError {
    pub field: String,
    pub reason: String,
}

impl Criteria {
    /// Reads and checks a criteria file: refused whole, with the field and the reason.
    pub fn parse(text: &str) -> Result<Criteria, CriteriaError> {
        let criteria: Criteria = serde_json::from_str(text).map_err(|e| CriteriaError {
            field: format!("line {}, column {}", e.line(), e.column()),
            reason: e.to_string(),
        })?;
        criteria.validate()?;
        Ok(criteria)
    }

    /// The checks every criteria file passes.
    pub fn validate(&self) -> Result<(), CriteriaError> {
        let bad = |field: String, reason: &str| Err(CriteriaError { field, reason: reason.to_string() });
        if !(2560..=2700).contains(&self.year) {
            return bad("year".into(), "an assessment year in Buddhist Era, 2560–2700");
        }
        if self.form.is_empty() || !self.form.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return bad("form".into(), "a short lowercase name such as \"local\"");
        }
        if self.bands.levels.is_empty() {
            return bad("bands.levels".into(), "at least one band");
        }
        if !self.bands.levels.windows(2).all(|w| w[0].min_hundredths > w[1].min_hundredths) {
            return bad("bands.levels".into(), "highest band first, each lower than the one before");
        }
        if let (Some(from), Some(to)) = (self.oit_window.from, self.oit_window.to)
            && to < from
        {
            return bad("oit_window".into(), "ends before it starts");
        }
        if self.items.is_empty() {
            return bad("items".into(), "at least one item");
        }
        let mut codes = std::collections::BTreeSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let field = |name: &str| format!("items[{i}].{name}");
            let code_ok = item.code.len() >= 2
                && item.code.starts_with(|c: char| c.is_ascii_uppercase())
                && item.code[1..].bytes().all(|b| b.is_ascii_digit());
            if !code_ok {
                return bad(field("code"), "a letter and a number, such as the manual's codes");
            }
            if !codes.insert(item.code.clone()) {
                return bad(field("code"), "appears twice");
            }
            if item.title.trim().is_empty() {
                return bad(field("title"), "empty");
            }
            if !(-1..=0).contains(&item.fiscal_year_offset) {
                return bad(field("fiscal_year_offset"), "0 (this fiscal year) or -1 (the one before)");
            }
        }
        for (t, track) in self.tracks.iter().enumerate() {
            let known = |code: &str| self.items.iter().any(|i| i.code == code);
            if track.id.is_empty() || !track.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return bad(format!("tracks[{t}].id"), "a short lowercase name");
            }
            if let Some(plan) = &track.plan
                && !known(plan)
            {
                return bad(format!("tracks[{t}].plan"), "not an item of this year");
            }
            for (r, round) in track.reports.iter().enumerate() {
                if !known(&round.item) {
                    return bad(format!("tracks[{t}].reports[{r}].item"), "not an item of this year");
                }
            }
        }
        Ok(())
    }

    /// The band of a score (×100) under this year's rules.
    pub fn band(&self, score_hundredths: u32) -> Option<&str> {
        self.bands.levels.iter().find(|b| score_hundredths >= b.min_hundredths).map(|b| b.band.as_str())
    }

    /// The quality rating of a total and its three parts (×100), where the year has one.
    pub fn rating(&self, total: u32, iit: u32, eit: u32, oit: u32) -> Option<&str> {
        let least = iit.min(eit).min(oit);
        self.rating
            .as_ref()?
            .levels
            .iter()
            .find(|l| total >= l.min_total_hundredths && least >= l.min_each_hundredths)
            .map(|l| l.label.as_str())
    }

    pub fn item(&self, code: &str) -> Option<&OitItem> {
        self.items.iter().find(|i| i.code.eq_ignore_ascii_case(code))
    }

    pub fn track(&self, id: &str) -> Option<&TrackDef> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// Days left in the OIT collection window on `today`, counting today and the last day:
    /// `None` before the window opens or when it is not known, 0 after it closed.
    pub fn window_days_left(&self, today: Date) -> Option<i64> {
        let (from, to) = (self.oit_window.from?, self.oit_window.to?);
        if today < from {
            return None;
        }
        Some((today.days_until(to) + 1).max(0))
    }

    /// Days until the OIT window opens, when it has not yet.
    pub fn days_until_window(&self, today: Date) -> Option<i64> {
        let from = self.oit_window.from?;
        (today < from).then(|| today.days_until(from))
    }

    /// The criteria without their sources and notes: what a device needs to print.
    pub fn for_devices(&self) -> Criteria {
        let mut lean = self.clone();
        lean.about.clear();
        lean.sources.clear();
        lean.bands.sources.clear();
        if let Some(rating) = &mut lean.rating {
            rating.sources.clear();
        }
        lean.oit_window.sources.clear();
        for item in &mut lean.items {
            item.sources.clear();
        }
        lean
    }
}

/// The criteria compiled into this build.
const BUILTIN: [&str; 5] = [
    include_str!("../data/ita/2565-local.json"),
    include_str!("../data/ita/2566-local.json"),
    include_str!("../data/ita/2567-local.json"),
    include_str!("../data/ita/2568-local.json"),
    include_str!("../data/ita/2569-local.json"),
];

/// Every assessment year's criteria known here, by (year, form).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferenceData {
    years: BTreeMap<(u32, String), Criteria>,
}

/// An item as an agency-year's report prints it: resolved to its assessment year.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedItem {
    pub assessment_year: u32,
    pub code: String,
    pub title: String,
    pub elements: Vec<String>,
    pub indicator: Option<String>,
    pub sub_indicator: Option<String>,
    /// False when the item's year is not known yet (the last known heading stands in) or the
    /// data marks it unconfirmed.
    pub confirmed: bool,
}

impl ResolvedItem {
    fn of(criteria: &Criteria, item: &OitItem, exact: bool) -> ResolvedItem {
        ResolvedItem {
            assessment_year: criteria.year,
            code: item.code.clone(),
            title: item.title.clone(),
            elements: item.elements.clone(),
            indicator: item.indicator.clone(),
            sub_indicator: item.sub_indicator.clone(),
            confirmed: exact && item.confirmed,
        }
    }

    /// The code as addresses and file names spell it ("o43").
    pub fn slug(&self) -> String {
        self.code.to_lowercase()
    }
}

/// A round of a track's report, resolved.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedRound {
    pub round: String,
    pub round_title: String,
    pub item: ResolvedItem,
}

/// A track of an agency-year: its plan item and its report rounds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedTrack {
    pub id: String,
    pub title: String,
    pub plan: Option<ResolvedItem>,
    pub rounds: Vec<ResolvedRound>,
}

impl ResolvedTrack {
    /// The last round: the report of the year.
    pub fn report(&self) -> Option<&ResolvedItem> {
        self.rounds.last().map(|r| &r.item)
    }

    /// The item the plan or the report answers.
    pub fn item(&self, part: crate::report_model::Part) -> Option<&ResolvedItem> {
        match part {
            crate::report_model::Part::Plan => self.plan.as_ref(),
            crate::report_model::Part::Report => self.report(),
        }
    }
}

impl ReferenceData {
    /// The criteria compiled into this build.
    pub fn builtin() -> &'static ReferenceData {
        static DATA: OnceLock<ReferenceData> = OnceLock::new();
        DATA.get_or_init(|| {
            ReferenceData::from_criteria(
                BUILTIN.iter().map(|text| {
                    Criteria::parse(text).expect("core/data/ita is checked by the builtin_criteria_load test")
                }),
            )
        })
    }

    pub fn from_criteria(criteria: impl IntoIterator<Item = Criteria>) -> ReferenceData {
        ReferenceData { years: criteria.into_iter().map(|c| ((c.year, c.form.clone()), c)).collect() }
    }

    /// These criteria with `newer` added (replacing the same year and form).
    pub fn with(&self, newer: impl IntoIterator<Item = Criteria>) -> ReferenceData {
        let mut years = self.years.clone();
        years.extend(newer.into_iter().map(|c| ((c.year, c.form.clone()), c)));
        ReferenceData { years }
    }

    /// The local governments' criteria of an assessment year.
    pub fn year(&self, year_be: u32) -> Option<&Criteria> {
        self.get(year_be, LOCAL_FORM)
    }

    pub fn get(&self, year_be: u32, form: &str) -> Option<&Criteria> {
        self.years.get(&(year_be, form.to_string()))
    }

    pub fn all(&self) -> impl Iterator<Item = &Criteria> {
        self.years.values()
    }

    /// The latest known year of a form at or before `year` (or the earliest known, when none is).
    fn nearest(&self, year: u32, form: &str) -> Option<&Criteria> {
        let of_form = || self.years.values().filter(move |c| c.form == form);
        of_form().filter(|c| c.year <= year).max_by_key(|c| c.year).or_else(|| of_form().min_by_key(|c| c.year))
    }

    /// The criteria an agency-year of `fiscal_year` is assessed under (its ITAS sheet, its OIT
    /// window): that assessment year, else the nearest known (then unconfirmed for it).
    pub fn sheet(&self, fiscal_year: i64, form: &str) -> Option<(&Criteria, bool)> {
        let year = u32::try_from(fiscal_year).ok()?;
        match self.get(year, form) {
            Some(exact) => Some((exact, true)),
            None => self.nearest(year, form).map(|c| (c, false)),
        }
    }

    /// A track of an agency-year: its plan goes under the plan item of the assessment year whose
    /// plan covers this fiscal year, each report round under the item whose assessment year and
    /// offset come to this fiscal year. Where that assessment year is not known, the nearest
    /// known year's item stands in, unconfirmed.
    pub fn resolve_track(&self, fiscal_year: i64, form: &str, track: &str) -> Option<ResolvedTrack> {
        let year = u32::try_from(fiscal_year).ok()?;
        let with_track = || self.years.values().filter(move |c| c.form == form && c.track(track).is_some());
        let covers = |c: &Criteria, code: &str| {
            c.item(code).is_some_and(|i| i64::from(c.year) + i64::from(i.fiscal_year_offset) == fiscal_year)
        };
        // The nearest year that has the track, no later than `bound`: where no year answers
        // exactly, its item stands in.
        let nearest = |bound: u32| {
            with_track()
                .filter(|c| c.year <= bound)
                .max_by_key(|c| c.year)
                .or_else(|| with_track().min_by_key(|c| c.year))
        };
        let base = nearest(year + 1)?;
        let def = base.track(track)?;
        // The plan: an assessment year whose plan item covers this fiscal year.
        let plan_exact =
            with_track().find(|c| c.track(track).and_then(|t| t.plan.as_deref()).is_some_and(|p| covers(c, p)));
        let plan = match plan_exact {
            Some(c) => c
                .track(track)
                .and_then(|t| t.plan.as_deref())
                .and_then(|p| c.item(p))
                .map(|i| ResolvedItem::of(c, i, true)),
            None => nearest(year).and_then(|c| {
                c.track(track)
                    .and_then(|t| t.plan.as_deref())
                    .and_then(|p| c.item(p))
                    .map(|i| ResolvedItem::of(c, i, false))
            }),
        };
        // Each report round: an assessment year whose item for that round covers this fiscal
        // year (rounds of one track may be reported in different years).
        let rounds = def
            .reports
            .iter()
            .filter_map(|r| {
                let exact = with_track().find_map(|c| {
                    let round = c.track(track)?.reports.iter().find(|x| x.round == r.round)?;
                    covers(c, &round.item).then_some((c, round))
                });
                let (source, round, exact) = match exact {
                    Some((c, round)) => (c, round, true),
                    None => (base, r, false),
                };
                Some(ResolvedRound {
                    round: round.round.clone(),
                    round_title: round.round_title.clone(),
                    item: ResolvedItem::of(source, source.item(&round.item)?, exact),
                })
            })
            .collect();
        Some(ResolvedTrack { id: def.id.clone(), title: def.title.clone(), plan, rounds })
    }

    /// Every track the criteria know for an agency-year (the integrity track first).
    pub fn tracks(&self, fiscal_year: i64, form: &str) -> Vec<ResolvedTrack> {
        let mut ids: Vec<String> = self
            .years
            .values()
            .filter(|c| c.form == form)
            .flat_map(|c| c.tracks.iter().map(|t| t.id.clone()))
            .collect();
        ids.sort_by_key(|id| (id != INTEGRITY_TRACK, id.clone()));
        ids.dedup();
        ids.iter().filter_map(|id| self.resolve_track(fiscal_year, form, id)).collect()
    }

    /// The criteria an agency-year needs, lean, for its directory: its own assessment year and
    /// the ones its reports and last year's score are read under.
    pub fn for_agency_year(&self, fiscal_year: i64, form: &str) -> Vec<Criteria> {
        let Ok(year) = u32::try_from(fiscal_year) else { return Vec::new() };
        let mut wanted: Vec<u32> = vec![year.saturating_sub(1), year, year + 1];
        for track in self.tracks(fiscal_year, form) {
            wanted.extend(track.plan.iter().map(|p| p.assessment_year));
            wanted.extend(track.rounds.iter().map(|r| r.item.assessment_year));
        }
        if let Some((sheet, _)) = self.sheet(fiscal_year, form) {
            wanted.push(sheet.year);
        }
        wanted.sort_unstable();
        wanted.dedup();
        wanted.into_iter().filter_map(|y| self.get(y, form)).map(Criteria::for_devices).collect()
    }
}

/// A version of a set of criteria: the SHA-256 of their JSON (what a device compares to know it
/// has the server's).
pub fn version_hash(criteria: &[Criteria]) -> String {
    crate::hash::sha256_hex(serde_json::to_string(criteria).unwrap_or_default().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("valid date")
    }

    #[test]
    fn builtin_criteria_load() {
        let data = ReferenceData::builtin();
        for year in 2565..=2569 {
            let criteria = data.year(year).unwrap_or_else(|| panic!("{year} is in the builtin data"));
            criteria.validate().unwrap_or_else(|e| panic!("{year}: {e}"));
            assert!(!criteria.items.is_empty());
            // Every fact cites a source the file lists.
            let ids: Vec<&str> = criteria.sources.iter().map(|s| s.id.as_str()).collect();
            for item in &criteria.items {
                for source in &item.sources {
                    assert!(ids.contains(&source.as_str()), "{year} {}: unknown source {source}", item.code);
                }
            }
        }
        assert!(data.year(2400).is_none());
    }

    #[test]
    fn score_to_band_and_rating() {
        let y2565 = ReferenceData::builtin().year(2565).expect("2565");
        let cases = [(10000, "AA"), (9521, "AA"), (9500, "AA"), (9499, "A"), (8500, "A"), (8499, "B"), (7500, "B")];
        for (score, band) in cases {
            assert_eq!(y2565.band(score), Some(band), "{score}");
        }
        assert_eq!(y2565.band(4999), Some("F"));
        assert_eq!(y2565.rating(9600, 9600, 9600, 9600), None, "no rating in 2565");
        let y2567 = ReferenceData::builtin().year(2567).expect("2567");
        let rated = |total, each| y2567.rating(total, each, each, each).map(str::to_string);
        assert_eq!(rated(9600, 9600).as_deref(), Some("ผ่านดีเยี่ยม"));
        assert_eq!(rated(9600, 9000).as_deref(), Some("ผ่านดี"), "one part under 95");
        assert_eq!(rated(6900, 6900).as_deref(), Some("ต้องปรับปรุงโดยด่วน"));
    }

    #[test]
    fn oit_window_days() {
        let year = ReferenceData::builtin().year(2565).expect("2565");
        let cases = [
            ("2022-02-20", None, Some(9)),
            ("2022-03-01", Some(61), None),
            ("2022-04-30", Some(1), None),
            ("2022-05-01", Some(0), None),
        ];
        for (today, left, until) in cases {
            assert_eq!(year.window_days_left(d(today)), left, "{today}");
            assert_eq!(year.days_until_window(d(today)), until, "{today}");
        }
    }

    /// In 2565 the integrity report covered its own year; from 2569 the report of assessment year
    /// N covers fiscal year N-1; a fiscal year whose report year is not published yet prints the
    /// last known heading, unconfirmed.
    #[test]
    fn each_fiscal_year_finds_its_items() {
        let data = ReferenceData::builtin();
        let integrity = |fy| data.resolve_track(fy, LOCAL_FORM, INTEGRITY_TRACK).expect("the integrity track");
        let y2565 = integrity(2565);
        let report = y2565.report().expect("a report");
        assert_eq!((report.assessment_year, report.confirmed), (2565, true));
        assert_eq!(y2565.plan.as_ref().map(|p| p.assessment_year), Some(2565));
        // Fiscal 2568's report is an item of assessment year 2569.
        let y2568 = integrity(2568);
        assert_eq!(y2568.report().map(|r| r.assessment_year), Some(2569));
        // Fiscal 2569's report belongs to 2570, not known yet: 2569's heading, unconfirmed.
        let y2569 = integrity(2569);
        let report = y2569.report().expect("a stand-in");
        assert_eq!((report.assessment_year, report.confirmed), (2569, false));
        assert_eq!(y2569.plan.as_ref().map(|p| (p.assessment_year, p.confirmed)), Some((2569, true)));
        // A year far ahead still gets headings, unconfirmed.
        assert!(integrity(2575).report().is_some_and(|r| !r.confirmed));
        assert_eq!(data.tracks(2566, LOCAL_FORM).first().map(|t| t.id.as_str()), Some(INTEGRITY_TRACK));
    }

    #[test]
    fn a_bad_file_is_refused_with_the_field() {
        let good = BUILTIN[0];
        let mut value: serde_json::Value = serde_json::from_str(good).expect("json");
        value["items"][3]["code"] = value["items"][2]["code"].clone();
        let refused = Criteria::parse(&value.to_string()).expect_err("a code twice");
        assert_eq!(refused.field, "items[3].code");
        let mut value: serde_json::Value = serde_json::from_str(good).expect("json");
        value["tracks"][0]["plan"] = serde_json::json!("Z99");
        assert_eq!(Criteria::parse(&value.to_string()).expect_err("unknown item").field, "tracks[0].plan");
        assert!(Criteria::parse("{\"year\": 2570").is_err(), "not JSON");
        let lean = ReferenceData::builtin().for_agency_year(2568, LOCAL_FORM);
        assert!(lean.iter().any(|c| c.year == 2569) && lean.iter().all(|c| c.sources.is_empty()));
        assert_eq!(version_hash(&lean), version_hash(&ReferenceData::builtin().for_agency_year(2568, LOCAL_FORM)));
    }
}
