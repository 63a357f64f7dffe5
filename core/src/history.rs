//! History: who changed what about a measure, and when, read from the documents' own changes.
//!
//! Each change's effect is the diff between its dependencies and itself, so the history shows
//! exactly what that commit did, whoever made it (our apps, or any automerge-repo client).

use automerge::{Automerge, PatchAction, Prop};

use crate::model::{DirectoryDoc, DocKey, DocKind};
use crate::tracks::Slot;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    /// Unix milliseconds (the change's timestamp, which has second precision).
    pub at_ms: i64,
    pub actor: String,
    /// The user the directory maps this actor to.
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub document: DocKey,
    /// The commit message.
    pub message: String,
    pub change_hash: String,
    pub fields: Vec<FieldChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// "status", "text", "title", "methods", "schedule", "decision", …
    pub field: String,
    /// The new value, when it is a scalar or a whole new text.
    pub value: Option<String>,
}

/// Every change of `doc` that touched the integrity measure `measure`, oldest first.
pub fn measure_history(
    doc: &Automerge,
    document: &DocKey,
    measure: &str,
    directory: &DirectoryDoc,
) -> Vec<HistoryEntry> {
    measure_history_in(doc, document, &Slot::INTEGRITY, measure, directory)
}

/// Every change of `doc` that touched `measure` of `slot`'s track (its plan) and round (its
/// results, review and the coordinator's result for the round), oldest first.
pub fn measure_history_in(
    doc: &Automerge,
    document: &DocKey,
    slot: &Slot,
    measure: &str,
    directory: &DirectoryDoc,
) -> Vec<HistoryEntry> {
    let mut entries = Vec::new();
    for meta in doc.get_changes_meta(&[]) {
        let patches = doc.diff(&meta.deps, &[meta.hash]);
        let mut fields: Vec<FieldChange> = Vec::new();
        for patch in &patches {
            let mut keys: Vec<String> = patch
                .path
                .iter()
                .map(|(_, prop)| match prop {
                    Prop::Map(k) => k.clone(),
                    Prop::Seq(i) => i.to_string(),
                })
                .collect();
            let value = match &patch.action {
                PatchAction::PutMap { key, value, .. } => {
                    keys.push(key.clone());
                    Some(match &value.0 {
                        automerge::Value::Scalar(s) => match s.as_ref() {
                            automerge::ScalarValue::Str(s) => s.to_string(),
                            other => other.to_string(),
                        },
                        automerge::Value::Object(_) => String::new(),
                    })
                }
                PatchAction::DeleteMap { key } => {
                    keys.push(key.clone());
                    None
                }
                _ => None,
            };
            let Some(keys) = within(document.kind, slot, &keys) else { continue };
            let Some(field) = field_of(document.kind, keys, measure) else { continue };
            let value = value.filter(|v| !v.is_empty());
            match fields.iter_mut().find(|f| f.field == field) {
                Some(existing) => {
                    if value.is_some() {
                        existing.value = value;
                    }
                }
                None => fields.push(FieldChange { field, value }),
            }
        }
        if fields.is_empty() {
            continue;
        }
        // A change that created the whole measure or result says just that, not every field inside.
        if let Some(created) = fields.iter().find(|f| f.field == "measure" || f.field == "result").cloned() {
            fields = vec![created];
        }
        let actor = meta.actor.to_hex_string();
        let (username, display_name) = who(directory, &actor);
        entries.push(HistoryEntry {
            at_ms: meta.timestamp.saturating_mul(1000),
            actor,
            username,
            display_name,
            document: document.clone(),
            message: meta.message.as_deref().unwrap_or_default().to_string(),
            change_hash: meta.hash.to_string(),
            fields,
        });
    }
    entries
}

/// The part of a path below `slot`'s place in a document of `kind`: the whole path for the
/// integrity measures (at the top-level keys), below `tracks/{t}` in the plan and below
/// `tracks/{t}/rounds/{r}` in results and the review; `None` for a path elsewhere.
fn within<'a>(kind: DocKind, slot: &Slot, keys: &'a [String]) -> Option<&'a [String]> {
    let Some(track) = slot.track.as_deref() else {
        return (keys.first().map(String::as_str) != Some("tracks")).then_some(keys);
    };
    match (kind, keys) {
        (DocKind::Plan, [root, t, rest @ ..]) if root == "tracks" && t == track => Some(rest),
        (DocKind::Results | DocKind::Review, [root, t, rounds, r, rest @ ..])
            if root == "tracks" && t == track && rounds == "rounds" && Some(r.as_str()) == slot.round.as_deref() =>
        {
            Some(rest)
        }
        _ => None,
    }
}

/// The field of `measure` a path touches, if it touches that measure at all.
fn field_of(kind: DocKind, keys: &[String], measure: &str) -> Option<String> {
    let rest = match kind {
        DocKind::Plan => match keys {
            [root, m, rest @ ..] if root == "measures" && m == measure => rest,
            _ => return None,
        },
        DocKind::Results => match keys {
            [root, m, rest @ ..] if root == "results" && m == measure => rest,
            _ => return None,
        },
        DocKind::Review => match keys {
            [root, key, rest @ ..] if root == "decisions" && key.split_once('/').is_some_and(|(m, _)| m == measure) => {
                if rest.is_empty() {
                    return Some("decision".into());
                }
                rest
            }
            // A track's round: the coordinator's result of the project for the round's report.
            [root, m, ..] if root == "published" && m == measure => return Some("round_result".into()),
            _ => return None,
        },
        _ => return None,
    };
    Some(match rest.first() {
        None => match kind {
            DocKind::Plan => "measure".into(),
            _ => "result".into(),
        },
        // updated_by/updated_at accompany every edit; they are not news on their own.
        Some(f) if f == "updated_by" || f == "updated_at" => return None,
        Some(f) if f == "pos" => "order".into(),
        Some(f) => f.clone(),
    })
}

/// Merges several documents' histories of one measure, oldest first. Timestamps have second
/// precision, so the sort is stable: within one second each document keeps its causal order.
pub fn merge_histories(parts: Vec<Vec<HistoryEntry>>) -> Vec<HistoryEntry> {
    let mut all: Vec<HistoryEntry> = parts.into_iter().flatten().collect();
    all.sort_by_key(|entry| entry.at_ms);
    all
}

/// The user (and their display name) the directory maps an actor to.
fn who(directory: &DirectoryDoc, actor: &str) -> (Option<String>, Option<String>) {
    let info = directory.actors.get(actor).or_else(|| directory.actors.get(crate::docs::registered_actor(actor)));
    let username = info.map(|a| a.username.clone());
    let display_name = username.as_ref().and_then(|u| directory.users.get(u)).map(|u| u.display_name.clone());
    (username, display_name)
}

/// One change anywhere in an agency-year, for the central office's activity feed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActivityEntry {
    /// Unix milliseconds (second precision).
    pub at_ms: i64,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub document: DocKey,
    pub message: String,
    pub change_hash: String,
    /// The measures the change touched, in the order first touched.
    pub measures: Vec<String>,
}

/// The latest `limit` changes across `documents`, newest first, each with the measures it touched.
pub fn activity<'a>(
    documents: impl IntoIterator<Item = (&'a DocKey, &'a Automerge)>,
    directory: &DirectoryDoc,
    limit: usize,
) -> Vec<ActivityEntry> {
    let mut entries = Vec::new();
    for (document, doc) in documents {
        let mut metas = doc.get_changes_meta(&[]);
        metas.sort_by_key(|m| std::cmp::Reverse(m.timestamp));
        for meta in metas.into_iter().take(limit) {
            let mut measures: Vec<String> = Vec::new();
            for patch in doc.diff(&meta.deps, &[meta.hash]) {
                let mut keys = patch.path.iter().map(|(_, prop)| match prop {
                    Prop::Map(k) => k.clone(),
                    Prop::Seq(i) => i.to_string(),
                });
                let (first, second) = (keys.next(), keys.next());
                let second = second.or(match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => Some(key.clone()),
                    _ => None,
                });
                let measure = match (document.kind, first.as_deref(), second) {
                    (DocKind::Plan, Some("measures"), Some(m)) | (DocKind::Results, Some("results"), Some(m)) => {
                        Some(m)
                    }
                    (DocKind::Review, Some("decisions"), Some(key)) => key.split_once('/').map(|(m, _)| m.to_string()),
                    _ => None,
                };
                if let Some(m) = measure.filter(|m| !measures.contains(m)) {
                    measures.push(m);
                }
            }
            let (username, display_name) = who(directory, &meta.actor.to_hex_string());
            entries.push(ActivityEntry {
                at_ms: meta.timestamp.saturating_mul(1000),
                username,
                display_name,
                document: document.clone(),
                message: meta.message.as_deref().unwrap_or_default().to_string(),
                change_hash: meta.hash.to_string(),
                measures,
            });
        }
    }
    // Newest first; within a second, by document and hash so the order is stable.
    entries.sort_by(|a, b| b.at_ms.cmp(&a.at_ms).then_with(|| a.change_hash.cmp(&b.change_hash)));
    entries.truncate(limit);
    entries
}
