//! Where a page is, as its own address: the URL's fragment names the page, the fiscal year and the
//! track and round shown, so the browser's Back and Forward, a reload and a pasted or bookmarked
//! link land on the same page, on the web and in the app's webview alike (a fragment needs no
//! server route: the web server and the app's asset protocol both serve the one page).
//!
//! `#/measure/m3?year=2568&track=anticorruption&round=half`: the page first, then what it is of.

use prongsai_core::tracks::Slot;

use crate::state::Route;

/// A page of one year and track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub route: Route,
    /// The fiscal year (BE); the person's current one when the address names none.
    pub year: Option<i64>,
    pub slot: Slot,
}

impl Place {
    /// The page's address, or `None` for the pages that have none (opening, signing in).
    pub fn fragment(&self) -> Option<String> {
        let page = match &self.route {
            Route::Starting | Route::Login => return None,
            Route::Dashboard => "dashboard".to_string(),
            Route::Table => "table".to_string(),
            Route::Measure(id) => format!("measure/{}", encode(id)),
            Route::Memo => "memo".to_string(),
            Route::Reports => "reports".to_string(),
            Route::Users => "users".to_string(),
            Route::Account => "account".to_string(),
            Route::Agency => "agency".to_string(),
            Route::Notifications => "notifications".to_string(),
            Route::Itas => "itas".to_string(),
            Route::Tracks => "tracks".to_string(),
        };
        let query: Vec<String> = [
            self.year.map(|y| format!("year={y}")),
            self.slot.track.as_deref().map(|t| format!("track={}", encode(t))),
            self.slot.round.as_deref().map(|r| format!("round={}", encode(r))),
        ]
        .into_iter()
        .flatten()
        .collect();
        Some(if query.is_empty() { format!("#/{page}") } else { format!("#/{page}?{}", query.join("&")) })
    }

    /// The place an address names; `None` for an empty or unknown one (which opens the
    /// person's first page).
    pub fn parse(fragment: &str) -> Option<Place> {
        let rest = fragment.strip_prefix('#').unwrap_or(fragment).strip_prefix('/')?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let route = match path.split_once('/') {
            Some(("measure", id)) if !id.is_empty() => Route::Measure(decode(id)?),
            Some(_) => return None,
            None => match path {
                "dashboard" => Route::Dashboard,
                "table" => Route::Table,
                "memo" => Route::Memo,
                "reports" => Route::Reports,
                "users" => Route::Users,
                "account" => Route::Account,
                "agency" => Route::Agency,
                "notifications" => Route::Notifications,
                "itas" => Route::Itas,
                "tracks" => Route::Tracks,
                _ => return None,
            },
        };
        let (mut year, mut track, mut round) = (None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value)?;
            match key {
                "year" => year = Some(value.parse::<i64>().ok().filter(|y| (2400..3000).contains(y))?),
                "track" => track = Some(value),
                "round" => round = Some(value),
                // An address from a later version may say more: what is understood still opens.
                _ => {}
            }
        }
        Some(Place { route, year, slot: Slot::of(track.as_deref(), round.as_deref()) })
    }
}

/// Percent-encodes everything but unreserved ASCII (ids are usually plain, but need not be).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The inverse of [`encode`]; `None` for broken escapes or text that is not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_reads_back_from_its_own_address() {
        let track = Slot::of(Some("ต้านทุจริต 2"), Some("half"));
        for route in [
            Route::Dashboard,
            Route::Table,
            Route::Measure("m3".into()),
            Route::Measure("โครงการ/๑ & ๒?".into()),
            Route::Memo,
            Route::Reports,
            Route::Users,
            Route::Account,
            Route::Agency,
            Route::Notifications,
            Route::Itas,
            Route::Tracks,
        ] {
            for (year, slot) in [(None, Slot::INTEGRITY), (Some(2568), track.clone()), (Some(2565), Slot::INTEGRITY)] {
                let place = Place { route: route.clone(), year, slot };
                let fragment = place.fragment().expect("every page has an address");
                assert!(fragment.is_ascii(), "{fragment} is typed and pasted as it is");
                assert_eq!(Place::parse(&fragment), Some(place), "{fragment}");
            }
        }
        let measure = Place { route: Route::Measure("m3".into()), year: Some(2568), slot: Slot::INTEGRITY };
        assert_eq!(measure.fragment().as_deref(), Some("#/measure/m3?year=2568"));
    }

    #[test]
    fn opening_and_signing_in_have_no_address_and_odd_addresses_open_the_first_page() {
        for route in [Route::Starting, Route::Login] {
            assert_eq!(Place { route, year: None, slot: Slot::INTEGRITY }.fragment(), None);
        }
        for odd in [
            "",
            "#",
            "#/",
            "#/nowhere",
            "#/measure/",
            "#/table/extra",
            "#/table?year=abc",
            "#/table?year=99",
            "#/measure/%E0%B8",
            "#/measure/%zz",
            "table",
        ] {
            assert_eq!(Place::parse(odd), None, "{odd:?}");
        }
        // The integrity measures may be named; a round without a track means nothing.
        let place = Place::parse("#/table?track=integrity&round=annual&later=1").expect("parses");
        assert_eq!(place.slot, Slot::INTEGRITY);
    }
}
