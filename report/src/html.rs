//! One self-contained HTML page for the agency's website: fonts and emblem inlined, no script,
//! readable on a phone (the table turns into one card per measure on narrow screens).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::printed::{COMMENT_LINE, DRAFT_MARK, Printed, SIGN_LINE, runs};

const SARABUN_REGULAR: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Regular.ttf");
const SARABUN_BOLD: &[u8] = include_bytes!("../../frontend/static/fonts/Sarabun-Bold.ttf");

/// Text made safe inside an HTML element or a quoted attribute.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

struct Page<'a> {
    out: String,
    glossary: &'a [String],
}

impl Page<'_> {
    /// Escaped text with glossary terms kept on one line.
    fn text(&self, text: &str) -> String {
        runs(text, self.glossary, |_| true)
            .into_iter()
            .map(|r| if r.k { format!("<span class=\"k\">{}</span>", escape(&r.t)) } else { escape(&r.t) })
            .collect()
    }

    fn tag(&mut self, tag: &str, class: &str, text: &str) {
        let class = if class.is_empty() { String::new() } else { format!(" class=\"{class}\"") };
        let inner = self.text(text);
        self.out.push_str(&format!("<{tag}{class}>{inner}</{tag}>\n"));
    }

    fn paras(&mut self, texts: &[String]) {
        for t in texts {
            self.tag("p", "indent", t);
        }
    }

    fn signer(&mut self, line: &str, name: &str, position: &str, date: &str) {
        self.out.push_str("<div class=\"signer\">");
        self.tag("p", "", line);
        self.tag("p", "", name);
        self.tag("p", "", position);
        if !date.is_empty() {
            self.tag("p", "", &format!("วันที่ {date}"));
        }
        self.out.push_str("</div>\n");
    }
}

const STYLE: &str = "
body{font-family:'Sarabun',sans-serif;font-size:17px;line-height:1.6;color:#111;background:#f4f4f1;margin:0}
main{max-width:52rem;margin:0 auto;background:#fff;padding:2rem 2rem 3rem 3rem}
.k{white-space:nowrap}
.verification{margin-top:2rem;padding:.5rem 1rem;border:1px solid #999;font-size:.9rem;overflow-wrap:anywhere}
h1{font-size:1.9rem;text-align:center;margin:.2rem 0 1rem}
.emblem{display:block;height:3.5rem}
.field b{font-size:1.15rem;margin-right:.4rem}
.indent{text-indent:2.5rem;margin:.4rem 0}
h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.title{text-align:center;font-weight:bold}
.elements p{margin:.2rem 0 .2rem 1.5rem}
.draft{color:#b00020;text-align:right;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border:1px solid #555;padding:.3rem .4rem;vertical-align:top;text-align:left}
th{background:#eef2f8;text-align:center}
td p{margin:0 0 .25rem}
.proposals p{margin:.3rem 0 .3rem 2.5rem}
.signer{margin:1.5rem 0 0 45%;text-align:center}.signer p{margin:.1rem 0}
.approval{margin-top:1.5rem;break-inside:avoid}.approval h3{font-size:1rem;margin:0}
@media (max-width:700px){
 body{font-size:16px}main{padding:1rem}
 table,tbody,tr,td{display:block;width:auto}thead{display:none}
 tr{border:1px solid #555;margin:0 0 1rem;padding:.3rem}td{border:none;border-top:1px dotted #bbb}
 td:first-child{border-top:none;font-weight:bold}
 td::before{content:attr(data-label);display:block;font-size:.8rem;color:#555}
 .signer{margin-left:0}
}
@media print{body{background:#fff}main{padding:0}}
";

/// Renders the printed report as one HTML page.
pub fn render(printed: &Printed, emblem: Option<&[u8]>) -> String {
    let mut page = Page { out: String::new(), glossary: &printed.glossary };
    let title: String = printed.title.join(" ");
    page.out.push_str(&format!(
        "<!doctype html>\n<html lang=\"th\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>\
         @font-face{{font-family:'Sarabun';font-weight:400;src:url(data:font/ttf;base64,{}) format('truetype')}}\
         @font-face{{font-family:'Sarabun';font-weight:700;src:url(data:font/ttf;base64,{}) format('truetype')}}{STYLE}</style></head>\
         <body><main>\n",
        escape(&title),
        STANDARD.encode(SARABUN_REGULAR),
        STANDARD.encode(SARABUN_BOLD)
    ));
    if printed.draft {
        page.tag("p", "draft", DRAFT_MARK);
    }
    if let Some(m) = &printed.memo {
        if let Some(image) = emblem {
            let media = if image.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
            page.out.push_str(&format!(
                "<img class=\"emblem\" alt=\"ตราครุฑ\" src=\"data:{media};base64,{}\">\n",
                STANDARD.encode(image)
            ));
        }
        page.out.push_str("<h1>บันทึกข้อความ</h1>\n");
        let date = if m.date.is_empty() { "...................." } else { &m.date };
        for (label, value) in [
            ("ส่วนราชการ", m.department.as_str()),
            ("ที่", &m.reference),
            ("วันที่", date),
            ("เรื่อง", &m.subject),
            ("เรียน", &m.addressee),
        ] {
            let value = page.text(value);
            page.out.push_str(&format!("<p class=\"field\"><b>{label}</b>{value}</p>\n"));
        }
        page.tag("h2", "", "เรื่องเดิม");
        page.paras(&m.background);
        page.tag("h2", "", "ข้อเท็จจริง");
        page.paras(&m.facts);
    }
    for line in &printed.title {
        page.tag("p", "title", line);
    }
    page.paras(&printed.intro);
    if let Some(item) = &printed.item {
        page.tag("h2", "", &item.heading);
        page.out.push_str("<div class=\"elements\"><p><b>องค์ประกอบด้านข้อมูล</b></p>");
        for e in &item.elements {
            page.tag("p", "", e);
        }
        page.out.push_str("</div>\n");
    }
    page.paras(&printed.table_lead);
    page.out.push_str("<table><thead><tr>");
    for c in &printed.columns {
        page.tag("th", "", c);
    }
    page.out.push_str("</tr></thead><tbody>\n");
    for row in &printed.rows {
        page.out.push_str("<tr>");
        for (lines, label) in row.cells.iter().zip(&printed.columns) {
            let inner: String = lines.iter().map(|l| format!("<p>{}</p>", page.text(l))).collect();
            page.out.push_str(&format!("<td data-label=\"{}\">{inner}</td>", escape(label)));
        }
        page.out.push_str("</tr>\n");
    }
    page.out.push_str("</tbody></table>\n");
    if let Some(tail) = &printed.tail {
        if !tail.proposals_heading.is_empty() {
            page.tag("h2", "", &tail.proposals_heading);
        }
        page.paras(&tail.proposals_intro);
        page.out.push_str("<div class=\"proposals\">");
        for p in &tail.proposals {
            page.tag("p", "", p);
        }
        page.out.push_str("</div>\n");
        page.paras(&tail.closing);
        if let Some(drafter) = &tail.drafter {
            page.signer(SIGN_LINE, &drafter.name, &drafter.position, "");
        }
        for a in &tail.approvals {
            page.out.push_str("<section class=\"approval\">");
            page.tag("h3", "", &a.title);
            page.tag("p", "", if a.comment.is_empty() { COMMENT_LINE } else { &a.comment });
            page.signer(&a.sign_line, &a.signer.name, &a.signer.position, &a.date);
            page.out.push_str("</section>\n");
        }
    }
    if let Some(v) = &printed.verification {
        page.out.push_str("<aside class=\"verification\">");
        page.tag("p", "", &v.code_line);
        if !v.address.is_empty() {
            let address = escape(&v.address);
            page.out.push_str(&format!("<p>ตรวจสอบได้ที่ <a href=\"{address}\">{address}</a></p>\n"));
        }
        page.out.push_str("</aside>\n");
    }
    page.out.push_str("</main></body></html>\n");
    page.out
}
