//! An agency-year: its documents read into the typed model, with their conflicts.
//!
//! Documents arrive one at a time (a device syncs them in any order), so [`AgencyYear::load`]
//! replaces one part and keeps the rest; a document not yet loaded reads as empty.

use std::collections::BTreeMap;

use automerge::Automerge;

use crate::conflicts::{Conflict, find_conflicts};
use crate::docs::{DocError, read};
use crate::model::*;
use crate::position;

#[derive(Clone, Debug, Default)]
pub struct AgencyYear {
    pub directory: DirectoryDoc,
    pub plan: PlanDoc,
    pub results: BTreeMap<DivisionId, ResultsDoc>,
    pub review: ReviewDoc,
    pub memo: MemoDoc,
    pub approvals: ApprovalsDoc,
    /// Conflicts per document.
    pub conflicts: BTreeMap<DocKey, Vec<Conflict>>,
}

impl AgencyYear {
    /// Reads one document into its part of the agency-year.
    pub fn load(&mut self, key: &DocKey, doc: &Automerge) -> Result<(), DocError> {
        match key.kind {
            DocKind::Directory => self.directory = read(doc)?,
            DocKind::Plan => self.plan = read(doc)?,
            DocKind::Review => self.review = read(doc)?,
            DocKind::Memo => self.memo = read(doc)?,
            DocKind::Approvals => self.approvals = read(doc)?,
            DocKind::Results => {
                let division = key
                    .division
                    .clone()
                    .ok_or_else(|| DocError::Invalid("a results document needs its division".into()))?;
                self.results.insert(division, read(doc)?);
            }
        }
        self.conflicts.insert(key.clone(), find_conflicts(doc, key));
        Ok(())
    }

    /// Reads every document of an agency-year at once.
    pub fn from_documents<'a>(
        documents: impl IntoIterator<Item = (DocKey, &'a Automerge)>,
    ) -> Result<AgencyYear, DocError> {
        let mut year = AgencyYear::default();
        for (key, doc) in documents {
            year.load(&key, doc)?;
        }
        Ok(year)
    }

    /// The highest schema version among the loaded documents: above [`SCHEMA_VERSION`] means a
    /// newer release wrote them, and this build must not write into them.
    pub fn newest_schema(&self) -> i64 {
        [self.directory.schema, self.plan.schema, self.review.schema, self.memo.schema, self.approvals.schema]
            .into_iter()
            .chain(self.results.values().map(|r| r.schema))
            .max()
            .unwrap_or(SCHEMA_VERSION)
    }

    /// The fiscal year (BE) the documents are for.
    pub fn fiscal_year(&self) -> i64 {
        if self.directory.year != 0 { self.directory.year } else { self.plan.year }
    }

    /// The form the agency answers.
    pub fn form(&self) -> &str {
        if self.directory.criteria_form.is_empty() { crate::ita::LOCAL_FORM } else { &self.directory.criteria_form }
    }

    /// The ITA criteria this agency-year prints under: the build's, with the years the server
    /// wrote into the directory taking precedence (they may be newer than the build).
    pub fn criteria(&self) -> std::borrow::Cow<'static, crate::ita::ReferenceData> {
        let builtin = crate::ita::ReferenceData::builtin();
        match serde_json::from_str::<Vec<crate::ita::Criteria>>(&self.directory.criteria) {
            Ok(from_server) if !from_server.is_empty() => std::borrow::Cow::Owned(builtin.with(from_server)),
            _ => std::borrow::Cow::Borrowed(builtin),
        }
    }

    /// The integrity measures track of this agency-year, resolved against its criteria.
    pub fn integrity_items(&self) -> Option<crate::ita::ResolvedTrack> {
        self.criteria().resolve_track(self.fiscal_year(), self.form(), crate::ita::INTEGRITY_TRACK)
    }

    /// Divisions in the directory's order: (id, division).
    pub fn divisions(&self) -> Vec<(&DivisionId, &Division)> {
        let mut items: Vec<(String, String, (&DivisionId, &Division))> =
            self.directory.divisions.iter().map(|(id, d)| (d.pos.clone(), id.clone(), (id, d))).collect();
        position::sort_by_position(&mut items);
        items.into_iter().map(|(_, _, v)| v).collect()
    }

    /// Measures in the plan's order: (id, measure). A measure's number is its index + 1.
    pub fn measures(&self) -> Vec<(&MeasureId, &Measure)> {
        ordered(&self.plan.measures, |m| &m.pos)
    }

    /// The divisions responsible for a measure, numbered in the directory's division order.
    /// Divisions not (or no longer) in the directory follow, by id.
    pub fn responsible(&self, measure: &Measure) -> Vec<DivisionId> {
        let known: Vec<DivisionId> = self
            .divisions()
            .into_iter()
            .filter(|(id, _)| measure.responsible.get(*id).copied().unwrap_or(false))
            .map(|(id, _)| id.clone())
            .collect();
        let unknown = measure
            .responsible
            .iter()
            .filter(|(id, on)| **on && !self.directory.divisions.contains_key(*id))
            .map(|(id, _)| id.clone());
        known.into_iter().chain(unknown).collect()
    }

    pub fn division_name(&self, id: &str) -> String {
        self.directory.divisions.get(id).map_or_else(|| id.to_string(), |d| d.name.clone())
    }

    /// The result a division recorded for a measure, if any.
    pub fn result(&self, measure: &str, division: &str) -> Option<&DivisionResult> {
        self.results.get(division)?.results.get(measure)
    }

    /// The approval chain in order.
    pub fn approval_steps(&self) -> Vec<(&StepId, &ApprovalStep)> {
        ordered(&self.directory.approval_steps, |s| &s.pos)
    }

    /// Every conflict of every loaded document.
    pub fn all_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.values().flatten()
    }

    /// Resolves a division name as people write it ("สำนักงานปลัด", "กองการศึกษา") to its id.
    pub fn division_by_name(&self, name: &str) -> Option<DivisionId> {
        crate::divisions::resolve(self.directory.divisions.iter(), name)
    }
}

/// Items of a map with `pos` keys in order.
pub fn ordered<T>(map: &BTreeMap<String, T>, pos: impl Fn(&T) -> &String) -> Vec<(&String, &T)> {
    let mut items: Vec<(String, String, (&String, &T))> =
        map.iter().map(|(id, item)| (pos(item).clone(), id.clone(), (id, item))).collect();
    position::sort_by_position(&mut items);
    items.into_iter().map(|(_, _, v)| v).collect()
}
