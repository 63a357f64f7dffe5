//! The year's tracks: besides the integrity measures (at the documents' top-level keys, as before
//! tracks), each plan-and-report pair the agency runs (`ita::TrackDef`) keeps its plan, each
//! division's results per report round and the review of each round under a `tracks` map of the
//! same documents (docs/tracks.md). A [`Slot`] names where an edit, a view or a report is.

use crate::model::{RoundId, TrackId};

/// A track and one of its report rounds. The default is the integrity track at today's keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    /// `None` is the integrity track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<TrackId>,
    /// The report round results and reviews are in; a track's last round when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<RoundId>,
    /// (edits) The round before `round`: a division's first edit of a measure in `round` starts
    /// from what it reported there (the copy is made then, not when the round starts, so
    /// starting a round writes nothing and works offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carry_from: Option<RoundId>,
}

impl Slot {
    /// The integrity track at the documents' top-level keys.
    pub const INTEGRITY: Slot = Slot { track: None, round: None, carry_from: None };

    /// A slot as URLs and the command line name it: `integrity` (or nothing) is the integrity
    /// track at today's keys.
    pub fn of(track: Option<&str>, round: Option<&str>) -> Slot {
        let track = track.map(str::trim).filter(|t| !t.is_empty() && *t != crate::ita::INTEGRITY_TRACK);
        Slot {
            round: track.and(round).map(str::trim).filter(|r| !r.is_empty()).map(str::to_string),
            track: track.map(str::to_string),
            carry_from: None,
        }
    }

    /// The track's id, `integrity` for the default.
    pub fn track_id(&self) -> &str {
        self.track.as_deref().unwrap_or(crate::ita::INTEGRITY_TRACK)
    }

    pub fn is_integrity(&self) -> bool {
        self.track.is_none()
    }
}

/// One document that is signed, published and verified by itself: a track's plan or one
/// round's report (the integrity measures' report is their one round's).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Resolved: a track's round is named.
    pub slot: Slot,
    pub part: crate::report_model::Part,
}

impl Target {
    pub fn integrity(part: crate::report_model::Part) -> Target {
        Target { slot: Slot::INTEGRITY, part }
    }

    /// How a URL names it: `round=plan|report` for the integrity measures', `track=…&round=plan`
    /// or `track=…&round={round}` for another track's.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        let round = match (self.part, &self.slot.round) {
            (crate::report_model::Part::Report, Some(round)) => round.clone(),
            (part, _) => part.as_str().to_string(),
        };
        match (&self.slot.track, self.part, &self.slot.round) {
            // A track's report with no round named: its last round's, as the server reads it.
            (Some(track), crate::report_model::Part::Report, None) => vec![("track", track.clone())],
            (Some(track), ..) => vec![("track", track.clone()), ("round", round)],
            (None, ..) => vec![("round", round)],
        }
    }

    /// [`Target::query`] as a query string, `?` included (ids are plain ASCII: nothing to escape).
    pub fn query_string(&self) -> String {
        let pairs: Vec<String> = self.query().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", pairs.join("&"))
    }

    /// The server setting its publication is kept under: the integrity report's at the key it
    /// always had, the others at `published/{agency}/{year}/{track}/{plan or round}`.
    pub fn published_key(&self, agency: &str, year: i64) -> String {
        use crate::report_model::Part;
        match (self.slot.track.as_deref(), self.part) {
            (None, Part::Report) => format!("published/{agency}/{year}"),
            (track, Part::Plan) => {
                format!("published/{agency}/{year}/{}/plan", track.unwrap_or(crate::ita::INTEGRITY_TRACK))
            }
            (Some(track), Part::Report) => {
                format!("published/{agency}/{year}/{track}/{}", self.slot.round.as_deref().unwrap_or_default())
            }
        }
    }
}

/// Every document of `year` that is signed and published by itself, in the order they go out:
/// the integrity measures' plan and report, then each other track's plan and its rounds.
pub fn targets(year: &crate::AgencyYear) -> Vec<Target> {
    use crate::report_model::Part;
    let mut all = vec![Target::integrity(Part::Plan), Target::integrity(Part::Report)];
    for track in year.tracks().into_iter().skip(1) {
        let plan = Slot::of(Some(&track.id), None);
        let Ok(plan) = year.resolve_slot(&plan) else { continue };
        all.push(Target { slot: plan, part: Part::Plan });
        for round in &track.rounds {
            if let Ok(slot) = year.resolve_slot(&Slot::of(Some(&track.id), Some(&round.id))) {
                all.push(Target { slot, part: Part::Report });
            }
        }
    }
    all
}

/// The name a target's files are published under: its item's address name (`o39`), and for a
/// round before its track's last `{item}-{round}` (`o40-half`), so a round never takes the
/// address of the report that follows it.
pub fn public_name(year: &crate::AgencyYear, target: &Target, item_slug: &str) -> String {
    let (Some(track), Some(round), crate::report_model::Part::Report) =
        (target.slot.track.as_deref(), target.slot.round.as_deref(), target.part)
    else {
        return item_slug.to_string();
    };
    let last = year.resolve_slot(&Slot::of(Some(track), None)).ok().and_then(|s| s.round);
    if last.as_deref() == Some(round) { item_slug.to_string() } else { format!("{item_slug}-{round}") }
}

/// A track of the year as pages list it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrackSummary {
    pub id: TrackId,
    pub title: String,
    /// Its report rounds in order (the integrity track's one report has none listed).
    pub rounds: Vec<RoundSummary>,
    /// Its plan and report items in this year's criteria.
    pub items: Option<crate::ita::ResolvedTrack>,
}

impl TrackSummary {
    /// A round's short label by its place among the track's rounds ([`round_label`]); empty for
    /// a track of one round or a round it does not have.
    pub fn round_label(&self, round: &str) -> String {
        match self.rounds.iter().position(|r| r.id == round) {
            Some(at) => round_label(&self.rounds[at].title, at, self.rounds.len()),
            None => String::new(),
        }
    }

    /// The track's title with a round's label, as switchers and notifications name a round
    /// ("แผนปฏิบัติการป้องกันการทุจริต · รอบ ๖ เดือน").
    pub fn title_with_round(&self, round: &str) -> String {
        match self.round_label(round) {
            label if label.is_empty() => self.title.clone(),
            label => format!("{} · {label}", self.title),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundSummary {
    pub id: RoundId,
    pub title: String,
    pub cutoff: Option<String>,
}

/// Why a slot does not name a part of the year.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("this year runs no track {0:?}")]
    NoTrack(String),
    #[error("track {0:?} has no round {1:?}")]
    NoRound(String, String),
}

/// A round's title short enough for a switcher: "รอบ ๖ เดือน" out of "รายงานการกำกับติดตาม…
/// รอบ 6 เดือน", "ประจำปี" for a last round that names no period; empty for a track's only round.
pub fn round_label(title: &str, position: usize, rounds: usize) -> String {
    if rounds < 2 {
        return String::new();
    }
    match title.rfind("รอบ") {
        Some(at) => crate::thai::to_official_digits(&title[at..]),
        None if position + 1 == rounds => "ประจำปี".to_string(),
        None => crate::thai::to_official_digits(title),
    }
}

/// Whether a track or round id is acceptable as a map key and in an address: lower-case ASCII
/// letters, digits and `-`, 1–32 characters, and not `scan` or `plan` (the names of the
/// wet-signed scan's and the plan's addresses).
pub fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !matches!(id, "scan" | "plan" | "report")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_is_cut_off_at_the_end_of_its_share_of_the_fiscal_year() {
        let day = |fy: i64, i: usize, n: usize| default_cutoff(fy, i, n).map(|d| d.to_string());
        assert_eq!(day(2566, 0, 2).as_deref(), Some("2023-03-31"), "the half year: 31 March 2566");
        assert_eq!(day(2566, 1, 2).as_deref(), Some("2023-09-30"), "the year: 30 September 2566");
        assert_eq!(day(2566, 0, 1).as_deref(), Some("2023-09-30"));
        assert_eq!(day(2566, 0, 4).as_deref(), Some("2022-12-31"), "quarterly: the first quarter's end");
    }

    #[test]
    fn a_round_is_labelled_by_its_period() {
        let half = "รายงานการกำกับติดตามการดำเนินการป้องกันการทุจริตประจำปี รอบ 6 เดือน";
        assert_eq!(round_label(half, 0, 2), "รอบ ๖ เดือน");
        assert_eq!(round_label("รายงานผลการดำเนินการป้องกันการทุจริตประจำปี", 1, 2), "ประจำปี");
        assert_eq!(round_label("รายงานผลการดำเนินงานประจำปี", 0, 1), "", "a single round needs no label");
    }

    #[test]
    fn the_integrity_track_is_the_default_slot_whatever_it_is_called() {
        assert_eq!(Slot::of(None, None), Slot::INTEGRITY);
        assert_eq!(Slot::of(Some("integrity"), Some("annual")), Slot::INTEGRITY);
        assert_eq!(Slot::of(Some(" "), None), Slot::INTEGRITY);
        let s = Slot::of(Some("anticorruption"), Some("half"));
        assert_eq!((s.track_id(), s.round.as_deref()), ("anticorruption", Some("half")));
        assert!(!s.is_integrity());
        assert!(valid_id("anticorruption") && valid_id("half") && !valid_id("scan") && !valid_id("Upper"));
        assert!(!valid_id("") && !valid_id(&"a".repeat(33)) && !valid_id("a/b"));
    }
}

/// The tracks `year`'s criteria offer that it does not run yet, in the criteria's order.
pub fn available(year: &crate::AgencyYear) -> Vec<TrackSummary> {
    let criteria = year.criteria();
    let Some((sheet, _)) = criteria.sheet(year.fiscal_year(), year.form()) else { return Vec::new() };
    sheet
        .tracks
        .iter()
        .filter(|t| t.id != crate::ita::INTEGRITY_TRACK && !year.directory.tracks.contains_key(&t.id))
        .map(|t| TrackSummary {
            id: t.id.clone(),
            title: t.title.clone(),
            rounds: Vec::new(),
            items: criteria.resolve_track(year.fiscal_year(), year.form(), &t.id),
        })
        .collect()
}

/// The directory's entry for a track added from the year's criteria: its title and its rounds in
/// the criteria's order, each titled as the criteria title it.
/// The day a round's results are cut off unless the coordinator says otherwise: the end of the
/// fiscal quarter that closes its share of the year (of two rounds, 31 March and 30 September).
pub fn default_cutoff(fiscal_year: i64, position: usize, rounds: usize) -> Option<crate::calendar::Date> {
    let quarter = (4 * (position + 1)).div_ceil(rounds.max(1)).min(4);
    let year = crate::calendar::FiscalYear(u32::try_from(fiscal_year).ok()?);
    Some(year.quarter_end(crate::calendar::FiscalQuarter::new(u8::try_from(quarter).ok()?)?))
}

/// The directory entry of a track the year starts running, each round cut off by default at
/// [`default_cutoff`].
pub fn entry_for(
    items: &crate::ita::ResolvedTrack,
    fiscal_year: i64,
    added_at: i64,
    added_by: &str,
) -> crate::model::TrackEntry {
    let positions = crate::position::spread(items.rounds.len());
    let rounds = items.rounds.len();
    crate::model::TrackEntry {
        pos: String::new(),
        title: items.title.clone(),
        added_at,
        added_by: added_by.to_string(),
        rounds: items
            .rounds
            .iter()
            .zip(positions)
            .enumerate()
            .map(|(i, (r, pos))| {
                let cutoff = default_cutoff(fiscal_year, i, rounds).map(|d| d.to_string());
                (r.round.clone(), crate::model::RoundEntry { pos, title: r.round_title.clone(), cutoff })
            })
            .collect(),
    }
}

#[cfg(test)]
mod in_documents {
    use super::*;
    use crate::AgencyYear;
    use crate::docs::{self, CommitMeta};
    use crate::edit::Edit;
    use crate::model::{DocKey, Status};
    use crate::sample::{AutomergeDocuments, pakchong_2565};

    const TRACK: &str = "anticorruption";

    fn docs_with_track() -> AutomergeDocuments {
        let meta = CommitMeta::new("seed", "server", 1);
        let mut docs =
            pakchong_2565().typed_documents(0).expect("sample").into_automerge(&meta, |_| String::new()).expect("docs");
        docs.add_track(TRACK, &meta).expect("adds the track");
        docs
    }

    fn apply(docs: &mut AutomergeDocuments, edits: Vec<Edit>) -> Result<(), docs::DocError> {
        docs.apply(&edits, &CommitMeta::new("edit", "kannika", 3))
    }

    fn year(docs: &AutomergeDocuments) -> AgencyYear {
        AgencyYear::from_documents(docs.iter()).expect("reads")
    }

    fn listed_after(
        docs: &AutomergeDocuments,
        slot: &Slot,
        today: crate::calendar::Date,
    ) -> Vec<crate::conflicts::Conflict> {
        let y = year(docs);
        crate::merged_view(&y.in_slot(slot).expect("a slot"), today).conflicts
    }

    #[test]
    fn a_track_keeps_its_own_plan_and_each_round_its_results_while_the_integrity_measures_stay_put() {
        let mut docs = docs_with_track();
        let before = year(&docs);
        let integrity_measures = before.plan.measures.clone();
        let tracks = before.tracks();
        assert_eq!(tracks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["integrity", TRACK]);
        let rounds: Vec<&str> = tracks[1].rounds.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(rounds, ["half", "annual"], "the criteria's rounds, in order");

        let slot = |round: Option<&str>| Slot::of(Some(TRACK), round);
        let plan = |edits: Vec<Edit>| Edit::InTrack { slot: slot(None), edits };
        apply(
            &mut docs,
            vec![plan(vec![
                Edit::AddMeasure {
                    id: "p1".into(), index: 0, title: "โครงการอบรมคุณธรรมจริยธรรม".into()
                },
                Edit::SetBudget { measure: "p1".into(), satang: Some(2_500_000) },
                Edit::SetIndicator {
                    measure: "p1".into(), text: "ผู้เข้าอบรมร้อยละ ๘๐".into()
                },
                Edit::SetResponsible { measure: "p1".into(), division: "palad".into(), responsible: true },
                Edit::SetSchedule { measure: "p1".into(), schedule: "1-4".into() },
            ])],
        )
        .expect("the track's plan");
        assert!(
            apply(&mut docs, vec![plan(vec![Edit::SetBudget { measure: "p1".into(), satang: Some(-1) }])]).is_err()
        );

        let y = year(&docs);
        assert_eq!(y.plan.measures, integrity_measures, "the integrity plan is untouched");
        let half = y.in_slot(&slot(Some("half"))).expect("the half round");
        assert_eq!(half.measures().len(), 1);
        let (_, p1) = half.measures()[0];
        assert_eq!(
            (p1.budget, p1.indicator.as_ref().map(|t| t.as_str().to_string())),
            (Some(2_500_000), Some("ผู้เข้าอบรมร้อยละ ๘๐".into()))
        );
        assert_eq!(half.track_items().map(|t| t.id), Some(TRACK.to_string()));

        // The division reports in the half round; the annual round shows it until it reports there.
        let in_round = |round: &str, carry: Option<&str>, edits: Vec<Edit>| Edit::InTrack {
            slot: Slot { carry_from: carry.map(str::to_string), ..slot(Some(round)) },
            edits,
        };
        let result =
            |text: &str| Edit::SetResultText { division: "palad".into(), measure: "p1".into(), text: text.into() };
        apply(
            &mut docs,
            vec![in_round(
                "half",
                None,
                vec![
                    result("อบรมแล้ว ๑ รุ่น"),
                    Edit::SetStatus { division: "palad".into(), measure: "p1".into(), status: Status::InProgress },
                ],
            )],
        )
        .expect("half");
        let y = year(&docs);
        let annual = y.in_slot(&slot(Some("annual"))).expect("annual");
        assert_eq!(
            annual.result("p1", "palad").map(|r| r.text.as_str().to_string()),
            Some("อบรมแล้ว ๑ รุ่น".into()),
            "carried"
        );
        let today: crate::calendar::Date = "2022-06-01".parse().expect("a date");
        let cell = |v: &crate::view::MergedView| v.measures[0].cells.iter().find(|c| c.division == "palad").cloned();
        let half_title = tracks[1].rounds[0].title.clone();
        let annual_view = crate::merged_view(&annual, today);
        assert_eq!(cell(&annual_view).and_then(|c| c.carried_from), Some(half_title.clone()), "marked as carried");
        assert_eq!(annual_view.slot.round.as_deref(), Some("annual"));
        assert_eq!(annual_view.tracks.len(), 2, "every track is offered from any view");
        let half_view = crate::merged_view(&y.in_slot(&slot(Some("half"))).expect("half"), today);
        assert_eq!(cell(&half_view).and_then(|c| c.carried_from), None, "reported in its own round");
        assert_eq!(half_view.as_of.to_string(), "2022-03-31", "the half round is seen as of its cut-off");
        assert_eq!(annual_view.as_of, today, "the annual round's cut-off is still to come");
        assert!(!y.results["palad"].tracks[TRACK].rounds.contains_key("annual"), "starting a round writes nothing");
        assert_eq!(y.result("p1", "palad"), None, "the integrity results are untouched");

        // The first edit in the annual round writes the copy, then the change.
        let edit_slot = y.resolve_slot(&slot(Some("annual"))).expect("resolves");
        assert_eq!(edit_slot.carry_from.as_deref(), Some("half"));
        apply(
            &mut docs,
            vec![Edit::InTrack {
                slot: edit_slot,
                edits: vec![Edit::SetPercent { division: "palad".into(), measure: "p1".into(), percent: Some(100) }],
            }],
        )
        .expect("annual");
        let y = year(&docs);
        let annual = &y.results["palad"].tracks[TRACK].rounds["annual"].results["p1"];
        assert_eq!(
            (annual.text.as_str(), annual.percent, &annual.status),
            ("อบรมแล้ว ๑ รุ่น", Some(100), &Status::InProgress)
        );
        let half = &y.results["palad"].tracks[TRACK].rounds["half"].results["p1"];
        assert_eq!(half.percent, None, "the half round keeps what it said");
        let annual_view = crate::merged_view(&y.in_slot(&slot(Some("annual"))).expect("annual"), today);
        assert_eq!(cell(&annual_view).and_then(|c| c.carried_from), None, "its own once the division edits it");

        // A submission in a round waits for the coordinator's review there, told as that round's.
        apply(
            &mut docs,
            vec![in_round("half", None, vec![Edit::Submit { division: "palad".into(), measure: "p1".into() }])],
        )
        .expect("submits");
        let y = year(&docs);
        let half_view = crate::merged_view(&y.in_slot(&slot(Some("half"))).expect("half"), today);
        let roles = [crate::model::Role::Coordinator];
        let coordinator = crate::notifications::Person { username: "kannika", roles: &roles, division: None };
        let told = crate::notifications::notifications(&half_view, coordinator);
        let review = told
            .iter()
            .find(|n| n.kind == crate::notifications::NotificationKind::AwaitingReview)
            .expect("the submission waits for review");
        assert!(review.id.starts_with(&format!("{TRACK}/half/review/p1/palad/")), "{}", review.id);
        assert_eq!(review.slot.round.as_deref(), Some("half"));
        assert!(review.track_title.as_deref().is_some_and(|t| t.ends_with("รอบ ๖ เดือน")), "{:?}", review.track_title);
        assert!(told.iter().all(|n| n.kind != crate::notifications::NotificationKind::WindowClosing));

        // The coordinator writes the half round's result of p1: the round's report prints hers
        // instead of the division's; the annual round and the integrity measures are untouched.
        let hers = "อบรมครบทุกกองแล้ว ๑ รุ่น ผู้เข้าร่วม ๔๕ คน";
        let set_round = |slot: Slot| Edit::InTrack {
            slot,
            edits: vec![Edit::SetRoundResult { measure: "p1".into(), text: hers.into() }],
        };
        apply(&mut docs, vec![set_round(slot(Some("half")))]).expect("the coordinator's result");
        assert!(
            apply(&mut docs, vec![Edit::SetRoundResult { measure: "p1".into(), text: hers.into() }]).is_err(),
            "the integrity measures' result is the plan's"
        );
        let y = year(&docs);
        let printed = |round: &str| {
            let view = y.in_slot(&slot(Some(round))).expect("a round");
            crate::report_model::Report::build(&view).content.measures[0].result.clone()
        };
        assert_eq!(printed("half"), hers);
        assert!(printed("annual").contains("อบรมแล้ว ๑ รุ่น"), "the division's, carried: {}", printed("annual"));
        assert_eq!(y.review.tracks[TRACK].rounds["half"].published["p1"].as_str(), hers, "kept in the round's review");

        // History inside the track: the project's plan, the round's results and the coordinator's
        // result, each from its own place; none of it is an integrity measure's.
        let directory = &y.directory;
        let fields = |doc: &automerge::Automerge, key: DocKey, slot: &Slot| -> Vec<String> {
            crate::history::measure_history_in(doc, &key, slot, "p1", directory)
                .into_iter()
                .flat_map(|e| e.fields.into_iter().map(|f| f.field))
                .collect()
        };
        let plan_key = DocKey::of(crate::model::DocKind::Plan);
        let review_key = DocKey::of(crate::model::DocKind::Review);
        let half_slot = y.resolve_slot(&slot(Some("half"))).expect("half");
        let annual_slot = y.resolve_slot(&slot(Some("annual"))).expect("annual");
        assert!(fields(&docs.plan, plan_key.clone(), &half_slot).contains(&"measure".to_string()));
        assert!(fields(&docs.plan, plan_key.clone(), &Slot::INTEGRITY).is_empty(), "not an integrity measure's");
        let palad = DocKey::results("palad");
        assert!(fields(&docs.results["palad"], palad.clone(), &half_slot).contains(&"result".to_string()));
        assert!(fields(&docs.results["palad"], palad, &annual_slot).contains(&"result".to_string()));
        assert_eq!(
            fields(&docs.review, review_key.clone(), &half_slot).last().map(String::as_str),
            Some("round_result")
        );
        assert!(
            !fields(&docs.review, review_key, &annual_slot).contains(&"round_result".to_string()),
            "the half round's"
        );

        // Two devices set p1's budget at once: the track's views list the conflict on p1 (each
        // round's, since the plan is the track's), the integrity measures' none; choosing one
        // settles it.
        let mut other = docs.plan.fork();
        let budget = |satang: i64| {
            vec![Edit::InTrack {
                slot: slot(None),
                edits: vec![Edit::SetBudget { measure: "p1".into(), satang: Some(satang) }],
            }]
        };
        let meta = CommitMeta::new("edit", "kannika", 5);
        docs::edit(&mut other, &meta, |tx| crate::edit::apply(tx, &budget(3_000_000), &meta)).expect("one device");
        docs::edit(&mut docs.plan, &meta, |tx| crate::edit::apply(tx, &budget(4_000_000), &meta)).expect("the other");
        docs.plan.merge(&mut other).expect("merges");
        let y = year(&docs);
        let listed = |round: &str| {
            let view = y.in_slot(&slot(Some(round))).expect("a round");
            crate::merged_view(&view, today).conflicts
        };
        let conflict = listed("half").into_iter().find(|c| c.field == "budget").expect("the budget conflict");
        assert_eq!((conflict.measure.as_deref(), conflict.values.len()), (Some("p1"), 2));
        assert_eq!(listed("annual").len(), listed("half").len(), "the plan is every round's");
        assert!(crate::merged_view(&y, today).conflicts.iter().all(|c| c.measure.as_deref() != Some("p1")));
        let choose = Edit::InTrack {
            slot: slot(None),
            edits: vec![Edit::ResolveConflict {
                document: conflict.document.clone(),
                path: conflict.path.clone(),
                index: 0,
                expected: conflict.values[0].display.clone(),
            }],
        };
        apply(&mut docs, vec![choose]).expect("settled");
        assert!(listed_after(&docs, &slot(Some("half")), today).iter().all(|c| c.field != "budget"));

        // The plan is the track's, not a round's: it hashes the same from every round.
        let plan_of = |round: &str| {
            let view = y.in_slot(&slot(Some(round))).expect("a round");
            crate::report_model::Report::build_part(&view, crate::report_model::Part::Plan).content_hash
        };
        assert_eq!(plan_of("half"), plan_of("annual"));

        // A memo is a round's, not the track's plan's; unknown tracks are refused.
        let memo = Edit::SetMemoReference { reference: "x".into() };
        assert!(apply(&mut docs, vec![Edit::InTrack { slot: slot(None), edits: vec![memo] }]).is_err());
        assert!(y.in_slot(&Slot::of(Some("nogift"), None)).is_err(), "not a track this year runs");
        assert!(y.in_slot(&slot(Some("monthly"))).is_err());
        let odd =
            Edit::InTrack { slot: Slot { round: Some("../half".into()), ..slot(None) }, edits: vec![result("x")] };
        assert!(apply(&mut docs, vec![odd]).is_err(), "a round id is checked where it is written");
    }

    #[test]
    fn each_round_has_its_own_memo_taking_the_office_and_drafter_from_the_integrity_memo() {
        use crate::docs::MemoField;
        let mut docs = docs_with_track();
        let in_round =
            |round: &str, edits: Vec<Edit>| Edit::InTrack { slot: Slot::of(Some(TRACK), Some(round)), edits };
        let before = year(&docs);
        let integrity_memo = before.memo.clone();
        let memo_of = |y: &AgencyYear, round: &str| {
            crate::report_model::MemoView::build(&y.in_slot(&Slot::of(Some(TRACK), Some(round))).expect("a round"))
        };

        // Unwritten, a round's memo is addressed like the integrity measures' and titled by its round.
        let half = memo_of(&before, "half").report.content;
        assert_eq!(half.department, integrity_memo.department.as_str());
        assert_eq!(half.addressee, integrity_memo.addressee.as_str());
        assert_eq!(
            (half.drafter_name.as_str(), half.reference.as_str()),
            (integrity_memo.drafter_name.as_str(), integrity_memo.reference.as_str())
        );
        let half_title = &before.tracks()[1].rounds[0].title;
        assert!(half.subject.starts_with(half_title.as_str()) && half.subject.ends_with("2565"), "{}", half.subject);
        assert!(half.report_title.starts_with(half_title.as_str()), "{}", half.report_title);
        assert!(half.facts.is_empty() && half.proposals.is_empty() && half.previous_score.is_none());

        // The coordinator writes the half round's memo; the annual round's and the integrity
        // measures' stay as they were.
        apply(
            &mut docs,
            vec![in_round(
                "half",
                vec![
                    Edit::SetMemoField {
                        field: MemoField::Subject,
                        text: "รายงานผลการดำเนินการป้องกันการทุจริต รอบ ๖ เดือน".into(),
                    },
                    Edit::SetMemoField {
                        field: MemoField::Facts, text: "ได้ดำเนินโครงการครบตามแผน".into()
                    },
                    Edit::SetMemoReference { reference: "รบ 72101/99".into() },
                    Edit::SetMemoDate { date: Some("2022-04-05".parse().expect("a date")) },
                    Edit::AddProposal {
                        id: "q1".into(), index: 0, text: "เห็นควรเผยแพร่รายงาน".into()
                    },
                    Edit::SetDrafter {
                        name: "นายสมชาย ใจดี".into(), position: "นักวิเคราะห์นโยบายและแผน".into()
                    },
                ],
            )],
        )
        .expect("the half round's memo");
        let y = year(&docs);
        let half = memo_of(&y, "half");
        assert_eq!(half.report.content.subject, "รายงานผลการดำเนินการป้องกันการทุจริต รอบ ๖ เดือน");
        assert_eq!(half.report.content.reference, "รบ 72101/99");
        assert_eq!(half.report.content.proposals, ["เห็นควรเผยแพร่รายงาน"]);
        assert_eq!(half.proposal_ids, ["q1"]);
        assert_eq!(half.report.content.drafter_name, "นายสมชาย ใจดี");
        assert_eq!(half.report.content.department, integrity_memo.department.as_str(), "still the office's");
        let annual = memo_of(&y, "annual").report.content;
        assert!(annual.facts.is_empty() && annual.proposals.is_empty());
        assert_eq!(annual.drafter_name, integrity_memo.drafter_name, "the annual round's is its own");
        let integrity = crate::report_model::MemoView::build(&y);
        assert_eq!(y.memo.subject, integrity_memo.subject);
        assert_eq!(integrity.report.content.reference, integrity_memo.reference);
        assert_eq!(integrity.proposal_ids.len(), integrity_memo.proposals.len());

        // The memo is what the round's report hashes: writing it unsigns the round, not its plan.
        let hash = |y: &AgencyYear, part| {
            crate::report_model::Report::build_part(
                &y.in_slot(&Slot::of(Some(TRACK), Some("half"))).expect("half"),
                part,
            )
            .content_hash
        };
        let before_hash = (hash(&y, crate::report_model::Part::Report), hash(&y, crate::report_model::Part::Plan));
        apply(
            &mut docs,
            vec![in_round("half", vec![Edit::SetProposal { id: "q1".into(), text: "เห็นควรเผยแพร่".into() }])],
        )
        .expect("edits a proposal");
        let y = year(&docs);
        assert_ne!(hash(&y, crate::report_model::Part::Report), before_hash.0);
        assert_eq!(hash(&y, crate::report_model::Part::Plan), before_hash.1);

        // Two devices edit the half round's subject at once: the conflict is listed in the half
        // round's view only.
        let mut other = docs.memo.fork();
        let subject = |text: &str| vec![in_round("half", vec![Edit::SetMemoReference { reference: text.into() }])];
        let meta = CommitMeta::new("edit", "kannika", 5);
        docs::edit(&mut other, &meta, |tx| crate::edit::apply(tx, &subject("รบ 1/1"), &meta)).expect("one device");
        docs::edit(&mut docs.memo, &meta, |tx| crate::edit::apply(tx, &subject("รบ 2/2"), &meta)).expect("the other");
        docs.memo.merge(&mut other).expect("merges");
        let today: crate::calendar::Date = "2022-06-01".parse().expect("a date");
        let in_half = listed_after(&docs, &Slot::of(Some(TRACK), Some("half")), today);
        assert!(in_half.iter().any(|c| c.field == "reference"), "{in_half:?}");
        assert!(
            listed_after(&docs, &Slot::of(Some(TRACK), Some("annual")), today).iter().all(|c| c.field != "reference")
        );
        assert!(listed_after(&docs, &Slot::INTEGRITY, today).iter().all(|c| c.field != "reference"));
    }
}
