//! PDF through typst as a library: Thai shaping (rustybuzz), Thai line breaking (ICU4X's LSTM
//! segmenter), the table header repeated on each page, Sarabun embedded. Glossary terms are kept
//! whole by boxing them; the next-page cue ("/๔.การปรับปรุง...") comes from a second pass that
//! reads the first words of each following page out of the laid-out first pass.

use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use typst::diag::{FileError, FileResult, Warned};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::layout::{Frame, FrameItem, Transform};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::RenderError;
use crate::printed::{Kind, Printed, runs};

const TEMPLATE: &str = include_str!("../templates/memo.typ");
const SARABUN_REGULAR: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Regular.ttf");
const SARABUN_BOLD: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Bold.ttf");

/// Layout constants shared by the template (through the data) and the width checks here.
pub struct Geometry {
    /// Column widths in cm; they add up to the text width (21 cm − 3 cm − 2 cm).
    pub columns: &'static [f64],
    pub table_size_pt: f64,
    /// Inset of a table cell on each side, pt.
    pub cell_inset_pt: f64,
    pub body_size_pt: f64,
}

/// Sarabun draws about 1.5× as large as TH SarabunPSK: "16 pt" official text is ~10.5 pt here.
pub const REPORT: Geometry =
    Geometry { columns: &[2.8, 3.7, 3.0, 2.1, 3.0, 1.4], table_size_pt: 9.5, cell_inset_pt: 3.5, body_size_pt: 10.5 };
pub const PLAN: Geometry =
    Geometry { columns: &[3.6, 6.4, 3.6, 2.4], table_size_pt: 9.5, cell_inset_pt: 3.5, body_size_pt: 10.5 };
/// A track's plan: projects, methods, divisions, quarters, budget, indicator.
pub const PROJECT_PLAN: Geometry =
    Geometry { columns: &[3.0, 4.2, 2.8, 2.0, 1.8, 2.2], table_size_pt: 9.5, cell_inset_pt: 3.5, body_size_pt: 10.5 };
/// A track's report: the plan's columns and the result.
pub const PROJECT_REPORT: Geometry = Geometry {
    columns: &[2.6, 3.0, 2.4, 1.6, 1.6, 1.8, 3.0],
    table_size_pt: 9.5,
    cell_inset_pt: 3.5,
    body_size_pt: 10.5,
};

const TEXT_WIDTH_CM: f64 = 16.0;
const PT_PER_CM: f64 = 72.0 / 2.54;

fn project_file(path: &str) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).expect("static path")).intern()
}
static MAIN: LazyLock<FileId> = LazyLock::new(|| project_file("/memo.typ"));
static DATA: LazyLock<FileId> = LazyLock::new(|| project_file("/data.json"));
static CUES: LazyLock<FileId> = LazyLock::new(|| project_file("/cues.json"));
static EMBLEM: LazyLock<FileId> = LazyLock::new(|| project_file("/emblem"));

/// Fonts, library and template: built once per process.
struct Engine {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    template: Source,
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let fonts: Vec<Font> =
        [SARABUN_REGULAR, SARABUN_BOLD].into_iter().flat_map(|b| Font::iter(Bytes::new(b))).collect();
    Engine {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        template: Source::new(*MAIN, TEMPLATE.to_owned()),
        fonts,
    }
});

/// typst's caches are process-wide; one render at a time keeps memory and `evict` predictable.
static RENDERING: Mutex<()> = Mutex::new(());

struct MemoWorld<'a> {
    engine: &'a Engine,
    data: Bytes,
    cues: Bytes,
    emblem: Option<Bytes>,
}

impl World for MemoWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.engine.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.engine.book
    }
    fn main(&self) -> FileId {
        *MAIN
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *MAIN { Ok(self.engine.template.clone()) } else { Err(not_found(id)) }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA {
            Ok(self.data.clone())
        } else if id == *CUES {
            Ok(self.cues.clone())
        } else if id == *EMBLEM {
            self.emblem.clone().ok_or_else(|| not_found(id))
        } else {
            Err(not_found(id))
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.engine.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Output never depends on the clock: the template prints the memo's own dates.
        Datetime::from_ymd(2000, 1, 1)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(PathBuf::from(id.vpath().get_without_slash()))
}

/// Renders the printed report to PDF bytes.
pub fn render(printed: &Printed, emblem: Option<&[u8]>) -> Result<Vec<u8>, RenderError> {
    let (document, _) = lay_out(printed, emblem)?;
    let options = typst_pdf::PdfOptions { timestamp: None, ..Default::default() };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        RenderError::Layout(errors.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "))
    })
}

/// Where each page of the PDF begins, and the cue it ends with: what the DOCX copies so that a
/// word processor pages it as the PDF does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageStart {
    /// The text of the page's first body line (its leftmost piece: a table row's first cell).
    pub first_line: String,
    /// "/๔.การปรับปรุง..." at the bottom right, on every page but the last.
    pub cue: Option<String>,
}

/// The pages of the PDF of `printed`, as [`PageStart`]s.
pub fn page_starts(printed: &Printed, emblem: Option<&[u8]>) -> Result<Vec<PageStart>, RenderError> {
    let (document, cues) = lay_out(printed, emblem)?;
    Ok(document
        .pages()
        .iter()
        .zip(cues.into_iter().chain(std::iter::repeat(None)))
        .map(|(page, cue)| PageStart { first_line: first_line(&page.frame), cue })
        .collect())
}

/// Lays the report out with its next-page cues settled: the document and each page's cue.
fn lay_out(printed: &Printed, emblem: Option<&[u8]>) -> Result<(PagedDocument, Vec<Option<String>>), RenderError> {
    let data = Bytes::new(data_json(printed, emblem.is_some()));
    let engine = &*ENGINE;
    let _one_at_a_time = RENDERING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut cues: Vec<Option<String>> = Vec::new();
    let result = (|| {
        // The cue sits in the bottom margin, so it cannot move the body: the second pass normally
        // confirms the first. Three passes bound a pathological case. The template reads the cues
        // inside the footer only, so the body's styles are the same in every pass and typst's
        // memoized layout of the first pass answers for the body of the next (half the time).
        for _ in 0..3 {
            let world = MemoWorld {
                engine,
                data: data.clone(),
                cues: Bytes::new(serde_json::to_vec(&cues).map_err(|e| RenderError::Layout(e.to_string()))?),
                emblem: emblem.map(|e| Bytes::new(e.to_vec())),
            };
            let document = text_once(&compile(&world)?);
            let next = page_cues(&document);
            if next == cues {
                return Ok((document, cues));
            }
            cues = next;
        }
        Err(RenderError::Layout("the next-page cues did not settle".into()))
    })();
    typst::comemo::evict(10);
    result
}

fn compile(world: &MemoWorld) -> Result<PagedDocument, RenderError> {
    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| typst::compile::<PagedDocument>(world)))
        .map_err(|_| RenderError::Layout("the layout engine failed on this report".into()))?;
    let Warned { output, warnings: _ } = compiled;
    output.map_err(|errors| {
        RenderError::Layout(errors.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("; "))
    })
}

/// typst lays a tone mark that the font shifts vertically (สิ่, ขั้, นั้) out as a separate text
/// item carrying its whole cluster's text, so the cluster's text is in the PDF twice and copying
/// or extracting it reads "สิ่สิ่ง". Such an item (one cluster, same font, whose text the item
/// before it already ends with) keeps its glyphs and loses its text.
fn text_once(document: &PagedDocument) -> PagedDocument {
    fn fix(frame: &mut Frame) {
        let mut previous: Option<(String, typst::text::Font)> = None;
        frame.retain(|item| {
            match item {
                FrameItem::Group(group) => {
                    fix(&mut group.frame);
                    previous = None;
                }
                FrameItem::Text(text) => {
                    let one_cluster =
                        text.glyphs.iter().all(|g| g.range.start == 0 && usize::from(g.range.end) == text.text.len());
                    let repeated = previous.as_ref().is_some_and(|(before, font)| {
                        *font == text.font.font().clone()
                            && !text.text.is_empty()
                            && before.ends_with(text.text.as_str())
                    });
                    if one_cluster && repeated && text.text.chars().count() > 1 {
                        for glyph in &mut text.glyphs {
                            glyph.range = 0..0;
                        }
                        text.text = Default::default();
                    } else {
                        previous = Some((text.text.to_string(), text.font.font().clone()));
                    }
                }
                _ => {}
            }
            true
        });
    }
    let mut copy = document.clone();
    let info = copy.info_mut().clone();
    let pages = document
        .pages()
        .iter()
        .map(|page| {
            let mut page = page.clone();
            fix(&mut page.frame);
            page
        })
        .collect();
    PagedDocument::new(pages, info)
}

/// The data file the template reads: the printed report with every text cut into runs, glossary
/// terms kept whole where they fit (a term wider than its table column is left to the line
/// breaker rather than overflowing the cell).
fn data_json(printed: &Printed, has_emblem: bool) -> Vec<u8> {
    let geometry = geometry(printed);
    let body_width_pt = TEXT_WIDTH_CM * PT_PER_CM;
    let mut value = serde_json::to_value(printed).expect("printed report is plain data");
    let glossary = &printed.glossary;
    let to_runs = |text: &str, width_pt: f64, size_pt: f64| -> serde_json::Value {
        serde_json::to_value(runs(text, glossary, |term| text_width_pt(term, size_pt) <= width_pt))
            .expect("runs are plain data")
    };
    if let Some(object) = value.as_object_mut() {
        for (key, field) in object.iter_mut() {
            match key.as_str() {
                "kind" | "draft" | "glossary" => {}
                "rows" => {
                    for row in field.as_array_mut().into_iter().flatten() {
                        let Some(cells) = row.get_mut("cells").and_then(|c| c.as_array_mut()) else { continue };
                        for (column, cell) in cells.iter_mut().enumerate() {
                            let width = geometry.columns.get(column).copied().unwrap_or(1.0) * PT_PER_CM
                                - 2.0 * geometry.cell_inset_pt;
                            map_strings(cell, &|s| to_runs(s, width, geometry.table_size_pt));
                        }
                    }
                }
                _ => map_strings(field, &|s| to_runs(s, body_width_pt, geometry.body_size_pt)),
            }
        }
        object.insert("has_emblem".into(), has_emblem.into());
        object.insert("columns_cm".into(), geometry.columns.into());
        object.insert("table_size_pt".into(), geometry.table_size_pt.into());
        object.insert("cell_inset_pt".into(), geometry.cell_inset_pt.into());
        object.insert("body_size_pt".into(), geometry.body_size_pt.into());
    }
    serde_json::to_vec(&value).expect("plain data")
}

/// The table's geometry of a printed report or plan.
pub fn geometry(printed: &Printed) -> &'static Geometry {
    match (printed.kind, printed.projects) {
        (Kind::Report, false) => &REPORT,
        (Kind::Plan, false) => &PLAN,
        (Kind::Report, true) => &PROJECT_REPORT,
        (Kind::Plan, true) => &PROJECT_PLAN,
    }
}

fn map_strings(value: &mut serde_json::Value, f: &dyn Fn(&str) -> serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *value = f(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| map_strings(v, f)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| map_strings(v, f)),
        _ => {}
    }
}

/// The advance width of `text` in Sarabun Bold (the wider face, so the check is safe) at `size_pt`.
pub fn text_width_pt(text: &str, size_pt: f64) -> f64 {
    static BOLD: LazyLock<Option<ttf_parser::Face<'static>>> =
        LazyLock::new(|| ttf_parser::Face::parse(SARABUN_BOLD, 0).ok());
    let Some(face) = BOLD.as_ref() else { return 0.0 };
    let units: f64 =
        text.chars().filter_map(|c| face.glyph_index(c)).filter_map(|g| face.glyph_hor_advance(g)).map(f64::from).sum();
    units / f64::from(face.units_per_em()) * size_pt
}

/// For each page but the last, "/" + the first words of the next page + "..."; `None` on the last.
fn page_cues(document: &PagedDocument) -> Vec<Option<String>> {
    let pages = document.pages();
    (0..pages.len())
        .map(|i| {
            let next = pages.get(i + 1)?;
            let words = first_words(&first_line(&next.frame))?;
            Some(format!("/{words}..."))
        })
        .collect()
}

/// Labels of frames that are not body text: page header and footer, the repeated table header.
const NOT_BODY: [&str; 3] = ["page-header", "page-footer", "table-header"];

/// The text of the topmost body line of a page, left to right.
fn first_line(frame: &Frame) -> String {
    let mut items: Vec<(f64, f64, String)> = Vec::new();
    collect_text(frame, Transform::identity(), &mut items);
    let Some(top) = items.iter().map(|(y, _, _)| *y).min_by(f64::total_cmp) else { return String::new() };
    let mut line: Vec<(f64, String)> =
        items.into_iter().filter(|(y, _, _)| (*y - top).abs() < 2.0).map(|(_, x, t)| (x, t)).collect();
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The leftmost cell's text only: the cue names the row, not its neighbours.
    line.into_iter().next().map(|(_, t)| t).unwrap_or_default()
}

fn collect_text(frame: &Frame, ts: Transform, out: &mut Vec<(f64, f64, String)>) {
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                if group.label.is_some_and(|l| NOT_BODY.contains(&l.resolve().as_str())) {
                    continue;
                }
                let ts = ts.pre_concat(Transform::translate(pos.x, pos.y)).pre_concat(group.transform);
                collect_text(&group.frame, ts, out);
            }
            FrameItem::Text(text) => {
                let p = pos.transform(ts);
                out.push((p.y.to_pt(), p.x.to_pt(), text.text.to_string()));
            }
            _ => {}
        }
    }
}

/// The first words of a line, enough to recognise it (at least six Thai letters or one Latin
/// word), cut at word boundaries found by ICU4X's Thai segmenter.
fn first_words(line: &str) -> Option<String> {
    use icu_segmenter::WordSegmenter;
    use icu_segmenter::options::WordBreakInvariantOptions;
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let segmenter = WordSegmenter::new_auto(WordBreakInvariantOptions::default());
    let breaks: Vec<usize> = segmenter.segment_str(line).collect();
    let mut letters = 0;
    for pair in breaks.windows(2) {
        let word = &line[pair[0]..pair[1]];
        if word.trim().is_empty() && letters > 0 {
            return Some(line[..pair[0]].to_string());
        }
        letters += word.chars().filter(|c| c.is_alphabetic()).count();
        if letters >= 6 {
            return Some(line[..pair[1]].to_string());
        }
    }
    Some(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_words_stop_at_a_word_boundary() {
        assert_eq!(first_words("๔.การปรับปรุงวิธีการ").as_deref(), Some("๔.การปรับปรุง"));
        assert_eq!(first_words("ข้อเสนอเพื่อพิจารณา").as_deref(), Some("ข้อเสนอ"));
        assert_eq!(first_words("   "), None);
    }

    fn texts(frame: &Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(g) => texts(&g.frame, out),
                FrameItem::Text(t) => out.push_str(&t.text),
                _ => {}
            }
        }
    }

    #[test]
    fn a_shifted_tone_mark_does_not_repeat_its_cluster() {
        let line = "หรือให้สิ่งของอื่นใด ขั้นตอน นั้น";
        let engine = Engine {
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&ENGINE.fonts)),
            fonts: ENGINE.fonts.clone(),
            template: Source::new(*MAIN, format!("#set text(font: \"Sarabun\", lang: \"th\")\n{line}\n")),
        };
        let world = MemoWorld { engine: &engine, data: Bytes::new(b"{}"), cues: Bytes::new(b"[]"), emblem: None };
        let laid_out = compile(&world).expect("compiles");
        let (mut before, mut after) = (String::new(), String::new());
        texts(&laid_out.pages()[0].frame, &mut before);
        texts(&text_once(&laid_out).pages()[0].frame, &mut after);
        assert_ne!(
            before.replace(' ', ""),
            line.replace(' ', ""),
            "typst splits the shifted marks (else this test is moot)"
        );
        assert_eq!(after.replace(' ', ""), line.replace(' ', ""));
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let short = text_width_pt("อบต.", 10.0);
        let long = text_width_pt("องค์การบริหารส่วนตำบลปากช่อง", 10.0);
        assert!(short > 5.0 && long > 4.0 * short, "{short} {long}");
        assert!((text_width_pt("อบต.", 20.0) - 2.0 * short).abs() < 0.01);
    }
}
