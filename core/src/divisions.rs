//! Division names as people write them: "สำนักปลัด" and "สำนักงานปลัด" are one division,
//! "๔.กองการศึกษาฯ" and "กองการศึกษา" another. Resolution is by the directory's canonical name and
//! aliases, after normalising what does not carry meaning (list numbers, spacing, invisible
//! characters, a final ฯ).

use crate::model::{Division, DivisionId};

/// How a written name matched a division.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    pub division: DivisionId,
    /// True when the name was the canonical one (up to spacing and numbering); false when an alias
    /// matched, which an import reports as a correction.
    pub canonical: bool,
}

/// Normalises a written division name for comparison.
pub fn normalize(name: &str) -> String {
    let without_number = strip_list_number(name.trim());
    let cleaned: String = without_number
        .replace("\u{0E4D}\u{0E32}", "\u{0E33}")
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}' | '\u{00AD}'))
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join("");
    collapsed.trim_end_matches('ฯ').to_string()
}

/// "๑.สำนักปลัด", "1. สำนักปลัด", "(1) สำนักปลัด" → "สำนักปลัด".
fn strip_list_number(text: &str) -> &str {
    let rest = text.trim_start_matches(['(', ' ']);
    let digits_end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || ('๐'..='๙').contains(c)))
        .map_or(rest.len(), |(i, _)| i);
    if digits_end == 0 {
        return text;
    }
    let after = &rest[digits_end..];
    match after.strip_prefix(['.', ')']) {
        Some(stripped) => stripped.trim_start(),
        None => text,
    }
}

/// Finds the division a written name means.
pub fn resolve_detailed<'a>(
    divisions: impl IntoIterator<Item = (&'a DivisionId, &'a Division)>,
    name: &str,
) -> Option<Resolution> {
    let wanted = normalize(name);
    if wanted.is_empty() {
        return None;
    }
    let mut alias_match = None;
    for (id, division) in divisions {
        if normalize(&division.name) == wanted {
            return Some(Resolution { division: id.clone(), canonical: true });
        }
        if alias_match.is_none() && division.aliases.iter().any(|a| normalize(a) == wanted) {
            alias_match = Some(Resolution { division: id.clone(), canonical: false });
        }
    }
    alias_match
}

/// Finds the id of the division a written name means.
pub fn resolve<'a>(
    divisions: impl IntoIterator<Item = (&'a DivisionId, &'a Division)>,
    name: &str,
) -> Option<DivisionId> {
    resolve_detailed(divisions, name).map(|r| r.division)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn directory() -> BTreeMap<DivisionId, Division> {
        let mut map = BTreeMap::new();
        let mut add = |id: &str, name: &str, aliases: &[&str]| {
            map.insert(
                id.to_string(),
                Division {
                    name: name.into(),
                    aliases: aliases.iter().map(|a| a.to_string()).collect(),
                    pos: id.into(),
                    retired: false,
                },
            );
        };
        add("palad", "สำนักปลัด", &["สำนักงานปลัด"]);
        add("education", "กองการศึกษาฯ", &["กองการศึกษา ศาสนาและวัฒนธรรม"]);
        add("disaster", "งานป้องกันและบรรเทาสาธารณภัย", &[]);
        map
    }

    #[test]
    fn names_resolve_to_one_division() {
        let dir = directory();
        let cases = [
            ("สำนักปลัด", Some(("palad", true))),
            ("๑.สำนักปลัด", Some(("palad", true))),
            ("1. สำนักปลัด", Some(("palad", true))),
            ("สำนักงานปลัด", Some(("palad", false))),
            ("๑.สำนักงานปลัด", Some(("palad", false))),
            ("กองการศึกษาฯ", Some(("education", true))),
            ("๔.กองการศึกษา", Some(("education", true))),
            ("กองการศึกษา ศาสนาและวัฒนธรรม", Some(("education", false))),
            ("งานป้องกันและ บรรเทาสาธารณภัย", Some(("disaster", true))),
            ("สำนัก\u{200B}ปลัด", Some(("palad", true))),
            ("กองคลัง", None),
            ("", None),
            ("๑.", None),
        ];
        for (name, expected) in cases {
            let got = resolve_detailed(dir.iter(), name);
            let expected = expected.map(|(id, canonical)| Resolution { division: id.into(), canonical });
            assert_eq!(got, expected, "{name:?}");
            assert_eq!(resolve(dir.iter(), name), expected.map(|r| r.division), "{name:?}");
        }
    }
}
