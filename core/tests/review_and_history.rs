//! The review loop's states, late items and quarter progress at given dates, and a measure's
//! history read back from the documents' changes.

use prongsai_core::automerge::ActorId;
use prongsai_core::docs::{self, CommitMeta, directory, edit, plan, results, review};
use prongsai_core::history::{measure_history, merge_histories};
use prongsai_core::model::{ActorInfo, DocKey, DocKind, ReviewDecisionKind, Status};
use prongsai_core::sample::{AutomergeDocuments, pakchong_2565};
use prongsai_core::view::ReviewState;
use prongsai_core::{AgencyYear, Date, MergedView, merged_view};

const T0: i64 = 1_640_995_200_000;

fn sample() -> AutomergeDocuments {
    let meta = CommitMeta::new("สร้างข้อมูลตัวอย่าง", "server", T0);
    pakchong_2565()
        .typed_documents(T0)
        .expect("fixture")
        .into_automerge(&meta, |k| format!("automerge:{k}"))
        .expect("documents")
}

fn view(docs: &AutomergeDocuments, today: &str) -> MergedView {
    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    merged_view(&year, today.parse().expect("date"))
}

fn cell_review(v: &MergedView, measure: &str, division: &str) -> ReviewState {
    let row = v.measures.iter().find(|m| m.id == measure).expect("measure");
    row.cells.iter().find(|c| c.division == division).expect("cell").review
}

/// Edits one minute apart (change timestamps have second precision).
fn staff(step: i64) -> CommitMeta {
    CommitMeta::new("บันทึกผล", "wipa", T0 + step * 60_000)
}

fn coordinator(step: i64) -> CommitMeta {
    CommitMeta::new("ตรวจผล", "kannika", T0 + step * 60_000)
}

#[test]
fn review_loop_states() {
    let mut docs = sample();
    let klang = || DocKey::results("klang");
    assert_eq!(cell_review(&view(&docs, "2022-01-10"), "m3", "klang"), ReviewState::Draft);

    // The division writes and submits.
    let r = docs.results.get_mut("klang").expect("klang");
    edit(r, &staff(1), |tx| {
        results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "ตอบคำถามทางโทรศัพท์แล้ว", &staff(1))?;
        results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", &Status::Done, &staff(1))
    })
    .expect("edit");
    let hash = edit(r, &staff(2), |tx| results::submit(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", &staff(2)))
        .expect("submit");
    let v = view(&docs, "2022-01-10");
    assert_eq!(cell_review(&v, "m3", "klang"), ReviewState::AwaitingReview);
    assert_eq!(v.awaiting_review.len(), 1);
    assert_eq!(v.awaiting_review[0].submitted_by.as_deref(), Some("wipa"));

    // Returned with a comment: the division sees it, with the comment.
    let c = coordinator(3);
    edit(&mut docs.review, &c, |tx| {
        review::decide(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m3",
            "klang",
            ReviewDecisionKind::Returned,
            "แนบภาพประกอบด้วย",
            &hash,
            &c,
        )
    })
    .expect("return");
    let v = view(&docs, "2022-01-10");
    assert_eq!(cell_review(&v, "m3", "klang"), ReviewState::Returned);
    assert_eq!(v.returned.len(), 1);
    let cell = &v.measures[2].cells.iter().find(|c| c.division == "klang").expect("cell");
    assert_eq!(cell.review_comment.as_deref(), Some("แนบภาพประกอบด้วย"));

    // A return without a comment is refused.
    let refused = edit(&mut docs.review, &c, |tx| {
        review::decide(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m3",
            "klang",
            ReviewDecisionKind::Returned,
            "  ",
            &hash,
            &c,
        )
    });
    assert!(refused.is_err());

    // Fixed and resubmitted: awaiting review again; approved: approved.
    let r = docs.results.get_mut("klang").expect("klang");
    edit(r, &staff(4), |tx| {
        results::set_text(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m3",
            "ตอบคำถามทางโทรศัพท์แล้ว พร้อมภาพประกอบ",
            &staff(4),
        )
    })
    .expect("edit");
    let hash2 = edit(r, &staff(5), |tx| results::submit(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", &staff(5)))
        .expect("submit");
    assert_ne!(hash, hash2);
    assert_eq!(cell_review(&view(&docs, "2022-01-10"), "m3", "klang"), ReviewState::AwaitingReview);
    let c = coordinator(6);
    edit(&mut docs.review, &c, |tx| {
        review::decide(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m3",
            "klang",
            ReviewDecisionKind::Approved,
            "",
            &hash2,
            &c,
        )
    })
    .expect("approve");
    assert_eq!(cell_review(&view(&docs, "2022-01-10"), "m3", "klang"), ReviewState::Approved);

    // An edit after approval shows as changed since approval; undoing it restores the approval.
    let r = docs.results.get_mut("klang").expect("klang");
    edit(r, &staff(7), |tx| {
        results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", &Status::InProgress, &staff(7))
    })
    .expect("edit");
    let v = view(&docs, "2022-01-10");
    assert_eq!(cell_review(&v, "m3", "klang"), ReviewState::ChangedSinceApproval);
    assert_eq!(v.changed_since_approval.len(), 1);
    let r = docs.results.get_mut("klang").expect("klang");
    edit(r, &staff(8), |tx| {
        results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", &Status::Done, &staff(8))
    })
    .expect("edit");
    assert_eq!(cell_review(&view(&docs, "2022-01-10"), "m3", "klang"), ReviewState::Approved);

    // The history of m3 records who did what, from both documents.
    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    let history = merge_histories(vec![
        measure_history(&docs.results["klang"], &klang(), "m3", &year.directory),
        measure_history(&docs.review, &DocKey::of(DocKind::Review), "m3", &year.directory),
    ]);
    let fields: Vec<(String, Vec<String>)> =
        history.iter().map(|h| (h.message.clone(), h.fields.iter().map(|f| f.field.clone()).collect())).collect();
    assert!(fields.iter().any(|(m, f)| m == "บันทึกผล" && f.contains(&"text".to_string())), "{fields:?}");
    assert!(fields.iter().any(|(_, f)| f.contains(&"submission".to_string())), "{fields:?}");
    assert_eq!(history.iter().filter(|h| h.document.kind == DocKind::Review).count(), 2, "{fields:?}");
    assert!(history.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    let status_values: Vec<Option<String>> =
        history.iter().flat_map(|h| h.fields.iter().filter(|f| f.field == "status").map(|f| f.value.clone())).collect();
    // The sample's creation says only that the result was created; then the division's three
    // status changes.
    assert_eq!(fields[0].1, ["result"], "{fields:?}");
    assert_eq!(status_values, [Some("done".into()), Some("in_progress".into()), Some("done".into())]);
}

#[test]
fn history_names_the_user_behind_an_actor() {
    let mut docs = sample();
    let actor = ActorId::from([7u8; 16]);
    let server = CommitMeta::new("ลงทะเบียนอุปกรณ์", "server", T0);
    edit(&mut docs.directory, &server, |tx| {
        directory::register_actor(
            tx,
            &actor.to_hex_string(),
            &ActorInfo { username: "kannika".into(), device: "แล็ปท็อป".into(), issued_at: T0 },
        )
    })
    .expect("register");
    let meta = CommitMeta::new("แก้ชื่อมาตรการ", "kannika", T0 + 60_000).with_actor(actor.clone());
    edit(&mut docs.plan, &meta, |tx| {
        plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", "การเผยแพร่ข้อมูลของหน่วยงาน")
    })
    .expect("edit");
    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    let history = measure_history(&docs.plan, &DocKey::of(DocKind::Plan), "m2", &year.directory);
    let last = history.last().expect("the edit is in the history");
    assert_eq!(last.username.as_deref(), Some("kannika"));
    assert_eq!(last.display_name.as_deref(), Some("นางสาวกรรณิการ์ รวยบุญส่ง"));
    assert_eq!(last.actor, actor.to_hex_string());
    assert_eq!(last.at_ms, T0 + 60_000);
    assert_eq!(last.message, "แก้ชื่อมาตรการ");
    assert_eq!(last.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["title"]);
    // The sample's creation touched m2 too, by the server's (unregistered) actor.
    assert!(history.len() >= 2);
    assert!(history[0].username.is_none());
}

/// A device killed after sending a change it had not saved writes again from its disk: with a new
/// actor per run, the change it lost and the ones it makes next both merge, and history names the
/// same person for both runs.
#[test]
fn each_run_writes_with_its_own_actor_so_a_change_lost_at_a_crash_never_collides() {
    let mut docs = sample();
    let registered = ActorId::from([9u8; 16]);
    let server = CommitMeta::new("ลงทะเบียนอุปกรณ์", "server", T0);
    edit(&mut docs.directory, &server, |tx| {
        directory::register_actor(
            tx,
            &registered.to_hex_string(),
            &ActorInfo { username: "kannika".into(), device: "แท็บเล็ต".into(), issued_at: T0 },
        )
    })
    .expect("register");
    let on_disk = docs.plan.clone();
    // The first run's change reaches the server, and the run dies before saving it.
    let first =
        CommitMeta::new("แก้ชื่อ", "kannika", T0 + 1_000).with_actor(docs::actor_for_run(&registered, &ActorId::random()));
    let mut server_copy = docs.plan.clone();
    edit(&mut server_copy, &first, |tx| {
        plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", "ชื่อจากรอบแรก")
    })
    .expect("first run");
    // The second run starts from the disk and edits another measure.
    let mut device = on_disk;
    let second =
        CommitMeta::new("แก้ชื่อ", "kannika", T0 + 2_000).with_actor(docs::actor_for_run(&registered, &ActorId::random()));
    assert_ne!(first.actor, second.actor);
    edit(&mut device, &second, |tx| plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "ชื่อจากรอบสอง"))
        .expect("second run");
    server_copy.merge(&mut device).expect("the server takes the second run's change");
    docs.plan = server_copy;
    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    for measure in ["m2", "m3"] {
        let history = measure_history(&docs.plan, &DocKey::of(DocKind::Plan), measure, &year.directory);
        let last = history.last().expect("the edit is in the history");
        assert_eq!(last.username.as_deref(), Some("kannika"), "{measure}");
        assert_eq!(docs::registered_actor(&last.actor), registered.to_hex_string());
    }
    // With one actor for both runs the same merge fails: that is what a new actor per run prevents.
    let mut same_actor_server = sample().plan;
    let mut same_actor_device = same_actor_server.clone();
    let meta = CommitMeta::new("แก้ชื่อ", "kannika", T0).with_actor(registered.clone());
    edit(&mut same_actor_server, &meta, |tx| plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", "ก"))
        .expect("edit");
    edit(&mut same_actor_device, &meta, |tx| plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "ข"))
        .expect("edit");
    assert!(same_actor_server.merge(&mut same_actor_device).is_err());
}

#[test]
fn late_items_and_quarter_progress_at_dates() {
    let mut docs = sample();
    // สำนักปลัด finishes measure 2 (its only single-division measure, quarter 1).
    let r = docs.results.get_mut("palad").expect("palad");
    let m = CommitMeta::new("เสร็จแล้ว", "somchai", T0);
    edit(r, &m, |tx| results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", &Status::Done, &m))
        .expect("edit");

    // (date, late pairs, quarters ended)
    let cases = [
        ("2021-10-15", 0, 0),
        ("2021-12-31", 0, 0),
        ("2022-01-01", 6 + 6, 1),      // m1 and m3 (6 divisions each); m2 is done; m4 runs to Q4
        ("2022-04-01", 12 + 6 + 6, 2), // + m7, m8
        ("2022-07-01", 24, 3),
        ("2022-10-01", 24 + 6 + 6 + 6, 4), // + m4, m5, m6
    ];
    for (today, late, ended) in cases {
        let v = view(&docs, today);
        assert_eq!(v.late.len(), late, "late on {today}");
        assert_eq!(v.quarters.iter().filter(|q| q.ended).count(), ended, "quarters ended on {today}");
    }
    let v = view(&docs, "2022-01-01");
    let q1 = &v.quarters[0];
    assert_eq!((q1.quarter, q1.label.as_str()), (1, "ไตรมาสที่ ๑"));
    assert_eq!(q1.scheduled, 6 + 1 + 6 + 6, "m1, m2, m3 and m4 run in Q1");
    assert_eq!(q1.done, 1);
    assert_eq!(q1.due, 13);
    assert_eq!(q1.due_done, 1);
    assert_eq!(v.quarters[3].scheduled, 6 + 6 + 6);
    assert_eq!(v.quarters[0].start, Date::new(2021, 10, 1).expect("date"));
    assert!(v.late.iter().all(|c| c.measure != "m2"));
    let palad = v.divisions.iter().find(|d| d.id == "palad").expect("palad");
    assert_eq!((palad.done, palad.late), (1, 2));
}

#[test]
fn conflicting_schedules_are_reported_and_resolved_by_writing_again() {
    let mut docs = sample();
    let mut other = docs.plan.fork();
    let a = CommitMeta::new("ตั้งไตรมาส", "kannika", T0).with_actor(ActorId::from([1u8; 16]));
    let b = CommitMeta::new("ตั้งไตรมาส", "kannika", T0).with_actor(ActorId::from([2u8; 16]));
    edit(&mut docs.plan, &a, |tx| {
        plan::set_schedule(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m5",
            &"3".parse::<ScheduleCode>().expect("s").0,
        )
    })
    .expect("a");
    edit(&mut other, &b, |tx| {
        plan::set_schedule(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m5",
            &"2-3".parse::<ScheduleCode>().expect("s").0,
        )
    })
    .expect("b");
    docs.plan.merge(&mut other).expect("merge");
    let v = view(&docs, "2022-01-10");
    let conflict = v.conflicts.iter().find(|c| c.field == "schedule").expect("conflict reported");
    assert_eq!(conflict.measure.as_deref(), Some("m5"));
    let mut values: Vec<&str> = conflict.values.iter().map(|v| v.display.as_str()).collect();
    values.sort();
    assert_eq!(values, ["2-3", "3"]);
    // Choosing a value writes it again, which ends the conflict.
    edit(&mut docs.plan, &a, |tx| {
        plan::set_schedule(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m5",
            &"2-3".parse::<ScheduleCode>().expect("s").0,
        )
    })
    .expect("choose");
    assert!(view(&docs, "2022-01-10").conflicts.is_empty());
}

struct ScheduleCode(prongsai_core::Schedule);

impl std::str::FromStr for ScheduleCode {
    type Err = prongsai_core::calendar::ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        prongsai_core::Schedule::parse(s).map(ScheduleCode)
    }
}

#[test]
fn an_older_device_keeps_what_a_newer_app_wrote() {
    use prongsai_core::automerge::transaction::Transactable;
    use prongsai_core::automerge::{ObjType, ROOT, ReadDoc};
    use prongsai_core::docs::read;
    use prongsai_core::model::ResultsDoc;
    let mut docs = sample();
    // A newer app adds keys this build does not know: a new field on a result, a new top-level
    // section, and a status value from a later release.
    let newer = CommitMeta::new("แอปรุ่นใหม่", "wipa", T0 + 60_000);
    let doc = docs.results.get_mut("klang").expect("klang");
    edit(doc, &newer, |tx| {
        let results_map = tx.get(ROOT, "results")?.expect("results").1;
        let m1 = tx.get(&results_map, "m1")?.expect("m1").1;
        tx.put(&m1, "budget_baht", 12_000)?;
        tx.put(&m1, "status", "waiting_for_budget")?;
        let extra = tx.put_object(ROOT, "attachments_v2", ObjType::Map)?;
        tx.put(&extra, "note", "ข้อมูลรุ่นใหม่")?;
        Ok(())
    })
    .expect("newer edit");

    // This build reads the document (the unknown status is kept as it is) ...
    let typed: ResultsDoc = read(&*doc).expect("an older build still reads it");
    assert_eq!(typed.results["m1"].status, Status::Other("waiting_for_budget".into()));
    assert_eq!(typed.results["m1"].status.label_th(), "สถานะอื่น");
    // ... edits it ...
    let older = CommitMeta::new("แอปรุ่นเก่า", "wipa", T0 + 120_000);
    edit(doc, &older, |tx| {
        results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", "บันทึกจากแอปรุ่นเก่า", &older)
    })
    .expect("older edit");
    // ... and what the newer app wrote is still there.
    let results_map = doc.get(ROOT, "results").expect("get").expect("results").1;
    let m1 = doc.get(&results_map, "m1").expect("get").expect("m1").1;
    assert!(doc.get(&m1, "budget_baht").expect("get").is_some());
    assert!(doc.get(ROOT, "attachments_v2").expect("get").is_some());
    let view = view(&docs, "2022-01-10");
    let cell = view.measures[0].cells.iter().find(|c| c.division == "klang").expect("cell");
    assert_eq!(cell.text, "บันทึกจากแอปรุ่นเก่า");
}

#[test]
fn a_person_chooses_between_conflicting_values_and_both_kinds_settle() {
    use prongsai_core::edit::{Edit, apply};
    let mut docs = sample();
    let plan_meta = CommitMeta::new("เพิ่มมาตรการ", "kannika", T0);
    edit(&mut docs.plan, &plan_meta, |tx| {
        plan::add_measure(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m9", 8, "การจัดการเรื่องร้องเรียน")?;
        plan::set_responsible(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m9", "palad", true)
    })
    .expect("new measure");
    // Two devices of สำนักปลัด create the new measure's result offline: the whole result conflicts.
    let mut other = docs.results.get_mut("palad").expect("palad").fork();
    let a = CommitMeta::new("บันทึกผล", "somchai", T0).with_actor(ActorId::from([1u8; 16]));
    let b = CommitMeta::new("บันทึกผล", "parichat", T0).with_actor(ActorId::from([2u8; 16]));
    let palad = docs.results.get_mut("palad").expect("palad");
    edit(palad, &a, |tx| results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m9", "จัดอบรมแล้ว ๓๐ คน", &a))
        .expect("a");
    edit(&mut other, &b, |tx| results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m9", "ประชุมชี้แจงแล้ว", &b))
        .expect("b");
    palad.merge(&mut other).expect("merge");

    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    let detail = prongsai_core::detail::measure_detail(&year, "m9", "2022-01-10".parse().expect("date")).expect("m9");
    let conflict = detail.conflicts.iter().find(|c| c.field == "result").expect("the measure page lists it");
    let chosen = conflict.values.iter().position(|v| v.display.contains("ประชุมชี้แจง")).expect("value listed");
    let resolve = Edit::ResolveConflict {
        document: conflict.document.clone(),
        path: conflict.path.clone(),
        index: chosen,
        expected: conflict.values[chosen].display.clone(),
    };
    // A stale choice (the values changed meanwhile) writes nothing.
    let stale = Edit::ResolveConflict {
        document: conflict.document.clone(),
        path: conflict.path.clone(),
        index: chosen,
        expected: "something else".into(),
    };
    let palad = docs.results.get_mut("palad").expect("palad");
    assert!(edit(palad, &a, |tx| apply(tx, &[stale], &a)).is_err());
    edit(palad, &a, |tx| apply(tx, std::slice::from_ref(&resolve), &a)).expect("choose");

    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    let detail = prongsai_core::detail::measure_detail(&year, "m9", "2022-01-10".parse().expect("date")).expect("m9");
    assert!(detail.conflicts.is_empty(), "{:?}", detail.conflicts);
    let palad_result = detail.results.iter().find(|r| r.division == "palad").expect("palad responsible for m7");
    assert_eq!(palad_result.text, "ประชุมชี้แจงแล้ว");
    // Choosing again finds nothing to settle.
    assert!(edit(docs.results.get_mut("palad").expect("palad"), &a, |tx| apply(tx, &[resolve], &a)).is_err());
}

#[test]
fn the_activity_feed_lists_recent_changes_across_documents_newest_first_with_their_measures() {
    use prongsai_core::history::activity;
    let mut docs = sample();
    let wipa = CommitMeta::new("edit result", "wipa", T0 + 60_000).with_actor(ActorId::from([7u8; 16]));
    let kannika = CommitMeta::new("edit title", "kannika", T0 + 120_000).with_actor(ActorId::from([8u8; 16]));
    edit(docs.results.get_mut("klang").expect("klang"), &wipa, |tx| {
        results::set_text(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m3", "ติดประกาศแล้ว", &wipa)?;
        results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m4", &Status::InProgress, &wipa)
    })
    .expect("wipa");
    edit(&mut docs.plan, &kannika, |tx| {
        plan::set_title(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", "การเผยแพร่ข้อมูลของหน่วยงาน")
    })
    .expect("kannika");
    let register = CommitMeta::new("register", "server", T0);
    edit(&mut docs.directory, &register, |tx| {
        directory::register_actor(
            tx,
            &ActorId::from([7u8; 16]).to_hex_string(),
            &ActorInfo { username: "wipa".into(), device: "tablet".into(), issued_at: T0 },
        )?;
        directory::register_actor(
            tx,
            &ActorId::from([8u8; 16]).to_hex_string(),
            &ActorInfo { username: "kannika".into(), device: "laptop".into(), issued_at: T0 },
        )
    })
    .expect("register");
    let year = AgencyYear::from_documents(docs.iter()).expect("read");
    let keyed: Vec<(DocKey, &prongsai_core::automerge::Automerge)> = docs.iter().collect();
    let feed = activity(keyed.iter().map(|(k, d)| (k, *d)), &year.directory, 2);
    assert_eq!(feed.len(), 2);
    assert_eq!(feed[0].username.as_deref(), Some("kannika"));
    assert_eq!(feed[0].measures, ["m2"]);
    assert_eq!(feed[0].document, DocKey::of(DocKind::Plan));
    assert_eq!(feed[1].username.as_deref(), Some("wipa"));
    assert_eq!(feed[1].measures, ["m3", "m4"]);
    assert!(feed[1].display_name.as_deref().is_some_and(|n| !n.is_empty()));
}

#[test]
fn the_coordinator_drafts_the_memo_and_signatures_stop_covering_it() {
    use prongsai_core::docs::MemoField;
    use prongsai_core::edit::{self, Edit, batch_document};
    use prongsai_core::report_model::MemoView;

    let mut docs = sample();
    let memo = |docs: &AutomergeDocuments| MemoView::build(&AgencyYear::from_documents(docs.iter()).expect("read"));
    let before = memo(&docs);
    let first = before.proposal_ids[0].clone();
    let edits = vec![
        Edit::SetMemoReference { reference: " รบ 72101/15 ".into() },
        Edit::SetMemoDate { date: Some("2022-03-25".parse().expect("date")) },
        Edit::SetMemoField {
            field: MemoField::Subject, text: "รายงานผลการดำเนินการตามมาตรการ".into()
        },
        Edit::SetPreviousAssessment { year: 2564, score_hundredths: 8_840 },
        Edit::AddProposal {
            id: "p-new".into(), index: 0, text: "ประชาสัมพันธ์ผลทางเว็บไซต์".into()
        },
        Edit::MoveProposal { id: first.clone(), index: 5 },
        Edit::SetDrafter {
            name: "นางสาวกรรณิการ์ รวยบุญส่ง".into(), position: "นิติกรชำนาญการ".into()
        },
    ];
    assert_eq!(batch_document(&edits).expect("one document"), DocKey::of(DocKind::Memo));
    let meta = coordinator(1);
    edit(&mut docs.memo, &meta, |tx| edit::apply(tx, &edits, &meta)).expect("drafts");
    let after = memo(&docs);
    let c = &after.report.content;
    assert_eq!(c.reference, "รบ 72101/15");
    assert_eq!(c.date.map(|d| d.to_string()).as_deref(), Some("2022-03-25"));
    assert_eq!(c.subject, "รายงานผลการดำเนินการตามมาตรการ");
    let previous = c.previous_score.as_ref().expect("last year's score");
    assert_eq!((previous.year, previous.score_hundredths), (2564, 8_840));
    assert!(previous.band.is_some(), "the band follows from the reference data");
    assert_eq!(after.proposal_ids[0], "p-new");
    assert_eq!(after.proposal_ids.last(), Some(&first));
    assert_eq!(c.proposals[0], "ประชาสัมพันธ์ผลทางเว็บไซต์");
    assert_ne!(after.report.content_hash, before.report.content_hash, "what approvers sign changed");

    // A score outside 0–100 changes nothing; removing a proposal that is not there says so.
    let bad = vec![Edit::SetPreviousAssessment { year: 2564, score_hundredths: 10_001 }];
    assert!(edit(&mut docs.memo, &meta, |tx| edit::apply(tx, &bad, &meta)).is_err());
    let missing = vec![Edit::RemoveProposal { id: "nope".into() }];
    assert!(edit(&mut docs.memo, &meta, |tx| edit::apply(tx, &missing, &meta)).is_err());
    assert_eq!(memo(&docs).report.content_hash, after.report.content_hash);
}
