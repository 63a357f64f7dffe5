//! Plan import: the template that `plan-xlsx` exports reads back into the same plan (through real
//! Automerge documents and the same edits the app makes); CSV in UTF-8 and Windows-874 with a
//! per-row report; each broken or hostile file is refused with its documented error.

use std::io::Write;

use prongsai_core::automerge::Automerge;
use prongsai_core::edit::{self, Edit};
use prongsai_core::sample::pakchong_2565;
use prongsai_core::{AgencyYear, CommitMeta, DocKey, DocKind, docs};
use prongsai_report::import::{self, ImportError, Outcome};
use prongsai_report::{Format, Options, render};

/// The sample agency's documents; with `empty_plan` its plan has no measures yet.
fn documents(empty_plan: bool) -> Vec<(DocKey, Automerge)> {
    let mut fixture = pakchong_2565();
    if empty_plan {
        fixture.measures.clear();
    }
    let meta = CommitMeta::new("sample", "test", 0);
    let docs = fixture
        .typed_documents(0)
        .expect("sample fixture")
        .into_automerge(&meta, |k| format!("automerge:{k}"))
        .expect("documents");
    docs.iter().map(|(k, d)| (k, d.clone())).collect()
}

fn year_of(docs: &[(DocKey, Automerge)]) -> AgencyYear {
    let mut year = AgencyYear::default();
    for (key, doc) in docs {
        year.load(key, doc).expect("loads");
    }
    year
}

fn apply(docs: &mut [(DocKey, Automerge)], edits: &[Edit]) {
    let plan = docs.iter_mut().find(|(k, _)| k.kind == DocKind::Plan).expect("plan");
    let meta = CommitMeta::new("import", "kannika", 1);
    docs::edit(&mut plan.1, &meta, |tx| edit::apply(tx, edits, &meta)).expect("edits apply");
}

fn ids() -> impl FnMut(&str) -> String {
    let mut n = 0;
    move |prefix| {
        n += 1;
        format!("{prefix}-import-{n}")
    }
}

/// A measure without its id: title, methods, divisions, quarters, suggestion.
type MeasureSummary = (String, Vec<String>, Vec<String>, String, String);

/// What a plan says, measure by measure, without ids.
fn plan_summary(year: &AgencyYear) -> Vec<MeasureSummary> {
    year.measures()
        .into_iter()
        .map(|(_, m)| {
            (
                m.title.as_str().to_string(),
                prongsai_core::agency_year::ordered(&m.methods, |x| &x.pos)
                    .into_iter()
                    .map(|(_, x)| x.text.as_str().to_string())
                    .collect(),
                year.responsible(m),
                m.schedule.to_code(),
                m.suggestion.as_str().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_exported_plan_imports_into_an_empty_year_and_round_trips() {
    let original = year_of(&documents(false));
    let template = render(&original, Format::PlanXlsx, &Options::default()).expect("plan-xlsx");

    let mut docs = documents(true);
    let empty = year_of(&docs);
    assert!(empty.measures().is_empty());
    let report = import::read(&template, &empty).expect("reads its own template");
    assert_eq!(report.source, "xlsx");
    assert_eq!(report.count(Outcome::Rejected), 0, "{:#?}", report.rows);
    assert_eq!(report.measures.len(), 8);
    apply(&mut docs, &import::plan_edits(&empty, &report.measures, &mut ids()));
    let imported = year_of(&docs);
    assert_eq!(plan_summary(&imported), plan_summary(&original), "the imported plan is the exported one");

    // export → import again: the same plan, and nothing to change.
    let again = render(&imported, Format::PlanXlsx, &Options::default()).expect("plan-xlsx");
    let second = import::read(&again, &imported).expect("reads");
    assert_eq!(second.measures, report.measures);
    assert!(import::plan_edits(&imported, &second.measures, &mut ids()).is_empty(), "a second import changes nothing");
}

const CSV: &str = "ลำดับ,มาตรการ/แนวทาง,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน (ไตรมาส),ข้อเสนอ\r\n\
1,การเผยแพร่ข้อมูลหน่วยงาน,\"- แจ้ง Admin เว็บไซต์\n- เพิ่มช่องทาง Live Chat\",\"สำนักงานปลัด\nกองคลัง\",๑ - ๔,\r\n\
2,๒.การจัดซื้อจัดจ้าง,- ประกาศแผนจัดซื้อ,กองคลัง,2,\r\n\
3,,- ไม่มีชื่อ,กองคลัง,1,\r\n\
4,การประชุมประชาคม,- เชิญประชาชน,กองสวัสดิการ,3,\r\n\
5,การตรวจสอบภายใน,- ตรวจ,กองคลัง,ไตรมาส 7,\r\n";

#[test]
fn csv_in_utf8_and_windows_874_reads_with_a_report_for_every_row() {
    let docs = documents(true);
    let year = year_of(&docs);
    let (encoded, _, unmappable) = encoding_rs::WINDOWS_874.encode(CSV);
    assert!(!unmappable, "the sample CSV is plain Thai");
    let cases: [(&str, Vec<u8>); 3] = [
        ("csv-utf8", CSV.as_bytes().to_vec()),
        ("csv-utf8", [b"\xEF\xBB\xBF".as_slice(), CSV.as_bytes()].concat()),
        ("csv-windows-874", encoded.into_owned()),
    ];
    for (source, bytes) in cases {
        let report = import::read(&bytes, &year).expect("reads");
        assert_eq!(report.source, source);
        let outcomes: Vec<(usize, Outcome)> = report.rows.iter().map(|r| (r.row, r.outcome.clone())).collect();
        assert_eq!(
            outcomes,
            [
                (2, Outcome::Corrected),
                (3, Outcome::Corrected),
                (4, Outcome::Rejected),
                (5, Outcome::Rejected),
                // A quarter that does not exist is kept as written and flagged, never dropped.
                (6, Outcome::Corrected)
            ],
            "{source}: {:#?}",
            report.rows
        );
        let notes = |row: usize| report.rows.iter().find(|r| r.row == row).expect("row").notes.join(" | ");
        assert!(notes(2).contains("สำนักงานปลัด") && notes(2).contains("สำนักปลัด"), "alias corrected: {}", notes(2));
        assert!(notes(3).contains("ตัดเลขลำดับ"), "{}", notes(3));
        assert!(notes(4).contains("ไม่มีชื่อมาตรการ"), "{}", notes(4));
        assert!(notes(5).contains("กองสวัสดิการ"), "unknown division named: {}", notes(5));
        assert!(notes(6).contains("ไตรมาส 7") && notes(6).contains("เก็บไว้ตามที่เขียน"), "{}", notes(6));
        let kept = report.measures.iter().find(|m| m.title == "การตรวจสอบภายใน").expect("row 6 is kept");
        assert_eq!(prongsai_core::Schedule::parse(&kept.schedule).expect("a code").written(), Some("ไตรมาส 7"));
        let first = &report.measures[0];
        assert_eq!(first.methods, ["แจ้ง Admin เว็บไซต์", "เพิ่มช่องทาง Live Chat"]);
        assert_eq!(first.divisions, ["palad", "klang"]);
        assert_eq!(first.schedule, "1-4");
        assert_eq!(report.measures[1].title, "การจัดซื้อจัดจ้าง");
    }
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn broken_and_hostile_files_are_refused_with_their_error() {
    let docs = documents(false);
    let year = year_of(&docs);
    let before = plan_summary(&year);
    let bomb = zip_with(&[("xl/worksheets/sheet1.xml", &vec![b'0'; 64 * 1024 * 1024])]);
    assert!(bomb.len() < 200_000, "a small file ({} bytes) that unpacks to 64 MiB", bomb.len());
    let huge_cell = format!(
        "มาตรการ/แนวทาง,วิธีดำเนินการ,ผู้รับผิดชอบ,ระยะเวลาดำเนินงาน\nการเปิดเผยข้อมูล,\"{}\",กองคลัง,1\n",
        "ก".repeat(import::MAX_CELL_CHARS + 1)
    );
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend([0u8; 64]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", b"  \n".to_vec(), "empty"),
        ("an image", png, "not_a_spreadsheet"),
        ("old Excel", [&[0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..], &[0; 512]].concat(), "old_excel"),
        ("a zip that is no workbook", zip_with(&[("hello.txt", b"hi")]), "unreadable"),
        (
            "a cut-off XLSX",
            render(&year, Format::PlanXlsx, &Options::default()).expect("xlsx")[..400].to_vec(),
            "bad_zip",
        ),
        ("a zip bomb", bomb, "bad_zip"),
        ("wrong columns", "ชื่อ,นามสกุล\nสมชาย,ใจดี\n".as_bytes().to_vec(), "missing_columns"),
        ("a huge cell", huge_cell.into_bytes(), "cell_too_long"),
        ("bytes no Thai encoding has", vec![0xDB, 0xDC, 0xDD, 0xDE, b',', 0xFC, 0xFD], "not_text"),
        ("too large", vec![b'a'; import::MAX_FILE_BYTES + 1], "too_large"),
    ];
    for (what, bytes, code) in cases {
        match import::read(&bytes, &year) {
            Err(e) => {
                assert_eq!(e.code(), code, "{what}: {e}");
                assert!(!e.to_string().is_empty());
            }
            Ok(report) => panic!("{what} was accepted: {:?}", report.rows),
        }
    }
    match import::read("ชื่อ,นามสกุล\n".as_bytes(), &year) {
        Err(ImportError::MissingColumns(columns)) => {
            assert!(columns.iter().any(|c| c == "มาตรการ/แนวทาง"), "{columns:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan_summary(&year_of(&docs)), before, "nothing changed");
}

#[test]
fn a_retired_division_is_not_given_new_measures_but_keeps_what_it_holds() {
    let mut fixture = pakchong_2565();
    let retired = fixture.divisions.iter_mut().find(|d| d.id == "chang").expect("the sample has กองช่าง");
    retired.retired = true;
    let name = retired.name.clone();
    let holds = fixture.measures.iter().find(|m| m.responsible.contains(&name)).map(|m| m.id.clone());
    let free = fixture.measures.iter().find(|m| !m.responsible.contains(&name)).map(|m| m.id.clone());
    let meta = CommitMeta::new("sample", "test", 0);
    let docs: Vec<(DocKey, Automerge)> = fixture
        .typed_documents(0)
        .expect("sample fixture")
        .into_automerge(&meta, |k| format!("automerge:{k}"))
        .expect("documents")
        .iter()
        .map(|(k, d)| (k, d.clone()))
        .collect();
    let year = year_of(&docs);

    let csv = format!("ลำดับ,มาตรการ,วิธีการ,ผู้รับผิดชอบ,ไตรมาส,ข้อเสนอแนะ\r\n1,มาตรการใหม่,- ทำ,{name},1,\r\n");
    let report = import::read(csv.as_bytes(), &year).expect("reads");
    assert_eq!(report.rows[0].outcome, Outcome::Rejected, "{:#?}", report.rows);
    assert!(report.rows[0].notes.join(" ").contains("เลิกใช้แล้ว"), "{:#?}", report.rows);

    let today = prongsai_core::Date::new(2565, 6, 1).expect("a date");
    let offered = |measure: &str| {
        prongsai_core::detail::measure_detail(&year, measure, today)
            .expect("measure")
            .divisions
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    let free = free.expect("a measure กองช่าง does not hold");
    assert!(!offered(&free).contains(&"chang".to_string()), "a retired division is not offered for new work");
    let holds = holds.expect("a measure กองช่าง holds");
    assert!(offered(&holds).contains(&"chang".to_string()), "it can still be taken off what it holds");
}
