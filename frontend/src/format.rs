//! How times, dates and numbers look on screen (Buddhist Era; Thai digits are for official
//! output, the screen uses the digits people type).

use prongsai_core::calendar::Date;
use prongsai_core::thai::{self, Digits, MonthStyle};

use crate::i18n::Lang;

/// "26 พ.ย. 2569 14:05" (Thai time) from Unix milliseconds.
pub fn when(ms: i64, lang: Lang) -> String {
    let date = Date::from_unix_millis_bangkok(ms);
    let minutes_of_day = (ms.div_euclid(60_000) + 7 * 60).rem_euclid(24 * 60);
    let time = format!("{:02}:{:02}", minutes_of_day / 60, minutes_of_day % 60);
    format!("{} {time}", day(date, lang))
}

/// "26 พ.ย. 2569", or "26 Nov 2569 BE" in English.
pub fn day(date: Date, lang: Lang) -> String {
    match lang {
        Lang::Th => thai::format_date(date, MonthStyle::Abbreviated, Digits::Arabic),
        Lang::En => format!("{} {} {} BE", date.day(), MONTHS_EN[usize::from(date.month() - 1)], date.year_be()),
    }
}

pub const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A fresh id for a new item (measure, method, evidence): time plus randomness, so that two
/// devices adding items offline never pick the same one.
pub fn new_id(prefix: &str) -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e9) as u64;
    format!("{prefix}-{now:x}{random:x}")
}
