//! Checking a signed report: `/verify/{code}`, open without login. A published report prints
//! its verification code (core's `verification::code`, from the content hash and the
//! signatures); the server keeps what it published under that code, and the page recomputes the
//! content hash from the stored documents to say whether they still hash as they did when signed.
//! A code answers 404 until its report is published.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use prongsai_core::report_model::{Part, Report};
use prongsai_core::thai::{self, Digits, MonthStyle};
use prongsai_core::tracks::{Slot, Target};
use prongsai_core::verification;
use prongsai_core::wire::PublishedInfo;
use prongsai_report::html::escape;
use serde::{Deserialize, Serialize};

use crate::app::{App, AppError};
use crate::db::{Database, DbError};
use crate::reports::{self, REPORT_PAGE_CSP};
use crate::routes::{RouteTable, Scope};

pub fn routes<D: Database>(t: &mut RouteTable<D>) {
    t.get(Scope::Open, "/verify/{code}", page::<D>);
}

/// What was published under a code, kept as a setting when the report is published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub code: String,
    pub agency: String,
    pub agency_name: String,
    /// Fiscal year, BE.
    pub year: i64,
    /// The assessment item the report answers ("O43") and its title, from the year's criteria.
    pub item: Option<String>,
    pub item_title: Option<String>,
    /// The track, when another than the integrity measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    /// The report round of a track's report, and its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_title: Option<String>,
    /// The plan or the report (records from before plans had their chain are reports).
    #[serde(default)]
    pub part: Part,
    /// (a report) Why it was published before its plan, as the coordinator recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_waiver: Option<String>,
    pub content_hash: String,
    /// Unix milliseconds.
    pub published_at: i64,
    pub steps: Vec<VerifiedStep>,
}

/// One step of the chain as it was signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedStep {
    pub title: String,
    pub name: String,
    pub position: String,
    /// `approved` or `returned`.
    pub decision: String,
    pub comment: String,
    /// ISO date written on the signature.
    pub date: Option<String>,
}

impl VerificationRecord {
    /// The record of `report` of `slot`'s track (its round, for a round's report).
    pub fn of(report: &Report, slot: &Slot, published_at: i64, plan_waiver: Option<String>) -> VerificationRecord {
        let c = &report.content;
        let item = report.item();
        let round = slot.round.clone().filter(|_| slot.track.is_some() && report.part == Part::Report);
        VerificationRecord {
            code: verification::code(report),
            agency: c.agency_id.clone(),
            agency_name: c.agency_name.clone(),
            year: c.year,
            item: item.map(|i| i.code.clone()),
            item_title: item.map(|i| i.title.clone()),
            track: slot.track.clone(),
            round_title: round.as_ref().map(|_| c.round_title.clone()).filter(|t| !t.is_empty()),
            round,
            part: report.part,
            plan_waiver,
            content_hash: report.content_hash.clone(),
            published_at,
            steps: c
                .approval_steps
                .iter()
                .zip(report.signatures.iter().chain(std::iter::repeat(&None)))
                .map(|(block, signature)| VerifiedStep {
                    title: block.title.clone(),
                    name: signature.as_ref().map_or_else(|| block.name.clone(), |s| s.name.clone()),
                    position: signature.as_ref().map_or_else(|| block.position.clone(), |s| s.position.clone()),
                    decision: signature.as_ref().map(|s| s.decision.as_str().to_string()).unwrap_or_default(),
                    comment: signature.as_ref().map(|s| s.comment.clone()).unwrap_or_default(),
                    date: signature.as_ref().and_then(|s| s.date).map(|d| d.to_string()),
                })
                .collect(),
        }
    }
}

impl VerificationRecord {
    /// The track and round the record is of.
    pub fn slot(&self) -> Slot {
        Slot::of(self.track.as_deref(), self.round.as_deref())
    }
}

fn key(code: &str) -> String {
    format!("verification/{code}")
}

pub async fn store<D: Database>(db: &D, record: &VerificationRecord) -> Result<(), DbError> {
    db.set_setting(key(&record.code), serde_json::to_string(record).expect("plain data")).await
}

pub async fn load<D: Database>(db: &D, code: &str) -> Result<Option<VerificationRecord>, DbError> {
    Ok(db.setting(key(code)).await?.and_then(|text| serde_json::from_str(&text).ok()))
}

/// The answer of the verification page (its JSON, and what its HTML shows).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verified {
    #[serde(flatten)]
    pub record: VerificationRecord,
    /// The stored documents still give the content hash that was signed.
    pub hash_matches: bool,
    /// This is the agency-year's publication now (not one a later signing replaced).
    pub current: bool,
    /// The published report's addresses, and the wet-signed scan's when one is attached.
    pub pdf: String,
    pub html: String,
    pub scan: Option<String>,
}

async fn page<D: Database>(
    State(app): State<App<D>>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let code = verification::normalize(&code).ok_or(AppError::NotFound)?;
    let record = load(&app.db, &code).await?.ok_or(AppError::NotFound)?;
    let hash_matches = match recently_checked(&code) {
        Some(matches) => matches,
        None => {
            let stored = reports::read_agency_year(&app.db, &record.agency, record.year).await?;
            // A track the year no longer runs cannot give the hash back.
            let matches = stored
                .in_slot(&record.slot())
                .is_ok_and(|view| Report::build_part(&view, record.part).content_hash == record.content_hash);
            remember(&code, matches);
            matches
        }
    };
    let target = Target { slot: record.slot(), part: record.part };
    let published = reports::published_part(&app.db, &record.agency, record.year, &target).await?;
    let current = published.as_ref().is_some_and(|p| p.code.as_deref() == Some(code.as_str()));
    let slug = published.as_ref().map(|p| p.item_slug(record.year)).unwrap_or_default();
    // The scan belongs to the publication that is current; an older code lists none.
    let addresses = PublishedInfo::new(&record.agency, record.year, &slug, published.filter(|_| current));
    let verified =
        Verified { record, hash_matches, current, pdf: addresses.pdf, html: addresses.html, scan: addresses.scan };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    let mut response = if wants_json {
        axum::Json(&verified).into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], render(&verified)).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(REPORT_PAGE_CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// How long a recomputed hash answers for its code: anyone may ask, and each answer reads the
/// agency-year's chunks, so a printed code asked for in a loop costs one read per few seconds.
const CHECK_FRESH_FOR: Duration = Duration::from_secs(5);
/// Codes remembered at once; beyond that the oldest answers are forgotten.
const CHECKS_KEPT: usize = 1024;

static CHECKED: LazyLock<Mutex<HashMap<String, (Instant, bool)>>> = LazyLock::new(Default::default);

fn recently_checked(code: &str) -> Option<bool> {
    let checked = CHECKED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    checked.get(code).filter(|(at, _)| at.elapsed() < CHECK_FRESH_FOR).map(|(_, matches)| *matches)
}

fn remember(code: &str, matches: bool) {
    let mut checked = CHECKED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if checked.len() >= CHECKS_KEPT {
        checked.retain(|_, (at, _)| at.elapsed() < CHECK_FRESH_FOR);
        if checked.len() >= CHECKS_KEPT {
            checked.clear();
        }
    }
    checked.insert(code.to_string(), (Instant::now(), matches));
}

fn thai_date(iso: &str) -> String {
    iso.parse().map(|d| thai::format_date(d, MonthStyle::Full, Digits::Thai)).unwrap_or_else(|_| iso.to_string())
}

/// The page a reader sees: Thai first, no script, nothing loaded from elsewhere.
fn render(v: &Verified) -> String {
    let r = &v.record;
    let year = thai::to_thai_digits(&r.year.to_string());
    let item = match (&r.item, &r.item_title) {
        (Some(code), Some(title)) => format!("{code} {title}"),
        (Some(code), None) => code.clone(),
        _ => String::new(),
    };
    let (verdict_class, verdict) = match (v.hash_matches, v.current) {
        (true, true) => ("ok", "เอกสารตรงกับข้อมูลที่ลงนามในระบบ (Matches what was signed)"),
        (true, false) => {
            ("old", "เอกสารตรงกับข้อมูลที่ลงนาม แต่มีการเผยแพร่ฉบับใหม่แทนแล้ว (Matches, but a newer version was published since)")
        }
        (false, _) => {
            ("changed", "ข้อมูลในระบบเปลี่ยนไปหลังการลงนาม ฉบับนี้ไม่ตรงกับข้อมูลปัจจุบัน (The documents changed after signing)")
        }
    };
    let published = bangkok_date(r.published_at);
    let mut steps = String::new();
    for s in &r.steps {
        let decision = match s.decision.as_str() {
            "approved" => "เห็นชอบ (approved)",
            "returned" => "ส่งกลับแก้ไข (returned)",
            "" => "ยังไม่ลงนาม (not signed)",
            _ => "ความเห็นอื่น (other)",
        };
        let date = s.date.as_deref().map(thai_date).unwrap_or_default();
        steps.push_str(&format!(
            "<tr data-step><td>{}</td><td>{}<br><small>{}</small></td><td>{decision}{}</td><td>{}</td></tr>\n",
            escape(&s.title),
            escape(&s.name),
            escape(&s.position),
            if s.comment.trim().is_empty() {
                String::new()
            } else {
                format!("<br><small>{}</small>", escape(&s.comment))
            },
            escape(&date),
        ));
    }
    let round = r
        .round
        .as_deref()
        .map(|x| {
            let title = r.round_title.as_deref().map(thai::to_official_digits).unwrap_or_else(|| x.to_string());
            format!("<dt>รอบรายงาน</dt><dd data-round=\"{}\">{}</dd>", escape(x), escape(&title))
        })
        .unwrap_or_default();
    let (what_th, what_en) = match r.part {
        Part::Plan => ("แผน", "plan"),
        Part::Report => ("รายงาน", "report"),
    };
    let waiver = r
        .plan_waiver
        .as_deref()
        .map(|reason| format!("<dt>เผยแพร่ก่อนแผน เนื่องจาก</dt><dd data-plan-waiver>{}</dd>", escape(reason)))
        .unwrap_or_default();
    let scan = v
        .scan
        .as_deref()
        .map(|s| format!("<li><a href=\"{0}\">สำเนาบันทึกที่ลงนามด้วยลายมือ (PDF)</a> <small>{0}</small></li>", escape(s)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>ตรวจสอบเอกสาร {code}</title><style>{STYLE}</style></head><body><main>\
<h1>ตรวจสอบเอกสารที่ลงนามในระบบ</h1>\
<p class=\"verdict {verdict_class}\" data-verdict=\"{verdict_class}\">{verdict}</p>\
<dl><dt>รหัสตรวจสอบ</dt><dd><code>{grouped}</code></dd>\
<dt>หน่วยงาน</dt><dd>{agency}</dd><dt>ปีงบประมาณ</dt><dd>พ.ศ. {year}</dd>\
<dt>เอกสาร</dt><dd data-part=\"{part}\">{what_th} ({what_en})</dd>\
<dt>ข้อการประเมิน</dt><dd>{item}</dd>{round}{waiver}\
<dt>เผยแพร่เมื่อ</dt><dd>{published}</dd>\
<dt>ค่าแฮชของเนื้อหา</dt><dd><code>{hash}</code></dd></dl>\
<h2>การลงนาม</h2><table><thead><tr><th>ขั้นตอน</th><th>ผู้ลงนาม</th><th>ความเห็น</th><th>วันที่</th></tr></thead>\
<tbody>{steps}</tbody></table>\
<h2>ไฟล์ที่เผยแพร่</h2><ul><li><a href=\"{pdf}\">{what_th} (PDF)</a></li><li><a href=\"{html}\">{what_th} (หน้าเว็บ)</a></li>{scan}</ul>\
</main></body></html>\n",
        code = escape(&r.code),
        part = r.part.as_str(),
        grouped = escape(&verification::grouped(&r.code)),
        agency = escape(&r.agency_name),
        item = escape(&item),
        hash = escape(&r.content_hash),
        pdf = escape(&v.pdf),
        html = escape(&v.html),
    )
}

/// A Unix-milliseconds instant as a Thai date in Bangkok.
fn bangkok_date(ms: i64) -> String {
    thai::format_date(prongsai_core::Date::from_unix_millis_bangkok(ms), MonthStyle::Full, Digits::Thai)
}

const STYLE: &str = "body{font-family:'Sarabun','Noto Sans Thai',sans-serif;font-size:17px;line-height:1.6;margin:0;background:#f4f4f1;color:#111}\
main{max-width:46rem;margin:0 auto;background:#fff;padding:1.5rem 2rem}\
h1{font-size:1.5rem}dt{font-weight:bold}dd{margin:0 0 .5rem 0;overflow-wrap:anywhere}\
.verdict{padding:.6rem 1rem;border-radius:.4rem;font-weight:bold}.ok{background:#e3f4e6;color:#1b5e20}\
.old{background:#fff5d6;color:#6b4e00}.changed{background:#fde3e3;color:#8a1010}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}";
