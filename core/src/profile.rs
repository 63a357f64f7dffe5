//! An agency's profile: what its admin sets once and every year prints. The name and letterhead,
//! the divisions (ids that never change; a rename keeps the old name as an alias; a retired
//! division is offered for nothing new) and the approval chain (1 to 5 steps).
//!
//! The server keeps the profile and writes it into the directory of every open year; a new year's
//! documents start from it ([`AgencyProfile::year_fixture`]), blank or continuing the year before
//! ([`continue_measures`]).

use std::collections::BTreeMap;

use crate::agency_year::AgencyYear;
use crate::ita::{INTEGRITY_TRACK, ReferenceData};
use crate::model::*;
use crate::sample::{
    AccountRecord, AgencyFixture, AgencyRecord, ContinuedRecord, DivisionRecord, LetterheadRecord, MeasureRecord,
    MemoRecord, PreviousAssessmentRecord, StepRecord,
};
use crate::thai::{self, to_thai_digits};

/// The most steps an approval chain has.
pub const MAX_CHAIN_STEPS: usize = 5;

/// The longest name or letterhead field, in characters.
const MAX_FIELD_CHARS: usize = 300;

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgencyProfile {
    pub id: AgencyId,
    /// Name, place and letterhead (read through `Deref`: `profile.name`).
    #[serde(flatten)]
    pub details: ProfileDetails,
    /// In the order reports number them.
    #[serde(default)]
    pub divisions: Vec<ProfileDivision>,
    /// In signing order.
    #[serde(default)]
    pub approval_chain: Vec<ChainStep>,
}

impl std::ops::Deref for AgencyProfile {
    type Target = ProfileDetails;
    fn deref(&self) -> &ProfileDetails {
        &self.details
    }
}

/// What the memo's header repeats every year.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LetterheadProfile {
    /// ส่วนราชการ: "สำนักปลัดเทศบาลตำบลบ้านใหม่"
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    /// The fixed part of ที่: "รบ ๗๒๑๐๑".
    #[serde(default)]
    pub reference_prefix: String,
    /// The agency's website domain: "banmai.go.th".
    #[serde(default)]
    pub website: String,
    /// Words no report line may break inside.
    #[serde(default)]
    pub glossary: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProfileDivision {
    pub id: DivisionId,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub retired: bool,
}

/// One step of the approval chain as the admin sets it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainStep {
    /// Kept across changes; empty for a new step (the server names it).
    #[serde(default)]
    pub id: StepId,
    /// The heading printed above the step: "ความเห็นหัวหน้าสำนักปลัด".
    pub title: String,
    /// The name printed under the signature.
    #[serde(default)]
    pub name: String,
    /// The position printed under the name.
    #[serde(default)]
    pub position: String,
    /// The user who signs this step.
    #[serde(default)]
    pub approver: Option<Username>,
}

/// The profile's fields other than divisions and the chain (the admin's letterhead form).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileDetails {
    /// "เทศบาลตำบลบ้านใหม่"
    pub name: String,
    /// "ทต.บ้านใหม่"
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub kind: AgencyKind,
    #[serde(default)]
    pub subdistrict: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub letterhead: LetterheadProfile,
}

/// `POST …/divisions`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewDivision {
    pub name: String,
}

/// `PATCH …/divisions/{division}`: a new name (the old one becomes an alias), or retired.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DivisionChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub retired: Option<bool>,
}

/// An agency's ITA result for one assessment year, as the NACC announced it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItaResult {
    /// The total, ×100.
    pub score_hundredths: u32,
    /// IIT, EIT and OIT, ×100, when entered (the quality rating needs all three).
    #[serde(default)]
    pub iit_hundredths: Option<u32>,
    #[serde(default)]
    pub eit_hundredths: Option<u32>,
    #[serde(default)]
    pub oit_hundredths: Option<u32>,
}

impl ItaResult {
    pub fn check(&self) -> Result<(), String> {
        let parts = [Some(self.score_hundredths), self.iit_hundredths, self.eit_hundredths, self.oit_hundredths];
        if parts.into_iter().flatten().any(|p| p > 10_000) {
            return Err("a score is between 0 and 100".into());
        }
        Ok(())
    }

    /// เรื่องเดิม: "ตามที่ … ได้ประกาศผลคะแนน … ประจำปี พ.ศ. ๒๕๖๘ … มีคะแนนรวม ๘๕.๑๒ อยู่ในระดับ A
    /// ผลการประเมิน ผ่านดี", with the band and rating under the criteria of `fiscal_year` (the
    /// year whose memo quotes it).
    pub fn background(
        &self,
        assessment_year: i64,
        agency_name: &str,
        reference: &ReferenceData,
        form: &str,
        fiscal_year: i64,
    ) -> String {
        let mut text = format!(
            "ตามที่ สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ ได้ประกาศผลคะแนนการประเมินคุณธรรมและ\
             ความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ ประจำปี พ.ศ. {} {agency_name} มีคะแนนรวม {}",
            to_thai_digits(&assessment_year.to_string()),
            thai::format_score(self.score_hundredths),
        );
        if let Some((criteria, _)) = reference.sheet(fiscal_year, form) {
            if let Some(band) = criteria.band(self.score_hundredths) {
                text.push_str(&format!(" อยู่ในระดับ {band}"));
            }
            if let (Some(iit), Some(eit), Some(oit)) = (self.iit_hundredths, self.eit_hundredths, self.oit_hundredths)
                && let Some(rating) = criteria.rating(self.score_hundredths, iit, eit, oit)
            {
                text.push_str(&format!(" ผลการประเมิน{rating}"));
            }
        }
        text
    }
}

fn check_text(what: &str, text: &str, required: bool) -> Result<(), String> {
    if required && text.trim().is_empty() {
        return Err(format!("{what}: ต้องกรอก · required"));
    }
    if text.chars().count() > MAX_FIELD_CHARS {
        return Err(format!("{what}: ยาวเกิน {MAX_FIELD_CHARS} ตัวอักษร · too long"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("{what}: มีอักขระควบคุม · control characters"));
    }
    if let Some(issue) = thai::validate_thai_text(text).first() {
        return Err(format!("{what}: \"{}\" {} · odd Thai text", issue.found, issue.kind.explain_th()));
    }
    Ok(())
}

/// A website domain as people paste it: "https://www.banmai.go.th/" → "www.banmai.go.th".
pub fn website_domain(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let without_scheme =
        trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")).unwrap_or(trimmed);
    let domain = without_scheme.trim_end_matches('/').to_ascii_lowercase();
    let valid = domain.is_empty()
        || (domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }));
    if valid {
        Ok(domain)
    } else {
        Err(format!("เว็บไซต์: \"{text}\" ไม่ใช่ชื่อโดเมน · not a domain"))
    }
}

impl AgencyProfile {
    /// A new agency with only its name: the admin fills in the rest.
    pub fn new(id: &str, name: &str) -> AgencyProfile {
        AgencyProfile {
            id: id.to_string(),
            details: ProfileDetails {
                name: name.trim().to_string(),
                short_name: name.trim().to_string(),
                letterhead: LetterheadProfile { department: name.trim().to_string(), ..LetterheadProfile::default() },
                ..ProfileDetails::default()
            },
            ..AgencyProfile::default()
        }
    }

    /// The profile a fixture describes (the sample agency).
    pub fn from_fixture(fixture: &AgencyFixture) -> AgencyProfile {
        let a = &fixture.agency;
        let agency = Agency {
            id: a.id.clone(),
            name: a.name.clone(),
            short_name: a.short_name.clone(),
            kind: a.kind.clone(),
            subdistrict: a.subdistrict.clone(),
            district: a.district.clone(),
            province: a.province.clone(),
            phone: a.phone.clone(),
            website: a.website.clone(),
            letterhead: Letterhead {
                department: a.letterhead.department.clone(),
                reference_prefix: a.letterhead.reference_prefix.clone(),
                glossary: a.letterhead.glossary.clone(),
            },
            address: a.address.clone(),
        };
        let divisions = fixture
            .divisions
            .iter()
            .map(|d| ProfileDivision {
                id: d.id.clone(),
                name: d.name.clone(),
                aliases: d.aliases.clone(),
                retired: d.retired,
            })
            .collect();
        let chain = fixture
            .approval_chain
            .iter()
            .map(|s| ChainStep {
                id: s.id.clone(),
                title: s.title.clone(),
                name: s.name.clone(),
                position: s.position.clone(),
                approver: s.approver.clone(),
            })
            .collect();
        AgencyProfile::from_parts(&agency, divisions, chain)
    }

    /// The profile as the directory of a year said it, for agencies made before profiles existed.
    pub fn from_directory(directory: &DirectoryDoc) -> AgencyProfile {
        let divisions = crate::agency_year::ordered(&directory.divisions, |d| &d.pos)
            .into_iter()
            .map(|(id, d)| ProfileDivision {
                id: id.clone(),
                name: d.name.clone(),
                aliases: d.aliases.clone(),
                retired: d.retired,
            })
            .collect();
        let chain = crate::agency_year::ordered(&directory.approval_steps, |s| &s.pos)
            .into_iter()
            .map(|(id, s)| ChainStep {
                id: id.clone(),
                title: s.title.clone(),
                name: s.name.clone(),
                position: s.position.clone(),
                approver: s.approver.clone(),
            })
            .collect();
        AgencyProfile::from_parts(&directory.agency, divisions, chain)
    }

    fn from_parts(a: &Agency, divisions: Vec<ProfileDivision>, approval_chain: Vec<ChainStep>) -> AgencyProfile {
        AgencyProfile {
            id: a.id.clone(),
            details: ProfileDetails {
                name: a.name.clone(),
                short_name: a.short_name.clone(),
                kind: a.kind.clone(),
                subdistrict: a.subdistrict.clone(),
                district: a.district.clone(),
                province: a.province.clone(),
                letterhead: LetterheadProfile {
                    department: a.letterhead.department.clone(),
                    address: a.address.clone(),
                    phone: a.phone.clone(),
                    reference_prefix: a.letterhead.reference_prefix.clone(),
                    website: a.website.clone(),
                    glossary: a.letterhead.glossary.clone(),
                },
            },
            divisions,
            approval_chain,
        }
    }

    pub fn details(&self) -> ProfileDetails {
        self.details.clone()
    }

    /// Sets the name and letterhead, checked (odd Thai text, lengths, the website a domain).
    pub fn set_details(&mut self, details: ProfileDetails) -> Result<(), String> {
        let mut details = details;
        check_text("ชื่อหน่วยงาน", &details.name, true)?;
        let l = &mut details.letterhead;
        l.website = website_domain(&l.website)?;
        for (what, text) in [
            ("ชื่อย่อ", &details.short_name),
            ("ตำบล", &details.subdistrict),
            ("อำเภอ", &details.district),
            ("จังหวัด", &details.province),
            ("ส่วนราชการ", &l.department),
            ("ที่อยู่", &l.address),
            ("โทรศัพท์", &l.phone),
            ("ที่", &l.reference_prefix),
        ] {
            check_text(what, text, false)?;
        }
        for word in &l.glossary {
            check_text("คำที่ไม่ตัดบรรทัด", word, true)?;
        }
        let mut letterhead = details.letterhead;
        for field in [
            &mut letterhead.department,
            &mut letterhead.address,
            &mut letterhead.phone,
            &mut letterhead.reference_prefix,
        ] {
            *field = field.trim().to_string();
        }
        letterhead.glossary.retain(|w| !w.trim().is_empty());
        let name = details.name.trim().to_string();
        self.details = ProfileDetails {
            short_name: match details.short_name.trim() {
                "" => name.clone(),
                short => short.to_string(),
            },
            name,
            kind: details.kind,
            subdistrict: details.subdistrict.trim().to_string(),
            district: details.district.trim().to_string(),
            province: details.province.trim().to_string(),
            letterhead,
        };
        Ok(())
    }

    fn name_taken(&self, name: &str, except: Option<&str>) -> bool {
        let wanted = crate::divisions::normalize(name);
        self.divisions.iter().filter(|d| Some(d.id.as_str()) != except).any(|d| {
            crate::divisions::normalize(&d.name) == wanted
                || d.aliases.iter().any(|a| crate::divisions::normalize(a) == wanted)
        })
    }

    /// Adds a division with a new id (`d1`, `d2`, … never reused).
    pub fn add_division(&mut self, name: &str) -> Result<ProfileDivision, String> {
        check_text("ชื่อหน่วยงาน", name, true)?;
        if self.name_taken(name, None) {
            return Err(format!("มีหน่วยงานชื่อ \"{}\" แล้ว · a division has that name", name.trim()));
        }
        let mut n = self.divisions.len() + 1;
        while self.divisions.iter().any(|d| d.id == format!("d{n}")) {
            n += 1;
        }
        let division =
            ProfileDivision { id: format!("d{n}"), name: name.trim().to_string(), aliases: Vec::new(), retired: false };
        self.divisions.push(division.clone());
        Ok(division)
    }

    /// Renames (the old name kept as an alias, so files and last year's plans still resolve) or
    /// retires/restores a division. Its id never changes.
    pub fn change_division(&mut self, id: &str, change: &DivisionChange) -> Result<ProfileDivision, String> {
        if let Some(name) = &change.name {
            check_text("ชื่อหน่วยงาน", name, true)?;
            if self.name_taken(name, Some(id)) {
                return Err(format!("มีหน่วยงานชื่อ \"{}\" แล้ว · a division has that name", name.trim()));
            }
        }
        let division = self
            .divisions
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(|| format!("ไม่มีหน่วยงาน {id} · no such division"))?;
        if let Some(name) = &change.name {
            let name = name.trim().to_string();
            if name != division.name {
                let old = std::mem::replace(&mut division.name, name.clone());
                division.aliases.retain(|a| a != &name);
                if !division.aliases.contains(&old) {
                    division.aliases.push(old);
                }
            }
        }
        if let Some(retired) = change.retired {
            division.retired = retired;
        }
        Ok(division.clone())
    }

    /// Replaces the approval chain: 1 to 5 steps, each with a heading; a step keeps its id (and
    /// so its signatures) when given one, new steps get `s1`, `s2`, …
    pub fn set_chain(&mut self, steps: Vec<ChainStep>) -> Result<(), String> {
        if steps.is_empty() || steps.len() > MAX_CHAIN_STEPS {
            return Err(format!("สายการลงนามมี ๑ ถึง {} ขั้น · 1 to {MAX_CHAIN_STEPS} steps", MAX_CHAIN_STEPS));
        }
        let mut used: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for (i, mut step) in steps.into_iter().enumerate() {
            let at = to_thai_digits(&(i + 1).to_string());
            check_text(&format!("ขั้นที่ {at} หัวข้อ"), &step.title, true)?;
            check_text(&format!("ขั้นที่ {at} ชื่อ"), &step.name, false)?;
            check_text(&format!("ขั้นที่ {at} ตำแหน่ง"), &step.position, false)?;
            let id_ok = !step.id.is_empty()
                && step.id.len() <= 32
                && step.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !step.id.is_empty() && !id_ok {
                return Err(format!("ขั้นที่ {at}: รหัสขั้นไม่ถูกต้อง · bad step id"));
            }
            if used.contains(&step.id) {
                return Err(format!("ขั้นที่ {at}: รหัสขั้นซ้ำ · duplicate step id"));
            }
            step.title = step.title.trim().to_string();
            step.name = step.name.trim().to_string();
            step.position = step.position.trim().to_string();
            step.approver = step.approver.filter(|a| !a.trim().is_empty());
            // One person signs one step: a chain with fewer approvers than steps is shortened.
            if let Some(approver) = &step.approver
                && out.iter().any(|s: &ChainStep| s.approver.as_ref() == Some(approver))
            {
                return Err(format!(
                    "ขั้นที่ {at}: {approver} ผูกกับขั้นอื่นแล้ว ผู้ลงนามหนึ่งคนลงนามได้ขั้นเดียว · one approver signs one step"
                ));
            }
            if !step.id.is_empty() {
                used.push(step.id.clone());
            }
            out.push(step);
        }
        let mut n = 1;
        for step in out.iter_mut().filter(|s| s.id.is_empty()) {
            while used.contains(&format!("s{n}")) {
                n += 1;
            }
            step.id = format!("s{n}");
            used.push(step.id.clone());
        }
        self.approval_chain = out;
        Ok(())
    }

    /// The divisions new work may be assigned to.
    pub fn active_divisions(&self) -> impl Iterator<Item = &ProfileDivision> {
        self.divisions.iter().filter(|d| !d.retired)
    }

    /// The directory's `agency`.
    pub fn agency(&self) -> Agency {
        let l = &self.letterhead;
        Agency {
            id: self.id.clone(),
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            kind: self.kind.clone(),
            subdistrict: self.subdistrict.clone(),
            district: self.district.clone(),
            province: self.province.clone(),
            phone: l.phone.clone(),
            website: l.website.clone(),
            letterhead: Letterhead {
                department: l.department.clone(),
                reference_prefix: l.reference_prefix.clone(),
                glossary: l.glossary.clone(),
            },
            address: l.address.clone(),
        }
    }

    /// The directory's `divisions`, in the profile's order.
    pub fn directory_divisions(&self) -> BTreeMap<DivisionId, Division> {
        self.divisions
            .iter()
            .zip(crate::position::spread(self.divisions.len()))
            .map(|(d, pos)| {
                (d.id.clone(), Division { name: d.name.clone(), aliases: d.aliases.clone(), pos, retired: d.retired })
            })
            .collect()
    }

    /// The directory's `approval_steps`, in the chain's order.
    pub fn directory_steps(&self) -> BTreeMap<StepId, ApprovalStep> {
        self.approval_chain
            .iter()
            .zip(crate::position::spread(self.approval_chain.len()))
            .map(|(s, pos)| {
                (
                    s.id.clone(),
                    ApprovalStep {
                        pos,
                        title: s.title.clone(),
                        name: s.name.clone(),
                        position: s.position.clone(),
                        approver: s.approver.clone(),
                    },
                )
            })
            .collect()
    }

    /// An agency-year of this agency as a fixture: the profile's divisions and chain, `measures`,
    /// `memo` and the agency's `accounts` (their public facts go into the directory).
    pub fn year_fixture(
        &self,
        year: i64,
        measures: Vec<MeasureRecord>,
        memo: MemoRecord,
        accounts: Vec<AccountRecord>,
    ) -> AgencyFixture {
        let l = &self.letterhead;
        AgencyFixture {
            agency: AgencyRecord {
                id: self.id.clone(),
                name: self.name.clone(),
                short_name: self.short_name.clone(),
                kind: self.kind.clone(),
                subdistrict: self.subdistrict.clone(),
                district: self.district.clone(),
                province: self.province.clone(),
                phone: l.phone.clone(),
                website: l.website.clone(),
                address: l.address.clone(),
                letterhead: LetterheadRecord {
                    department: l.department.clone(),
                    reference_prefix: l.reference_prefix.clone(),
                    glossary: l.glossary.clone(),
                },
            },
            year,
            divisions: self
                .divisions
                .iter()
                .map(|d| DivisionRecord {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    aliases: d.aliases.clone(),
                    retired: d.retired,
                })
                .collect(),
            measures,
            memo,
            approval_chain: self
                .approval_chain
                .iter()
                .map(|s| StepRecord {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    name: s.name.clone(),
                    position: s.position.clone(),
                    approver: s.approver.clone(),
                    seed_comment: String::new(),
                })
                .collect(),
            accounts,
        }
    }

    /// "อำเภอจอมบึง จังหวัดราชบุรี" (what is known of it).
    fn place(&self) -> String {
        let mut parts = Vec::new();
        if !self.district.is_empty() {
            parts.push(format!("อำเภอ{}", self.district));
        }
        if !self.province.is_empty() {
            parts.push(format!("จังหวัด{}", self.province));
        }
        parts.join(" ")
    }

    /// A new year's memo in the agency's words: its letterhead, the year's report item (from the
    /// criteria data), the chain's last step as เรียน, and เรื่องเดิม from last year's ITA result
    /// when it is known. The coordinator edits all of it.
    pub fn default_memo(
        &self,
        year: i64,
        reference: &ReferenceData,
        form: &str,
        previous: Option<(i64, ItaResult)>,
    ) -> MemoRecord {
        let year_th = to_thai_digits(&year.to_string());
        let track = reference.resolve_track(year, form, INTEGRITY_TRACK);
        let item = track.as_ref().and_then(|t| t.report().cloned());
        let title = item.as_ref().map(|i| i.title.clone()).unwrap_or_default();
        let subject = if title.contains("ปีงบประมาณ") || title.is_empty() {
            title.clone()
        } else {
            format!("{title} ประจำปีงบประมาณ พ.ศ. {year_th}")
        };
        let facts = match &item {
            Some(item) => {
                let mut where_in = String::new();
                if let Some(indicator) = &item.indicator {
                    where_in.push_str(&format!(" ตัวชี้วัดที่ {}", to_thai_digits(indicator)));
                }
                if let Some(sub) = &item.sub_indicator {
                    where_in.push_str(&format!(" ตัวชี้วัดย่อยที่ {}", to_thai_digits(sub)));
                }
                format!(
                    "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ ได้จัดทำคู่มือการประเมินคุณธรรมและความโปร่งใสใน\
                     การดำเนินงานของหน่วยงานภาครัฐ ประจำปี พ.ศ. {}{where_in} ข้อ {} {} ผู้รับผิดชอบจึงได้รวบรวมข้อมูล และ\
                     จัดทำรายงานผลการดำเนินการ ของ{} ประจำปีงบประมาณ พ.ศ. {year_th} รายละเอียดปรากฏตามรายงานที่แนบ",
                    to_thai_digits(&item.assessment_year.to_string()),
                    item.code,
                    item.title,
                    self.name,
                )
            }
            None => String::new(),
        };
        let department = match self.letterhead.phone.trim() {
            "" => self.letterhead.department.clone(),
            phone => format!("{} โทร. {}", self.letterhead.department, to_thai_digits(phone)),
        };
        let reference_no = match self.letterhead.reference_prefix.trim() {
            "" => String::new(),
            prefix => format!("{prefix}/"),
        };
        let addressee = self.approval_chain.last().map(|s| s.position.clone()).unwrap_or_default();
        let background = previous
            .map(|(assessment_year, result)| result.background(assessment_year, &self.name, reference, form, year))
            .unwrap_or_default();
        let place = self.place();
        MemoRecord {
            department,
            reference: reference_no,
            date: None,
            subject,
            addressee,
            background,
            previous_assessment: previous
                .map(|(y, r)| PreviousAssessmentRecord { year: y, score_hundredths: i64::from(r.score_hundredths) }),
            facts,
            report_title: if place.is_empty() {
                format!("{title}\n{}", self.name)
            } else {
                format!("{title}\n{} {place}", self.name)
            },
            report_intro: format!(
                "ตามที่ได้วิเคราะห์ผลการประเมิน ITA ของ{} และได้กำหนดมาตรการและแนวทางในการส่งเสริมคุณธรรมและความโปร่งใส\
                 ในปีงบประมาณ พ.ศ. {year_th} โดยได้ขับเคลื่อนมาตรการและแนวทางดังกล่าว รายละเอียด ดังนี้",
                self.name
            ),
            table_lead: format!("{} ได้กำหนดมาตรการ/แนวทาง เพื่อให้สอดคล้องกับผลการประเมิน ดังนี้", self.name),
            proposals_intro: "เพื่อประโยชน์ในการปฏิบัติงาน และการประเมิน ITA ดังนั้น เห็นควรพิจารณา".to_string(),
            proposals: vec![
                "แจ้งเวียนให้บุคลากรรับทราบ และร่วมขับเคลื่อนมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงานต่อไป".to_string(),
                format!("เผยแพร่ทางเว็บไซต์ของ{} ให้ประชาชนได้รับทราบต่อไป", self.name),
            ],
            closing: "จึงเรียนมาเพื่อโปรดทราบและพิจารณาดำเนินการต่อไป".to_string(),
            drafter_name: String::new(),
            drafter_position: String::new(),
        }
    }
}

/// Year N's measures as year N+1 starts them: titles, methods, responsible divisions (those not
/// retired) and schedules copied, each recording the measure it continues with that measure's
/// ข้อเสนอ; results, published results and suggestions start empty.
pub fn continue_measures(previous: &AgencyYear, profile: &AgencyProfile) -> Vec<MeasureRecord> {
    let year = previous.fiscal_year();
    previous
        .measures()
        .into_iter()
        .map(|(id, measure)| {
            let methods = crate::agency_year::ordered(&measure.methods, |m| &m.pos)
                .into_iter()
                .map(|(_, m)| m.text.as_str().to_string())
                .collect();
            let responsible = previous
                .responsible(measure)
                .into_iter()
                .filter_map(|d| profile.active_divisions().find(|p| p.id == d).map(|p| p.name.clone()))
                .collect();
            MeasureRecord {
                id: id.clone(),
                title: measure.title.as_str().to_string(),
                methods,
                responsible,
                schedule: measure.schedule.to_code(),
                published_result: String::new(),
                suggestion: String::new(),
                continues: Some(ContinuedRecord {
                    year,
                    measure: id.clone(),
                    suggestion: measure.suggestion.as_str().to_string(),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> AgencyProfile {
        AgencyProfile::from_fixture(&crate::sample::pakchong_2565())
    }

    #[test]
    fn a_renamed_division_keeps_its_id_and_its_old_name() {
        let mut p = profile();
        let before = p.divisions.iter().find(|d| d.id == "klang").cloned().expect("klang");
        let after = p
            .change_division("klang", &DivisionChange { name: Some("กองคลังและพัสดุ".into()), retired: None })
            .expect("renamed");
        assert_eq!(after.id, "klang");
        assert!(after.aliases.contains(&before.name));
        // Files written with the old name still find the division.
        let map = p.directory_divisions();
        assert_eq!(crate::divisions::resolve(map.iter(), &before.name).as_deref(), Some("klang"));
        // Another division's name is refused, and so is odd text.
        assert!(p.change_division("chang", &DivisionChange { name: Some("สำนักปลัด".into()), retired: None }).is_err());
        assert!(p.add_division("กอง\u{200B}ช่าง").is_err());
    }

    #[test]
    fn added_divisions_get_ids_never_reused_and_retired_ones_are_not_offered() {
        let mut p = AgencyProfile::new("banmai", "เทศบาลตำบลบ้านใหม่");
        let a = p.add_division("สำนักปลัดเทศบาล").expect("added");
        let b = p.add_division("กองคลัง").expect("added");
        assert_ne!(a.id, b.id);
        p.change_division(&a.id, &DivisionChange { name: None, retired: Some(true) }).expect("retired");
        assert_eq!(p.active_divisions().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![b.id.clone()]);
        let c = p.add_division("กองช่าง").expect("added");
        assert!(c.id != a.id && c.id != b.id);
        assert!(p.add_division("กองคลัง").is_err(), "a name in use is refused");
    }

    #[test]
    fn a_chain_has_one_to_five_steps_and_keeps_ids() {
        let mut p = profile();
        let step = |id: &str, title: &str| ChainStep { id: id.into(), title: title.into(), ..ChainStep::default() };
        assert!(p.set_chain(vec![]).is_err());
        assert!(p.set_chain((0..6).map(|i| step("", &format!("ขั้น {i}"))).collect()).is_err());
        assert!(p.set_chain(vec![step("", "")]).is_err(), "a step needs a heading");
        p.set_chain(vec![step("head", "ความเห็นหัวหน้าสำนักปลัด"), step("", "ความเห็นปลัด"), step("", "ความเห็นนายก")])
            .expect("three steps");
        let ids: Vec<&str> = p.approval_chain.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["head", "s1", "s2"]);
        assert!(p.set_chain(vec![step("x", "ก"), step("x", "ข")]).is_err(), "ids are unique");
        let signed_by = |id: &str, approver: &str| ChainStep {
            approver: Some(approver.into()), ..step(id, "ความเห็น")
        };
        let twice = p.set_chain(vec![signed_by("a", "winai"), signed_by("b", "amnang"), signed_by("c", "winai")]);
        assert!(twice.is_err_and(|e| e.contains("winai")), "one person signs one step");
        assert_eq!(p.approval_chain.len(), 3, "a refused chain changes nothing");
    }

    #[test]
    fn website_is_a_domain() {
        assert_eq!(website_domain("https://www.BanMai.go.th/").as_deref(), Ok("www.banmai.go.th"));
        assert_eq!(website_domain("").as_deref(), Ok(""));
        assert!(website_domain("javascript:alert(1)").is_err());
        assert!(website_domain("เทศบาล.ไทย").is_err());
    }

    #[test]
    fn a_continued_year_copies_the_plan_and_carries_suggestions() {
        let fixture = crate::sample::pakchong_2565();
        let mut previous = fixture.typed_documents(0).expect("typed").into_agency_year();
        if let Some(m) = previous.plan.measures.get_mut("m1") {
            m.suggestion = "ควรจัดอบรมเพิ่ม".into();
        }
        let p = profile();
        let measures = continue_measures(&previous, &p);
        assert_eq!(measures.len(), previous.plan.measures.len());
        let first = &measures[0];
        assert_eq!(first.continues.as_ref().map(|c| (c.year, c.measure.as_str())), Some((2565, "m1")));
        assert_eq!(first.continues.as_ref().map(|c| c.suggestion.as_str()), Some("ควรจัดอบรมเพิ่ม"));
        assert!(first.published_result.is_empty() && first.suggestion.is_empty());
        let result = ItaResult { score_hundredths: 8512, ..ItaResult::default() };
        let memo =
            p.default_memo(2566, crate::ita::ReferenceData::builtin(), crate::ita::LOCAL_FORM, Some((2565, result)));
        assert!(memo.background.contains("๘๕.๑๒"), "{}", memo.background);
        let fixture = p.year_fixture(2566, measures, memo, Vec::new());
        let next = fixture.typed_documents(0).expect("typed").into_agency_year();
        assert_eq!(next.plan.measures["m1"].continues.as_ref().map(|c| c.year), Some(2565));
        assert!(next.results.values().all(|r| r.results.values().all(|x| x.text.as_str().is_empty())));
    }
}
