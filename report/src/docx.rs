//! DOCX written as plain WordprocessingML, so every detail the clerk's copy needs is under our
//! control: Thai set as complex script (`w:rFonts w:cs`, `w:szCs`, `w:lang w:bidi="th-TH"`) in
//! TH SarabunPSK with Sarabun as its alternative, A4 with the official margins, a real table
//! whose header row repeats on each page and whose rows never split.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::RenderError;
use crate::pdf::{PLAN, REPORT};
use crate::printed::{Kind, Printed, SIGN_LINE};

const FONT: &str = "TH SarabunPSK";
const FALLBACK_FONT: &str = "Sarabun";
/// Half-points: the regulation's sizes for TH SarabunPSK.
const BODY: u32 = 32;
const TABLE: u32 = 28;
const LABEL: u32 = 40;
const TITLE: u32 = 58;
/// Twips per centimetre.
const TWIPS_PER_CM: f64 = 566.93;

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

/// One run of text with Thai complex-script properties.
fn run(text: &str, size: u32, bold: bool) -> String {
    let bold = if bold { "<w:b/><w:bCs/>" } else { "" };
    format!(
        "<w:r><w:rPr><w:rFonts w:ascii=\"{FONT}\" w:hAnsi=\"{FONT}\" w:eastAsia=\"{FONT}\" w:cs=\"{FONT}\"/>{bold}\
         <w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/><w:lang w:val=\"th-TH\" w:eastAsia=\"th-TH\" w:bidi=\"th-TH\"/></w:rPr>\
         <w:t xml:space=\"preserve\">{}</w:t></w:r>",
        escape(text)
    )
}

#[derive(Clone, Copy, Default)]
struct Para {
    align: Option<&'static str>,
    /// First-line indent, cm.
    indent_first: f64,
    /// Left indent, cm.
    indent_left: f64,
    space_before: u32,
    keep_next: bool,
}

fn paragraph(p: Para, runs: &[String]) -> String {
    let mut ppr = String::new();
    if p.keep_next {
        ppr.push_str("<w:keepNext/>");
    }
    ppr.push_str(&format!("<w:spacing w:before=\"{}\" w:after=\"0\"/>", p.space_before));
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
    format!("<w:p><w:pPr>{ppr}</w:pPr>{}</w:p>", runs.concat())
}

fn text_para(p: Para, text: &str, size: u32, bold: bool) -> String {
    paragraph(p, &[run(text, size, bold)])
}

fn body_paras(out: &mut String, texts: &[String]) {
    for t in texts {
        out.push_str(&text_para(Para { indent_first: 2.5, ..Para::default() }, t, BODY, false));
    }
}

fn heading(out: &mut String, text: &str) {
    out.push_str(&text_para(Para { space_before: 240, keep_next: true, ..Para::default() }, text, BODY, true));
}

fn label_and_value(label: &str, value: &str) -> Vec<String> {
    vec![run(label, LABEL, true), run(" ", BODY, false), run(value, BODY, false)]
}

fn table(printed: &Printed) -> String {
    let columns = match printed.kind {
        Kind::Report => REPORT.columns,
        Kind::Plan => PLAN.columns,
    };
    let widths: Vec<i64> = columns.iter().map(|cm| (cm * TWIPS_PER_CM).round() as i64).collect();
    let border = "w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"";
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:tblBorders><w:top {border}/><w:left {border}/>\
         <w:bottom {border}/><w:right {border}/><w:insideH {border}/><w:insideV {border}/></w:tblBorders>\
         <w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar>\
         </w:tblPr><w:tblGrid>",
        widths.iter().sum::<i64>()
    );
    for w in &widths {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    let cell = |width: i64, lines: &[String], bold: bool, center: bool| {
        let p = Para { align: center.then_some("center"), ..Para::default() };
        let paras: String = if lines.is_empty() {
            paragraph(p, &[])
        } else {
            lines.iter().map(|l| text_para(p, l, TABLE, bold)).collect()
        };
        format!("<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>{paras}</w:tc>")
    };
    // The header row repeats on every page; no row splits across pages.
    out.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
    for (name, width) in printed.columns.iter().zip(&widths) {
        out.push_str(&cell(*width, std::slice::from_ref(name), true, true));
    }
    out.push_str("</w:tr>");
    for row in &printed.rows {
        out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for (lines, width) in row.cells.iter().zip(&widths) {
            out.push_str(&cell(*width, lines, false, false));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
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

fn emblem_paragraph(image: &[u8]) -> String {
    let (cx, cy) = emblem_size(image);
    format!(
        "<w:p><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/>\
         <wp:docPr id=\"1\" name=\"emblem\"/><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
         <pic:pic><pic:nvPicPr><pic:cNvPr id=\"0\" name=\"emblem\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>\
         <a:blip r:embed=\"rIdEmblem\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm>\
         <a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom>\
         </pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
}

fn document_xml(printed: &Printed, emblem: Option<&[u8]>) -> String {
    let mut b = String::new();
    if printed.draft {
        b.push_str(&text_para(Para { align: Some("right"), ..Para::default() }, "ฉบับร่าง (ยังลงนามไม่ครบ)", TABLE, false));
    }
    if let Some(m) = &printed.memo {
        if let Some(image) = emblem {
            b.push_str(&emblem_paragraph(image));
        }
        b.push_str(&text_para(Para { align: Some("center"), ..Para::default() }, "บันทึกข้อความ", TITLE, true));
        b.push_str(&paragraph(Para::default(), &label_and_value("ส่วนราชการ", &m.department)));
        let date = if m.date.is_empty() { "...................." } else { &m.date };
        let mut reference = label_and_value("ที่", &m.reference);
        reference.push("<w:r><w:tab/></w:r>".to_string());
        reference.extend(label_and_value("วันที่", date));
        b.push_str(&paragraph(Para::default(), &reference).replace(
            "<w:pPr>",
            &format!("<w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"{}\"/></w:tabs>", (8.0 * TWIPS_PER_CM).round()),
        ));
        b.push_str(&paragraph(Para::default(), &label_and_value("เรื่อง", &m.subject)));
        b.push_str(&paragraph(
            Para { space_before: 120, ..Para::default() },
            &[run("เรียน", BODY, true), run(" ", BODY, false), run(&m.addressee, BODY, false)],
        ));
        heading(&mut b, "เรื่องเดิม");
        body_paras(&mut b, &m.background);
        heading(&mut b, "ข้อเท็จจริง");
        body_paras(&mut b, &m.facts);
    }
    for (i, line) in printed.title.iter().enumerate() {
        let p = Para {
            align: Some("center"),
            space_before: if i == 0 { 240 } else { 0 },
            keep_next: true,
            ..Para::default()
        };
        b.push_str(&text_para(p, line, BODY, true));
    }
    body_paras(&mut b, &printed.intro);
    if let Some(item) = &printed.item {
        heading(&mut b, &item.heading);
        b.push_str(&text_para(Para { keep_next: true, ..Para::default() }, "องค์ประกอบด้านข้อมูล", BODY, true));
        for e in &item.elements {
            b.push_str(&text_para(Para { indent_left: 1.0, ..Para::default() }, e, BODY, false));
        }
    }
    body_paras(&mut b, &printed.table_lead);
    b.push_str(&table(printed));
    if let Some(tail) = &printed.tail {
        heading(&mut b, "ข้อเสนอเพื่อพิจารณา");
        body_paras(&mut b, &tail.proposals_intro);
        for p in &tail.proposals {
            b.push_str(&text_para(Para { indent_left: 2.5, ..Para::default() }, p, BODY, false));
        }
        body_paras(&mut b, &tail.closing);
        let signer = |b: &mut String, line: &str, name: &str, position: &str, date: &str| {
            let p = Para { align: Some("center"), indent_left: 8.0, keep_next: true, ..Para::default() };
            b.push_str(&text_para(Para { space_before: 360, ..p }, line, BODY, false));
            b.push_str(&text_para(p, name, BODY, false));
            b.push_str(&text_para(Para { keep_next: !date.is_empty(), ..p }, position, BODY, false));
            if !date.is_empty() {
                b.push_str(&text_para(Para { keep_next: false, ..p }, &format!("วันที่ {date}"), BODY, false));
            }
        };
        signer(&mut b, SIGN_LINE, &tail.drafter.name, &tail.drafter.position, "");
        for a in &tail.approvals {
            b.push_str(&text_para(
                Para { space_before: 360, keep_next: true, ..Para::default() },
                &a.title,
                BODY,
                true,
            ));
            let comment = if a.comment.is_empty() {
                "...................................................................."
            } else {
                &a.comment
            };
            b.push_str(&text_para(Para { indent_left: 1.0, keep_next: true, ..Para::default() }, comment, BODY, false));
            signer(&mut b, &a.sign_line, &a.signer.name, &a.signer.position, &a.date);
        }
    }
    if let Some(v) = &printed.verification {
        let p = Para { space_before: 360, keep_next: true, ..Para::default() };
        b.push_str(&text_para(p, &v.code_line, BODY, false));
        if !v.address_line.is_empty() {
            b.push_str(&text_para(Para { keep_next: false, ..Para::default() }, &v.address_line, BODY, false));
        }
    }
    let (w, h) = (11906, 16838);
    let margin = |cm: f64| (cm * TWIPS_PER_CM).round();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
         xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
         xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
         xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>{b}\
         <w:sectPr><w:pgSz w:w=\"{w}\" w:h=\"{h}\"/><w:pgMar w:top=\"{}\" w:right=\"{}\" w:bottom=\"{}\" w:left=\"{}\" \
         w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
        margin(2.5),
        margin(2.0),
        margin(2.0),
        margin(3.0)
    )
}

fn styles_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:docDefaults><w:rPrDefault><w:rPr>\
         <w:rFonts w:ascii=\"{FONT}\" w:hAnsi=\"{FONT}\" w:eastAsia=\"{FONT}\" w:cs=\"{FONT}\"/><w:sz w:val=\"{BODY}\"/>\
         <w:szCs w:val=\"{BODY}\"/><w:lang w:val=\"th-TH\" w:eastAsia=\"th-TH\" w:bidi=\"th-TH\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
         <w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style></w:styles>"
    )
}

fn font_table_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:fonts xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:font w:name=\"{FONT}\"><w:altName w:val=\"{FALLBACK_FONT}\"/><w:charset w:val=\"DE\"/><w:family w:val=\"swiss\"/>\
         <w:pitch w:val=\"variable\"/></w:font><w:font w:name=\"{FALLBACK_FONT}\"><w:charset w:val=\"DE\"/><w:family w:val=\"swiss\"/>\
         <w:pitch w:val=\"variable\"/></w:font></w:fonts>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/><Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

fn document_rels(emblem: Option<&str>) -> String {
    let image = emblem
        .map(|name| {
            format!(
                "<Relationship Id=\"rIdEmblem\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/{name}\"/>"
            )
        })
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
         <Relationship Id=\"rIdFonts\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
         {image}</Relationships>"
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

/// Renders the printed report as a DOCX package.
pub fn render(printed: &Printed, emblem: Option<&[u8]>) -> Result<Vec<u8>, RenderError> {
    let pack = |e: &dyn std::fmt::Display| RenderError::Pack(e.to_string());
    let emblem_name = emblem.map(|e| if e.starts_with(b"\x89PNG") { "emblem.png" } else { "emblem.jpeg" });
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), CONTENT_TYPES.as_bytes().to_vec()),
        ("_rels/.rels".into(), ROOT_RELS.as_bytes().to_vec()),
        ("docProps/core.xml".into(), core_xml(&printed.title.join(" ")).into_bytes()),
        ("word/document.xml".into(), document_xml(printed, emblem).into_bytes()),
        ("word/styles.xml".into(), styles_xml().into_bytes()),
        ("word/fontTable.xml".into(), font_table_xml().into_bytes()),
        ("word/_rels/document.xml.rels".into(), document_rels(emblem_name).into_bytes()),
    ];
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
        assert!(run("ปากช่อง", BODY, false).contains("w:cs=\"TH SarabunPSK\""));
        assert!(run("ปากช่อง", BODY, false).contains("w:bidi=\"th-TH\""));
    }
}
