//! The sample agency's report in every format, checked the way a reader would: text pulled out
//! of the PDF (pdftotext), the DOCX (its XML), the XLSX (calamine) and the HTML; the PDF's fonts
//! and pages (pdffonts, pdftoppm, kept in tests/artifacts/report/); LibreOffice opening the DOCX.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use prongsai_core::AgencyYear;
use prongsai_core::sample::pakchong_2565;
use prongsai_core::thai::{to_official_digits, to_thai_digits};
use prongsai_report::{Format, Options, render};

fn sample_year() -> AgencyYear {
    pakchong_2565().typed_documents(0).expect("sample fixture").into_agency_year()
}

static YEAR: LazyLock<AgencyYear> = LazyLock::new(sample_year);

/// Whitespace does not count: renderers break lines where they like.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/artifacts/report");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (scripts/setup.sh test installs it): {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Writes an artifact whole or not at all: tests run in processes of their own, and two of them
/// may write the same file while a third reads it.
fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = artifacts().join(name);
    let partial = artifacts().join(format!(".{name}.{}", std::process::id()));
    std::fs::write(&partial, bytes).expect("write artifact");
    std::fs::rename(&partial, &path).expect("move artifact into place");
    path
}

/// Every measure's title, method, division, quarter and published result, as official text.
fn seed_texts(official: bool) -> Vec<String> {
    let report = prongsai_core::report_model::Report::build(&YEAR);
    let digits = |t: &str| if official { to_official_digits(t) } else { t.to_string() };
    let mut out = Vec::new();
    assert_eq!(report.content.measures.len(), 8, "the seed has eight measures");
    for m in &report.content.measures {
        out.push(digits(&m.title));
        out.extend(m.methods.iter().map(|x| digits(x)));
        out.extend(m.divisions.iter().map(|x| digits(x)));
        out.push(m.schedule_label.clone());
        out.extend(m.result.split('\n').filter(|l| !l.trim().is_empty()).map(digits));
    }
    out
}

/// The integrity track's items of the sample's year, from the criteria data.
fn items() -> prongsai_core::ita::ResolvedTrack {
    use prongsai_core::ita::{INTEGRITY_TRACK, LOCAL_FORM, ReferenceData};
    ReferenceData::builtin().resolve_track(2565, LOCAL_FORM, INTEGRITY_TRACK).expect("the integrity track")
}

fn assert_contains_all(what: &str, text: &str, expected: &[String]) {
    let haystack = squash(text);
    let missing: Vec<&String> = expected.iter().filter(|e| !haystack.contains(&squash(e))).collect();
    assert!(
        missing.is_empty(),
        "{what} lacks {} of {} texts, e.g. {:?}",
        missing.len(),
        expected.len(),
        &missing[..missing.len().min(5)]
    );
}

static PDF: LazyLock<(PathBuf, String)> = LazyLock::new(|| {
    let bytes = render(&YEAR, Format::Pdf, &Options::default()).expect("pdf renders");
    let path = write("report.pdf", &bytes);
    let text = tool("pdftotext", &["-raw", path.to_str().expect("path"), "-"]);
    (path, text)
});

#[test]
fn the_pdf_carries_every_measure_and_the_seed_date_in_thai_digits() {
    let (_, text) = &*PDF;
    assert_contains_all("PDF", text, &seed_texts(true));
    assert!(text.contains("๒๑ มีนาคม ๒๕๖๕"), "the memo date as the seed prints it");
    assert!(text.contains("บันทึกข้อความ") && text.contains("ข้อเสนอเพื่อพิจารณา"));
    assert!(text.contains("รบ ๗๒๑๐๑/-"), "the reference in Thai digits");
    assert!(!squash(text).contains("2565"), "no Arabic year in official output");
    let code = items().report().expect("a report item").code.clone();
    assert!(
        text.contains(&format!("ข้อ {code} การดำเนินการ")) && !text.contains(&prongsai_core::thai::to_thai_digits(&code)),
        "item codes keep their digits, as in the seed"
    );
}

/// Splits a word at every place a line could end inside it (never between a letter and its marks).
fn inner_splits(word: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = word.chars().collect();
    let mark = |c: char| matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}');
    (1..chars.len())
        .filter(|&k| !mark(chars[k]))
        .map(|k| (chars[..k].iter().collect(), chars[k..].iter().collect()))
        .collect()
}

#[test]
fn no_pdf_line_ends_inside_a_word_of_the_seed() {
    let (_, text) = &*PDF;
    let words = ["ประชาสัมพันธ์", "ผู้รับผิดชอบ", "ปีงบประมาณ", "เว็บไซต์", "ปากช่อง", "อบต.", "ผู้บริหาร", "มาตรการ"];
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut broken = Vec::new();
    for pair in lines.windows(2) {
        for word in words {
            for (head, tail) in inner_splits(word) {
                if pair[0].ends_with(&head) && pair[1].starts_with(&tail) {
                    broken.push(format!("{word}: {:?} / {:?}", pair[0], pair[1]));
                }
            }
        }
    }
    // The check itself must be able to fail.
    assert!(!inner_splits("ปากช่อง").is_empty());
    assert!(broken.is_empty(), "words broken across lines: {broken:#?}");
}

#[test]
fn each_continued_pdf_page_ends_with_the_next_pages_first_words() {
    let (_, text) = &*PDF;
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 3, "the seed report runs to several pages, got {}", pages.len());
    for (i, page) in pages.iter().enumerate().take(pages.len() - 1) {
        let last = page.lines().map(str::trim).rfind(|l| !l.is_empty()).expect("page has text");
        assert!(last.starts_with('/') && last.ends_with("..."), "page {} ends with a cue, not {last:?}", i + 1);
        let cue = last.trim_start_matches('/').trim_end_matches("...");
        assert!(squash(pages[i + 1]).contains(&squash(cue)), "page {} continues with {cue:?}", i + 2);
    }
    let last_page = pages.last().expect("pages");
    assert!(
        !last_page.lines().any(|l| l.trim().starts_with('/') && l.trim().ends_with("...")),
        "no cue on the last page"
    );
}

#[test]
fn the_pdf_embeds_sarabun_and_its_pages_render() {
    let (path, _) = &*PDF;
    let fonts = tool("pdffonts", &[path.to_str().expect("path")]);
    let sarabun: Vec<&str> = fonts.lines().filter(|l| l.contains("Sarabun")).collect();
    assert!(!sarabun.is_empty(), "Sarabun is used:\n{fonts}");
    // pdffonts columns: name type encoding emb sub uni object ID
    assert!(sarabun.iter().all(|l| l.split_whitespace().rev().nth(4) == Some("yes")), "Sarabun embedded:\n{fonts}");
    assert!(!fonts.lines().skip(2).any(|l| !l.contains("Sarabun")), "no other font:\n{fonts}");
    let info = tool("pdfinfo", &[path.to_str().expect("path")]);
    let pages: usize =
        info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).expect("page count");
    assert!((3..=8).contains(&pages), "{pages} pages");
    assert!(info.contains("595.276 x 841.89") || info.contains("595.28 x 841.89"), "A4:\n{info}");
    let prefix = artifacts().join("report-page");
    tool("pdftoppm", &["-png", "-r", "70", path.to_str().expect("path"), prefix.to_str().expect("path")]);
    let pngs = std::fs::read_dir(artifacts())
        .expect("artifacts")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("report-page")))
        .count();
    assert_eq!(pngs, pages, "one PNG per page");
}

#[test]
fn the_plan_lists_the_measures_without_results() {
    let bytes = render(&YEAR, Format::PlanPdf, &Options::default()).expect("the plan renders");
    let path = write("plan.pdf", &bytes);
    let text = tool("pdftotext", &["-raw", path.to_str().expect("path"), "-"]);
    let report = prongsai_core::report_model::Report::build(&YEAR);
    let titles: Vec<String> = report.content.measures.iter().map(|m| to_thai_digits(&m.title)).collect();
    assert_contains_all("plan PDF", &text, &titles);
    assert!(text.contains("ผู้รับผิดชอบ") && !text.contains("ผลการดำเนินงาน"), "the plan has no result column");
    assert!(!squash(&text).contains(&squash(&to_thai_digits(&report.content.measures[0].result))));
}

/// The text of a DOCX: every `w:t`, one paragraph per line.
fn docx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("word/document.xml").expect("document.xml"), &mut xml)
        .expect("utf-8");
    let mut out = String::new();
    for para in xml.split("</w:p>") {
        for piece in para.split("<w:t xml:space=\"preserve\">").skip(1) {
            let text = piece.split("</w:t>").next().unwrap_or_default();
            out.push_str(&text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_docx_is_editable_thai_with_a_repeating_header_and_libreoffice_opens_it() {
    let bytes = render(&YEAR, Format::Docx, &Options::default()).expect("docx renders");
    let text = docx_text(&bytes);
    assert_contains_all("DOCX", &text, &seed_texts(true));
    assert!(text.contains("๒๑ มีนาคม ๒๕๖๕"));
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip::ZipArchive::new(std::io::Cursor::new(&bytes))
            .expect("zip")
            .by_name("word/document.xml")
            .expect("xml"),
        &mut xml,
    )
    .expect("utf-8");
    assert!(xml.contains("<w:tblHeader/>"), "a header row, repeated by Word on each page");
    assert!(
        xml.contains("w:cs=\"Sarabun\"") && xml.contains("<w:szCs w:val=\"21\"/>") && xml.contains("w:bidi=\"th-TH\"")
    );
    assert!(
        xml.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>")
            && xml.contains("w:left=\"1701\"")
            && xml.contains("w:right=\"1134\"")
    );

    write("report.docx", &bytes);
    let converted = libreoffice_pdf("report", &bytes);
    std::fs::copy(&converted, artifacts().join("report-from-docx.pdf")).expect("keep artifact");
    let text = tool("pdftotext", &["-raw", converted.to_str().expect("path"), "-"]);
    let report = prongsai_core::report_model::Report::build(&YEAR);
    let titles: Vec<String> = report.content.measures.iter().map(|m| to_thai_digits(&m.title)).collect();
    assert_contains_all("LibreOffice's PDF of the DOCX", &text, &titles);
    assert!(text.contains("๒๑ มีนาคม ๒๕๖๕"));
}

/// LibreOffice's PDF of a DOCX, in a directory of its own (with a profile of its own).
fn libreoffice_pdf(name: &str, docx: &[u8]) -> PathBuf {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let path = dir.join(format!("{name}.docx"));
    std::fs::write(&path, docx).expect("write docx");
    let profile = format!("-env:UserInstallation=file://{}", dir.join("lo-profile").display());
    let out = dir.to_str().expect("path");
    tool(
        "libreoffice",
        &[&profile, "--headless", "--convert-to", "pdf", "--outdir", out, path.to_str().expect("path")],
    );
    let converted = dir.join(format!("{name}.pdf"));
    assert!(converted.exists(), "LibreOffice wrote a PDF");
    converted
}

/// Each page's body text, without white space: the page number, the draft mark and the
/// next-page cue left out.
fn page_bodies(pdf: &Path) -> Vec<String> {
    let text = tool("pdftotext", &["-raw", pdf.to_str().expect("path"), "-"]);
    let page_number = |t: &str| {
        let mut parts = t.splitn(3, ' ');
        matches!((parts.next(), parts.next(), parts.next()), (Some("-"), Some(n), Some(rest))
            if n.chars().all(|c| ('๐'..='๙').contains(&c)) && rest.starts_with('-'))
    };
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(|page| {
            let mut body = String::new();
            for line in page.lines() {
                let mut t = line.replace(prongsai_report::printed::DRAFT_MARK, "").trim().to_string();
                if page_number(&t) {
                    t = t.splitn(3, ' ').nth(2).unwrap_or_default().trim_start_matches('-').to_string();
                }
                if t.starts_with('/') && t.ends_with("...") {
                    continue;
                }
                body.push_str(&squash(&t));
            }
            body
        })
        .collect()
}

/// The words of `text` (ICU4X's Thai segmenter) and, for each of `starts` (byte offsets), the
/// index of the word it falls in.
fn word_positions(text: &str, starts: &[usize]) -> (usize, Vec<usize>) {
    use icu_segmenter::WordSegmenter;
    use icu_segmenter::options::WordBreakInvariantOptions;
    let breaks: Vec<usize> = WordSegmenter::new_auto(WordBreakInvariantOptions::default()).segment_str(text).collect();
    let positions = starts.iter().map(|s| breaks.iter().filter(|b| **b <= *s).count().saturating_sub(1)).collect();
    (breaks.len().saturating_sub(1), positions)
}

/// Renders `format` of `year`, has LibreOffice lay the DOCX out, and compares its pages with the
/// PDF's: the same words in the same order, the page count within one, each page starting
/// within ten words of where the PDF's does.
fn docx_pages_like_the_pdf(name: &str, year: &AgencyYear, pdf: Format, docx: Format, options: &Options) {
    let ours = write(&format!("{name}.pdf"), &render(year, pdf, options).expect("pdf"));
    let docx = render(year, docx, options).expect("docx");
    write(&format!("{name}.docx"), &docx);
    let theirs = libreoffice_pdf(name, &docx);
    std::fs::copy(&theirs, artifacts().join(format!("{name}-from-docx.pdf"))).expect("keep artifact");
    let (ours, theirs) = (page_bodies(&ours), page_bodies(&theirs));
    let (a, b) = (ours.concat(), theirs.concat());
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    assert!(
        a == b,
        "{name}: the DOCX's words differ from the PDF's after {common} characters:\n  PDF:  {}\n  DOCX: {}",
        a.chars().skip(common.saturating_sub(20)).take(80).collect::<String>(),
        b.chars().skip(common.saturating_sub(20)).take(80).collect::<String>()
    );
    assert!(
        ours.len().abs_diff(theirs.len()) <= 1,
        "{name}: {} pages in the PDF, {} from the DOCX",
        ours.len(),
        theirs.len()
    );
    let offsets = |pages: &[String]| {
        pages
            .iter()
            .scan(0, |at, page| {
                let start = *at;
                *at += page.len();
                Some(start)
            })
            .collect::<Vec<usize>>()
    };
    let (_, our_starts) = word_positions(&a, &offsets(&ours));
    let (words, their_starts) = word_positions(&b, &offsets(&theirs));
    for (page, (x, y)) in our_starts.iter().zip(&their_starts).enumerate() {
        assert!(
            x.abs_diff(*y) <= 10,
            "{name}: page {} starts at word {y} of {words} from the DOCX, at word {x} in the PDF",
            page + 1
        );
    }
}

#[test]
fn the_docx_pages_as_the_pdf_does_in_libreoffice() {
    docx_pages_like_the_pdf("layout-report", &YEAR, Format::Pdf, Format::Docx, &Options::default());
    docx_pages_like_the_pdf("layout-plan", &YEAR, Format::PlanPdf, Format::PlanDocx, &Options::default());
    let emblem = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png")).expect("a PNG");
    let signed = signed_year();
    let options = Options { emblem: Some(emblem), verify_base: Some("https://ita.pakchong.example".into()) };
    docx_pages_like_the_pdf("layout-signed", &signed, Format::Pdf, Format::Docx, &options);
}

#[test]
fn the_docx_sets_the_emblem_on_the_memos_title_line_and_numbers_pages_from_the_second() {
    let emblem = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png")).expect("a PNG");
    let options = Options { emblem: Some(emblem), ..Options::default() };
    let bytes = render(&YEAR, Format::Docx, &options).expect("docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
    let mut part = |name: &str| {
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(name).expect(name), &mut xml).expect("utf-8");
        xml
    };
    let document = part("word/document.xml");
    let title = document.split("<w:p>").find(|p| p.contains("บันทึกข้อความ")).expect("the title paragraph");
    assert!(title.contains("r:embed=\"rIdEmblem\""), "the emblem is on the line of บันทึกข้อความ");
    assert!(title.contains("cy=\"540000\""), "1.5 cm high");
    assert!(
        document.contains("w:left=\"1701\"")
            && document.contains("w:right=\"1134\"")
            && document.contains("w:top=\"1134\"")
    );
    assert!(!part("word/header0.xml").contains("- ๑ -"), "no number on the first page");
    assert!(part("word/header1.xml").contains("- ๒ -"));
    assert!(part("word/footer0.xml").contains("/"), "the first page ends with the next page's first words");
    // Sarabun travels with the file: Word and LibreOffice lay it out with the PDF's font.
    assert!(part("word/fontTable.xml").contains("w:embedRegular"));
    assert!(archive.by_name("word/fonts/sarabun-regular.odttf").is_ok());
}

#[test]
fn the_xlsx_has_one_row_per_measure_and_each_divisions_result() {
    use calamine::{Reader, Xlsx};
    let bytes = render(&YEAR, Format::Xlsx, &Options::default()).expect("xlsx renders");
    write("report.xlsx", &bytes);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx opens");
    let range = book.worksheet_range("ผลการดำเนินงาน").expect("sheet");
    let text: String = range.rows().flat_map(|r| r.iter().map(|c| format!("{c}\n"))).collect();
    assert_contains_all("XLSX", &text, &seed_texts(false));
    assert_eq!(range.height(), 2 + 8, "two header rows and one row per measure");
    let header: Vec<String> = range.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    for (_, division) in YEAR.divisions() {
        assert!(header.contains(&division.name), "a column group for {}", division.name);
    }
}

#[test]
fn the_html_page_stands_alone_and_carries_the_report() {
    let bytes = render(&YEAR, Format::Html, &Options::default()).expect("html renders");
    let html = String::from_utf8(bytes).expect("utf-8");
    write("report.html", html.as_bytes());
    assert!(html.contains("name=\"viewport\"") && html.contains("@media (max-width:700px)"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "nothing loaded from elsewhere");
    let text: String = html.split('<').map(|piece| piece.split_once('>').map_or(piece, |(_, t)| t)).collect();
    assert_contains_all("HTML", &text.replace("&quot;", "\"").replace("&amp;", "&"), &seed_texts(true));
}

#[test]
fn the_itas_export_opens_in_excel_with_thai_intact() {
    let csv = render(&YEAR, Format::Itas, &Options::default()).expect("csv");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    let rows = prongsai_report::import::parse_csv(&text);
    assert_eq!(rows[0], ["ข้อ", "ประเด็น", "มี/ไม่มี", "URL", "คำอธิบาย"]);
    let codes: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let items = items();
    let (plan, report) = (items.plan.clone().expect("plan").code, items.report().expect("report").code.clone());
    assert!(codes.contains(&plan.as_str()) && codes.contains(&report.as_str()), "{codes:?}");
    let xlsx = render(&YEAR, Format::ItasXlsx, &Options::default()).expect("xlsx");
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).expect("opens");
    let range = book.worksheet_range("ITAS").expect("sheet");
    assert_eq!(range.height(), rows.len());
}

#[test]
fn the_agency_emblem_heads_the_memo_in_every_format() {
    let emblem = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../icons/128x128.png")).expect("a PNG");
    let options = Options { emblem: Some(emblem.clone()), ..Options::default() };
    let pdf = write("report-emblem.pdf", &render(&YEAR, Format::Pdf, &options).expect("pdf"));
    let images = tool("pdfimages", &["-list", pdf.to_str().expect("path")]);
    // pdfimages lists the picture and, for a PNG with transparency, its alpha mask.
    let pictures: Vec<&str> = images.lines().skip(2).filter(|l| l.split_whitespace().nth(2) == Some("image")).collect();
    assert_eq!(pictures.len(), 1, "one image:\n{images}");
    assert_eq!(pictures[0].split_whitespace().next(), Some("1"), "on the first page");
    let docx = render(&YEAR, Format::Docx, &options).expect("docx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("zip");
    let mut stored = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("word/media/emblem.png").expect("the emblem is in the DOCX"),
        &mut stored,
    )
    .expect("read");
    assert_eq!(stored, emblem);
    let html = String::from_utf8(render(&YEAR, Format::Html, &options).expect("html")).expect("utf-8");
    assert!(html.contains("<img class=\"emblem\" alt=\"ตราครุฑ\" src=\"data:image/png;base64,"));
    // Without one, nothing is drawn.
    let plain = write("report-plain.pdf", &render(&YEAR, Format::Pdf, &Options::default()).expect("pdf"));
    assert_eq!(tool("pdfimages", &["-list", plain.to_str().expect("path")]).lines().skip(2).count(), 0);
}

/// The sample with every step of its chain signed "approved" on the current content.
fn signed_year() -> AgencyYear {
    use prongsai_core::model::{Signature, SignatureDecision};
    let mut year = sample_year();
    let hash = prongsai_core::report_model::Report::build(&year).content_hash;
    let steps: Vec<(String, prongsai_core::model::ApprovalStep)> =
        year.approval_steps().into_iter().map(|(id, s)| (id.clone(), s.clone())).collect();
    for (i, (id, step)) in steps.into_iter().enumerate() {
        let signature = Signature {
            decision: SignatureDecision::Approved,
            comment: String::new(),
            signer: step.approver.unwrap_or_default(),
            name: step.name,
            position: step.position,
            date: format!("2022-03-2{}", 2 + i),
            signed_at: 0,
            report_hash: hash.clone(),
        };
        year.approvals.signatures.insert(id, signature);
    }
    year
}

#[test]
fn a_fully_signed_report_prints_its_signers_and_where_to_verify_it_in_every_format() {
    use prongsai_core::verification;
    let year = signed_year();
    let report = prongsai_core::report_model::Report::build(&year);
    assert!(report.fully_approved());
    let code = verification::code(&report);
    let site = "https://ita.pakchong.example";
    let options = Options { verify_base: Some(site.into()), ..Options::default() };
    let names: Vec<String> = report.content.approval_steps.iter().map(|s| format!("({})", s.name)).collect();
    let expected: Vec<String> = names
        .iter()
        .cloned()
        .chain(["วันที่ ๒๒ มีนาคม ๒๕๖๕", "วันที่ ๒๓ มีนาคม ๒๕๖๕", "วันที่ ๒๔ มีนาคม ๒๕๖๕"].map(String::from))
        .chain([format!("รหัสตรวจสอบเอกสาร {}", verification::grouped(&code)), format!("{site}/verify/{code}")])
        .collect();

    let pdf = write("report-signed.pdf", &render(&year, Format::Pdf, &options).expect("pdf"));
    let text = tool("pdftotext", &["-raw", pdf.to_str().expect("path"), "-"]);
    assert_contains_all("signed PDF", &text, &expected);
    assert_eq!(squash(&text).matches("ลงนามในระบบ").count(), 3, "each signed step says it was signed in the system");
    assert!(!text.contains("ฉบับร่าง"), "a fully signed report is no draft");
    let docx = docx_text(&render(&year, Format::Docx, &options).expect("docx"));
    assert_contains_all("signed DOCX", &docx, &expected);
    assert_eq!(squash(&docx).matches("ลงนามในระบบ").count(), 3);
    let html = String::from_utf8(render(&year, Format::Html, &options).expect("html")).expect("utf-8");
    assert_contains_all("signed HTML", &html, &expected);
    assert!(html.contains(&format!("href=\"{site}/verify/{code}\"")), "the address is a link on the page");

    // The unsigned sample prints dotted lines and no code: nothing there to verify.
    let (_, unsigned) = &*PDF;
    assert!(!squash(unsigned).contains("ลงนามในระบบ") && !unsigned.contains("รหัสตรวจสอบ"));
    // A step signed on content that changed since prints unsigned again, and the code goes.
    let mut changed = signed_year();
    changed.approvals.signatures.values_mut().next().expect("a signature").report_hash = "earlier".into();
    let pdf = write("report-stale.pdf", &render(&changed, Format::Pdf, &options).expect("pdf"));
    let text = squash(&tool("pdftotext", &["-raw", pdf.to_str().expect("path"), "-"]));
    assert_eq!(text.matches("ลงนามในระบบ").count(), 2, "the stale step is unsigned");
    assert!(!text.contains("รหัสตรวจสอบ") && text.contains("ฉบับร่าง"));
}

/// A second track is its own document, not the integrity table under another heading: the
/// anti-corruption action plan prints projects with budget and indicator, and its half-year
/// report what the division reported in that round. The text as printed, word for word.
#[test]
fn the_anticorruption_track_prints_its_own_plan_and_round_report() {
    use prongsai_core::docs::CommitMeta;
    use prongsai_core::report_model::{Part, Report};
    use prongsai_core::tracks::Slot;
    use prongsai_report::Printed;
    let docs = prongsai_core::sample::pakchong_2565_with_anticorruption(&CommitMeta::new("seed", "server", 1))
        .expect("the sample with a second track");
    let year = AgencyYear::from_documents(docs.iter()).expect("reads");
    let half = year.in_slot(&Slot::of(Some("anticorruption"), Some("half"))).expect("the half round");

    let plan = Printed::new(&Report::build_part(&half, Part::Plan));
    assert_eq!(plan.title, ["แผนปฏิบัติการป้องกันการทุจริต", "องค์การบริหารส่วนตำบลปากช่อง ประจำปีงบประมาณ พ.ศ. ๒๕๖๕"]);
    assert_eq!(
        plan.intro,
        [
            "องค์การบริหารส่วนตำบลปากช่อง ได้จัดทำแผนปฏิบัติการป้องกันการทุจริต ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ โดยมีโครงการ/กิจกรรม งบประมาณ และตัวชี้วัด ดังนี้"
        ]
    );
    assert_eq!(
        plan.columns,
        ["โครงการ/กิจกรรม", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน", "งบประมาณ (บาท)", "ตัวชี้วัด"]
    );
    let cells: Vec<Vec<Vec<String>>> = plan.rows.iter().map(|r| r.cells.clone()).collect();
    let quarters = "ไตรมาสที่ ๑\u{a0}-\u{a0}๔".to_string();
    assert_eq!(
        cells,
        [
            vec![
                vec!["๑.โครงการอบรมส่งเสริมคุณธรรมและจริยธรรมแก่บุคลากร".to_string()],
                vec!["- จัดอบรมบุคลากรทุกส่วนราชการ ปีละ ๑ ครั้ง".to_string()],
                vec!["๑.สำนักปลัด".to_string()],
                vec![quarters.clone()],
                vec!["๒๕,๐๐๐".to_string()],
                vec!["ผู้เข้ารับการอบรมไม่น้อยกว่าร้อยละ ๘๐".to_string()],
            ],
            vec![
                vec!["๒.กิจกรรมเผยแพร่ข้อมูลการจัดซื้อจัดจ้างทางเว็บไซต์".to_string()],
                vec!["- ประกาศผลการจัดซื้อจัดจ้างทุกเดือน".to_string()],
                vec!["๑.สำนักปลัด".to_string()],
                vec![quarters.clone()],
                vec!["๐".to_string()],
                vec!["เผยแพร่ครบทุกเดือน".to_string()],
            ],
        ]
    );
    assert!(plan.memo.is_none() && plan.tail.as_ref().is_some_and(|t| t.drafter.is_none()), "a plan, not a memo");
    let plan_item = half.track_items().and_then(|t| t.plan).expect("the track's plan item").code;
    assert!(plan.item.as_ref().is_some_and(|i| i.heading.starts_with(&format!("{plan_item} "))), "under its own item");
    assert_ne!(Some(plan_item), YEAR.track_items().and_then(|t| t.plan).map(|i| i.code), "not the integrity plan's");

    let report = Printed::new(&Report::build_part(&half, Part::Report));
    assert_eq!(
        report.title,
        [
            "รายงานการกำกับติดตามการดำเนินการป้องกันการทุจริตประจำปี รอบ ๖ เดือน",
            "องค์การบริหารส่วนตำบลปากช่อง ประจำปีงบประมาณ พ.ศ. ๒๕๖๕"
        ]
    );
    assert_eq!(report.columns.last().map(String::as_str), Some("ผลการดำเนินงาน"));
    // The round's report is carried by its own memo: the office, ที่, เรียน and the drafter of
    // the integrity memo; its own date, subject (from the round), facts and proposal.
    let memo = report.memo.as_ref().expect("the round's memo");
    assert_eq!(
        [&memo.department, &memo.reference, &memo.date, &memo.subject, &memo.addressee],
        [
            "สำนักปลัดองค์การบริหารส่วนตำบลปากช่อง",
            "รบ ๗๒๑๐๑/-",
            "๘ เมษายน ๒๕๖๕",
            "รายงานการกำกับติดตามการดำเนินการป้องกันการทุจริตประจำปี รอบ ๖ เดือน ประจำปีงบประมาณ พ.ศ. ๒๕๖๕",
            "นายกองค์การบริหารส่วนตำบลปากช่อง",
        ]
    );
    assert!(memo.background.is_empty());
    assert_eq!(
        memo.facts,
        ["ครบรอบ ๖ เดือนของแผนปฏิบัติการป้องกันการทุจริต ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ แล้ว \
             สำนักปลัดได้รวบรวมผลการดำเนินงานตามโครงการ/กิจกรรมของแผน ดังรายงานต่อไปนี้"]
    );
    let tail = report.tail.as_ref().expect("the memo's tail");
    assert_eq!(tail.proposals_heading, "ข้อเสนอเพื่อพิจารณา");
    assert_eq!(tail.proposals, ["๑. เห็นควรเผยแพร่รายงานนี้ทางเว็บไซต์ขององค์การบริหารส่วนตำบลปากช่อง"]);
    assert_eq!(tail.closing, ["จึงเรียนมาเพื่อโปรดทราบและพิจารณาดำเนินการต่อไป"]);
    let drafter = tail.drafter.as_ref().expect("the drafter");
    assert_eq!((drafter.name.as_str(), drafter.position.as_str()), ("(นางสาวกรรณิการ์ รวยบุญส่ง)", "นิติกรชำนาญการ"));
    assert_eq!(
        report.intro,
        [
            "องค์การบริหารส่วนตำบลปากช่อง ขอรายงานผลการดำเนินงานตามโครงการ/กิจกรรมในแผนปฏิบัติการป้องกันการทุจริต ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ ดังนี้"
        ]
    );
    let items = year.criteria().resolve_track(year.fiscal_year(), year.form(), "anticorruption").expect("items");
    let half_item = &items.rounds.iter().find(|r| r.round == "half").expect("a half round").item.code;
    assert!(
        report.item.as_ref().is_some_and(|i| i.heading.starts_with(&format!("{half_item} "))),
        "the round's own item"
    );
    let file = prongsai_report::Format::Pdf.file_name("pakchong", 2565, half.track_items().as_ref());
    assert_eq!(file, format!("pakchong-2565-{}.pdf", half_item.to_lowercase()));
    assert_eq!(report.rows[0].cells[6], ["จัดอบรมแล้ว ๑ รุ่น ผู้เข้าอบรม ๔๕ คน"]);
    assert!(report.rows[1].cells[6].is_empty(), "nothing reported yet");
    // The annual round shows the half-year's words until the division reports there.
    let annual = year.in_slot(&Slot::of(Some("anticorruption"), Some("annual"))).expect("the annual round");
    let annual = Printed::new(&Report::build_part(&annual, Part::Report));
    assert_eq!(annual.title[0], "รายงานผลการดำเนินการป้องกันการทุจริตประจำปี");
    let annual_memo = annual.memo.as_ref().expect("the annual round's memo");
    assert!(annual_memo.facts.is_empty() && annual_memo.date.is_empty(), "its own memo, not yet written");
    assert!(annual.tail.as_ref().is_some_and(|t| t.proposals_heading.is_empty()), "it proposes nothing yet");
    assert_eq!(annual.rows[0].cells[6], report.rows[0].cells[6]);
    // The integrity report is what it was: the track leaves its content, and its hash, alone.
    assert_eq!(Report::build(&year).content_hash, Report::build(&YEAR).content_hash);

    // Every printed format carries the same words.
    let pdf = prongsai_report::pdf::render(&report, None).expect("the round's PDF");
    let text = squash(&tool("pdftotext", &["-raw", write("track-half.pdf", &pdf).to_str().expect("path"), "-"]));
    for expected in [
        "บันทึกข้อความ",
        "ส่วนราชการสำนักปลัดองค์การบริหารส่วนตำบลปากช่อง",
        "เห็นควรเผยแพร่รายงานนี้ทางเว็บไซต์",
        "(นางสาวกรรณิการ์รวยบุญส่ง)",
        "รายงานการกำกับติดตามการดำเนินการป้องกันการทุจริตประจำปีรอบ๖เดือน",
        "๒๕,๐๐๐",
        "จัดอบรมแล้ว๑รุ่นผู้เข้าอบรม๔๕คน",
        "งบประมาณ(บาท)",
    ] {
        assert!(text.contains(expected), "{expected} in the PDF:\n{text}");
    }
    let docx = prongsai_report::docx::render(&plan, None).expect("the plan's DOCX");
    assert!(squash(&docx_text(&docx)).contains("ผู้เข้ารับการอบรมไม่น้อยกว่าร้อยละ๘๐"));
    let html = prongsai_report::html::render(&report, None);
    assert!(html.contains("จัดอบรมแล้ว ๑ รุ่น ผู้เข้าอบรม ๔๕ คน") && html.contains("เห็นควรเผยแพร่รายงานนี้ทาง"));
    let docx = squash(&docx_text(&prongsai_report::docx::render(&report, None).expect("the round's DOCX")));
    assert!(docx.contains("บันทึกข้อความ") && docx.contains("ดังรายงานต่อไปนี้"), "{docx}");
}
