//! Every input of the fuzz corpus (fuzz/corpus/<target>, grown by `scripts/fuzz`) goes
//! through its decoder again on stable Rust without a panic. A missing or empty corpus
//! directory fails the test rather than skipping it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use clew_server::fuzzing;

type Target = (&'static str, fn(&[u8]));

/// Every fuzz target of fuzz/fuzz_targets, by name, with the entry point it calls.
const TARGETS: [Target; 7] = [
    ("otlp_traces_protobuf", fuzzing::otlp_traces_protobuf),
    ("otlp_logs_protobuf", fuzzing::otlp_logs_protobuf),
    ("otlp_traces_json", fuzzing::otlp_traces_json),
    ("otlp_logs_json", fuzzing::otlp_logs_json),
    ("zipkin_json", fuzzing::zipkin_json),
    ("zipkin_proto", fuzzing::zipkin_proto),
    ("gzip_body", fuzzing::gzip_body),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// The files of a target's corpus, sorted; panics when the directory is missing or empty.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("the corpus of {target} cannot be read at {}: {error}", dir.display()));
    let mut files: Vec<PathBuf> =
        entries.map(|entry| entry.expect("a corpus directory entry").path()).filter(|path| path.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus of {target} at {} is empty: run scripts/fuzz {target}", dir.display());
    files
}

#[test]
fn every_corpus_input_decodes_without_a_panic() {
    let mut panicked = Vec::new();
    let mut replayed = 0;
    for (target, decode) in TARGETS {
        for path in inputs(target) {
            let bytes = std::fs::read(&path).expect("a corpus file");
            if catch_unwind(AssertUnwindSafe(|| decode(&bytes))).is_err() {
                panicked.push(format!("{target}: {}", path.display()));
            }
            replayed += 1;
        }
    }
    assert!(panicked.is_empty(), "{} of {replayed} corpus inputs panicked:\n{}", panicked.len(), panicked.join("\n"));
}

#[test]
fn every_fuzz_target_has_a_corpus_and_an_entry_point_here() {
    let fuzz_targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&fuzz_targets)
        .expect("fuzz/fuzz_targets")
        .map(|entry| entry.expect("a directory entry").path())
        .filter_map(|path| path.file_stem().map(|stem| stem.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let mut expected: Vec<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected, "fuzz/fuzz_targets and this test's TARGETS must name the same targets");
    for (target, _) in TARGETS {
        inputs(target);
    }
}
