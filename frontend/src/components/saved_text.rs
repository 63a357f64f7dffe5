//! A text field that shows a document's value and saves the user's text when they leave the
//! field, without ever losing what they are typing.
//!
//! The page re-renders whenever the document changes (another division's edit arriving, the sync
//! status ticking). A plain `<input value={doc_value} onchange=…>` would then put the document's
//! value back into the field mid-typing, because the DOM no longer matches it. This field keeps
//! the typed text as a draft from the first keystroke until the document shows the saved text (or
//! the text was refused), so re-renders never touch it.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SavedTextProps {
    /// What the document says.
    pub value: AttrValue,
    /// Called with the text when the user leaves the field having changed it. Returns whether an
    /// edit was made; a refused text (not a number, say) puts the document's value back.
    pub on_save: Callback<String, bool>,
    /// A multi-line field with this many rows; a one-line field when absent.
    #[prop_or_default]
    pub rows: Option<u32>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
    #[prop_or_default]
    pub testid: Option<AttrValue>,
    #[prop_or_default]
    pub inputmode: Option<AttrValue>,
    #[prop_or_default]
    pub size: Option<AttrValue>,
}

/// The field's own text, when it differs from following the document.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Draft {
    /// Show the document's value.
    #[default]
    Following,
    /// The user is typing this.
    Typing(String),
    /// This was saved; shown until the document's value changes.
    Saved(String),
}

pub enum DraftEvent {
    Input(String),
    Saved(String),
    Refused,
    Blur,
    DocumentChanged,
}

impl Reducible for Draft {
    type Action = DraftEvent;

    fn reduce(self: Rc<Self>, event: DraftEvent) -> Rc<Self> {
        let next = match (event, &*self) {
            (DraftEvent::Input(text), _) => Draft::Typing(text),
            (DraftEvent::Saved(text), _) => Draft::Saved(text),
            (DraftEvent::Refused, _) => Draft::Following,
            // Left without a change event: the text is what the field had on focus.
            (DraftEvent::Blur, Draft::Typing(_)) => Draft::Following,
            (DraftEvent::DocumentChanged, Draft::Saved(_)) => Draft::Following,
            (DraftEvent::Blur | DraftEvent::DocumentChanged, _) => return self,
        };
        Rc::new(next)
    }
}

impl Draft {
    fn text(&self) -> Option<&str> {
        match self {
            Draft::Following => None,
            Draft::Typing(text) | Draft::Saved(text) => Some(text),
        }
    }
}

#[component]
pub fn SavedText(props: &SavedTextProps) -> Html {
    let draft = use_reducer(Draft::default);
    {
        let draft = draft.dispatcher();
        use_effect_with(props.value.clone(), move |_| draft.dispatch(DraftEvent::DocumentChanged));
    }
    // Both elements expose `value` the same way; the input's binding reads either.
    let text = |e: &Event| e.target_unchecked_into::<HtmlInputElement>().value();
    let oninput = {
        let draft = draft.dispatcher();
        Callback::from(move |e: InputEvent| draft.dispatch(DraftEvent::Input(text(&e))))
    };
    let onchange = {
        let (draft, on_save) = (draft.dispatcher(), props.on_save.clone());
        Callback::from(move |e: Event| {
            let value = text(&e);
            let saved = on_save.emit(value.clone());
            draft.dispatch(if saved { DraftEvent::Saved(value) } else { DraftEvent::Refused });
        })
    };
    let onblur = {
        let draft = draft.dispatcher();
        Callback::from(move |_: FocusEvent| draft.dispatch(DraftEvent::Blur))
    };
    let value = draft.text().map(AttrValue::from).unwrap_or_else(|| props.value.clone());
    match props.rows {
        Some(rows) => html! {
            <textarea id={props.id.clone()} rows={rows.to_string()} aria-label={props.aria_label.clone()}
                data-testid={props.testid.clone()} value={value} {oninput} {onchange} {onblur} />
        },
        None => html! {
            <input type="text" id={props.id.clone()} aria-label={props.aria_label.clone()} data-testid={props.testid.clone()}
                inputmode={props.inputmode.clone()} size={props.size.clone()} value={value} {oninput} {onchange} {onblur} />
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(events: impl IntoIterator<Item = DraftEvent>) -> Draft {
        events.into_iter().fold(Rc::new(Draft::Following), Reducible::reduce).as_ref().clone()
    }

    #[test]
    fn a_document_change_while_typing_keeps_the_typed_text() {
        let draft = after([DraftEvent::Input("ร่าง".into()), DraftEvent::DocumentChanged]);
        assert_eq!(draft.text(), Some("ร่าง"));
    }

    #[test]
    fn saved_text_shows_until_the_document_changes_then_the_field_follows_it_again() {
        let saved = after([DraftEvent::Input("ก".into()), DraftEvent::Saved("ก".into()), DraftEvent::Blur]);
        assert_eq!(saved.text(), Some("ก"), "no flash of the old value before the edit lands");
        let followed = after([DraftEvent::Saved("ก".into()), DraftEvent::DocumentChanged]);
        assert_eq!(followed.text(), None);
    }

    #[test]
    fn refused_text_and_an_unchanged_field_follow_the_document() {
        assert_eq!(after([DraftEvent::Input("abc".into()), DraftEvent::Refused]).text(), None);
        assert_eq!(after([DraftEvent::Input("x".into()), DraftEvent::Blur]).text(), None);
    }
}
