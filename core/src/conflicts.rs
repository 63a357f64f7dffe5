//! Conflicts: a key that two devices set concurrently holds several values; Automerge shows one
//! and keeps the others, which `get_all` returns. The merged view lists every such key so that a
//! person decides, and nothing anyone typed disappears without being shown.

use automerge::transaction::{Transactable, Transaction};
use automerge::{ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value, ValueRef};

use crate::docs::DocError;
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
    // One pass over the values shown, each saying whether others compete with it: only those
    // (rare) are read again in full. Asking every key for all its values cost a seek per key,
    // a quarter of the time a tablet spent reading the agency-year's model.
    let shown: Vec<(Prop, bool, Option<ObjId>)> = match obj_type {
        ObjType::Map | ObjType::Table => doc
            .map_range(obj, ..)
            .map(|item| {
                let child = matches!(item.value, ValueRef::Object(_)).then(|| item.id());
                (Prop::Map(item.key.into_owned()), item.conflict, child)
            })
            .collect(),
        ObjType::List => doc
            .list_range(obj, ..)
            .map(|item| {
                (Prop::Seq(item.index), item.conflict, matches!(item.value, ValueRef::Object(_)).then(|| item.id()))
            })
            .collect(),
        ObjType::Text => return,
    };
    for (prop, conflict, child) in shown {
        path.push(match &prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        });
        if conflict
            && let Ok(values) = doc.get_all(obj, prop)
            && values.len() > 1
        {
            found.push(describe(doc, path, document, &values));
        }
        // Look inside the value that is shown.
        if let Some(child) = child {
            walk(doc, &child, path, document, found);
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

/// How many keys of a path name its track (and round): `tracks/{t}` in the plan,
/// `tracks/{t}/rounds/{r}` in results and the review; none for the integrity measures' keys.
fn track_prefix(path: &[String], document: &DocKey) -> usize {
    use crate::model::DocKind;
    match (document.kind, path.first().map(String::as_str)) {
        (DocKind::Plan, Some("tracks")) => 2,
        (DocKind::Results | DocKind::Review | DocKind::Memo, Some("tracks")) => 4,
        _ => 0,
    }
}

impl Conflict {
    /// Whether this conflict is about `slot`'s track and round (the integrity measures' keys
    /// for the default slot): what a view of that slot lists.
    pub fn in_slot(&self, slot: &crate::tracks::Slot) -> bool {
        let at = |i: usize| self.path.get(i).map(String::as_str);
        match slot.track.as_deref() {
            None => at(0) != Some("tracks"),
            Some(track) => match track_prefix(&self.path, &self.document) {
                2 => at(1) == Some(track),
                4 => at(1) == Some(track) && at(2) == Some("rounds") && at(3) == slot.round.as_deref(),
                _ => false,
            },
        }
    }
}

/// Where a path points, in the product's terms (below a track's and round's keys, as the
/// integrity measures' are at the top).
fn locate(path: &[String], document: &DocKey) -> (Option<String>, Option<String>, String) {
    use crate::model::DocKind;
    let path = &path[track_prefix(path, document).min(path.len())..];
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
        (DocKind::Review, Some("published")) => (get(1), None, "round_result".to_string()),
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

/// Settles a conflict by writing again the value a person chose: `index` into the values at
/// `path` (as [`find_conflicts`] listed them), whose shown text must still be `expected`. After
/// this the key has one value; the others remain in the document's history.
pub fn resolve(tx: &mut Transaction<'_>, path: &[String], index: usize, expected: &str) -> Result<(), DocError> {
    let gone = || DocError::Invalid("this conflict has already been settled".into());
    let (last, parents) = path.split_last().ok_or_else(gone)?;
    let mut obj = ROOT;
    for key in parents {
        let prop = prop_of(tx, &obj, key)?;
        match tx.get(&obj, prop)? {
            Some((Value::Object(_), id)) => obj = id,
            _ => return Err(gone()),
        }
    }
    let prop = prop_of(tx, &obj, last)?;
    let values = tx.get_all(&obj, prop.clone())?;
    if values.len() < 2 {
        return Err(gone());
    }
    let (value, id) = values.get(index).ok_or_else(gone)?;
    let shown = match value {
        Value::Object(_) => render(tx, id, 0),
        Value::Scalar(s) => scalar_display(s),
    };
    if shown != expected {
        return Err(DocError::Invalid("the values changed while you were choosing; look again".into()));
    }
    match value {
        Value::Scalar(s) => {
            let s: ScalarValue = s.as_ref().clone();
            tx.put(&obj, prop, s)?;
        }
        Value::Object(_) => {
            let copy = Node::read(tx, id, 0);
            copy.write(tx, &obj, prop)?;
        }
    }
    Ok(())
}

fn prop_of(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Result<Prop, DocError> {
    match doc.object_type(obj)? {
        ObjType::List | ObjType::Text => {
            key.parse::<usize>().map(Prop::Seq).map_err(|_| DocError::Invalid(format!("{key:?} is not a list index")))
        }
        ObjType::Map | ObjType::Table => Ok(Prop::Map(key.to_string())),
    }
}

/// A detached copy of an object's current value, so the chosen one can be written back whole.
enum Node {
    Scalar(ScalarValue),
    Text(String),
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
}

impl Node {
    fn read(doc: &impl ReadDoc, obj: &ObjId, depth: usize) -> Node {
        let child = |value: Value<'_>, id: ObjId| match value {
            Value::Object(_) if depth < 32 => Node::read(doc, &id, depth + 1),
            Value::Object(_) => Node::Map(Vec::new()),
            Value::Scalar(s) => Node::Scalar(s.into_owned()),
        };
        match doc.object_type(obj) {
            Ok(ObjType::Text) => Node::Text(doc.text(obj).unwrap_or_default()),
            Ok(ObjType::List) => Node::List(
                (0..doc.length(obj))
                    .filter_map(|i| doc.get(obj, i).ok().flatten())
                    .map(|(v, id)| child(v, id))
                    .collect(),
            ),
            _ => Node::Map(
                doc.keys(obj)
                    .filter_map(|k| doc.get(obj, k.as_str()).ok().flatten().map(|(v, id)| (k, child(v, id))))
                    .collect(),
            ),
        }
    }

    fn write(self, tx: &mut Transaction<'_>, parent: &ObjId, prop: Prop) -> Result<(), DocError> {
        match self {
            Node::Scalar(s) => {
                tx.put(parent, prop, s)?;
            }
            Node::Text(text) => {
                let id = tx.put_object(parent, prop, ObjType::Text)?;
                tx.splice_text(&id, 0, 0, &text)?;
            }
            Node::Map(entries) => {
                let id = tx.put_object(parent, prop, ObjType::Map)?;
                for (key, node) in entries {
                    node.write(tx, &id, Prop::Map(key))?;
                }
            }
            Node::List(items) => {
                let id = tx.put_object(parent, prop, ObjType::List)?;
                for (i, node) in items.into_iter().enumerate() {
                    node.insert(tx, &id, i)?;
                }
            }
        }
        Ok(())
    }

    fn insert(self, tx: &mut Transaction<'_>, list: &ObjId, index: usize) -> Result<(), DocError> {
        match self {
            Node::Scalar(s) => tx.insert(list, index, s)?,
            other => {
                tx.insert(list, index, ScalarValue::Null)?;
                other.write(tx, list, Prop::Seq(index))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use automerge::{Automerge, ObjType, ROOT, transaction::Transactable};

    use super::find_conflicts;
    use crate::model::{DocKey, DocKind};

    #[test]
    fn every_key_two_devices_set_at_once_is_found_in_maps_and_lists_and_no_other() {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let measures = tx.put_object(ROOT, "measures", ObjType::Map).expect("measures");
        let measure = tx.put_object(&measures, "m1", ObjType::Map).expect("measure");
        tx.put(&measure, "title", "มาตรการ").expect("title");
        let methods = tx.put_object(&measure, "methods", ObjType::List).expect("methods");
        tx.insert(&methods, 0, "วิธีที่ ๑").expect("method");
        let step = tx.insert_object(&methods, 1, ObjType::Map).expect("step");
        tx.put(&step, "note", "ก").expect("note");
        tx.put(&step, "kept", "เดิม").expect("kept");
        tx.put(ROOT, "untouched", "เดิม").expect("untouched");
        tx.commit();
        let mut other = doc.fork();
        for (device, [title, method, note]) in [(&mut doc, ["ก", "ข", "ค"]), (&mut other, ["ง", "จ", "ฉ"])]
        {
            let mut tx = device.transaction();
            tx.put(&measure, "title", title).expect("title");
            tx.put(&methods, 0, method).expect("method");
            tx.put(&step, "note", note).expect("note");
            tx.commit();
        }
        doc.merge(&mut other).expect("merge");

        let found = find_conflicts(&doc, &DocKey { kind: DocKind::Plan, division: None });
        let mut paths: Vec<String> = found.iter().map(|c| c.path.join("/")).collect();
        paths.sort();
        assert_eq!(paths, ["measures/m1/methods/0", "measures/m1/methods/1/note", "measures/m1/title"]);
        assert!(found.iter().all(|c| c.values.len() == 2), "both devices' values are kept: {found:?}");
    }
}
