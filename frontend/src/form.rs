//! The result editor's state: what the person typed, kept apart from what the documents say, so
//! that a change arriving from the server never overwrites unsaved typing. Tested without a DOM.

use std::rc::Rc;

use prongsai_core::detail::ResultDetail;
use prongsai_core::edit::{Edit, EvidenceInput};
use prongsai_core::model::Status;
use yew::Reducible;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultForm {
    pub measure: String,
    pub division: String,
    /// The result as the documents last said.
    pub base: Option<ResultDetail>,
    pub status: Status,
    pub text: String,
    /// As typed: empty for none.
    pub percent: String,
    pub link: String,
    pub caption: String,
    /// The person changed a field since the last save or load.
    pub dirty: bool,
    /// Which fields the person changed: only these are saved, the others follow the documents.
    pub touched: Touched,
    /// Someone else's change arrived while this form had unsaved typing.
    pub changed_elsewhere: bool,
    pub saving: bool,
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub status: bool,
    pub text: bool,
    pub percent: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FormAction {
    /// The documents' version of this result (on open, and whenever documents change).
    Load {
        measure: String,
        division: String,
        result: Box<ResultDetail>,
    },
    SetStatus {
        status: Status,
    },
    SetText {
        text: String,
    },
    SetPercent {
        text: String,
    },
    SetLink {
        text: String,
    },
    SetCaption {
        text: String,
    },
    Saving,
    Saved,
    /// The link was added: clear its fields.
    LinkAdded,
    Failed {
        message: String,
    },
    /// Throw away the typing and show the documents' version.
    Revert,
}

impl Reducible for ResultForm {
    type Action = FormAction;

    fn reduce(self: Rc<Self>, action: FormAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::Load { measure, division, result } => {
                let same_item = next.measure == measure && next.division == division;
                if same_item && next.dirty {
                    next.changed_elsewhere = next.base.as_ref().is_some_and(|b| !same_content(b, &result));
                    // Fields the person did not touch follow the documents.
                    let touched = next.touched;
                    let typed = (next.status.clone(), next.text.clone(), next.percent.clone());
                    next.fill_from(&result);
                    if touched.status {
                        next.status = typed.0;
                    }
                    if touched.text {
                        next.text = typed.1;
                    }
                    if touched.percent {
                        next.percent = typed.2;
                    }
                } else {
                    next.fill_from(&result);
                    next.dirty = false;
                    next.touched = Touched::default();
                    next.changed_elsewhere = false;
                }
                next.measure = measure;
                next.division = division;
                next.base = Some(*result);
            }
            FormAction::SetStatus { status } => next.edit(|f| {
                f.status = status;
                f.touched.status = true;
            }),
            FormAction::SetText { text } => next.edit(|f| {
                f.text = text;
                f.touched.text = true;
            }),
            FormAction::SetPercent { text } => next.edit(|f| {
                f.percent = text;
                f.touched.percent = true;
            }),
            FormAction::SetLink { text } => next.link = text,
            FormAction::SetCaption { text } => next.caption = text,
            FormAction::Saving => {
                next.saving = true;
                next.error = None;
            }
            FormAction::Saved => {
                next.saving = false;
                next.dirty = false;
                next.touched = Touched::default();
                next.changed_elsewhere = false;
            }
            FormAction::LinkAdded => {
                next.saving = false;
                next.link.clear();
                next.caption.clear();
            }
            FormAction::Failed { message } => {
                next.saving = false;
                next.error = Some(message);
            }
            FormAction::Revert => {
                if let Some(base) = next.base.clone() {
                    next.fill_from(&base);
                }
                next.dirty = false;
                next.touched = Touched::default();
                next.changed_elsewhere = false;
                next.error = None;
            }
        }
        Rc::new(next)
    }
}

fn same_content(a: &ResultDetail, b: &ResultDetail) -> bool {
    a.status == b.status && a.text == b.text && a.percent == b.percent
}

/// Why the typed percent cannot be saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPercent;

impl ResultForm {
    fn fill_from(&mut self, result: &ResultDetail) {
        self.status = result.status.clone();
        self.text = result.text.clone();
        self.percent = result.percent.map(|p| p.to_string()).unwrap_or_default();
    }

    fn edit(&mut self, change: impl FnOnce(&mut ResultForm)) {
        change(self);
        self.dirty = true;
        self.error = None;
    }

    /// The percent as a number: Thai or Arabic digits, 0–100, or empty for none.
    pub fn parsed_percent(&self) -> Result<Option<u8>, BadPercent> {
        let text = self.percent.trim().trim_end_matches('%').trim();
        if text.is_empty() {
            return Ok(None);
        }
        let number = prongsai_core::thai::parse_number(text).ok_or(BadPercent)?;
        u8::try_from(number).ok().filter(|p| *p <= 100).map(Some).ok_or(BadPercent)
    }

    /// The edits that save what was typed: only fields the person changed that differ from the
    /// documents (a field someone else changed meanwhile is left as they set it).
    pub fn edits(&self) -> Result<Vec<Edit>, BadPercent> {
        let percent = self.parsed_percent()?;
        let (division, measure) = (self.division.clone(), self.measure.clone());
        let base_status = self.base.as_ref().map(|b| b.status.clone()).unwrap_or_default();
        let base_text = self.base.as_ref().map(|b| b.text.as_str()).unwrap_or("");
        let base_percent = self.base.as_ref().and_then(|b| b.percent);
        let mut edits = Vec::new();
        if self.touched.status && self.status != base_status {
            edits.push(Edit::SetStatus {
                division: division.clone(),
                measure: measure.clone(),
                status: self.status.clone(),
            });
        }
        if self.touched.text && self.text != base_text {
            edits.push(Edit::SetResultText {
                division: division.clone(),
                measure: measure.clone(),
                text: self.text.clone(),
            });
        }
        if self.touched.percent && percent.map(i64::from) != base_percent {
            edits.push(Edit::SetPercent { division, measure, percent });
        }
        Ok(edits)
    }

    /// Submitting saves what was typed first, then asks for review, in one commit.
    pub fn submit_edits(&self) -> Result<Vec<Edit>, BadPercent> {
        let mut edits = self.edits()?;
        edits.push(Edit::Submit { division: self.division.clone(), measure: self.measure.clone() });
        Ok(edits)
    }

    /// The edit that adds the typed link as evidence, if it looks like a web address.
    pub fn link_edit(&self, id: String) -> Option<Edit> {
        let url = self.link.trim();
        let looks_like_web = url.starts_with("https://") || url.starts_with("http://");
        looks_like_web.then(|| Edit::AddEvidence {
            division: self.division.clone(),
            measure: self.measure.clone(),
            id,
            evidence: EvidenceInput {
                url: Some(url.to_string()),
                caption: self.caption.trim().to_string(),
                ..EvidenceInput::default()
            },
        })
    }
}
