//! Prongsai's patch (see ../autosurgeon/PATCHED.md): a derived struct reads its map in one pass
//! and hydrates each field from the value in hand; a map's and a list's values too. Nothing is
//! sought again by key or index, and what is hydrated is what reading each key would give,
//! conflicts and missing keys included.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::RangeBounds;

use automerge::{self as am, transaction::Transactable, AutoCommit, ObjId};
use autosurgeon::{hydrate, reconcile, Hydrate, HydrateError, Prop, ReadDoc, Reconcile};

/// A document that counts the seeks (`get`) made through it.
struct Counting<'a> {
    doc: &'a AutoCommit,
    gets: Cell<usize>,
}

impl ReadDoc for Counting<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;
    fn get_heads(&self) -> Vec<am::ChangeHash> {
        ReadDoc::get_heads(self.doc)
    }
    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(am::Value<'_>, ObjId)>, am::AutomergeError> {
        self.gets.set(self.gets.get() + 1);
        ReadDoc::get(self.doc, obj, prop)
    }
    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<am::ObjType> {
        ReadDoc::object_type(self.doc, obj)
    }
    fn map_range<'a, O, R>(&'a self, obj: O, range: R) -> am::iter::MapRange<'a>
    where
        R: RangeBounds<String> + 'a,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        ReadDoc::map_range(self.doc, obj, range)
    }
    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        ReadDoc::list_range(self.doc, obj, range)
    }
    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        ReadDoc::length(self.doc, obj)
    }
    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, am::AutomergeError> {
        ReadDoc::text(self.doc, obj)
    }
    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, am::AutomergeError> {
        ReadDoc::parents(self.doc, obj)
    }
    fn is_empty(&self) -> bool {
        ReadDoc::is_empty(self.doc)
    }
}

#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile)]
enum Status {
    Open,
    Done,
}

#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile)]
struct Measure {
    title: String,
    percent: i64,
    done: bool,
    note: Option<String>,
    status: Status,
    tags: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    added_later: String,
}

#[derive(Debug, Clone, PartialEq, Hydrate, Reconcile)]
struct Plan {
    schema: i64,
    measures: BTreeMap<String, Measure>,
    order: Vec<Measure>,
    #[autosurgeon(missing = "Default::default")]
    added_later: BTreeMap<String, String>,
}

fn measure(title: &str, percent: i64) -> Measure {
    Measure {
        title: title.to_string(),
        percent,
        done: false,
        note: None,
        status: Status::Open,
        tags: vec!["ก".to_string(), "ข".to_string()],
        added_later: String::new(),
    }
}

/// A plan two devices edited at once: the same title and note set differently on each.
fn conflicted_plan() -> AutoCommit {
    let mut doc = AutoCommit::new();
    let plan = Plan {
        schema: 3,
        measures: [("m1", measure("ประชุมชี้แจง", 40)), ("m2", measure("เผยแพร่", 0))]
            .into_iter()
            .map(|(k, m)| (k.to_string(), m))
            .collect(),
        order: vec![measure("อบรม", 10)],
        added_later: BTreeMap::new(),
    };
    reconcile(&mut doc, &plan).unwrap();
    // A key a newer release added to the struct is absent here; so is `added_later`.
    let measures = am::ReadDoc::get(&doc, am::ROOT, "measures").unwrap().unwrap().1;
    let m1 = am::ReadDoc::get(&doc, &measures, "m1").unwrap().unwrap().1;
    doc.delete(&m1, "added_later").unwrap();
    doc.delete(am::ROOT, "added_later").unwrap();
    let mut other = doc.fork();
    doc.put(&m1, "title", "ประชุมชี้แจงบุคลากร").unwrap();
    other.put(&m1, "title", "ประชุมชี้แจงผู้บริหาร").unwrap();
    doc.put(&m1, "note", "ในที่ประชุมประจำเดือน").unwrap();
    other.put(&m1, "status", "Done").unwrap();
    doc.merge(&mut other).unwrap();
    assert_eq!(am::ReadDoc::get_all(&doc, &m1, "title").unwrap().len(), 2, "the title conflicts");
    doc
}

/// What each key holds, read one key at a time with automerge itself.
fn read_by_key(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match am::ReadDoc::get(doc, obj, key).unwrap()? {
        (am::Value::Scalar(s), _) => s.as_str().map(str::to_string),
        _ => None,
    }
}

#[test]
fn a_struct_and_its_maps_and_lists_hydrate_in_one_pass_each_as_reading_each_key_would() {
    let doc = conflicted_plan();
    let counting = Counting { doc: &doc, gets: Cell::new(0) };
    let plan: Plan = hydrate(&counting).unwrap();
    assert_eq!(counting.gets.get(), 0, "no field, map value or list element was sought again");

    let measures = am::ReadDoc::get(&doc, am::ROOT, "measures").unwrap().unwrap().1;
    let m1_obj = am::ReadDoc::get(&doc, &measures, "m1").unwrap().unwrap().1;
    let m1 = &plan.measures["m1"];
    // The value each conflicting key shows is the one `get` shows.
    assert_eq!(Some(m1.title.clone()), read_by_key(&doc, &m1_obj, "title"));
    assert_eq!(m1.note.as_deref(), Some("ในที่ประชุมประจำเดือน"));
    assert_eq!(m1.status, Status::Done);
    assert_eq!(m1.percent, 40);
    assert_eq!(m1.tags, vec!["ก".to_string(), "ข".to_string()]);
    assert_eq!(m1.added_later, "", "a missing key takes its default");
    assert!(plan.added_later.is_empty());
    assert_eq!(plan.measures["m2"], measure("เผยแพร่", 0));
    assert_eq!(plan.order, vec![measure("อบรม", 10)]);
    assert_eq!(plan.schema, 3);
}

#[derive(Debug, PartialEq)]
struct Code(String);

fn hydrate_code<D: ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: Prop<'_>,
) -> Result<Code, HydrateError> {
    Ok(Code(String::hydrate(doc, obj, prop)?.to_uppercase()))
}

#[derive(Debug, PartialEq, Hydrate)]
struct WithOwnReader {
    name: String,
    #[autosurgeon(hydrate = "hydrate_code")]
    code: Code,
    missing: Option<String>,
}

#[test]
fn a_field_with_its_own_reader_still_reads_its_key_itself() {
    let mut doc = AutoCommit::new();
    doc.put(am::ROOT, "name", "กองคลัง").unwrap();
    doc.put(am::ROOT, "code", "kk").unwrap();
    doc.put(am::ROOT, "missing", am::ScalarValue::Null).unwrap();
    let counting = Counting { doc: &doc, gets: Cell::new(0) };
    let read: WithOwnReader = hydrate(&counting).unwrap();
    assert_eq!(
        read,
        WithOwnReader {
            name: "กองคลัง".to_string(),
            code: Code("KK".to_string()),
            missing: None
        }
    );
    assert_eq!(counting.gets.get(), 1, "only the field with its own reader seeks its key");
}

#[derive(Debug, Hydrate)]
struct Tally {
    count: autosurgeon::Counter,
    counts: BTreeMap<String, autosurgeon::Counter>,
    list: Vec<autosurgeon::Counter>,
}

#[test]
fn counters_read_in_one_pass_count_their_increments() {
    let mut doc = AutoCommit::new();
    doc.put(am::ROOT, "count", am::ScalarValue::counter(1)).unwrap();
    let counts = doc.put_object(am::ROOT, "counts", am::ObjType::Map).unwrap();
    doc.put(&counts, "a", am::ScalarValue::counter(10)).unwrap();
    let list = doc.put_object(am::ROOT, "list", am::ObjType::List).unwrap();
    doc.insert(&list, 0, am::ScalarValue::counter(100)).unwrap();
    let mut other = doc.fork();
    doc.increment(am::ROOT, "count", 2).unwrap();
    other.increment(am::ROOT, "count", 3).unwrap();
    doc.increment(&counts, "a", 5).unwrap();
    doc.increment(&list, 0, 7).unwrap();
    doc.merge(&mut other).unwrap();
    let counting = Counting { doc: &doc, gets: Cell::new(0) };
    let tally: Tally = hydrate(&counting).unwrap();
    assert_eq!(counting.gets.get(), 0);
    let value = |obj: &ObjId, prop: am::Prop| match am::ReadDoc::get(&doc, obj, prop).unwrap() {
        Some((am::Value::Scalar(s), _)) => match s.as_ref() {
            am::ScalarValue::Counter(c) => i64::from(c),
            other => panic!("not a counter: {other:?}"),
        },
        other => panic!("not a scalar: {other:?}"),
    };
    assert_eq!(value(&am::ROOT, "count".into()), 6, "both devices' increments");
    assert_eq!(tally.count.value(), 6);
    assert_eq!(tally.counts["a"].value(), value(&counts, "a".into()));
    assert_eq!(tally.counts["a"].value(), 15);
    let list: Vec<i64> = tally.list.iter().map(autosurgeon::Counter::value).collect();
    assert_eq!(list, vec![107]);
}
