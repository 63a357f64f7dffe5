//! The whole ITAS answer sheet of an agency-year: every OIT item of the year it is assessed in,
//! with the URL and explanation the agency types into the NACC's system. An item a Prongsai
//! publication answers gets that publication's address by itself; the coordinator types the rest.
//! Each item is checked: answered, missing, pointing to a report not yet published, or pointing
//! off the agency's own site and Prongsai's (which assessors do not accept as the agency's
//! publication).

use crate::AgencyYear;
use crate::calendar::Date;

/// How an item of the sheet stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// A URL on the agency's site or Prongsai's (or a published report's), or "ไม่มี" declared.
    Answered,
    /// Nothing yet.
    Missing,
    /// A Prongsai report answers it, but it is not published yet (its address would be 404).
    Unpublished,
    /// The URL is outside the agency's site and Prongsai's.
    Foreign,
}

/// Where an item's answer comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemSource {
    /// Filled in from a report Prongsai published.
    Publication,
    /// Typed by the coordinator.
    Typed,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SheetItem {
    pub code: String,
    pub title: String,
    /// มี (true) / ไม่มี (false); `None` while unanswered.
    pub available: Option<bool>,
    pub url: String,
    pub explanation: String,
    pub state: ItemState,
    pub source: ItemSource,
    /// A Prongsai report of this year answers the item (its plan or its report).
    pub prongsai: bool,
    /// Which of the year's tracks answers it: the track's title for its plan, the round's
    /// report title for a round ("" for an item no track answers).
    #[serde(default)]
    pub answered_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItasSheet {
    /// The assessment year whose items these are.
    pub assessment_year: Option<u32>,
    pub items: Vec<SheetItem>,
    pub answered: usize,
    pub missing: usize,
    pub unpublished: usize,
    pub foreign: usize,
    /// Days left in the OIT window (`None` before it opens or when unknown).
    pub window_days_left: Option<i64>,
    pub days_until_window: Option<i64>,
}

/// Why a typed URL is not accepted as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("ที่อยู่ต้องขึ้นต้นด้วย http:// หรือ https:// · the address must start with http:// or https://")]
    Scheme,
    #[error("ที่อยู่ไม่มีชื่อเว็บไซต์ · the address has no site name")]
    NoHost,
    #[error("ที่อยู่ยาวเกิน 2,000 ตัวอักษร · the address is over 2,000 characters")]
    TooLong,
}

/// The site name of an http(s) URL, lower case, without port or user; a problem otherwise.
pub fn url_host(url: &str) -> Result<String, UrlProblem> {
    let url = url.trim();
    if url.chars().count() > 2000 {
        return Err(UrlProblem::TooLong);
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).ok_or(UrlProblem::Scheme)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A user name before "@" could make "https://agency.go.th@elsewhere.com" look like the agency's.
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default().trim_end_matches('.');
    if host.is_empty() || authority.contains('@') || host.chars().any(|c| c.is_whitespace()) {
        return Err(UrlProblem::NoHost);
    }
    Ok(host.to_string())
}

/// Whether `host` is `site` or one of its subdomains ("www.banmai.go.th" under "banmai.go.th").
fn within(host: &str, site: &str) -> bool {
    let site = site.trim().trim_start_matches("www.").to_ascii_lowercase();
    !site.is_empty() && (host == site || host.ends_with(&format!(".{site}")))
}

/// Every OIT item of the year `year` is assessed in, each with its answer and how it stands.
/// `prongsai_host` is the site name this server is reached at (its reports' addresses are the
/// agency's own publications).
pub fn items(year: &AgencyYear, prongsai_host: Option<&str>) -> Vec<SheetItem> {
    let criteria = year.criteria();
    let Some((reference, _)) = criteria.sheet(year.fiscal_year(), year.form()) else { return Vec::new() };
    // Every track the year runs answers its plan item and each round's item.
    let ours: Vec<(String, String)> = year
        .tracks()
        .into_iter()
        .filter_map(|t| t.items)
        .flat_map(|items| {
            let plan = items.plan.clone().map(|p| (p.code, items.title.clone()));
            let rounds = items.rounds.iter().map(|r| {
                let title = if r.round_title.is_empty() { &items.title } else { &r.round_title };
                (r.item.code.clone(), title.clone())
            });
            plan.into_iter().chain(rounds.collect::<Vec<_>>())
        })
        .collect();
    let agency_site = year.directory.agency.website.clone();
    let ours_at = |host: &str| prongsai_host.is_some_and(|p| within(host, p));
    let mut items = Vec::new();
    for item in &reference.items {
        let typed = year.plan.itas.get(&item.code);
        let published = year.directory.publications.get(&item.code);
        let answered_by = ours.iter().find(|(code, _)| *code == item.code).map(|(_, by)| by.clone());
        let prongsai = answered_by.is_some() || published.is_some();
        let explanation = typed.map(|a| a.explanation.as_str().to_string()).unwrap_or_default();
        let (available, url, state, source) = match (published, typed) {
            (Some(p), _) => (Some(true), p.url.clone(), ItemState::Answered, ItemSource::Publication),
            (None, Some(a)) if !a.available => (Some(false), String::new(), ItemState::Answered, ItemSource::Typed),
            (None, Some(a)) if !a.url.trim().is_empty() => {
                let state = match url_host(&a.url) {
                    // One of our reports' addresses, typed before it was published.
                    Ok(host) if ours_at(&host) && a.url.contains("/public/") => ItemState::Unpublished,
                    Ok(host) if ours_at(&host) || within(&host, &agency_site) => ItemState::Answered,
                    _ => ItemState::Foreign,
                };
                (Some(true), a.url.trim().to_string(), state, ItemSource::Typed)
            }
            (None, _) if prongsai => (None, String::new(), ItemState::Unpublished, ItemSource::None),
            (None, _) => (None, String::new(), ItemState::Missing, ItemSource::None),
        };
        items.push(SheetItem {
            code: item.code.clone(),
            title: item.title.clone(),
            available,
            url,
            explanation,
            state,
            source,
            prongsai,
            answered_by: answered_by.unwrap_or_default(),
        });
    }
    items
}

/// The sheet of `year` on `today`: its items, how many stand how, and the OIT window.
pub fn sheet(year: &AgencyYear, prongsai_host: Option<&str>, today: Date) -> ItasSheet {
    let items = items(year, prongsai_host);
    let criteria = year.criteria();
    let found = criteria.sheet(year.fiscal_year(), year.form());
    let count = |state: ItemState| items.iter().filter(|i| i.state == state).count();
    ItasSheet {
        assessment_year: found.map(|(c, _)| c.year),
        answered: count(ItemState::Answered),
        missing: count(ItemState::Missing),
        unpublished: count(ItemState::Unpublished),
        foreign: count(ItemState::Foreign),
        window_days_left: found.and_then(|(c, _)| c.window_days_left(today)),
        days_until_window: found.and_then(|(c, _)| c.days_until_window(today)),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ItasAnswer, PublishedItem};
    use crate::sample::pakchong_2565;

    fn year() -> AgencyYear {
        pakchong_2565().typed_documents(0).expect("the sample").into_agency_year()
    }

    fn answer(url: &str) -> ItasAnswer {
        ItasAnswer { available: true, url: url.into(), explanation: "หน้าแรก > ITA".into() }
    }

    #[test]
    fn urls_are_read_for_their_site_and_refused_without_one() {
        assert_eq!(url_host("https://WWW.PakChong.go.th/ita?x=1").as_deref(), Ok("www.pakchong.go.th"));
        assert_eq!(url_host("http://pakchong.go.th:8080/").as_deref(), Ok("pakchong.go.th"));
        assert_eq!(url_host("ftp://pakchong.go.th/"), Err(UrlProblem::Scheme));
        assert_eq!(url_host("pakchong.go.th/ita"), Err(UrlProblem::Scheme));
        assert_eq!(url_host("https:///ita"), Err(UrlProblem::NoHost));
        assert_eq!(url_host("https://pakchong.go.th@evil.example/"), Err(UrlProblem::NoHost), "no user part");
        assert!(within("www.pakchong.go.th", "pakchong.go.th") && within("pakchong.go.th", "www.pakchong.go.th"));
        assert!(!within("notpakchong.go.th", "pakchong.go.th"));
    }

    #[test]
    fn every_item_of_the_year_is_on_the_sheet_and_each_is_checked() {
        let mut year = year();
        year.directory.agency.website = "pakchong.go.th".into();
        let today: Date = "2022-03-10".parse().expect("a date");
        let blank = sheet(&year, Some("ita.example.go.th"), today);
        let all = year.criteria().sheet(2565, year.form()).expect("2565's items").0.items.len();
        assert_eq!(blank.items.len(), all, "every OIT item");
        let ours: Vec<&SheetItem> = blank.items.iter().filter(|i| i.prongsai).collect();
        assert_eq!(ours.len(), 2, "the plan and the report of the integrity measures");
        assert!(ours.iter().all(|i| i.state == ItemState::Unpublished));
        assert_eq!(blank.missing, all - 2);
        assert!(blank.window_days_left.is_some(), "2565's window is open on 10 March");

        let codes: Vec<String> = blank.items.iter().filter(|i| !i.prongsai).map(|i| i.code.clone()).collect();
        year.plan.itas.insert(codes[0].clone(), answer("https://www.pakchong.go.th/structure"));
        year.plan.itas.insert(codes[1].clone(), answer("https://facebook.com/pakchong"));
        year.plan.itas.insert(codes[2].clone(), ItasAnswer { available: false, ..Default::default() });
        year.plan.itas.insert(codes[3].clone(), answer("https://ita.example.go.th/public/pakchong/2565/later.pdf"));
        let report = ours[1].code.clone();
        let address = format!("https://ita.example.go.th/public/pakchong/2565/{}.pdf", report.to_lowercase());
        year.directory
            .publications
            .insert(report.clone(), PublishedItem { url: address.clone(), published_at: 1, code: "X".into() });
        let filled = sheet(&year, Some("ita.example.go.th"), today);
        let state = |code: &str| filled.items.iter().find(|i| i.code == code).map(|i| (i.state, i.source));
        assert_eq!(state(&codes[0]), Some((ItemState::Answered, ItemSource::Typed)), "the agency's own site");
        assert_eq!(state(&codes[1]), Some((ItemState::Foreign, ItemSource::Typed)), "another site");
        assert_eq!(state(&codes[2]), Some((ItemState::Answered, ItemSource::Typed)), "ไม่มี is an answer");
        assert_eq!(state(&codes[3]), Some((ItemState::Unpublished, ItemSource::Typed)), "our address, not published");
        assert_eq!(state(&report), Some((ItemState::Answered, ItemSource::Publication)), "filled in by itself");
        let item = filled.items.iter().find(|i| i.code == report).expect("the report item");
        assert_eq!(item.url, address);
        assert_eq!(filled.answered, 3);
        assert_eq!(filled.foreign, 1);
        assert_eq!(filled.unpublished, 2, "the plan, and the typed address of an unpublished report");
    }

    /// A track the year runs answers its plan's item and each round's: they wait for their
    /// publications as the integrity measures' do, each named by what answers it.
    #[test]
    fn a_tracks_plan_and_rounds_are_ours_on_the_sheet() {
        use crate::docs::CommitMeta;
        let meta = CommitMeta::new("seed", "server", 1);
        let mut docs =
            pakchong_2565().typed_documents(0).expect("sample").into_automerge(&meta, |_| String::new()).expect("docs");
        let before = sheet(
            &AgencyYear::from_documents(docs.iter()).expect("reads"),
            None,
            "2022-03-10".parse().expect("a date"),
        );
        docs.add_track("anticorruption", &meta).expect("adds the track");
        let year = AgencyYear::from_documents(docs.iter()).expect("reads");
        let after = sheet(&year, None, "2022-03-10".parse().expect("a date"));
        let items = year.criteria().resolve_track(2565, year.form(), "anticorruption").expect("the track's items");
        let mut codes: Vec<String> = items.rounds.iter().map(|r| r.item.code.clone()).collect();
        codes.extend(items.plan.iter().map(|p| p.code.clone()));
        assert_eq!(codes.len(), 3, "a plan and two rounds");
        for code in &codes {
            let item = after.items.iter().find(|i| &i.code == code).expect("on the sheet");
            assert!(item.prongsai && item.state == ItemState::Unpublished, "{code}: {item:?}");
            assert!(!item.answered_by.is_empty(), "{code}");
        }
        let half = after.items.iter().find(|i| i.code == codes[0]).expect("the half round's item");
        assert_eq!(half.answered_by, items.rounds[0].round_title);
        assert_eq!(after.unpublished, before.unpublished + 3);
        assert_eq!(after.missing, before.missing - 3, "no longer missing: ours to publish");
    }
}
