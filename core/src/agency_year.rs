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
use crate::report_model::Part;

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
    /// The track and round this is a view of ([`AgencyYear::in_slot`]); the integrity track
    /// when read from the documents.
    pub slot: crate::tracks::Slot,
    /// (a view of a round) The results that stand in from an earlier round because the division
    /// has not reported the measure in this one yet: (division, measure) → that round.
    pub carried: BTreeMap<(DivisionId, MeasureId), RoundId>,
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

    /// The items of the track this is a view of (the integrity measures unless
    /// [`AgencyYear::in_slot`] made it another's), resolved against the year's criteria.
    /// In a view of one round, the rounds end at that round: its report answers that round's item.
    pub fn track_items(&self) -> Option<crate::ita::ResolvedTrack> {
        let mut items = self.criteria().resolve_track(self.fiscal_year(), self.form(), self.slot.track_id())?;
        if let Some(at) = self.slot.round.as_ref().and_then(|r| items.rounds.iter().position(|x| &x.round == r)) {
            items.rounds.truncate(at + 1);
        }
        Some(items)
    }

    /// The tracks the year runs, the integrity measures first, then the others in the order
    /// they were added.
    pub fn tracks(&self) -> Vec<crate::tracks::TrackSummary> {
        let criteria = self.criteria();
        let resolve = |id: &str| criteria.resolve_track(self.fiscal_year(), self.form(), id);
        let integrity = crate::tracks::TrackSummary {
            id: crate::ita::INTEGRITY_TRACK.to_string(),
            title: resolve(crate::ita::INTEGRITY_TRACK).map(|t| t.title).unwrap_or_default(),
            rounds: Vec::new(),
            items: resolve(crate::ita::INTEGRITY_TRACK),
        };
        let others =
            ordered(&self.directory.tracks, |t| &t.pos).into_iter().map(|(id, t)| crate::tracks::TrackSummary {
                id: id.clone(),
                title: t.title.clone(),
                rounds: ordered(&t.rounds, |r| &r.pos)
                    .into_iter()
                    .map(|(rid, r)| crate::tracks::RoundSummary {
                        id: rid.clone(),
                        title: r.title.clone(),
                        cutoff: r.cutoff.clone(),
                    })
                    .collect(),
                items: resolve(id),
            });
        std::iter::once(integrity).chain(others).collect()
    }

    /// The round ids of a track the year runs, in order.
    fn rounds_of(&self, track: &str) -> Result<Vec<&RoundId>, crate::tracks::SlotError> {
        let entry =
            self.directory.tracks.get(track).ok_or_else(|| crate::tracks::SlotError::NoTrack(track.to_string()))?;
        Ok(ordered(&entry.rounds, |r| &r.pos).into_iter().map(|(id, _)| id).collect())
    }

    /// `slot` with its round resolved (a track's last when it names none) and the round before
    /// it, whose result a division's first edit in the round starts from.
    pub fn resolve_slot(&self, slot: &crate::tracks::Slot) -> Result<crate::tracks::Slot, crate::tracks::SlotError> {
        let Some(track) = slot.track.as_deref() else { return Ok(crate::tracks::Slot::INTEGRITY) };
        let rounds = self.rounds_of(track)?;
        let no_round = || crate::tracks::SlotError::NoRound(track.to_string(), slot.round.clone().unwrap_or_default());
        let at = match slot.round.as_deref() {
            Some(r) => rounds.iter().position(|x| x.as_str() == r).ok_or_else(no_round)?,
            None => rounds.len().checked_sub(1).ok_or_else(no_round)?,
        };
        Ok(crate::tracks::Slot {
            track: Some(track.to_string()),
            round: Some(rounds[at].clone()),
            carry_from: at.checked_sub(1).map(|i| rounds[i].clone()),
        })
    }

    /// What `?track=&round=` names in this year: the slot and whether it is the plan (`plan`)
    /// or a round's report. Without a track, the integrity track, whose report is named by no
    /// round, `report` or its last round's id. `None` for a track or round the year does not run.
    pub fn target(&self, track: Option<&str>, round: Option<&str>) -> Option<(crate::tracks::Slot, Part)> {
        let slot = crate::tracks::Slot::of(track, None);
        let round = round.map(str::trim).filter(|r| !r.is_empty());
        if slot.is_integrity() {
            return Some((slot, Part::parse(round, self.track_items().as_ref())?));
        }
        match round {
            Some("plan") => Some((self.resolve_slot(&slot).ok()?, Part::Plan)),
            round => {
                let slot = crate::tracks::Slot { round: round.map(str::to_string), ..slot };
                Some((self.resolve_slot(&slot).ok()?, Part::Report))
            }
        }
    }

    /// The agency-year as seen from one track and round: that track's measures, each division's
    /// results and the review of that round (a measure a division has not reported in the round
    /// yet shows what it reported in the latest round before), so every view, check and report
    /// built for the integrity measures works for any track. The integrity track is the year as
    /// read.
    pub fn in_slot(
        &self,
        slot: &crate::tracks::Slot,
    ) -> Result<std::borrow::Cow<'_, AgencyYear>, crate::tracks::SlotError> {
        let slot = self.resolve_slot(slot)?;
        let (Some(track), Some(round)) = (slot.track.as_deref(), slot.round.as_deref()) else {
            return Ok(std::borrow::Cow::Borrowed(self));
        };
        let rounds = self.rounds_of(track)?;
        let earlier: Vec<&RoundId> = rounds.iter().take_while(|r| r.as_str() != round).copied().collect();
        // The coordinator's result of a project for this round stands where the integrity
        // measures' published result does.
        let round_review = self.review.tracks.get(track).and_then(|t| t.rounds.get(round));
        let mut measures = self.plan.tracks.get(track).map(|t| t.measures.clone()).unwrap_or_default();
        for (id, measure) in &mut measures {
            measure.published_result = round_review.and_then(|r| r.published.get(id)).cloned().unwrap_or_default();
        }
        let mut view = AgencyYear {
            directory: self.directory.clone(),
            plan: PlanDoc { measures, tracks: BTreeMap::new(), ..self.plan.clone() },
            results: BTreeMap::new(),
            review: ReviewDoc {
                decisions: self
                    .review
                    .tracks
                    .get(track)
                    .and_then(|t| t.rounds.get(round))
                    .map(|r| r.decisions.clone())
                    .unwrap_or_default(),
                tracks: BTreeMap::new(),
                ..self.review.clone()
            },
            memo: self.round_memo(track, round),
            // The track's chains stand where the integrity measures' are: its plan's, and the round's.
            approvals: {
                let chains = self.approvals.tracks.get(track);
                ApprovalsDoc {
                    signatures: chains
                        .and_then(|t| t.rounds.get(round))
                        .map(|r| r.signatures.clone())
                        .unwrap_or_default(),
                    plan: chains.map(|t| t.plan.clone()).unwrap_or_default(),
                    tracks: BTreeMap::new(),
                    ..self.approvals.clone()
                }
            },
            // Every document's; the view lists those of its track and round (`all_conflicts`).
            conflicts: self.conflicts.clone(),
            slot: crate::tracks::Slot { carry_from: None, ..slot.clone() },
            carried: BTreeMap::new(),
        };
        for (division, doc) in &self.results {
            let of_round = |r: &str| doc.tracks.get(track).and_then(|t| t.rounds.get(r)).map(|r| &r.results);
            let mut results = of_round(round).cloned().unwrap_or_default();
            for earlier in earlier.iter().rev() {
                for (measure, result) in of_round(earlier).into_iter().flatten() {
                    if results.contains_key(measure) {
                        continue;
                    }
                    view.carried.insert((division.clone(), measure.clone()), (*earlier).clone());
                    results.entry(measure.clone()).or_insert_with(|| DivisionResult {
                        status: result.status.clone(),
                        text: result.text.clone(),
                        percent: result.percent,
                        ..DivisionResult::default()
                    });
                }
            }
            view.results.insert(division.clone(), ResultsDoc { results, tracks: BTreeMap::new(), ..doc.clone() });
        }
        Ok(std::borrow::Cow::Owned(view))
    }

    /// The memo of a track's report round as it prints: what the coordinator wrote in the round's
    /// memo; where she left the header, the closing or the drafter empty, the integrity measures'
    /// memo's (the same office writes both); where she left the subject, the report's heading or
    /// the paragraph under it empty, wording made from the track's and the round's titles.
    fn round_memo(&self, track: &str, round: &str) -> MemoDoc {
        let written = self.memo.tracks.get(track).and_then(|t| t.rounds.get(round)).cloned().unwrap_or_default();
        let integrity = &self.memo;
        let entry = self.directory.tracks.get(track);
        let track_title = entry.map_or(track, |t| t.title.as_str());
        let round_title = entry.and_then(|t| t.rounds.get(round)).map_or("", |r| r.title.as_str());
        let agency = &self.directory.agency.name;
        let year = self.fiscal_year();
        let text_or = |text: autosurgeon::Text, fallback: String| {
            if text.as_str().trim().is_empty() { autosurgeon::Text::from(fallback) } else { text }
        };
        let string_or = |text: String, fallback: &str| if text.trim().is_empty() { fallback.to_string() } else { text };
        // The round's own title ("รายงานการกำกับติดตาม… รอบ 6 เดือน"), else the track's report.
        let report = if round_title.is_empty() {
            format!("รายงานผลการดำเนินงานตาม{track_title}")
        } else {
            round_title.to_string()
        };
        MemoDoc {
            department: text_or(written.department, integrity.department.as_str().to_string()),
            reference: string_or(written.reference, &integrity.reference),
            subject: text_or(written.subject, format!("{report} ประจำปีงบประมาณ พ.ศ. {year}")),
            addressee: text_or(written.addressee, integrity.addressee.as_str().to_string()),
            report_title: text_or(written.report_title, format!("{report}\n{agency} ประจำปีงบประมาณ พ.ศ. {year}")),
            report_intro: text_or(
                written.report_intro,
                format!(
                    "{agency} ขอรายงานผลการดำเนินงานตามโครงการ/กิจกรรมใน{track_title} ประจำปีงบประมาณ พ.ศ. {year} ดังนี้"
                ),
            ),
            closing: text_or(written.closing, integrity.closing.as_str().to_string()),
            drafter_name: string_or(written.drafter_name, &integrity.drafter_name),
            drafter_position: string_or(written.drafter_position, &integrity.drafter_position),
            tracks: BTreeMap::new(),
            ..written
        }
    }

    /// (a view of a track's round) The day its results are cut off, when the directory names one.
    pub fn round_cutoff(&self) -> Option<crate::calendar::Date> {
        let (track, round) = (self.slot.track.as_deref()?, self.slot.round.as_deref()?);
        self.directory.tracks.get(track)?.rounds.get(round)?.cutoff.as_deref()?.parse().ok()
    }

    /// The title of the earlier round whose result stands in for `division`'s on `measure` in
    /// this view of a round ("carried from round …"), `None` when it reported in this round.
    pub fn carried_from(&self, division: &str, measure: &str) -> Option<String> {
        let round = self.carried.get(&(division.to_string(), measure.to_string()))?;
        let track = self.directory.tracks.get(self.slot.track.as_deref()?)?;
        Some(track.rounds.get(round).map_or_else(|| round.clone(), |r| r.title.clone()))
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
    /// The conflicts about the track and round this is a view of.
    pub fn all_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts.values().flatten().filter(|c| c.in_slot(&self.slot))
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
