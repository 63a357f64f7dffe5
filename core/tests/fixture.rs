//! The sample agency (อบต.ปากช่อง 2565) survives being turned into documents, saved and loaded,
//! and the merged view shows the seed's plan exactly.

use prongsai_core::automerge::Automerge;
use prongsai_core::sample::{AutomergeDocuments, pakchong_2565};
use prongsai_core::thai::validate_thai_text;
use prongsai_core::view::ReviewState;
use prongsai_core::{AgencyYear, CommitMeta, Date, DocKey, MergedView, merged_view};

const CREATED_AT: i64 = 1_640_995_200_000; // 2022-01-01

fn sample_documents() -> AutomergeDocuments {
    let fixture = pakchong_2565();
    let meta = CommitMeta::new("สร้างข้อมูลตัวอย่าง", "server", CREATED_AT);
    fixture
        .typed_documents(CREATED_AT)
        .expect("the fixture is consistent")
        .into_automerge(&meta, |key| format!("automerge:test-{key}"))
        .expect("documents are created")
}

fn view_of(docs: impl IntoIterator<Item = (DocKey, Automerge)>, today: Date) -> MergedView {
    let docs: Vec<(DocKey, Automerge)> = docs.into_iter().collect();
    let year = AgencyYear::from_documents(docs.iter().map(|(k, d)| (k.clone(), d))).expect("documents read");
    merged_view(&year, today)
}

fn date(s: &str) -> Date {
    s.parse().expect("valid date")
}

#[test]
fn merged_view_shows_the_seed_plan() {
    let fixture = pakchong_2565();
    let docs = sample_documents();
    let view = view_of(docs.iter().map(|(k, d)| (k, d.clone())), date("2022-03-21"));

    assert_eq!(view.counts.measures, 8);
    assert_eq!(view.counts.methods, 21);
    assert_eq!(view.counts.responsibilities, 43);
    assert_eq!(view.counts.published_results, 8);
    let schedules: Vec<&str> = view.measures.iter().map(|m| m.schedule.as_str()).collect();
    assert_eq!(schedules, ["1", "1", "1", "1-4", "4", "4", "2", "2"]);
    let labels: Vec<&str> = view.measures.iter().map(|m| m.schedule_label.as_str()).collect();
    assert_eq!(labels[3], "ไตรมาสที่ ๑ - ๔");
    assert_eq!(labels[6], "ไตรมาสที่ ๒");

    // Every title, method and published result is the fixture's text, in the fixture's order.
    for (row, record) in view.measures.iter().zip(&fixture.measures) {
        assert_eq!(row.title, record.title);
        let methods: Vec<&str> = row.methods.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(methods, record.methods.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(row.published_result, record.published_result);
        assert_eq!(row.cells.len(), row.responsible.len());
    }
    assert_eq!(view.measures[0].number, 1);
    assert_eq!(view.measures[7].number, 8);
    assert_eq!(view.measures[2].published_result.matches("๐๓๒-๗๔๐๒๙๑").count(), 1);

    // Alias spellings resolved to the six canonical divisions, numbered in directory order.
    let divisions: Vec<&str> = view.divisions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(divisions, ["สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษาฯ", "งานพัฒนาชุมชน", "งานป้องกันและบรรเทาสาธารณภัย"]);
    assert_eq!(view.measures[1].responsible, ["palad"]);
    assert_eq!(view.measures[3].responsible.len(), 6, "สำนักงานปลัด is สำนักปลัด");
    assert_eq!(view.divisions[0].responsibilities, 8);
    assert_eq!(view.divisions[1].responsibilities, 7);

    // Nothing is done yet: on 21 March 2565 the quarter-1 measures (4 rows, 19 pairs) are late.
    assert_eq!(view.counts.not_started, 43);
    assert_eq!(view.late.len(), 6 + 1 + 6);
    assert!(view.late.iter().all(|c| c.number <= 3));
    assert!(view.conflicts.is_empty());
    assert!(view.measures.iter().flat_map(|m| &m.cells).all(|c| c.review == ReviewState::Draft));
    assert_eq!(view.approvals.len(), 3);
    assert!(view.approvals[0].is_next && !view.approvals[1].is_next);
    assert_eq!(view.oit_window.as_ref().and_then(|w| w.days_left), Some(41));

    // The fixture's Thai is clean: the seed's OCR errors were corrected.
    for row in &view.measures {
        for text in std::iter::once(&row.title).chain(row.methods.iter().map(|m| &m.text)) {
            assert_eq!(validate_thai_text(text), vec![], "{text}");
        }
    }
}

#[test]
fn documents_survive_save_and_load() {
    let docs = sample_documents();
    let today = date("2022-06-30");
    let before = view_of(docs.iter().map(|(k, d)| (k, d.clone())), today);
    let reloaded = docs.iter().map(|(k, d)| {
        let bytes = d.save();
        (k, Automerge::load(&bytes).expect("saved document loads"))
    });
    let after = view_of(reloaded, today);
    assert_eq!(before, after);
    assert_eq!(after.counts.methods, 21);
}

#[test]
fn report_hash_is_stable_and_content_sensitive() {
    use prongsai_core::docs::{edit, plan};
    use prongsai_core::report_model::Report;
    let mut docs = sample_documents();
    let read = |docs: &AutomergeDocuments| AgencyYear::from_documents(docs.iter()).expect("documents read");
    let first = Report::build(&read(&docs));
    assert_eq!(first.content_hash, Report::build(&read(&docs)).content_hash);
    assert_eq!(first.content.measures.len(), 8);
    // The item comes from the year's criteria: the integrity track's report item of 2565.
    let expected = prongsai_core::ita::ReferenceData::builtin()
        .resolve_track(2565, prongsai_core::ita::LOCAL_FORM, prongsai_core::ita::INTEGRITY_TRACK)
        .and_then(|t| t.report().map(|i| i.code.clone()));
    assert!(expected.is_some());
    assert_eq!(first.content.item.as_ref().map(|i| i.code.clone()), expected);
    assert_eq!(first.content.previous_score.as_ref().and_then(|p| p.band.as_deref()), Some("AA"));

    let meta = CommitMeta::new("แก้ผลการดำเนินงาน", "kannika", CREATED_AT + 1000);
    edit(&mut docs.plan, &meta, |tx| {
        plan::set_published_result(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m2", "เผยแพร่แล้ว")
    })
    .expect("edit");
    let second = Report::build(&read(&docs));
    assert_ne!(first.content_hash, second.content_hash);
}
