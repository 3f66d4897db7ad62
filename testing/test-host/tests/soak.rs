//! Soak: many concurrent chat streams through the built gateway `.wasm` in the test host, against
//! the fake Codex backend on 127.0.0.1, for a bounded time.
//!
//! Every stream must complete and be correct (status, framing, content, one `stop`, usage,
//! `[DONE]`), nothing may fail, and the resident memory of the process (test host + fakes +
//! client) must not grow between the first and the last window of the run.
//!
//! - `soak_short` (normal suite): 64 streams for 3 s of warm-up, then 10 s measured.
//! - `soak_64_streams_60s` (`#[ignore]`d; `bench/soak.sh` runs it): 64 streams for 60 s.
//!
//! Two things in this process grow by design and are switched off here, because they are test
//! scaffolding, not the gateway: the fake's request log (`FakeCodex::set_recording(false)`) and
//! the guest's log lines, which the test host keeps in memory where Spin writes them to a file
//! (`log_level = warn`: nothing is logged for a successful request).
//!
//! Instances come from wasmtime's on-demand allocator here, not the pooling one Spin uses: the
//! pool keeps each used slot's pages resident for the next instance, so its RSS steps up with
//! the peak number of live instances (a few MiB at a time, bounded by the pool size), which
//! would hide a leak or fail a leak-free run. On-demand returns an instance's memory when it
//! ends, so what remains is the gateway's and the host's own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gateway_core::auth::token::TOKEN_KEY;
use serde_json::{json, Value};
use test_host::fake_codex::{long_text, FakeCodex};
use test_host::fake_oauth::{login_record, FakeOAuth};
use test_host::{HostConfig, TestHost};

const KEY: &str = "sk-soak-downstream-key-0123456789";
/// Deltas in the synthetic long answer each second stream asks for.
const LONG_DELTAS: usize = 64;

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Gateway {
    host: TestHost,
    _codex: FakeCodex,
    _oauth: FakeOAuth,
    _scratch: tempfile::TempDir,
}

async fn start(name: &str) -> Gateway {
    assert!(
        test_host::server::choose_pooling(false),
        "the engine already uses the pooling allocator"
    );
    let codex = FakeCodex::start().await.unwrap();
    codex.set_recording(false);
    let oauth = FakeOAuth::start("rt-initial").await.unwrap();
    let scratch = tempfile::Builder::new()
        .prefix(&format!("cgw-soak-{name}-"))
        .tempdir()
        .unwrap();
    let kv_path = scratch.path().join(".spin/sqlite_key_value.db");
    let kv = kv_sqlite::SqliteKv::open(&kv_path, kv_sqlite::DEFAULT_STORE).unwrap();
    let record = login_record(&oauth.current_refresh(), 3600);
    kv.set(TOKEN_KEY, &serde_json::to_vec(&record).unwrap())
        .unwrap();
    let variables = HashMap::from([
        ("downstream_api_key".to_owned(), KEY.to_owned()),
        ("codex_base_url".into(), codex.base_url()),
        ("upstream_base_url".into(), codex.base_url()),
        ("oauth_issuer".into(), oauth.base_url()),
        ("log_level".into(), "warn".into()),
    ]);
    let host = TestHost::start(HostConfig {
        variables,
        kv_path,
        files_dir: None,
        port: 0,
        ..Default::default()
    })
    .await
    .unwrap();
    Gateway {
        host,
        _codex: codex,
        _oauth: oauth,
        _scratch: scratch,
    }
}

/// The content the `text` fixture folds into.
fn text_fixture_content() -> String {
    let path = test_host::repo_path("testing/fixtures/stream/text/chat.json");
    let chat: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    chat["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One streamed chat completion, checked end to end; `Err` says what was wrong.
async fn one_stream(
    client: &reqwest::Client,
    url: &str,
    model: &str,
    expected: &str,
) -> Result<(), String> {
    let body = json!({
        "model": model, "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Say hello."}],
    });
    let res = client
        .post(url)
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    if res.status() != 200 {
        return Err(format!("status {}", res.status()));
    }
    let mut bytes = Vec::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        bytes.extend_from_slice(&chunk.map_err(|e| format!("body: {e}"))?);
    }
    let text = String::from_utf8(bytes).map_err(|_| "body is not UTF-8".to_owned())?;
    let payloads: Vec<&str> = text
        .split_terminator("\n\n")
        .map(|block| block.strip_prefix("data: ").unwrap_or("<not a data frame>"))
        .collect();
    if payloads.last() != Some(&"[DONE]") {
        return Err(format!("no [DONE] at the end: {:?}", payloads.last()));
    }
    let (mut content, mut stops, mut usage) = (String::new(), 0, false);
    for payload in &payloads[..payloads.len() - 1] {
        let chunk: Value =
            serde_json::from_str(payload).map_err(|e| format!("frame not JSON ({e})"))?;
        if chunk.get("error").is_some() {
            return Err(format!("error frame: {chunk}"));
        }
        usage |= chunk["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0);
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            content += choice["delta"]["content"].as_str().unwrap_or("");
            stops += usize::from(choice["finish_reason"] == "stop");
        }
    }
    if content != expected {
        return Err(format!(
            "content differs: {} bytes vs {} expected",
            content.len(),
            expected.len()
        ));
    }
    if stops != 1 || !usage {
        return Err(format!("stops {stops}, usage chunk {usage}"));
    }
    Ok(())
}

#[derive(Debug)]
struct Report {
    completed: usize,
    errors: Vec<String>,
    /// (seconds since start, RSS KiB), every 250 ms.
    rss: Vec<(f64, u64)>,
}

impl Report {
    /// The median RSS sampled in `[from, to)`: the level, not the in-flight peaks (which move by
    /// a few MiB with the number of live instances at the moment of a sample).
    fn window_median(&self, from: f64, to: f64) -> u64 {
        let mut kib: Vec<u64> = self
            .rss
            .iter()
            .filter(|(t, _)| (from..to).contains(t))
            .map(|(_, kib)| *kib)
            .collect();
        kib.sort_unstable();
        kib.get(kib.len() / 2).copied().unwrap_or(0)
    }
}

async fn soak(name: &str, streams: usize, duration: Duration) -> Report {
    let gateway = start(name).await;
    let url = format!("{}/v1/chat/completions", gateway.host.base_url());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(streams)
        .build()
        .unwrap();
    let text = Arc::new(text_fixture_content());
    let long = Arc::new(long_text(LONG_DELTAS));
    // One request first, so the component is compiled before the clock starts.
    one_stream(&client, &url, "gpt-5.4@text", &text)
        .await
        .unwrap();
    let started = Instant::now();
    let deadline = started + duration;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sampler = tokio::spawn(async move {
        let mut rss = Vec::new();
        while Instant::now() < deadline {
            rss.push((started.elapsed().as_secs_f64(), rss_kib()));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        rss
    });
    let workers: Vec<_> = (0..streams)
        .map(|worker| {
            let (client, url, text, long, errors) = (
                client.clone(),
                url.clone(),
                text.clone(),
                long.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let mut done = 0;
                let long_model = format!("gpt-5.4@long-{LONG_DELTAS}");
                while Instant::now() < deadline {
                    let (model, expected) = if (worker + done) % 2 == 0 {
                        ("gpt-5.4@text", text.as_str())
                    } else {
                        (long_model.as_str(), long.as_str())
                    };
                    match one_stream(&client, &url, model, expected).await {
                        Ok(()) => done += 1,
                        Err(e) => errors.lock().unwrap().push(format!("{model}: {e}")),
                    }
                }
                done
            })
        })
        .collect();
    let mut completed = 0;
    for worker in workers {
        completed += worker.await.unwrap();
    }
    let rss = sampler.await.unwrap();
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    Report {
        completed,
        errors,
        rss,
    }
}

/// Runs the soak and checks it; `window` is the length of the first and last RSS windows, which
/// are taken after `warmup` seconds of streaming (the first window is the baseline).
async fn soak_and_check(name: &str, streams: usize, secs: u64, window: f64, warmup: u64) {
    let report = soak(name, streams, Duration::from_secs(warmup + secs)).await;
    let start = warmup as f64;
    let end = (warmup + secs) as f64;
    let first = report.window_median(start, start + window);
    let last = report.window_median(end - window, end);
    let windows: Vec<u64> = (0..(secs as f64 / window) as usize)
        .map(|i| {
            let from = start + i as f64 * window;
            report.window_median(from, from + window) >> 10
        })
        .collect();
    println!(
        "soak {name}: {streams} concurrent streams, {warmup} s warm-up + {secs} s: {} streams completed ({:.0}/s), \
         {} errors; RSS median first {window} s {first} KiB, last {window} s {last} KiB ({:+} KiB); \
         per window (MiB) {windows:?}",
        report.completed,
        report.completed as f64 / (warmup + secs) as f64,
        report.errors.len(),
        last as i64 - first as i64,
    );
    assert!(
        report.errors.is_empty(),
        "{} failed streams, e.g. {:?}",
        report.errors.len(),
        &report.errors[..report.errors.len().min(5)]
    );
    assert!(report.completed >= streams, "too few streams completed");
    // Flat means: the last window's level is within 4 MiB of the first window's. A leak of
    // 100 bytes per stream over a 60 s run (tens of thousands of streams) would exceed it.
    assert!(
        last <= first + 4096,
        "RSS grew from {first} KiB to {last} KiB: {:?}",
        report.rss
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_short() {
    // Connection pools and allocator arenas fill for the first seconds; a 10 s run measured from
    // zero would mostly see that. The 60 s run needs no warm-up: it levels off inside its windows.
    soak_and_check("short", 64, 10, 3.0, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "60 s; run by bench/soak.sh"]
async fn soak_64_streams_60s() {
    soak_and_check("long", 64, 60, 10.0, 0).await;
}
