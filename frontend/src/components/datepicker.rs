//! A date picker that speaks Buddhist Era: day, Thai month, and the year as people write it
//! (2565, not 2022).

use prongsai_core::calendar::Date;
use prongsai_core::thai::MONTHS_FULL;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::saved_text::SavedText;
use crate::format::MONTHS_EN;
use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct BeDatePickerProps {
    pub label: AttrValue,
    pub value: Date,
    /// `None` means "back to today".
    pub on_change: Callback<Option<Date>>,
    pub lang: Lang,
}

/// The date with one part replaced, clamped to the month's last day (31 มกราคม → กุมภาพันธ์ gives
/// the 28th or 29th).
pub fn with_part(date: Date, year_be: Option<i32>, month: Option<u8>, day: Option<u8>) -> Option<Date> {
    let year = year_be.map(|y| y - 543).unwrap_or(date.year());
    let month = month.unwrap_or(date.month());
    let day = day.unwrap_or(date.day());
    (1..=day).rev().find_map(|d| Date::new(year, month, d))
}

#[component]
pub fn BeDatePicker(props: &BeDatePickerProps) -> Html {
    let lang = props.lang;
    let value = props.value;
    let days = (1..=31u8).filter(|d| Date::new(value.year(), value.month(), *d).is_some());
    let on_day = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: Event| {
            let day = e.target_unchecked_into::<HtmlSelectElement>().value().parse().ok();
            if let Some(date) = with_part(value, None, None, day) {
                on_change.emit(Some(date));
            }
        })
    };
    let on_month = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: Event| {
            let month = e.target_unchecked_into::<HtmlSelectElement>().value().parse().ok();
            if let Some(date) = with_part(value, None, month, None) {
                on_change.emit(Some(date));
            }
        })
    };
    let on_year = {
        let on_change = props.on_change.clone();
        Callback::from(move |text: String| {
            let year = prongsai_core::thai::parse_number(&text).and_then(|y| i32::try_from(y).ok());
            // A CE year typed by mistake (2022) is not a Buddhist Era year: refuse it.
            let date = year.filter(|y| *y >= 2400).and_then(|year| with_part(value, Some(year), None, None));
            date.inspect(|date| on_change.emit(Some(*date))).is_some()
        })
    };
    let today = {
        let on_change = props.on_change.clone();
        Callback::from(move |_| on_change.emit(None))
    };
    html! {
        <fieldset class="be-date" data-testid="be-date">
            <legend>{ props.label.clone() }</legend>
            <select aria-label={lang.pick("วัน", "Day")} onchange={on_day}>
                { for days.map(|d| html! { <option value={d.to_string()} selected={d == value.day()}>{ d }</option> }) }
            </select>
            <select aria-label={lang.pick("เดือน", "Month")} onchange={on_month}>
                { for (1..=12u8).map(|m| {
                    let name = match lang { Lang::Th => MONTHS_FULL[usize::from(m - 1)], Lang::En => MONTHS_EN[usize::from(m - 1)] };
                    html! { <option value={m.to_string()} selected={m == value.month()}>{ name }</option> }
                }) }
            </select>
            <SavedText inputmode="numeric" size="4" aria_label={lang.pick("ปี พ.ศ.", "Year (BE)")}
                value={value.year_be().to_string()} on_save={on_year} />
            <button type="button" class="small" onclick={today}>{ lang.pick("วันนี้", "Today") }</button>
        </fieldset>
    }
}
