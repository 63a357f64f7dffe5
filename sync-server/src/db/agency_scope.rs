//! Which stored rows are one agency's, in SQL both backends run (`$n` parameters, all text;
//! SQLite gets them as `?n`): for `agency export` and `agency delete`.

/// `pattern` matched literally by `LIKE … ESCAPE '\'`.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The largest character, closing a prefix range (`key >= p AND key < p‖MAX` is "starts with p"
/// on an index, in byte order on both backends).
const MAX: char = '\u{10FFFF}';

/// The condition selecting an agency's settings (its emblem, second-factor rule, published
/// reports and their public names, read notifications, and the verification records of its
/// signed reports), with its parameters from `$1`.
pub fn settings_condition(agency: &str) -> (String, Vec<String>) {
    let exact = ["emblem", "security", "published"].map(|kind| format!("{kind}/{agency}"));
    let prefixes = ["published", "public", "notifications-read"].map(|kind| format!("{kind}/{agency}/"));
    let mut params: Vec<String> = exact.to_vec();
    let mut condition = "key IN ($1, $2, $3)".to_string();
    for prefix in prefixes {
        let n = params.len();
        condition.push_str(&format!(" OR (key >= ${} AND key < ${})", n + 1, n + 2));
        params.push(prefix.clone());
        params.push(format!("{prefix}{MAX}"));
    }
    // A verification record names its agency in its JSON (serde_json writes it compactly).
    let n = params.len();
    condition.push_str(&format!(
        " OR (key >= 'verification/' AND key < 'verification0' AND value LIKE ${} ESCAPE '\\')",
        n + 1
    ));
    params.push(format!("%{}%", like_literal(&format!("\"agency\":\"{agency}\""))));
    (format!("({condition})"), params)
}

/// The statements that remove everything of one agency but its audit log (whose triggers each
/// backend lifts in its own way), children before parents, each with its parameters.
/// `documents` are the agency's document ids (their chunks go first).
pub fn deletion(agency: &str, documents: &[String]) -> Vec<(String, Vec<String>)> {
    let one = |sql: &str| (sql.to_string(), vec![agency.to_string()]);
    let mut statements: Vec<(String, Vec<String>)> = documents
        .iter()
        .map(|doc| {
            (
                "DELETE FROM chunks WHERE key >= $1 AND key < $2".to_string(),
                vec![format!("{doc}/"), format!("{doc}/{MAX}")],
            )
        })
        .collect();
    statements.extend([
        one("DELETE FROM recovery_codes WHERE user_id IN (SELECT id FROM users WHERE agency_id = $1)"),
        one("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE agency_id = $1)"),
        one("DELETE FROM users WHERE agency_id = $1"),
        one("DELETE FROM years WHERE agency_id = $1"),
        one("DELETE FROM documents WHERE agency_id = $1"),
        one("DELETE FROM blobs WHERE agency_id = $1"),
    ]);
    let (condition, params) = settings_condition(agency);
    statements.push((format!("DELETE FROM settings WHERE {condition}"), params));
    statements.push(one("DELETE FROM agencies WHERE id = $1"));
    statements
}

/// The audit log's entries of the agency go last but one (before the agency row goes, after
/// everything else), once the backend has lifted its append-only triggers.
pub const DELETE_AUDIT: &str = "DELETE FROM audit_log WHERE agency_id = $1";

/// Rows one deletion removed, by what they were.
pub type Removed = std::collections::BTreeMap<String, u64>;

/// The table a deletion statement removes from (`DELETE FROM t …`).
pub fn table_of(sql: &str) -> String {
    sql.trim_start_matches("DELETE FROM ").split_whitespace().next().unwrap_or_default().to_string()
}

/// `$n` → `?n`, for SQLite.
pub fn for_sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agency_s_settings_are_its_own_and_no_other_s() {
        let (condition, params) = settings_condition("pak_chong");
        assert_eq!(condition.matches('$').count(), params.len(), "{condition}");
        for n in 1..=params.len() {
            assert!(condition.contains(&format!("${n}")), "{condition} lacks ${n}");
        }
        assert!(params.contains(&"emblem/pak_chong".to_string()));
        // `_` in the id is no wildcard: "pakXchong" does not match.
        assert!(params.last().is_some_and(|p| p.contains("pak\\_chong")), "{params:?}");
        let statements = deletion("pak_chong", &["docA".to_string()]);
        assert_eq!(statements[0].1, vec!["docA/".to_string(), format!("docA/{MAX}")]);
        assert_eq!(statements.last().map(|s| table_of(&s.0)), Some("agencies".to_string()));
        assert_eq!(for_sqlite("key >= $1 AND key < $2"), "key >= ?1 AND key < ?2");
    }
}
