//! Replays the checked-in fuzz corpora (`fuzz/corpus/<target>/`) through the same functions the
//! `cargo fuzz` targets run (`fuzz/src/lib.rs`, included here by path), on the stable toolchain,
//! in the normal test suite. Each input must not panic and must keep its target's properties
//! (for `chat_stream`: any chunking of a stream gives the output of one chunk).
//!
//! Regression inputs found by fuzzing live in the same folders; see `fuzz/README.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test"
)]

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, reason = "not every helper is used by the replay")]
mod harness;

use std::path::Path;

type Target = (&'static str, fn(&[u8]));

const TARGETS: &[Target] = &[
    ("sse_decode", harness::sse_decode),
    ("chat_stream", harness::chat_stream),
    ("chat_request", harness::chat_request),
    ("responses_request", harness::responses_request),
    ("jwt_claims", harness::jwt_claims),
    ("token_record", harness::token_record),
];

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in &files {
        let input = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&input));
        assert!(
            outcome.is_ok(),
            "{target}: corpus input {} failed (reproduce: cd fuzz && cargo +nightly fuzz run {target} {})",
            file.display(),
            file.display()
        );
    }
    files.len()
}

#[test]
fn every_fuzz_corpus_input_replays_cleanly() {
    for (target, run) in TARGETS {
        let count = replay(target, *run);
        assert!(count > 0, "{target}: empty corpus");
    }
}
