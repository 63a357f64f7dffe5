//! Conflicts: a key that two devices set concurrently holds several values; Automerge shows one
//! and keeps the others, which `get_all` returns. The merged view lists every such key so that a
//! person decides, and nothing anyone typed disappears without being shown.

use automerge::{ObjId, ObjType, Prop, ROOT, ReadDoc, Value};

use crate::model::DocKey;

/// One key with concurrent values.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conflict {
    pub document: DocKey,
    /// Keys from the document root to the conflicting key.
    pub path: Vec<String>,
    /// The measure this concerns, when the path says.
    pub measure: Option<String>,
    /// The division this concerns (for results and review documents).
    pub division: Option<String>,
    /// The field, e.g. "status", "text", "schedule", or "result" for a whole result created twice.
    pub field: String,
    /// Every value, the one currently shown last.
    pub values: Vec<ConflictValue>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConflictValue {
    /// The value as text (an object shows all the text inside it).
    pub display: String,
    /// For an object value, its Automerge object id (`doc.import` reads it back).
    pub object: Option<String>,
}

/// Every conflict in a document.
pub fn find_conflicts(doc: &impl ReadDoc, document: &DocKey) -> Vec<Conflict> {
    let mut found = Vec::new();
    walk(doc, &ROOT, &mut Vec::new(), document, &mut found);
    found
}

fn walk(doc: &impl ReadDoc, obj: &ObjId, path: &mut Vec<String>, document: &DocKey, found: &mut Vec<Conflict>) {
    let Ok(obj_type) = doc.object_type(obj) else { return };
    let props: Vec<Prop> = match obj_type {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(Prop::Map).collect(),
        ObjType::List => (0..doc.length(obj)).map(Prop::Seq).collect(),
        ObjType::Text => return,
    };
    for prop in props {
        let key = match &prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        };
        let Ok(values) = doc.get_all(obj, prop.clone()) else { continue };
        path.push(key);
        if values.len() > 1 {
            found.push(describe(doc, path, document, &values));
        }
        // Look inside the value that is shown (the last one).
        if let Some((Value::Object(_), child)) = values.last() {
            walk(doc, child, path, document, found);
        }
        path.pop();
    }
}

fn describe(doc: &impl ReadDoc, path: &[String], document: &DocKey, values: &[(Value<'_>, ObjId)]) -> Conflict {
    let values = values
        .iter()
        .map(|(value, id)| match value {
            Value::Object(_) => ConflictValue { display: render(doc, id, 0), object: Some(id.to_string()) },
            Value::Scalar(s) => ConflictValue { display: scalar_display(s), object: None },
        })
        .collect();
    let (measure, division, field) = locate(path, document);
    Conflict { document: document.clone(), path: path.to_vec(), measure, division, field, values }
}

/// Where a path points, in the product's terms.
fn locate(path: &[String], document: &DocKey) -> (Option<String>, Option<String>, String) {
    use crate::model::DocKind;
    let get = |i: usize| path.get(i).cloned();
    match (document.kind, path.first().map(String::as_str)) {
        (DocKind::Plan, Some("measures")) => {
            let field = if path.len() <= 2 { "measure".to_string() } else { path[2..].join(".") };
            (get(1), None, field)
        }
        (DocKind::Results, Some("results")) => {
            let field = if path.len() <= 2 { "result".to_string() } else { path[2..].join(".") };
            (get(1), document.division.clone(), field)
        }
        (DocKind::Review, Some("decisions")) => {
            let (measure, division) = match get(1).as_deref().and_then(|k| k.split_once('/')) {
                Some((m, d)) => (Some(m.to_string()), Some(d.to_string())),
                None => (None, None),
            };
            let field = if path.len() <= 2 { "decision".to_string() } else { path[2..].join(".") };
            (measure, division, field)
        }
        _ => (None, None, path.join(".")),
    }
}

fn scalar_display(s: &automerge::ScalarValue) -> String {
    match s {
        automerge::ScalarValue::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// All text inside an object, for showing a conflicting object to a person. Depth is bounded.
fn render(doc: &impl ReadDoc, obj: &ObjId, depth: usize) -> String {
    if depth > 8 {
        return String::new();
    }
    match doc.object_type(obj) {
        Ok(ObjType::Text) => doc.text(obj).unwrap_or_default(),
        Ok(ObjType::Map | ObjType::Table) => {
            let parts: Vec<String> = doc
                .keys(obj)
                .filter(|k| k != "pos")
                .filter_map(|k| {
                    let shown = match doc.get(obj, k.as_str()).ok().flatten()? {
                        (Value::Object(_), id) => render(doc, &id, depth + 1),
                        (Value::Scalar(s), _) => scalar_display(&s),
                    };
                    (!shown.is_empty()).then(|| format!("{k}: {shown}"))
                })
                .collect();
            parts.join("; ")
        }
        Ok(ObjType::List) => (0..doc.length(obj))
            .filter_map(|i| match doc.get(obj, i).ok().flatten()? {
                (Value::Object(_), id) => Some(render(doc, &id, depth + 1)),
                (Value::Scalar(s), _) => Some(scalar_display(&s)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => String::new(),
    }
}
