//! Replays each fuzzer's corpus and every crash it ever found (fuzz/corpus/<target>,
//! fuzz/artifacts/<target>) through the same `fuzz_one` the fuzzer calls: no nightly, no second
//! build. A panic fails the test. The targets: `frames` (the server's check of an incoming sync
//! frame) and `import` (the plan file reader).

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for dir in [root.join("corpus").join(target), root.join("artifacts").join(target)] {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("entry").path();
            if path.is_file() && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                out.push((path.display().to_string(), std::fs::read(&path).expect("read")));
            }
        }
    }
    out
}

#[test]
fn every_frame_in_the_corpus_is_answered_without_a_panic() {
    let inputs = inputs("frames");
    assert!(inputs.len() >= 5, "the seed corpus is there");
    for (name, bytes) in &inputs {
        let outcome = std::panic::catch_unwind(|| prongsai_sync_server::sync::fuzz_one(bytes));
        assert!(outcome.is_ok(), "{name} panicked");
    }
    let by_name = |n: &str| &inputs.iter().find(|(p, _)| p.ends_with(&format!("/{n}"))).expect(n).1;
    assert!(prongsai_sync_server::sync::check_frame(by_name("join")).is_ok());
    assert!(prongsai_sync_server::sync::check_frame(by_name("not-cbor")).is_err());
    assert!(prongsai_sync_server::sync::check_frame(by_name("sync-garbage-data")).is_err());
}

#[test]
fn every_file_in_the_corpus_is_read_or_refused_without_a_panic() {
    let inputs = inputs("import");
    assert!(inputs.len() >= 5, "the seed corpus is there");
    for (name, bytes) in &inputs {
        let outcome = std::panic::catch_unwind(|| prongsai_report::import::fuzz_one(bytes));
        assert!(outcome.is_ok(), "{name} panicked");
    }
}
