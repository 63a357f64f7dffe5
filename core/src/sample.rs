//! The sample agency: อบต.ปากช่อง's O43 report for 2565, typed in from the seed
//! (`core/fixtures/pakchong-2565.json`, corrections listed in `core/fixtures/CORRECTIONS.md`), and
//! how to turn such a fixture into an agency-year's typed documents.

use std::collections::BTreeMap;

use automerge::Automerge;

use crate::calendar::Schedule;
use crate::divisions;
use crate::docs::{CommitMeta, DocError, create};
use crate::model::*;
use crate::position;

/// An agency-year as a fixture file describes it.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct AgencyFixture {
    pub agency: AgencyRecord,
    pub year: i64,
    pub divisions: Vec<DivisionRecord>,
    pub measures: Vec<MeasureRecord>,
    pub memo: MemoRecord,
    pub approval_chain: Vec<StepRecord>,
    pub accounts: Vec<AccountRecord>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct AgencyRecord {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub kind: AgencyKind,
    #[serde(default)]
    pub subdistrict: String,
    pub district: String,
    pub province: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub address: String,
    pub letterhead: LetterheadRecord,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct LetterheadRecord {
    pub department: String,
    pub reference_prefix: String,
    #[serde(default)]
    pub glossary: Vec<String>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct DivisionRecord {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub retired: bool,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct MeasureRecord {
    pub id: String,
    pub title: String,
    pub methods: Vec<String>,
    /// Division names as written; resolved through the division list and its aliases.
    pub responsible: Vec<String>,
    /// As written: "ไตรมาสที่ ๑ - ๔".
    pub schedule: String,
    #[serde(default)]
    pub published_result: String,
    #[serde(default)]
    pub suggestion: String,
    /// The measure of the year before that this one continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<ContinuedRecord>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ContinuedRecord {
    pub year: i64,
    pub measure: String,
    #[serde(default)]
    pub suggestion: String,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct MemoRecord {
    pub department: String,
    pub reference: String,
    pub date: Option<String>,
    pub subject: String,
    pub addressee: String,
    pub background: String,
    pub previous_assessment: Option<PreviousAssessmentRecord>,
    pub facts: String,
    pub report_title: String,
    pub report_intro: String,
    pub table_lead: String,
    pub proposals_intro: String,
    pub proposals: Vec<String>,
    pub closing: String,
    pub drafter_name: String,
    pub drafter_position: String,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct PreviousAssessmentRecord {
    pub year: i64,
    pub score_hundredths: i64,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct StepRecord {
    pub id: String,
    pub title: String,
    pub name: String,
    pub position: String,
    pub approver: Option<String>,
    /// The comment the seed shows for this step, for tests and demos that sign.
    #[serde(default)]
    pub seed_comment: String,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct AccountRecord {
    pub username: String,
    pub display_name: String,
    pub position: String,
    pub roles: Vec<Role>,
    pub division: Option<String>,
}

/// The typed documents of one agency-year, before they become Automerge documents.
#[derive(Clone, Debug)]
pub struct TypedDocuments {
    /// Its `documents` URLs are empty until the caller has created the other documents.
    pub directory: DirectoryDoc,
    pub plan: PlanDoc,
    pub results: BTreeMap<DivisionId, ResultsDoc>,
    pub review: ReviewDoc,
    pub memo: MemoDoc,
    pub approvals: ApprovalsDoc,
}

/// The same documents as Automerge documents, for tests and tools that run without a server.
#[derive(Clone, Debug)]
pub struct AutomergeDocuments {
    pub directory: Automerge,
    pub plan: Automerge,
    pub results: BTreeMap<DivisionId, Automerge>,
    pub review: Automerge,
    pub memo: Automerge,
    pub approvals: Automerge,
}

impl AutomergeDocuments {
    /// Every document with its key.
    pub fn iter(&self) -> impl Iterator<Item = (DocKey, &Automerge)> {
        [
            (DocKey::of(DocKind::Directory), &self.directory),
            (DocKey::of(DocKind::Plan), &self.plan),
            (DocKey::of(DocKind::Review), &self.review),
            (DocKey::of(DocKind::Memo), &self.memo),
            (DocKey::of(DocKind::Approvals), &self.approvals),
        ]
        .into_iter()
        .chain(self.results.iter().map(|(d, doc)| (DocKey::results(d), doc)))
    }
}

impl AutomergeDocuments {
    /// The document a key names.
    pub fn get_mut(&mut self, key: &DocKey) -> Option<&mut Automerge> {
        match (key.kind, key.division.as_deref()) {
            (DocKind::Directory, _) => Some(&mut self.directory),
            (DocKind::Plan, _) => Some(&mut self.plan),
            (DocKind::Review, _) => Some(&mut self.review),
            (DocKind::Memo, _) => Some(&mut self.memo),
            (DocKind::Approvals, _) => Some(&mut self.approvals),
            (DocKind::Results, Some(d)) => self.results.get_mut(d),
            (DocKind::Results, None) => None,
        }
    }

    /// Applies a batch of edits to the document they write, as a device does.
    pub fn apply(&mut self, edits: &[crate::edit::Edit], meta: &CommitMeta) -> Result<(), DocError> {
        let key = crate::edit::batch_document(edits)?;
        let doc = self.get_mut(&key).ok_or_else(|| DocError::Invalid(format!("no document {key:?}")))?;
        crate::docs::edit(doc, meta, |tx| crate::edit::apply(tx, edits, meta))
    }

    /// Adds a track of the year's criteria to the directory, as the server does.
    pub fn add_track(&mut self, track: &str, meta: &CommitMeta) -> Result<(), DocError> {
        let year = crate::AgencyYear::from_documents(self.iter())?;
        let items = year
            .criteria()
            .resolve_track(year.fiscal_year(), year.form(), track)
            .ok_or_else(|| DocError::Invalid(format!("the year's criteria have no track {track:?}")))?;
        let entry = crate::tracks::entry_for(&items, year.fiscal_year(), meta.time_ms, &meta.user);
        crate::docs::edit(&mut self.directory, meta, |tx| crate::docs::directory::add_track(tx, track, &entry))
    }
}

/// The sample year with the anti-corruption action plan (แผนปฏิบัติการป้องกันการทุจริต) as a
/// second track: two projects with budget and indicator, and what สำนักปลัด reported on the
/// first in the half-year round. What tests of tracks start from.
pub fn pakchong_2565_with_anticorruption(meta: &CommitMeta) -> Result<AutomergeDocuments, FixtureError> {
    use crate::edit::Edit;
    let mut docs = pakchong_2565().typed_documents(meta.time_ms)?.into_automerge(meta, |_| String::new())?;
    let track = "anticorruption";
    docs.add_track(track, meta)?;
    let slot = |round: Option<&str>| crate::tracks::Slot::of(Some(track), round);
    let project = |id: &str, index: usize, title: &str, budget: i64, indicator: &str, method: &str| {
        vec![
            Edit::AddMeasure { id: id.into(), index, title: title.into() },
            Edit::AddMethod { measure: id.into(), id: format!("{id}-1"), index: 0, text: method.into() },
            Edit::SetResponsible { measure: id.into(), division: "palad".into(), responsible: true },
            Edit::SetSchedule { measure: id.into(), schedule: "1-4".into() },
            Edit::SetBudget { measure: id.into(), satang: Some(budget) },
            Edit::SetIndicator { measure: id.into(), text: indicator.into() },
        ]
    };
    let mut plan = project(
        "ac1",
        0,
        "โครงการอบรมส่งเสริมคุณธรรมและจริยธรรมแก่บุคลากร",
        2_500_000,
        "ผู้เข้ารับการอบรมไม่น้อยกว่าร้อยละ 80",
        "จัดอบรมบุคลากรทุกส่วนราชการ ปีละ 1 ครั้ง",
    );
    plan.extend(project(
        "ac2",
        1,
        "กิจกรรมเผยแพร่ข้อมูลการจัดซื้อจัดจ้างทางเว็บไซต์",
        0,
        "เผยแพร่ครบทุกเดือน",
        "ประกาศผลการจัดซื้อจัดจ้างทุกเดือน",
    ));
    docs.apply(&[Edit::InTrack { slot: slot(None), edits: plan }], meta)?;
    let half = vec![
        Edit::SetResultText {
            division: "palad".into(),
            measure: "ac1".into(),
            text: "จัดอบรมแล้ว 1 รุ่น ผู้เข้าอบรม 45 คน".into(),
        },
        Edit::SetStatus { division: "palad".into(), measure: "ac1".into(), status: Status::InProgress },
    ];
    docs.apply(&[Edit::InTrack { slot: slot(Some("half")), edits: half }], meta)?;
    // The half round's memo: its date, what happened and what it proposes; the office, the
    // addressee and the drafter are the integrity memo's.
    let memo = vec![
        Edit::SetMemoDate { date: Some(crate::calendar::Date::new(2022, 4, 8).expect("a date")) },
        Edit::SetMemoField {
            field: crate::docs::MemoField::Facts,
            text: "ครบรอบ 6 เดือนของแผนปฏิบัติการป้องกันการทุจริต ประจำปีงบประมาณ พ.ศ. 2565 แล้ว \
                   สำนักปลัดได้รวบรวมผลการดำเนินงานตามโครงการ/กิจกรรมของแผน ดังรายงานต่อไปนี้"
                .into(),
        },
        Edit::AddProposal {
            id: "h1".into(),
            index: 0,
            text: "เห็นควรเผยแพร่รายงานนี้ทางเว็บไซต์ขององค์การบริหารส่วนตำบลปากช่อง".into(),
        },
    ];
    docs.apply(&[Edit::InTrack { slot: slot(Some("half")), edits: memo }], meta)?;
    Ok(docs)
}

/// Why a fixture could not become documents.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("measure {measure}: no division is called {name:?}")]
    UnknownDivision { measure: String, name: String },
    #[error("memo date: {0}")]
    Date(#[from] crate::calendar::IsoDateError),
    #[error(transparent)]
    Doc(#[from] DocError),
}

/// อบต.ปากช่อง, 2565.
pub fn pakchong_2565() -> AgencyFixture {
    serde_json::from_str(include_str!("../fixtures/pakchong-2565.json"))
        .expect("core/fixtures/pakchong-2565.json is checked by the fixture tests")
}

impl AgencyFixture {
    pub fn parse(json: &str) -> Result<AgencyFixture, FixtureError> {
        Ok(serde_json::from_str(json)?)
    }

    fn head(&self, kind: DocKind) -> (i64, String, AgencyId, i64) {
        (SCHEMA_VERSION, kind.as_str().to_string(), self.agency.id.clone(), self.year)
    }

    /// The agency-year's documents as typed values. Every responsible division gets an empty
    /// result entry for each of its measures, so that two devices of one division never create the
    /// same result concurrently for the plan they start from.
    pub fn typed_documents(&self, created_at_ms: i64) -> Result<TypedDocuments, FixtureError> {
        let profile = crate::profile::AgencyProfile::from_fixture(self);
        let divisions = profile.directory_divisions();

        let mut measures = BTreeMap::new();
        let mut results: BTreeMap<DivisionId, ResultsDoc> = BTreeMap::new();
        for division in &self.divisions {
            let (schema, kind, agency, year) = self.head(DocKind::Results);
            results.insert(
                division.id.clone(),
                ResultsDoc {
                    schema,
                    kind,
                    agency,
                    year,
                    division: division.id.clone(),
                    results: BTreeMap::new(),
                    tracks: BTreeMap::new(),
                },
            );
        }
        for (record, pos) in self.measures.iter().zip(position::spread(self.measures.len())) {
            let mut responsible = BTreeMap::new();
            for name in &record.responsible {
                let id = divisions::resolve(divisions.iter(), name)
                    .ok_or_else(|| FixtureError::UnknownDivision { measure: record.id.clone(), name: name.clone() })?;
                responsible.insert(id.clone(), true);
                let fresh = DivisionResult { updated_at: created_at_ms, ..DivisionResult::default() };
                if let Some(doc) = results.get_mut(&id) {
                    doc.results.insert(record.id.clone(), fresh);
                }
            }
            let methods = record
                .methods
                .iter()
                .zip(position::spread(record.methods.len()))
                .enumerate()
                .map(|(i, (text, pos))| {
                    (format!("{}-{}", record.id, i + 1), Method { pos, text: text.as_str().into() })
                })
                .collect();
            let schedule = Schedule::read(&record.schedule);
            measures.insert(
                record.id.clone(),
                Measure {
                    pos,
                    title: record.title.as_str().into(),
                    methods,
                    responsible,
                    schedule,
                    published_result: record.published_result.as_str().into(),
                    suggestion: record.suggestion.as_str().into(),
                    continues: record.continues.as_ref().map(|c| Continued {
                        year: c.year,
                        measure: c.measure.clone(),
                        suggestion: c.suggestion.clone(),
                    }),
                    budget: None,
                    indicator: None,
                },
            );
        }

        let memo_record = &self.memo;
        if let Some(date) = &memo_record.date {
            date.parse::<crate::calendar::Date>()?;
        }
        let (schema, kind, agency, year) = self.head(DocKind::Memo);
        let memo = MemoDoc {
            schema,
            kind,
            agency,
            year,
            department: memo_record.department.as_str().into(),
            reference: memo_record.reference.clone(),
            date: memo_record.date.clone(),
            subject: memo_record.subject.as_str().into(),
            addressee: memo_record.addressee.as_str().into(),
            background: memo_record.background.as_str().into(),
            previous_assessment: memo_record
                .previous_assessment
                .as_ref()
                .map(|p| PreviousAssessment { year: p.year, score_hundredths: p.score_hundredths }),
            facts: memo_record.facts.as_str().into(),
            report_title: memo_record.report_title.as_str().into(),
            report_intro: memo_record.report_intro.as_str().into(),
            table_lead: memo_record.table_lead.as_str().into(),
            proposals_intro: memo_record.proposals_intro.as_str().into(),
            proposals: memo_record
                .proposals
                .iter()
                .zip(position::spread(memo_record.proposals.len()))
                .enumerate()
                .map(|(i, (text, pos))| (format!("p{}", i + 1), Proposal { pos, text: text.as_str().into() }))
                .collect(),
            closing: memo_record.closing.as_str().into(),
            drafter_name: memo_record.drafter_name.clone(),
            drafter_position: memo_record.drafter_position.clone(),
            tracks: BTreeMap::new(),
        };

        let users = self
            .accounts
            .iter()
            .map(|a| {
                (
                    a.username.clone(),
                    UserInfo {
                        display_name: a.display_name.clone(),
                        position: a.position.clone(),
                        division: a.division.clone(),
                        roles: a.roles.clone(),
                    },
                )
            })
            .collect();
        let (schema, kind, _, year) = self.head(DocKind::Directory);
        let directory = DirectoryDoc {
            schema,
            kind,
            agency: profile.agency(),
            year,
            divisions,
            users,
            actors: BTreeMap::new(),
            approval_steps: profile.directory_steps(),
            documents: DocumentUrls::default(),
            // The server writes the criteria the year prints under.
            criteria: String::new(),
            criteria_version: String::new(),
            criteria_form: String::new(),
            publications: BTreeMap::new(),
            tracks: BTreeMap::new(),
        };
        let (schema, kind, agency, year) = self.head(DocKind::Plan);
        let plan = PlanDoc { schema, kind, agency, year, measures, itas: BTreeMap::new(), tracks: BTreeMap::new() };
        let (schema, kind, agency, year) = self.head(DocKind::Review);
        let review = ReviewDoc { schema, kind, agency, year, decisions: BTreeMap::new(), tracks: BTreeMap::new() };
        let (schema, kind, agency, year) = self.head(DocKind::Approvals);
        let approvals = ApprovalsDoc {
            schema,
            kind,
            agency,
            year,
            signatures: BTreeMap::new(),
            plan: Default::default(),
            tracks: BTreeMap::new(),
        };
        Ok(TypedDocuments { directory, plan, results, review, memo, approvals })
    }
}

impl TypedDocuments {
    /// The agency-year as a device sees it once every document is loaded (no conflicts).
    pub fn into_agency_year(self) -> crate::AgencyYear {
        crate::AgencyYear {
            directory: self.directory,
            plan: self.plan,
            results: self.results,
            review: self.review,
            memo: self.memo,
            approvals: self.approvals,
            conflicts: Default::default(),
            slot: Default::default(),
            carried: Default::default(),
        }
    }

    /// Creates the Automerge documents; `url` names each non-directory document for the
    /// directory's list (a server passes the ids it registered).
    pub fn into_automerge(
        mut self,
        meta: &CommitMeta,
        mut url: impl FnMut(&DocKey) -> String,
    ) -> Result<AutomergeDocuments, DocError> {
        let plan = create(&self.plan, meta)?;
        let review = create(&self.review, meta)?;
        let memo = create(&self.memo, meta)?;
        let approvals = create(&self.approvals, meta)?;
        let mut results = BTreeMap::new();
        for (division, doc) in &self.results {
            results.insert(division.clone(), create(doc, meta)?);
        }
        self.directory.documents = DocumentUrls {
            plan: url(&DocKey::of(DocKind::Plan)),
            review: url(&DocKey::of(DocKind::Review)),
            memo: url(&DocKey::of(DocKind::Memo)),
            approvals: url(&DocKey::of(DocKind::Approvals)),
            results: self.results.keys().map(|d| (d.clone(), url(&DocKey::results(d)))).collect(),
        };
        let directory = create(&self.directory, meta)?;
        Ok(AutomergeDocuments { directory, plan, results, review, memo, approvals })
    }
}
