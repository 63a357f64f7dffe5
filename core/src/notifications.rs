//! What waits for a person, computed from the merged view (so a device offline shows what its
//! documents say): a result returned to their division, results waiting for the coordinator's
//! review, their turn to sign the memo, their division's measures that fell late, and the OIT
//! window closing in 14, 7 and 1 days.
//!
//! Each notification has an id that stays the same while the thing it is about stays the same
//! and changes when it happens anew (a result returned again after it was edited, the memo
//! changed so the chain signs again), so a person's "read" marks (kept by the server per person)
//! mean "I have seen this one".

use crate::model::Role;
use crate::view::{CellRef, MergedView};

/// Days before the OIT window closes at which the coordinator is told.
pub const WINDOW_WARNINGS: [i64; 3] = [14, 7, 1];

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The coordinator returned this division's result: fix and submit again.
    Returned,
    /// A division submitted a result that waits for the coordinator's review.
    AwaitingReview,
    /// The memo waits for this person's signature.
    YourTurnToSign,
    /// A measure of this division passed its last scheduled quarter and is not done.
    Late,
    /// The OIT window closes within `days` days.
    WindowClosing,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    /// The measure it is about, with its number and title as the table shows them.
    pub measure: Option<String>,
    pub number: Option<usize>,
    pub title: Option<String>,
    pub division: Option<String>,
    pub division_name: Option<String>,
    /// The approval step (for `YourTurnToSign`) and its heading.
    pub step: Option<String>,
    /// Days left (for `WindowClosing`: until the window closes; for `Late`: none).
    pub days: Option<i64>,
    /// For the coordinator's `Late`: how many divisions are late on the measure.
    #[serde(default)]
    pub late_divisions: Option<usize>,
    /// For `YourTurnToSign`: the plan's chain or the report's.
    #[serde(default)]
    pub part: crate::report_model::Part,
    /// The track and round it is about (the integrity measures' when empty), with their titles
    /// as pages name them ("แผนปฏิบัติการป้องกันการทุจริต · รอบ ๖ เดือน").
    #[serde(default, skip_serializing_if = "crate::tracks::Slot::is_integrity")]
    pub slot: crate::tracks::Slot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_title: Option<String>,
}

/// Who the notifications are for.
#[derive(Clone, Copy, Debug)]
pub struct Person<'a> {
    pub username: &'a str,
    pub roles: &'a [Role],
    pub division: Option<&'a str>,
}

impl Person<'_> {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn in_division(&self, division: &str) -> bool {
        self.division == Some(division) && (self.has(Role::Staff) || self.has(Role::DivisionHead))
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn about(kind: NotificationKind, id: String, cell: &CellRef) -> Notification {
    Notification {
        id,
        kind,
        measure: Some(cell.measure.clone()),
        number: Some(cell.number),
        title: Some(cell.title.clone()),
        division: Some(cell.division.clone()),
        division_name: Some(cell.division_name.clone()),
        step: None,
        days: None,
        late_divisions: None,
        part: Default::default(),
        slot: Default::default(),
        track_title: None,
    }
}

/// The notifications of `person` in `view`, the most pressing first.
pub fn notifications(view: &MergedView, person: Person<'_>) -> Vec<Notification> {
    let content_hash = |measure: &str, division: &str| {
        view.measures
            .iter()
            .find(|m| m.id == measure)
            .and_then(|m| m.cells.iter().find(|c| c.division == division))
            .map(|c| short(&c.content_hash).to_string())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(window) = &view.oit_window
        && (person.has(Role::Coordinator) || person.has(Role::Admin))
        && let Some(left) = window.days_left.filter(|left| *left >= 1)
        && let Some(threshold) = WINDOW_WARNINGS.iter().rev().find(|t| left <= **t)
    {
        out.push(Notification {
            id: format!("window/{}/{}/{threshold}", view.year, window.to),
            kind: NotificationKind::WindowClosing,
            measure: None,
            number: None,
            title: None,
            division: None,
            division_name: None,
            step: None,
            days: Some(left),
            late_divisions: None,
            part: Default::default(),
            slot: Default::default(),
            track_title: None,
        });
    }
    for (part, prefix, hash) in [
        (crate::report_model::Part::Plan, "sign-plan", &view.plan_hash),
        (crate::report_model::Part::Report, "sign", &view.report_hash),
    ] {
        let Some(step) = view
            .approvals_of(part)
            .iter()
            .find(|a| a.is_next && a.approver.as_deref() == Some(person.username))
            .filter(|_| person.has(Role::Approver))
        else {
            continue;
        };
        out.push(Notification {
            id: format!("{prefix}/{}/{}", step.step, short(hash)),
            part,
            kind: NotificationKind::YourTurnToSign,
            measure: None,
            number: None,
            title: Some(step.title.clone()),
            division: None,
            division_name: None,
            step: Some(step.step.clone()),
            days: None,
            late_divisions: None,
            slot: Default::default(),
            track_title: None,
        });
    }
    for cell in view.returned.iter().filter(|c| person.in_division(&c.division)) {
        let id = format!("returned/{}/{}/{}", cell.measure, cell.division, content_hash(&cell.measure, &cell.division));
        out.push(about(NotificationKind::Returned, id, cell));
    }
    if person.has(Role::Coordinator) {
        for cell in &view.awaiting_review {
            let id =
                format!("review/{}/{}/{}", cell.measure, cell.division, content_hash(&cell.measure, &cell.division));
            out.push(about(NotificationKind::AwaitingReview, id, cell));
        }
    }
    for cell in view.late.iter().filter(|c| person.in_division(&c.division)) {
        let due = cell.due.map(|d| d.to_string()).unwrap_or_default();
        let id = format!("late/{}/{}/{due}", cell.measure, cell.division);
        out.push(about(NotificationKind::Late, id, cell));
    }
    if person.has(Role::Coordinator) {
        // The coordinator hears once per measure, with how many divisions are late on it.
        let mut seen: Vec<&str> = Vec::new();
        for cell in &view.late {
            if seen.contains(&cell.measure.as_str()) {
                continue;
            }
            seen.push(&cell.measure);
            let divisions = view.late.iter().filter(|c| c.measure == cell.measure).count();
            let due = cell.due.map(|d| d.to_string()).unwrap_or_default();
            let mut n = about(NotificationKind::Late, format!("late/{}/all/{due}", cell.measure), cell);
            n.division = None;
            n.division_name = None;
            n.days = None;
            n.late_divisions = Some(divisions);
            out.push(n);
        }
    }
    in_track(view, out)
}

/// `out` computed from a view of another track's round: each names the track and round, its id
/// carries them (the same measure or step means another thing there), and the OIT window,
/// which is the year's, is told once, from the integrity measures.
fn in_track(view: &MergedView, out: Vec<Notification>) -> Vec<Notification> {
    let Some(track) = view.slot.track.as_deref() else { return out };
    let round = view.slot.round.as_deref().unwrap_or_default();
    let title = view.tracks.iter().find(|t| t.id == track).map(|t| t.title_with_round(round));
    out.into_iter()
        .filter(|n| n.kind != NotificationKind::WindowClosing)
        .map(|n| Notification {
            id: format!("{track}/{round}/{}", n.id),
            slot: view.slot.clone(),
            track_title: title.clone(),
            ..n
        })
        .collect()
}

/// How many of `notifications` are not in `read`.
pub fn unread(notifications: &[Notification], read: &std::collections::BTreeSet<String>) -> usize {
    notifications.iter().filter(|n| !read.contains(&n.id)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AgencyYear;
    use crate::calendar::Date;
    use crate::hash::result_content_hash;
    use crate::model::{DivisionResult, ReviewDecision, ReviewDecisionKind, Submission, review_key};
    use crate::report_model::Part;
    use crate::sample::pakchong_2565;
    use crate::view::merged_view;

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    fn sample() -> AgencyYear {
        pakchong_2565().typed_documents(0).expect("the sample").into_agency_year()
    }

    fn first_measure(year: &AgencyYear) -> String {
        year.measures()[0].0.clone()
    }

    /// `division` submits `text` for `measure` at `at`.
    fn submit(year: &mut AgencyYear, measure: &str, division: &str, text: &str, at: i64) {
        let doc = year.results.get_mut(division).expect("the division's results");
        let mut result = DivisionResult { text: text.into(), ..DivisionResult::default() };
        let hash = result_content_hash(&result);
        result.submission = Some(Submission { by: "staff".into(), at, content_hash: hash });
        doc.results.insert(measure.to_string(), result);
    }

    /// The coordinator returns what `division` submitted for `measure`, at `at`.
    fn send_back(year: &mut AgencyYear, measure: &str, division: &str, at: i64) {
        let hash = result_content_hash(year.result(measure, division).expect("a result"));
        let decision = ReviewDecision {
            decision: ReviewDecisionKind::Returned,
            comment: "ขอหลักฐานเพิ่ม".into(),
            content_hash: hash,
            by: "kannika".into(),
            at,
        };
        year.review.decisions.insert(review_key(measure, division), decision);
    }

    fn kinds(list: &[Notification]) -> Vec<(NotificationKind, Option<String>, Option<String>)> {
        list.iter().map(|n| (n.kind, n.measure.clone(), n.division.clone())).collect()
    }

    #[test]
    fn each_person_is_told_what_waits_for_them() {
        let mut year = sample();
        let m1 = first_measure(&year);
        submit(&mut year, &m1, "palad", "ทำแล้ว", 10);
        submit(&mut year, &m1, "klang", "ทำบางส่วน", 10);
        send_back(&mut year, &m1, "klang", 20);
        // After the fiscal year: its measures that are not done are late.
        let view = merged_view(&year, date("2022-10-15"));

        let staff = Person { username: "somchai", roles: &[Role::Staff], division: Some("klang") };
        let told = notifications(&view, staff);
        assert!(kinds(&told).contains(&(NotificationKind::Returned, Some(m1.clone()), Some("klang".into()))));
        assert!(told.iter().all(|n| n.division.as_deref() == Some("klang")), "only their own division");
        assert!(told.iter().any(|n| n.kind == NotificationKind::Late), "their late measures");
        assert!(!told.iter().any(|n| n.kind == NotificationKind::AwaitingReview), "reviewing is not theirs");

        let coordinator = Person { username: "kannika", roles: &[Role::Coordinator], division: Some("palad") };
        let told = notifications(&view, coordinator);
        assert!(kinds(&told).contains(&(NotificationKind::AwaitingReview, Some(m1.clone()), Some("palad".into()))));
        assert!(!told.iter().any(|n| n.kind == NotificationKind::Returned), "returns are the division's");
        let late: Vec<&Notification> = told.iter().filter(|n| n.kind == NotificationKind::Late).collect();
        let late_measures: std::collections::BTreeSet<&str> = view.late.iter().map(|c| c.measure.as_str()).collect();
        assert!(!late_measures.is_empty());
        assert_eq!(late.len(), late_measures.len(), "one per measure, however many divisions are late on it");
        let total: usize = late.iter().filter_map(|n| n.late_divisions).sum();
        assert_eq!(total, view.late.len());

        // The first approver's turn; the second waits.
        let head = view.approvals[0].approver.clone().expect("bound");
        let second = view.approvals[1].approver.clone().expect("bound");
        let told = notifications(&view, Person { username: &head, roles: &[Role::Approver], division: None });
        let parts: Vec<Part> =
            told.iter().filter(|n| n.kind == NotificationKind::YourTurnToSign).map(|n| n.part).collect();
        assert_eq!(parts, [Part::Plan, Part::Report], "the plan's chain and the report's, each once");
        let told = notifications(&view, Person { username: &second, roles: &[Role::Approver], division: None });
        assert!(told.is_empty(), "not the second approver's turn yet: {told:?}");
    }

    #[test]
    fn an_id_changes_when_the_thing_happens_anew() {
        let mut year = sample();
        let m1 = first_measure(&year);
        let returned_id = |year: &AgencyYear| {
            let view = merged_view(year, date("2022-01-15"));
            let staff = Person { username: "a", roles: &[Role::Staff], division: Some("klang") };
            notifications(&view, staff).into_iter().find(|n| n.kind == NotificationKind::Returned).map(|n| n.id)
        };
        submit(&mut year, &m1, "klang", "ครั้งแรก", 10);
        assert_eq!(returned_id(&year), None, "submitted, not returned");
        send_back(&mut year, &m1, "klang", 20);
        let first = returned_id(&year).expect("returned");
        assert_eq!(returned_id(&year), Some(first.clone()), "the same return is the same notification");
        submit(&mut year, &m1, "klang", "แก้ไขแล้ว", 30);
        assert_eq!(returned_id(&year), None, "resubmitted: nothing waits for the division");
        send_back(&mut year, &m1, "klang", 40);
        let second = returned_id(&year).expect("returned again");
        assert_ne!(second, first, "returned again after an edit is a new notification");
    }

    #[test]
    fn the_coordinator_is_told_at_fourteen_seven_and_one_days_before_the_window_closes() {
        let year = sample();
        let window = merged_view(&year, date("2022-01-01")).oit_window.expect("2565 has an OIT window");
        let coordinator = Person { username: "kannika", roles: &[Role::Coordinator], division: None };
        // `days_left` counts the closing day itself: on the last day one day is left.
        let at = |days_left: i64| {
            let view = merged_view(&year, window.to.add_days(1 - days_left));
            notifications(&view, coordinator).into_iter().find(|n| n.kind == NotificationKind::WindowClosing)
        };
        assert!(at(20).is_none(), "three weeks before: nothing yet");
        let fourteen = at(14).expect("14 days");
        assert_eq!(at(10).expect("10 days").id, fourteen.id, "one notice until the next threshold");
        let seven = at(7).expect("7 days");
        assert_ne!(seven.id, fourteen.id);
        let one = at(1).expect("1 day");
        assert_ne!(one.id, seven.id);
        assert_eq!(one.days, Some(1));
        let staff = Person { username: "a", roles: &[Role::Staff], division: Some("klang") };
        assert!(at(0).is_none(), "after the window closed there is nothing to warn of");
        let view = merged_view(&year, window.to);
        assert!(
            !notifications(&view, staff).iter().any(|n| n.kind == NotificationKind::WindowClosing),
            "the window is the coordinator's"
        );
    }
}
