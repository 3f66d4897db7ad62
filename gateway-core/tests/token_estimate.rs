//! `count_tokens` answers with an estimate (`translate::messages::count`); this holds it to
//! within 15% of the real o200k count on prose, code and JSON from this repository.

use std::path::Path;

use gateway_core::translate::messages::count::estimate_text;

const CORPUS: [(&str, &str); 8] = [
    ("prose", "docs/en/architecture.md"),
    ("prose", "README.md"),
    ("prose (Chinese)", "docs/zh-CN/architecture.md"),
    ("code", "gateway-core/src/config.rs"),
    ("code", "tests/agents/test_agents.py"),
    (
        "JSON",
        "testing/fixtures/anthropic/claude-code/turn1.request.json",
    ),
    (
        "JSON",
        "testing/fixtures/anthropic/claude-code/count_tokens.request.json",
    ),
    (
        "SSE",
        "testing/fixtures/stream/reasoning_summary/upstream.sse",
    ),
];

#[test]
fn the_estimate_is_within_15_percent_of_o200k() {
    let bpe = tiktoken_rs::o200k_base().unwrap();
    for (kind, rel) in CORPUS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let real = bpe.encode_with_special_tokens(&text).len() as f64;
        let estimate = estimate_text(&text) as f64;
        let off = (estimate / real - 1.0).abs();
        assert!(
            off <= 0.15,
            "{kind} {rel}: estimate {estimate} against o200k {real} ({:.1}% off)",
            off * 100.0
        );
    }
}
