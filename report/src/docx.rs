//! DOCX written as plain WordprocessingML, laid out as the PDF is, so that the clerk's copy is
//! the same memo: Sarabun embedded (the PDF's font, at the PDF's sizes and line pitches; Thai set
//! as complex script with `w:cs`, `w:szCs` and `w:lang w:bidi="th-TH"`), A4 with the PDF's
//! margins, the emblem on the line of "บันทึกข้อความ", "- ๒ -" at the top from the second page,
//! and every page ending where the PDF's does: one section per page of the PDF (its first lines
//! come from `pdf::page_starts`), each with the next page's first words at the bottom right. The
//! table's header row repeats on each page; no row splits.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::RenderError;
use crate::pdf;
use prongsai_core::thai;

use crate::printed::{COMMENT_LINE, DRAFT_MARK, Printed, SIGN_LINE};

const FONT: &str = "Sarabun";
const SARABUN_REGULAR: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Regular.ttf");
const SARABUN_BOLD: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Bold.ttf");
/// The embedded fonts' obfuscation keys (ECMA-376 part 1, 17.8.1): fixed, so the file is too.
const KEY_REGULAR: &str = "{6B0A3C5E-2F41-4D8A-9E17-3C5B7D9F1A2E}";
const KEY_BOLD: &str = "{A1C3E5F7-0B2D-4E6F-8A1C-3E5F7A9B1C2D}";
/// Half-points: the PDF's sizes (`pdf::REPORT`: body 10.5 pt, table 9.5 pt, labels 1.25×,
/// "บันทึกข้อความ" 1.8×, the report heading 1.1×, the verification box 0.8×).
const BODY: u32 = 21;
const TABLE: u32 = 19;
const LABEL: u32 = 26;
const TITLE: u32 = 38;
const HEADING: u32 = 23;
const SMALL: u32 = 17;
/// Twips per centimetre and per point.
const TWIPS_PER_CM: f64 = 566.93;
const TWIPS_PER_PT: f64 = 20.0;
/// The PDF's line pitch is the cap height (0.7 em of Sarabun) plus the leading; the DOCX sets
/// each line exactly a little under it, so a page of the PDF always fits a page of the DOCX.
const CAP_HEIGHT_EM: f64 = 0.7;
const FIT: f64 = 0.97;
/// Centre and right tab stops of the 16 cm text width.
const CENTRE: u32 = 4535;
const RIGHT: u32 = 9070;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 forbids are dropped rather than breaking the file.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Twips of `em` at a size in half-points.
fn em(size: u32, em: f64) -> u32 {
    (f64::from(size) / 2.0 * em * TWIPS_PER_PT).round() as u32
}

/// The exact line pitch of text at `size` (half-points) with the PDF's `leading` (em).
fn pitch(size: u32, leading: f64) -> u32 {
    (f64::from(em(size, CAP_HEIGHT_EM + leading)) * FIT).round() as u32
}

fn run_properties(size: u32, bold: bool) -> String {
    let bold = if bold { "<w:b/><w:bCs/>" } else { "" };
    format!(
        "<w:rPr><w:rFonts w:ascii=\"{FONT}\" w:hAnsi=\"{FONT}\" w:eastAsia=\"{FONT}\" w:cs=\"{FONT}\"/>{bold}\
         <w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/><w:lang w:val=\"th-TH\" w:eastAsia=\"th-TH\" w:bidi=\"th-TH\"/></w:rPr>"
    )
}

/// One run of text with Thai complex-script properties.
fn run(text: &str, size: u32, bold: bool) -> String {
    format!("<w:r>{}<w:t xml:space=\"preserve\">{}</w:t></w:r>", run_properties(size, bold), escape(text))
}

/// What a paragraph holds, in order.
#[derive(Clone, Debug)]
enum Piece {
    Text { text: String, size: u32, bold: bool },
    Tab,
    Emblem,
}

fn text(text: &str, size: u32, bold: bool) -> Piece {
    Piece::Text { text: text.to_string(), size, bold }
}

#[derive(Clone, Copy, Debug, Default)]
struct Para {
    align: Option<&'static str>,
    /// First-line indent, cm.
    indent_first: f64,
    /// Left indent, cm.
    indent_left: f64,
    /// Twips.
    space_before: u32,
    space_after: u32,
    /// Exact line pitch, twips; 0 lets the tallest thing on the line decide.
    line: u32,
    keep_next: bool,
    /// A centre stop at the middle of the text width and a right stop at its end.
    tabs: bool,
    /// A left stop at the middle of the text width (two columns, as "ที่ … วันที่ …").
    halves: bool,
    /// A thin frame around the paragraph (consecutive framed paragraphs share one).
    framed: bool,
    /// A thin rule under the paragraph.
    rule_below: bool,
}

impl Para {
    fn body() -> Para {
        Para { line: pitch(BODY, 0.6), space_after: em(BODY, 0.3), ..Para::default() }
    }

    /// A line of a block set at the body's pitch with no paragraph spacing.
    fn line() -> Para {
        Para { line: pitch(BODY, 0.6), ..Para::default() }
    }
}

fn paragraph_properties(p: &Para) -> String {
    let mut ppr = String::new();
    if p.keep_next {
        ppr.push_str("<w:keepNext/>");
    }
    let border = "w:val=\"single\" w:sz=\"4\" w:space=\"4\" w:color=\"000000\"";
    if p.framed {
        ppr.push_str(&format!(
            "<w:pBdr><w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/></w:pBdr>"
        ));
    } else if p.rule_below {
        ppr.push_str(&format!("<w:pBdr><w:bottom {border}/></w:pBdr>"));
    }
    if p.tabs {
        ppr.push_str(&format!(
            "<w:tabs><w:tab w:val=\"center\" w:pos=\"{CENTRE}\"/><w:tab w:val=\"right\" w:pos=\"{RIGHT}\"/></w:tabs>"
        ));
    } else if p.halves {
        ppr.push_str(&format!("<w:tabs><w:tab w:val=\"left\" w:pos=\"{CENTRE}\"/></w:tabs>"));
    }
    let line = if p.line > 0 {
        format!(" w:line=\"{}\" w:lineRule=\"exact\"", p.line)
    } else {
        " w:line=\"240\" w:lineRule=\"auto\"".to_string()
    };
    ppr.push_str(&format!("<w:spacing w:before=\"{}\" w:after=\"{}\"{line}/>", p.space_before, p.space_after));
    if p.indent_first > 0.0 || p.indent_left > 0.0 {
        ppr.push_str(&format!(
            "<w:ind w:left=\"{}\" w:firstLine=\"{}\"/>",
            (p.indent_left * TWIPS_PER_CM).round(),
            (p.indent_first * TWIPS_PER_CM).round()
        ));
    }
    if let Some(align) = p.align {
        ppr.push_str(&format!("<w:jc w:val=\"{align}\"/>"));
    }
    ppr
}

fn paragraph(p: &Para, pieces: &[Piece], emblem: Option<&[u8]>) -> String {
    let mut runs = String::new();
    for piece in pieces {
        match piece {
            Piece::Text { text, size, bold } => runs.push_str(&run(text, *size, *bold)),
            Piece::Tab => runs.push_str("<w:r><w:tab/></w:r>"),
            Piece::Emblem => {
                if let Some(image) = emblem {
                    runs.push_str(&emblem_run(image));
                }
            }
        }
    }
    format!("<w:p><w:pPr>{}</w:pPr>{runs}</w:p>", paragraph_properties(p))
}

/// A paragraph or a table row: what a page of the PDF is made of.
#[derive(Clone, Debug)]
enum Block {
    Para(Para, Vec<Piece>),
    Row { cells: Vec<Vec<String>>, header: bool },
}

impl Block {
    /// The text a page's first line is matched against: a paragraph's, a row's first cell's.
    fn text(&self) -> String {
        match self {
            Block::Para(_, pieces) => pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
            Block::Row { cells, .. } => cells.first().map(|lines| lines.concat()).unwrap_or_default(),
        }
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The memo's blocks in reading order, before they are cut into pages.
fn blocks(printed: &Printed) -> Vec<Block> {
    let mut b: Vec<Block> = Vec::new();
    let body_paras = |para: &mut dyn FnMut(Para, Vec<Piece>), texts: &[String]| {
        for t in texts {
            para(Para { indent_first: 2.5, ..Para::body() }, vec![text(t, BODY, false)]);
        }
    };
    let heading = |para: &mut dyn FnMut(Para, Vec<Piece>), t: &str| {
        para(Para { space_before: em(BODY, 0.6), keep_next: true, ..Para::line() }, vec![text(t, BODY, true)]);
    };
    let field_line =
        Para { line: pitch(BODY, 0.6) + em(LABEL, CAP_HEIGHT_EM) - em(BODY, CAP_HEIGHT_EM), ..Para::body() };
    let label =
        |name: &str, value: &str| vec![text(name, LABEL, true), text(" ", BODY, false), text(value, BODY, false)];
    let mut para = |p: Para, pieces: Vec<Piece>| b.push(Block::Para(p, pieces));
    if let Some(m) = &printed.memo {
        para(
            Para { tabs: true, space_after: em(BODY, 0.4), ..Para::default() },
            vec![Piece::Emblem, Piece::Tab, text("บันทึกข้อความ", TITLE, true)],
        );
        para(field_line, label("ส่วนราชการ", &m.department));
        let date = if m.date.is_empty() { "...................." } else { &m.date };
        let mut reference = label("ที่", &m.reference);
        reference.push(Piece::Tab);
        reference.extend(label("วันที่", date));
        para(Para { halves: true, ..field_line }, reference);
        para(Para { rule_below: true, ..field_line }, label("เรื่อง", &m.subject));
        para(Para::body(), vec![text("เรียน", BODY, true), text(" ", BODY, false), text(&m.addressee, BODY, false)]);
        heading(&mut para, "เรื่องเดิม");
        body_paras(&mut para, &m.background);
        heading(&mut para, "ข้อเท็จจริง");
        body_paras(&mut para, &m.facts);
    }
    let title_line = Para { align: Some("center"), keep_next: true, line: pitch(HEADING, 0.6), ..Para::default() };
    for (i, line) in printed.title.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == printed.title.len();
        para(
            Para {
                space_before: if first { em(BODY, 0.6) } else { 0 },
                space_after: if last { em(BODY, 0.2) } else { 0 },
                ..title_line
            },
            vec![text(line, HEADING, true)],
        );
    }
    body_paras(&mut para, &printed.intro);
    if let Some(item) = &printed.item {
        para(Para { keep_next: true, ..Para::line() }, vec![text(&item.heading, BODY, true)]);
        para(Para { keep_next: true, ..Para::line() }, vec![text("องค์ประกอบด้านข้อมูล", BODY, true)]);
        for e in &item.elements {
            para(Para { indent_left: 1.0, ..Para::line() }, vec![text(e, BODY, false)]);
        }
    }
    body_paras(&mut para, &printed.table_lead);
    b.push(Block::Row { cells: printed.columns.iter().map(|c| vec![c.clone()]).collect(), header: true });
    for row in &printed.rows {
        b.push(Block::Row { cells: row.cells.clone(), header: false });
    }
    let mut para = |p: Para, pieces: Vec<Piece>| b.push(Block::Para(p, pieces));
    if let Some(tail) = &printed.tail {
        if !tail.proposals_heading.is_empty() {
            heading(&mut para, &tail.proposals_heading);
        }
        body_paras(&mut para, &tail.proposals_intro);
        for p in &tail.proposals {
            para(Para { indent_left: 2.5, ..Para::line() }, vec![text(p, BODY, false)]);
        }
        body_paras(&mut para, &tail.closing);
        let signer =
            |para: &mut dyn FnMut(Para, Vec<Piece>), line: &str, name: &str, position: &str, date: &str, gap: u32| {
                let p = Para { align: Some("center"), indent_left: 8.0, keep_next: true, ..Para::line() };
                para(Para { space_before: gap, ..p }, vec![text(line, BODY, false)]);
                para(p, vec![text(name, BODY, false)]);
                para(Para { keep_next: !date.is_empty(), ..p }, vec![text(position, BODY, false)]);
                if !date.is_empty() {
                    para(Para { keep_next: false, ..p }, vec![text(&format!("วันที่ {date}"), BODY, false)]);
                }
            };
        if let Some(drafter) = &tail.drafter {
            signer(&mut para, SIGN_LINE, &drafter.name, &drafter.position, "", em(BODY, 1.2));
        }
        for a in &tail.approvals {
            para(
                Para { space_before: em(BODY, 0.8), keep_next: true, ..Para::line() },
                vec![text(&a.title, BODY, true)],
            );
            let comment = if a.comment.is_empty() { COMMENT_LINE } else { &a.comment };
            para(Para { indent_left: 1.0, keep_next: true, ..Para::line() }, vec![text(comment, BODY, false)]);
            signer(&mut para, &a.sign_line, &a.signer.name, &a.signer.position, &a.date, 0);
        }
    }
    if let Some(v) = &printed.verification {
        let p = Para { framed: true, line: pitch(SMALL, 0.6), keep_next: true, ..Para::default() };
        para(Para { space_before: em(BODY, 1.0), ..p }, vec![text(&v.code_line, SMALL, false)]);
        if !v.address_line.is_empty() {
            para(Para { keep_next: false, ..p }, vec![text(&v.address_line, SMALL, false)]);
        }
    }
    b
}

/// Cuts the blocks into pages where the PDF's pages begin (`starts`: each page's first line, in
/// order): before the block that begins with it, or inside a paragraph the PDF carried over.
fn paginate(blocks: Vec<Block>, starts: &[String]) -> Vec<Vec<Block>> {
    let mut pages: Vec<Vec<Block>> = vec![Vec::new()];
    // A page whose first line has no text to match (a line of only spaces or a picture) is not
    // cut for: the pages after it still are.
    let mut keys = starts
        .iter()
        .skip(1)
        .map(|s| squash(s).chars().take(24).collect::<String>())
        .filter(|k| !k.is_empty())
        .peekable();
    for block in blocks {
        let mut block = block;
        loop {
            let Some(key) = keys.peek() else {
                pages.last_mut().expect("a page").push(block);
                break;
            };
            let whole = squash(&block.text());
            if matches!(block, Block::Row { header: true, .. }) {
                pages.last_mut().expect("a page").push(block);
                break;
            }
            if whole.starts_with(key.as_str()) && !pages.last().expect("a page").is_empty() {
                keys.next();
                // A header row left alone at the foot of a page goes with its table: the PDF
                // never ends a page on it.
                let page = pages.last_mut().expect("a page");
                let mut next = Vec::new();
                while matches!(page.last(), Some(Block::Row { header: true, .. })) {
                    next.extend(page.pop());
                }
                next.push(starting_page(block));
                pages.push(next);
                break;
            }
            let split = match (&block, whole.find(key.as_str())) {
                (Block::Para(..), Some(at)) if at > 0 => split_at(&block, whole[..at].chars().count()),
                _ => None,
            };
            match split {
                Some((before, after)) => {
                    keys.next();
                    pages.last_mut().expect("a page").push(before);
                    pages.push(Vec::new());
                    block = starting_page(after);
                }
                None => {
                    pages.last_mut().expect("a page").push(block);
                    break;
                }
            }
        }
    }
    pages
}

/// A block as the first on its page: no space above it (the PDF drops it there too).
fn starting_page(block: Block) -> Block {
    match block {
        Block::Para(p, pieces) => Block::Para(Para { space_before: 0, ..p }, pieces),
        row => row,
    }
}

/// Splits a paragraph before its `at`-th character that is not white space. The second part
/// continues the paragraph: no first-line indent, no space above.
fn split_at(block: &Block, at: usize) -> Option<(Block, Block)> {
    let Block::Para(p, pieces) = block else { return None };
    let mut seen = 0;
    for (index, piece) in pieces.iter().enumerate() {
        let Piece::Text { text: t, size, bold } = piece else { continue };
        for (byte, c) in t.char_indices() {
            if c.is_whitespace() {
                continue;
            }
            if seen == at {
                let mut first: Vec<Piece> = pieces[..index].to_vec();
                first.push(text(t[..byte].trim_end(), *size, *bold));
                let mut second = vec![text(&t[byte..], *size, *bold)];
                second.extend(pieces[index + 1..].iter().cloned());
                let before = Block::Para(Para { space_after: 0, keep_next: false, ..*p }, first);
                let after = Block::Para(Para { indent_first: 0.0, space_before: 0, ..*p }, second);
                return Some((before, after));
            }
            seen += 1;
        }
    }
    None
}

/// EMU size of the emblem at 1.5 cm high, keeping a PNG's aspect ratio (others are drawn square).
fn emblem_size(image: &[u8]) -> (u64, u64) {
    const HEIGHT: u64 = 540_000;
    let png = image.len() > 24 && image.starts_with(b"\x89PNG\r\n\x1a\n");
    let (w, h) = if png {
        let be = |at: usize| u64::from(u32::from_be_bytes([image[at], image[at + 1], image[at + 2], image[at + 3]]));
        (be(16), be(20))
    } else {
        (1, 1)
    };
    if w == 0 || h == 0 { (HEIGHT, HEIGHT) } else { (HEIGHT * w / h, HEIGHT) }
}

fn emblem_run(image: &[u8]) -> String {
    let (cx, cy) = emblem_size(image);
    format!(
        "<w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/>\
         <wp:docPr id=\"1\" name=\"emblem\"/><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
         <pic:pic><pic:nvPicPr><pic:cNvPr id=\"0\" name=\"emblem\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>\
         <a:blip r:embed=\"rIdEmblem\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm>\
         <a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom>\
         </pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )
}

const NAMESPACES: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
     xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
     xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
     xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
     xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"";

fn table_start(widths: &[i64]) -> String {
    let border = "w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"";
    // The PDF's cell inset, 3.5 pt on every side.
    let inset = (3.5 * TWIPS_PER_PT) as i64;
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:tblBorders><w:top {border}/><w:left {border}/>\
         <w:bottom {border}/><w:right {border}/><w:insideH {border}/><w:insideV {border}/></w:tblBorders>\
         <w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:top w:w=\"{inset}\" w:type=\"dxa\"/><w:left w:w=\"{inset}\" w:type=\"dxa\"/>\
         <w:bottom w:w=\"{inset}\" w:type=\"dxa\"/><w:right w:w=\"{inset}\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>",
        widths.iter().sum::<i64>()
    );
    for w in widths {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    out
}

/// A row of the table; the header row repeats on every page of one table.
fn row_xml(cells: &[Vec<String>], header: bool, widths: &[i64]) -> String {
    let p = Para { align: header.then_some("center"), line: pitch(TABLE, 0.5), ..Para::default() };
    let mut out = format!("<w:tr><w:trPr><w:cantSplit/>{}</w:trPr>", if header { "<w:tblHeader/>" } else { "" });
    for (lines, width) in cells.iter().zip(widths) {
        let paras: String = if lines.is_empty() {
            paragraph(&p, &[], None)
        } else {
            lines.iter().map(|l| paragraph(&p, &[text(l, TABLE, header)], None)).collect()
        };
        out.push_str(&format!("<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>{paras}</w:tc>"));
    }
    out.push_str("</w:tr>");
    out
}

/// Page size, the PDF's margins (left 3 cm, right 2 cm, top and bottom 2 cm), and the page's
/// own header (its number, written out: word processors print a PAGE field in Arabic digits)
/// and footer (its cue).
fn section_properties(page: usize) -> String {
    let margin = |cm: f64| (cm * TWIPS_PER_CM).round();
    format!(
        "<w:sectPr><w:headerReference w:type=\"default\" r:id=\"rIdHeader{page}\"/>\
         <w:footerReference w:type=\"default\" r:id=\"rIdFooter{page}\"/><w:type w:val=\"nextPage\"/>\
         <w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"{}\" w:right=\"{}\" w:bottom=\"{}\" w:left=\"{}\" \
         w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr>",
        margin(2.0),
        margin(2.0),
        margin(2.0),
        margin(3.0)
    )
}

fn document_xml(pages: &[Vec<Block>], widths: &[i64], emblem: Option<&[u8]>) -> String {
    let header_row = pages.iter().flatten().find_map(|b| match b {
        Block::Row { cells, header: true } => Some(row_xml(cells, true, widths)),
        _ => None,
    });
    let mut b = String::new();
    for (index, page) in pages.iter().enumerate() {
        let mut in_table = false;
        for block in page {
            match block {
                Block::Row { cells, header } => {
                    if !in_table {
                        b.push_str(&table_start(widths));
                        // A table carried onto a new page starts with its header row again.
                        if !header && let Some(row) = &header_row {
                            b.push_str(row);
                        }
                        in_table = true;
                    }
                    b.push_str(&row_xml(cells, *header, widths));
                }
                Block::Para(p, pieces) => {
                    if in_table {
                        b.push_str("</w:tbl>");
                        in_table = false;
                    }
                    b.push_str(&paragraph(p, pieces, emblem));
                }
            }
        }
        if in_table {
            b.push_str("</w:tbl>");
        }
        if index + 1 < pages.len() {
            // The page ends here, as the PDF's does: a 1 pt paragraph that carries the section.
            b.push_str(&format!(
                "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"20\" w:lineRule=\"exact\"/>\
                 <w:rPr><w:sz w:val=\"2\"/><w:szCs w:val=\"2\"/></w:rPr>{}</w:pPr></w:p>",
                section_properties(index)
            ));
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document {NAMESPACES}><w:body>{b}{}</w:body></w:document>",
        section_properties(pages.len().saturating_sub(1))
    )
}

/// "- ๒ -" centred from the second page on, and the draft mark at the right while the report is
/// not signed by every step.
fn header_xml(draft: bool, page: usize) -> String {
    let mut pieces = vec![Piece::Tab];
    if page > 0 {
        pieces.push(text(&format!("- {} -", thai::to_thai_digits(&(page + 1).to_string())), BODY, false));
    }
    if draft {
        pieces.extend([Piece::Tab, Piece::Text { text: DRAFT_MARK.into(), size: SMALL, bold: false }]);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:hdr {NAMESPACES}>{}</w:hdr>",
        paragraph(&Para { tabs: true, ..Para::default() }, &pieces, None)
    )
}

/// The page's cue ("/๔.การปรับปรุง...") at the bottom right, or nothing on the last page.
fn footer_xml(cue: Option<&str>) -> String {
    let pieces: Vec<Piece> = cue.map(|c| vec![text(c, BODY, false)]).unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:ftr {NAMESPACES}>{}</w:ftr>",
        paragraph(&Para { align: Some("right"), ..Para::default() }, &pieces, None)
    )
}

fn styles_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:docDefaults><w:rPrDefault>{}</w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:widowControl w:val=\"0\"/><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style></w:styles>",
        run_properties(BODY, false)
    )
}

fn font_table_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:fonts xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <w:font w:name=\"{FONT}\"><w:altName w:val=\"TH SarabunPSK\"/><w:charset w:val=\"DE\"/><w:family w:val=\"swiss\"/>\
         <w:pitch w:val=\"variable\"/><w:embedRegular r:id=\"rIdFontRegular\" w:fontKey=\"{KEY_REGULAR}\"/>\
         <w:embedBold r:id=\"rIdFontBold\" w:fontKey=\"{KEY_BOLD}\"/></w:font></w:fonts>"
    )
}

const FONT_TABLE_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdFontRegular\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/font\" Target=\"fonts/sarabun-regular.odttf\"/>\
<Relationship Id=\"rIdFontBold\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/font\" Target=\"fonts/sarabun-bold.odttf\"/>\
</Relationships>";

const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:embedTrueTypeFonts/>\
<w:defaultTabStop w:val=\"720\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat></w:settings>";

/// An embedded font as Word stores it: the first 32 bytes XORed with the key read from its
/// GUID (ECMA-376 part 1, 17.8.1), which is how Word and LibreOffice read it back.
fn obfuscate(font: &[u8], key: &str) -> Vec<u8> {
    const POSITIONS: [usize; 16] = [35, 33, 31, 29, 27, 25, 22, 20, 17, 15, 12, 10, 7, 5, 3, 1];
    let key: Vec<u8> = POSITIONS.iter().map(|&p| u8::from_str_radix(&key[p..p + 2], 16).expect("a hex GUID")).collect();
    let mut out = font.to_vec();
    for i in 0..16 {
        out[i] ^= key[i];
        out[i + 16] ^= key[i];
    }
    out
}

fn content_types(pages: usize) -> String {
    let main = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let mut parts = String::new();
    for i in 0..pages {
        parts.push_str(&format!("<Override PartName=\"/word/header{i}.xml\" ContentType=\"{main}.header+xml\"/>"));
        parts.push_str(&format!("<Override PartName=\"/word/footer{i}.xml\" ContentType=\"{main}.footer+xml\"/>"));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Default Extension=\"png\" ContentType=\"image/png\"/><Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>\
         <Default Extension=\"odttf\" ContentType=\"application/vnd.openxmlformats-officedocument.obfuscatedFont\"/>\
         <Override PartName=\"/word/document.xml\" ContentType=\"{main}.document.main+xml\"/>\
         <Override PartName=\"/word/styles.xml\" ContentType=\"{main}.styles+xml\"/>\
         <Override PartName=\"/word/settings.xml\" ContentType=\"{main}.settings+xml\"/>\
         <Override PartName=\"/word/fontTable.xml\" ContentType=\"{main}.fontTable+xml\"/>{parts}\
         <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         </Types>"
    )
}

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

fn document_rels(emblem: Option<&str>, pages: usize) -> String {
    let kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut more = emblem
        .map(|name| format!("<Relationship Id=\"rIdEmblem\" Type=\"{kind}/image\" Target=\"media/{name}\"/>"))
        .unwrap_or_default();
    for i in 0..pages {
        more.push_str(&format!("<Relationship Id=\"rIdHeader{i}\" Type=\"{kind}/header\" Target=\"header{i}.xml\"/>"));
        more.push_str(&format!("<Relationship Id=\"rIdFooter{i}\" Type=\"{kind}/footer\" Target=\"footer{i}.xml\"/>"));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rIdStyles\" Type=\"{kind}/styles\" Target=\"styles.xml\"/>\
         <Relationship Id=\"rIdSettings\" Type=\"{kind}/settings\" Target=\"settings.xml\"/>\
         <Relationship Id=\"rIdFonts\" Type=\"{kind}/fontTable\" Target=\"fontTable.xml\"/>\
         {more}</Relationships>"
    )
}

fn core_xml(title: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:language>th-TH</dc:language>\
         <dc:creator>Prongsai</dc:creator></cp:coreProperties>",
        escape(title)
    )
}

/// Renders the printed report as a DOCX package, paged as its PDF is.
pub fn render(printed: &Printed, emblem: Option<&[u8]>) -> Result<Vec<u8>, RenderError> {
    let pack = |e: &dyn std::fmt::Display| RenderError::Pack(e.to_string());
    let starts = pdf::page_starts(printed, emblem)?;
    let first_lines: Vec<String> = starts.iter().map(|s| s.first_line.clone()).collect();
    let pages = paginate(blocks(printed), &first_lines);
    let columns = pdf::geometry(printed).columns;
    let widths: Vec<i64> = columns.iter().map(|cm| (cm * TWIPS_PER_CM).round() as i64).collect();
    let emblem_name = emblem.map(|e| if e.starts_with(b"\x89PNG") { "emblem.png" } else { "emblem.jpeg" });
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), content_types(pages.len()).into_bytes()),
        ("_rels/.rels".into(), ROOT_RELS.as_bytes().to_vec()),
        ("docProps/core.xml".into(), core_xml(&printed.title.join(" ")).into_bytes()),
        ("word/document.xml".into(), document_xml(&pages, &widths, emblem).into_bytes()),
        ("word/styles.xml".into(), styles_xml().into_bytes()),
        ("word/settings.xml".into(), SETTINGS.as_bytes().to_vec()),
        ("word/fontTable.xml".into(), font_table_xml().into_bytes()),
        ("word/_rels/fontTable.xml.rels".into(), FONT_TABLE_RELS.as_bytes().to_vec()),
        ("word/fonts/sarabun-regular.odttf".into(), obfuscate(SARABUN_REGULAR, KEY_REGULAR)),
        ("word/fonts/sarabun-bold.odttf".into(), obfuscate(SARABUN_BOLD, KEY_BOLD)),
        ("word/_rels/document.xml.rels".into(), document_rels(emblem_name, pages.len()).into_bytes()),
    ];
    for i in 0..pages.len() {
        // A page the DOCX would have beyond the PDF's (never expected) gets no cue.
        let cue = starts.get(i).and_then(|s| s.cue.as_deref());
        files.push((format!("word/header{i}.xml"), header_xml(printed.draft, i).into_bytes()));
        files.push((format!("word/footer{i}.xml"), footer_xml(cue).into_bytes()));
    }
    if let (Some(image), Some(name)) = (emblem, emblem_name) {
        files.push((format!("word/media/{name}"), image.to_vec()));
    }
    for (name, bytes) in files {
        zip.start_file(name, options).map_err(|e| pack(&e))?;
        zip.write_all(&bytes).map_err(|e| pack(&e))?;
    }
    Ok(zip.finish().map_err(|e| pack(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert!(run("ปากช่อง", BODY, false).contains("w:cs=\"Sarabun\""));
        assert!(run("ปากช่อง", BODY, false).contains("w:bidi=\"th-TH\""));
    }

    #[test]
    fn an_embedded_font_is_obfuscated_with_its_guid_read_backwards() {
        let font = (0u8..40).collect::<Vec<u8>>();
        let key = "{00112233-4455-6677-8899-AABBCCDDEEFF}";
        let out = obfuscate(&font, key);
        // The key's bytes, last of the GUID first: FF EE DD … 00.
        assert_eq!(out[0], 0xFF);
        assert_eq!(out[15], 15, "the GUID's first byte, 00, keys the sixteenth");
        assert_eq!(out[16], 16 ^ 0xFF);
        assert_eq!(&out[32..], &font[32..], "only the first 32 bytes change");
        assert_eq!(obfuscate(&out, key), font, "obfuscating twice gives the font back");
    }

    #[test]
    fn a_paragraph_the_pdf_carried_over_is_split_where_the_next_page_begins() {
        let para = Block::Para(Para { indent_first: 2.5, ..Para::body() }, vec![text("หนึ่ง สอง สาม", BODY, false)]);
        let pages = paginate(vec![para], &["หนึ่ง".into(), "สาม".into()]);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0][0].text(), "หนึ่ง สอง");
        assert_eq!(pages[1][0].text(), "สาม");
        let Block::Para(p, _) = &pages[1][0] else { panic!("a paragraph") };
        assert_eq!(p.indent_first, 0.0, "the carried-over part goes on without an indent");
    }

    #[test]
    fn a_page_beginning_with_an_empty_line_does_not_stop_the_cuts_after_it() {
        let para = |t: &str| Block::Para(Para::body(), vec![text(t, BODY, false)]);
        let blocks = vec![para("หนึ่ง"), para("สอง"), para("สาม")];
        let pages = paginate(blocks, &["หนึ่ง".into(), " ".into(), "สาม".into()]);
        let texts: Vec<Vec<String>> = pages.iter().map(|p| p.iter().map(Block::text).collect()).collect();
        assert_eq!(texts, [vec!["หนึ่ง".to_string(), "สอง".to_string()], vec!["สาม".to_string()]]);
    }
}
