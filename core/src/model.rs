//! The typed shape of each Automerge document of an agency-year, mapped with `autosurgeon`.
//!
//! One agency-year is split into documents that each have exactly one group of writers (see
//! ARCHITECTURE.md): [`DirectoryDoc`] (server), [`PlanDoc`] (coordinator), one [`ResultsDoc`] per
//! division (that division's staff and head), [`ReviewDoc`] and [`MemoDoc`] (coordinator) and
//! [`ApprovalsDoc`] (server, on behalf of approvers).
//!
//! Rules every type here follows:
//! - Prose two people may edit at once is [`Text`], so edits merge per character.
//! - Ordered collections are maps from a stable id to an item carrying a `pos` key
//!   ([`crate::position`]); reordering changes `pos`, never deletes and re-inserts.
//! - Fields added after the first release carry `missing = "Default::default"`, and hydration
//!   ignores keys it does not know, so an older device survives a newer app's edits.
//! - Integers are `i64` because JavaScript clients write integers as signed.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, Text};

use crate::calendar::Schedule;

/// The document schema version this build writes. Readers accept any version; a newer one only
/// means there may be keys this build does not know, which it leaves alone.
pub const SCHEMA_VERSION: i64 = 1;

pub type AgencyId = String;
pub type DivisionId = String;
pub type MeasureId = String;
pub type MethodId = String;
pub type StepId = String;
pub type Username = String;
/// A track of the year's ITA form (`integrity`, `anticorruption`, …; `ita::TrackDef::id`).
pub type TrackId = String;
/// A report round of a track (`half`, `annual`, …; `ita::RoundDef::round`).
pub type RoundId = String;

/// The kinds of document an agency-year is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Directory,
    Plan,
    Results,
    Review,
    Memo,
    Approvals,
}

impl DocKind {
    pub const ALL: [DocKind; 6] =
        [DocKind::Directory, DocKind::Plan, DocKind::Results, DocKind::Review, DocKind::Memo, DocKind::Approvals];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Directory => "directory",
            DocKind::Plan => "plan",
            DocKind::Results => "results",
            DocKind::Review => "review",
            DocKind::Memo => "memo",
            DocKind::Approvals => "approvals",
        }
    }

    pub fn parse(text: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Which document of an agency-year: its kind, and for `results` the division.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct DocKey {
    pub kind: DocKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<DivisionId>,
}

impl DocKey {
    pub fn of(kind: DocKind) -> DocKey {
        DocKey { kind, division: None }
    }

    pub fn results(division: &str) -> DocKey {
        DocKey { kind: DocKind::Results, division: Some(division.to_string()) }
    }
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.division {
            Some(d) => write!(f, "{}/{}", self.kind.as_str(), d),
            None => f.write_str(self.kind.as_str()),
        }
    }
}

/// A `Hydrate` impl's `hydrate_found` for a type read with the default `hydrate`: from the value
/// its struct or map already read, without seeking its key again (our autosurgeon patch,
/// vendor/autosurgeon/PATCHED.md; the default re-reads, which is right but slower).
macro_rules! hydrate_found_from_value {
    () => {
        fn hydrate_found<D: autosurgeon::ReadDoc>(
            doc: &D,
            _obj: &automerge::ObjId,
            _prop: autosurgeon::Prop<'_>,
            found: autosurgeon::hydrate::Found<'_>,
        ) -> Result<Self, HydrateError> {
            autosurgeon::hydrate::hydrate_value(doc, found)
        }
    };
}

/// Implements `Hydrate` and `Reconcile` for an enum stored as one string, with an `Other` variant
/// that keeps values written by a newer app instead of failing to read the document.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this build does not know (written by a newer app); kept as is.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            pub fn parse(text: &str) -> $name {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl Hydrate for $name {
            hydrate_found_from_value!();

            fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
                Ok($name::parse(s))
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                Ok($name::parse(&text))
            }
        }
    };
}

string_enum!(
    /// Progress of one division on one measure.
    Status {
        #[default]
        NotStarted => "not_started",
        InProgress => "in_progress",
        Done => "done",
        Blocked => "blocked",
    }
);

impl Status {
    /// The Thai label shown to users.
    pub fn label_th(&self) -> &str {
        match self {
            Status::NotStarted => "ยังไม่เริ่ม",
            Status::InProgress => "กำลังดำเนินการ",
            Status::Done => "ดำเนินการแล้ว",
            Status::Blocked => "ติดปัญหา",
            Status::Other(_) => "สถานะอื่น",
        }
    }
}

string_enum!(
    /// The kind of local government (องค์กรปกครองส่วนท้องถิ่น) or other agency.
    AgencyKind {
        /// องค์การบริหารส่วนตำบล
        Sao => "sao",
        /// เทศบาลตำบล
        SubdistrictMunicipality => "subdistrict_municipality",
        /// เทศบาลเมือง
        TownMunicipality => "town_municipality",
        /// เทศบาลนคร
        CityMunicipality => "city_municipality",
        /// องค์การบริหารส่วนจังหวัด
        Pao => "pao",
        /// Any other public agency.
        #[default]
        Agency => "agency",
    }
);

impl AgencyKind {
    /// The abbreviation used before the place name: "อบต." for อบต.ปากช่อง.
    pub fn abbreviation_th(&self) -> &str {
        match self {
            AgencyKind::Sao => "อบต.",
            AgencyKind::SubdistrictMunicipality | AgencyKind::TownMunicipality | AgencyKind::CityMunicipality => "ทต.",
            AgencyKind::Pao => "อบจ.",
            AgencyKind::Agency | AgencyKind::Other(_) => "",
        }
    }
}

string_enum!(
    /// The coordinator's decision on a division's submitted result.
    ReviewDecisionKind {
        Approved => "approved",
        #[default]
        Returned => "returned",
    }
);

string_enum!(
    /// An approver's decision on the memo.
    SignatureDecision {
        /// เห็นชอบ / ทราบ
        #[default]
        Approved => "approved",
        /// ส่งกลับให้แก้ไข
        Returned => "returned",
    }
);

string_enum!(
    /// Roles a user can hold. The server decides what each may write.
    Role {
        Staff => "staff",
        DivisionHead => "division_head",
        Coordinator => "coordinator",
        Approver => "approver",
        #[default]
        Viewer => "viewer",
        Admin => "admin",
    }
);

/// Implements `Hydrate`/`Reconcile` for [`Schedule`] as its one-scalar code ("1-4").
impl Hydrate for Schedule {
    hydrate_found_from_value!();

    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        // A code this build cannot read is kept as written (flagged) rather than failing the plan.
        Ok(Schedule::read(s))
    }
}

impl Reconcile for Schedule {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_code())
    }
}

// ---------------------------------------------------------------------------------------------
// directory: written only by the server

/// Agency, letterhead, divisions, people and the other documents' URLs.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct DirectoryDoc {
    pub schema: i64,
    pub kind: String,
    pub agency: Agency,
    /// Fiscal year, Buddhist Era.
    pub year: i64,
    pub divisions: BTreeMap<DivisionId, Division>,
    /// Public facts about users, for names in history and signatures. No secrets.
    #[autosurgeon(missing = "Default::default")]
    pub users: BTreeMap<Username, UserInfo>,
    /// Automerge actor id (hex) → who wrote with it, registered by the server at login.
    #[autosurgeon(missing = "Default::default")]
    pub actors: BTreeMap<String, ActorInfo>,
    /// The memo's approval chain, in order of `pos`.
    #[autosurgeon(missing = "Default::default")]
    pub approval_steps: BTreeMap<StepId, ApprovalStep>,
    pub documents: DocumentUrls,
    /// The ITA criteria this agency-year is printed under (JSON of `ita::Criteria`, the years it
    /// needs, without their sources), written by the server so a device offline prints the
    /// right headings even when its build predates them.
    #[autosurgeon(missing = "Default::default")]
    pub criteria: String,
    /// `ita::version_hash` of `criteria`.
    #[autosurgeon(missing = "Default::default")]
    pub criteria_version: String,
    /// Which form the agency answers (`local`); empty means local.
    #[autosurgeon(missing = "Default::default")]
    pub criteria_form: String,
    /// The reports published for this year, by the OIT item they answer ("O43"): written by
    /// the server when it publishes, so the ITAS sheet fills their addresses in, offline too.
    #[autosurgeon(missing = "Default::default")]
    pub publications: BTreeMap<String, PublishedItem>,
    /// The tracks this year runs besides the integrity measures (which are at the documents'
    /// top-level keys, as before tracks), added by the coordinator from the year's criteria.
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackEntry>,
}

/// A track the agency runs this year.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackEntry {
    pub pos: String,
    /// Its title as the year's criteria named it when it was added.
    pub title: String,
    /// Unix milliseconds, and who added it.
    pub added_at: i64,
    #[autosurgeon(missing = "Default::default")]
    pub added_by: Username,
    /// Its report rounds, in order of `pos`, each with the date its results are cut off.
    #[autosurgeon(missing = "Default::default")]
    pub rounds: BTreeMap<RoundId, RoundEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct RoundEntry {
    pub pos: String,
    /// The round's title ("รอบ ๖ เดือน").
    #[autosurgeon(missing = "Default::default")]
    pub title: String,
    /// ISO date after which the round's results are its report's.
    #[autosurgeon(missing = "Default::default")]
    pub cutoff: Option<String>,
}

/// A report the server published, as the directory records it.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct PublishedItem {
    /// The public address of its PDF.
    pub url: String,
    /// Unix milliseconds.
    pub published_at: i64,
    /// The verification code it prints.
    #[autosurgeon(missing = "Default::default")]
    pub code: String,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Agency {
    pub id: AgencyId,
    /// "องค์การบริหารส่วนตำบลปากช่อง"
    pub name: String,
    /// "อบต.ปากช่อง"
    pub short_name: String,
    pub kind: AgencyKind,
    #[autosurgeon(missing = "Default::default")]
    pub subdistrict: String,
    pub district: String,
    pub province: String,
    #[autosurgeon(missing = "Default::default")]
    pub phone: String,
    #[autosurgeon(missing = "Default::default")]
    pub website: String,
    pub letterhead: Letterhead,
    /// The office's postal address, for the letterhead.
    #[autosurgeon(missing = "Default::default")]
    pub address: String,
}

/// What the memo's header repeats every year.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Letterhead {
    /// ส่วนราชการ: "สำนักปลัดองค์การบริหารส่วนตำบลปากช่อง"
    pub department: String,
    /// The fixed part of ที่: "รบ 72101" (the memo adds "/-" or a running number).
    pub reference_prefix: String,
    /// Words the report must never break across lines: names, abbreviations (อบต., ปากช่อง).
    #[autosurgeon(missing = "Default::default")]
    pub glossary: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Division {
    /// Canonical name: "สำนักปลัด".
    pub name: String,
    /// Other spellings that mean this division: "สำนักงานปลัด" (and its names before a rename).
    pub aliases: Vec<String>,
    pub pos: String,
    /// No longer offered for new assignments; its documents stay readable.
    #[autosurgeon(missing = "Default::default")]
    pub retired: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct UserInfo {
    pub display_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub position: String,
    #[autosurgeon(missing = "Default::default")]
    pub division: Option<DivisionId>,
    #[autosurgeon(missing = "Default::default")]
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ActorInfo {
    pub username: Username,
    #[autosurgeon(missing = "Default::default")]
    pub device: String,
    /// Unix milliseconds when the server issued this actor id.
    #[autosurgeon(missing = "Default::default")]
    pub issued_at: i64,
}

/// One step of the approval chain, e.g. ความเห็นหัวหน้าสำนักปลัด. The chain is data.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ApprovalStep {
    pub pos: String,
    /// Heading of the comment block: "ความเห็นหัวหน้าสำนักปลัด".
    pub title: String,
    /// Name as printed: "นางสาวปาริชาติ กิตติศิลป์สาร".
    pub name: String,
    /// Position as printed: "หัวหน้าสำนักปลัด".
    pub position: String,
    /// The user who may sign this step.
    #[autosurgeon(missing = "Default::default")]
    pub approver: Option<Username>,
}

/// `automerge:` URLs of the agency-year's documents.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct DocumentUrls {
    pub plan: String,
    pub review: String,
    pub memo: String,
    pub approvals: String,
    pub results: BTreeMap<DivisionId, String>,
}

// ---------------------------------------------------------------------------------------------
// plan: written by the coordinator

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct PlanDoc {
    pub schema: i64,
    pub kind: String,
    pub agency: AgencyId,
    pub year: i64,
    pub measures: BTreeMap<MeasureId, Measure>,
    /// OIT item code ("O43") → the agency's answer for ITAS.
    #[autosurgeon(missing = "Default::default")]
    pub itas: BTreeMap<String, ItasAnswer>,
    /// The plans of the year's other tracks (the integrity track's is `measures`).
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackPlan>,
}

/// A track's plan: its measures (or projects), as the integrity track's.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackPlan {
    #[autosurgeon(missing = "Default::default")]
    pub measures: BTreeMap<MeasureId, Measure>,
}

/// มาตรการ/แนวทาง: one row of the report table. Its number is its place in the plan's order.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Measure {
    pub pos: String,
    pub title: Text,
    /// วิธีดำเนินการ, ordered by `pos`.
    pub methods: BTreeMap<MethodId, Method>,
    /// ผู้รับผิดชอบ: the divisions responsible, numbered in the directory's division order.
    pub responsible: BTreeMap<DivisionId, bool>,
    /// ระยะเวลาดำเนินงาน
    pub schedule: Schedule,
    /// ผลการดำเนินงาน as published: the coordinator's text, prefilled from approved results.
    pub published_result: Text,
    /// ข้อเสนอ
    pub suggestion: Text,
    /// The measure of last year this one continues (set when a year is started from the one
    /// before), with that year's ข้อเสนอ: this year's input.
    #[autosurgeon(missing = "Default::default")]
    pub continues: Option<Continued>,
    /// งบประมาณ, in satang, where the track's plan has a budget column.
    #[autosurgeon(missing = "Default::default")]
    pub budget: Option<i64>,
    /// ตัวชี้วัด/ค่าเป้าหมาย, where the track's plan has an indicator column.
    #[autosurgeon(missing = "Default::default")]
    pub indicator: Option<Text>,
}

/// Where a measure came from when its year was started from the year before.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Continued {
    /// Fiscal year, BE.
    pub year: i64,
    pub measure: MeasureId,
    /// That measure's ข้อเสนอ as it stood when the year was started.
    pub suggestion: String,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Method {
    pub pos: String,
    pub text: Text,
}

/// What the agency answers in ITAS for one OIT item.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ItasAnswer {
    /// มี (true) / ไม่มี (false)
    pub available: bool,
    pub url: String,
    /// Where to click, in a sentence or two.
    pub explanation: Text,
}

// ---------------------------------------------------------------------------------------------
// results/{division}: written by that division's staff and head

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ResultsDoc {
    pub schema: i64,
    pub kind: String,
    pub agency: AgencyId,
    pub year: i64,
    pub division: DivisionId,
    pub results: BTreeMap<MeasureId, DivisionResult>,
    /// This division's results in the year's other tracks, per report round.
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackResults>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackResults {
    #[autosurgeon(missing = "Default::default")]
    pub rounds: BTreeMap<RoundId, RoundResults>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct RoundResults {
    #[autosurgeon(missing = "Default::default")]
    pub results: BTreeMap<MeasureId, DivisionResult>,
}

/// What one division did for one measure.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct DivisionResult {
    pub status: Status,
    pub text: Text,
    #[autosurgeon(missing = "Default::default")]
    pub percent: Option<i64>,
    #[autosurgeon(missing = "Default::default")]
    pub evidence: BTreeMap<String, Evidence>,
    #[autosurgeon(missing = "Default::default")]
    pub updated_by: Username,
    /// Unix milliseconds.
    #[autosurgeon(missing = "Default::default")]
    pub updated_at: i64,
    #[autosurgeon(missing = "Default::default")]
    pub submission: Option<Submission>,
}

/// Evidence: a file stored as a content-addressed blob, or a link.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Evidence {
    pub pos: String,
    /// Hex SHA-256 of the blob, when the evidence is a file.
    #[autosurgeon(missing = "Default::default")]
    pub sha256: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub file_name: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub media_type: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub size: Option<i64>,
    /// A link, when the evidence is a post on the website or Facebook page.
    #[autosurgeon(missing = "Default::default")]
    pub url: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    pub caption: String,
    #[autosurgeon(missing = "Default::default")]
    pub added_by: Username,
    #[autosurgeon(missing = "Default::default")]
    pub added_at: i64,
}

/// A division's "please review": who, when, and the content hash of what they submitted.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Submission {
    pub by: Username,
    pub at: i64,
    pub content_hash: String,
}

// ---------------------------------------------------------------------------------------------
// review: written by the coordinator

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ReviewDoc {
    pub schema: i64,
    pub kind: String,
    pub agency: AgencyId,
    pub year: i64,
    /// Keyed by [`review_key`] of (measure, division).
    pub decisions: BTreeMap<String, ReviewDecision>,
    /// The review of the year's other tracks, per report round.
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackReview>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackReview {
    #[autosurgeon(missing = "Default::default")]
    pub rounds: BTreeMap<RoundId, RoundReview>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct RoundReview {
    #[autosurgeon(missing = "Default::default")]
    pub decisions: BTreeMap<String, ReviewDecision>,
    /// The coordinator's ผลการดำเนินงาน of a project for this round's report, where she writes
    /// one (else the report prints what each division reported).
    #[autosurgeon(missing = "Default::default")]
    pub published: BTreeMap<MeasureId, Text>,
}

/// The key of a (measure, division) pair in [`ReviewDoc::decisions`].
pub fn review_key(measure: &str, division: &str) -> String {
    format!("{measure}/{division}")
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ReviewDecision {
    pub decision: ReviewDecisionKind,
    pub comment: String,
    /// The content hash of the result that was decided on.
    pub content_hash: String,
    pub by: Username,
    pub at: i64,
}

// ---------------------------------------------------------------------------------------------
// memo: written by the coordinator

/// บันทึกข้อความ: header, body and proposals. The approval blocks come from the directory's
/// chain and the approvals document.
#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct MemoDoc {
    #[autosurgeon(missing = "Default::default")]
    pub schema: i64,
    #[autosurgeon(missing = "Default::default")]
    pub kind: String,
    #[autosurgeon(missing = "Default::default")]
    pub agency: AgencyId,
    #[autosurgeon(missing = "Default::default")]
    pub year: i64,
    /// ส่วนราชการ
    #[autosurgeon(missing = "Default::default")]
    pub department: Text,
    /// ที่: "รบ 72101/-"
    #[autosurgeon(missing = "Default::default")]
    pub reference: String,
    /// วันที่, ISO.
    #[autosurgeon(missing = "Default::default")]
    pub date: Option<String>,
    /// เรื่อง
    #[autosurgeon(missing = "Default::default")]
    pub subject: Text,
    /// เรียน
    #[autosurgeon(missing = "Default::default")]
    pub addressee: Text,
    /// เรื่องเดิม
    #[autosurgeon(missing = "Default::default")]
    pub background: Text,
    /// Last year's ITA result, quoted in เรื่องเดิม.
    #[autosurgeon(missing = "Default::default")]
    pub previous_assessment: Option<PreviousAssessment>,
    /// ข้อเท็จจริง
    #[autosurgeon(missing = "Default::default")]
    pub facts: Text,
    /// The heading above the report table.
    #[autosurgeon(missing = "Default::default")]
    pub report_title: Text,
    /// The paragraph under the heading ("ตามที่ได้ดำเนินการการวิเคราะห์ผลการประเมิน ITA …").
    #[autosurgeon(missing = "Default::default")]
    pub report_intro: Text,
    /// The sentence just above the table ("… ได้กำหนดมาตรการ/แนวทาง เพิ่มเติม …").
    #[autosurgeon(missing = "Default::default")]
    pub table_lead: Text,
    /// The sentence opening ข้อเสนอเพื่อพิจารณา.
    #[autosurgeon(missing = "Default::default")]
    pub proposals_intro: Text,
    /// ข้อเสนอเพื่อพิจารณา, numbered in `pos` order.
    #[autosurgeon(missing = "Default::default")]
    pub proposals: BTreeMap<String, Proposal>,
    /// "จึงเรียนมาเพื่อโปรดทราบและพิจารณาดำเนินการต่อไป"
    #[autosurgeon(missing = "Default::default")]
    pub closing: Text,
    #[autosurgeon(missing = "Default::default")]
    pub drafter_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub drafter_position: String,
    /// The memos of the year's other tracks, one per report round: the same fields, each one
    /// written only where the coordinator wrote it (see `AgencyYear::in_slot` for what a round's
    /// memo takes from the integrity measures' memo).
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackMemo>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackMemo {
    /// Round id → that round's report memo.
    #[autosurgeon(missing = "Default::default")]
    pub rounds: BTreeMap<RoundId, MemoDoc>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct PreviousAssessment {
    /// Assessment year, BE.
    pub year: i64,
    /// Score ×100: 9521 for 95.21.
    pub score_hundredths: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Proposal {
    pub pos: String,
    pub text: Text,
}

// ---------------------------------------------------------------------------------------------
// approvals: written only by the server, when an approver signs through the API

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct ApprovalsDoc {
    pub schema: i64,
    pub kind: String,
    pub agency: AgencyId,
    pub year: i64,
    /// Step id → the latest signature of that step.
    pub signatures: BTreeMap<StepId, Signature>,
    /// The plan's own chain (the same steps, signing the plan's content) and, when the coordinator
    /// recorded one, why the report may be published before the plan.
    #[autosurgeon(missing = "Default::default")]
    pub plan: PlanApprovals,
    /// The chains of the year's other tracks: each one's plan and each report round.
    #[autosurgeon(missing = "Default::default")]
    pub tracks: BTreeMap<TrackId, TrackApprovals>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct TrackApprovals {
    #[autosurgeon(missing = "Default::default")]
    pub plan: PlanApprovals,
    #[autosurgeon(missing = "Default::default")]
    pub rounds: BTreeMap<RoundId, RoundApprovals>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct RoundApprovals {
    /// Step id → the latest signature of that step on the round's report.
    #[autosurgeon(missing = "Default::default")]
    pub signatures: BTreeMap<StepId, Signature>,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct PlanApprovals {
    /// Step id → the latest signature of that step on the plan.
    #[autosurgeon(missing = "Default::default")]
    pub signatures: BTreeMap<StepId, Signature>,
    #[autosurgeon(missing = "Default::default")]
    pub waiver: Option<PlanWaiver>,
}

/// The coordinator's reason for publishing the report before its plan is published.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hydrate, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct PlanWaiver {
    pub reason: String,
    pub by: Username,
    /// Unix milliseconds when the server recorded it.
    pub at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Hydrate, Reconcile)]
pub struct Signature {
    pub decision: SignatureDecision,
    pub comment: String,
    pub signer: Username,
    /// Name and position as printed under the signature.
    pub name: String,
    pub position: String,
    /// The date written on the signature, ISO.
    pub date: String,
    /// Unix milliseconds when the server recorded it.
    pub signed_at: i64,
    /// Hash of the report model that was signed; see [`crate::report_model`].
    pub report_hash: String,
}
