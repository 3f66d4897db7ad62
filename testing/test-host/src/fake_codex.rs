//! A scriptable fake of the Codex backend (and of an OpenAI-style upstream) on 127.0.0.1.
//!
//! It serves the same golden `upstream.sse` fixtures the unit tests use, records every request
//! it receives, and can pause, stall, cut the connection, or answer with an error status. A
//! model name like `gpt-5.4@tool_calls` or `gpt-5.4@status-429` picks a scenario, so real SDK
//! clients can trigger them without code changes. Benchmarks also use `gpt-5.4@whole-<case>`
//! (the fixture in one write) and `gpt-5.4@long-<deltas>[-<delay_ms>]` (a synthetic answer).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

mod accounts;
pub mod images;
pub mod rules;
pub use accounts::Quota;

/// What the next upstream call answers.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// Stream `testing/fixtures/stream/<case>/upstream.sse`, pausing `delay_ms` between events.
    Fixture { case: String, delay_ms: u64 },
    /// Send the first `events` events of a fixture, then reset the connection.
    CutAfter { case: String, events: usize },
    /// Send the first `events` events of a fixture, then go silent forever.
    Stall { case: String, events: usize },
    /// Close the connection without answering (reset before headers).
    Drop,
    /// Stream any `.sse` file under `testing/fixtures/stream/` (`<case>/<name>`), event by event.
    File { rel: String },
    /// A synthetic text answer of `deltas` text deltas (" lorem" each), generated as it is
    /// sent (nothing buffered), pausing `delay_ms` between deltas. For benchmarks and soak
    /// tests: model `gpt-5.4@long-<deltas>` or `gpt-5.4@long-<deltas>-<delay_ms>`.
    Long { deltas: usize, delay_ms: u64 },
    /// The first half of a JSON answer (chunked, no length), then a reset connection.
    CutJson { body: String },
    /// A complete response.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

impl Scenario {
    /// A fixture streamed without pauses.
    pub fn fixture(case: &str) -> Self {
        Self::Fixture {
            case: case.into(),
            delay_ms: 0,
        }
    }

    /// A JSON response with `status`.
    pub fn json(status: u16, body: &str) -> Self {
        Self::Raw {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// Codex-shaped error bodies per status, as the real backend sends them.
    pub fn codex_status(status: u16) -> Self {
        let body = match status {
            401 => {
                r#"{"detail":"Your authentication token has been invalidated. Please try signing in again."}"#
            }
            400 => r#"{"detail":"Unsupported parameter: temperature"}"#,
            404 => r#"{"detail":"Not Found"}"#,
            429 => {
                r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_in_seconds":120}}"#
            }
            _ => r#"{"detail":"upstream exploded"}"#,
        };
        let mut s = Self::json(status, body);
        if status == 429 {
            if let Self::Raw { headers, .. } = &mut s {
                headers.push(("x-codex-primary-used-percent".into(), "100".into()));
            }
        }
        s
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Scenario>>,
    models: Mutex<Option<Scenario>>,
    models_calls: AtomicUsize,
    connections: AtomicUsize,
    valid_tokens: Mutex<Option<Vec<String>>>,
    reject_expired: std::sync::atomic::AtomicBool,
    /// Set by [`FakeCodex::set_recording`]`(false)`: keep no request log (load tests).
    not_recording: std::sync::atomic::AtomicBool,
    quotas: accounts::Quotas,
    drawings: Arc<images::Drawings>,
}

/// A running fake backend.
pub struct FakeCodex {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCodex {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCodex {
    /// Start on an ephemeral port.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let task = tokio::spawn(accept(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queue scenarios for the next generation calls (default: the `text` fixture).
    pub fn push(&self, scenario: Scenario) {
        lock(&self.state.script).push_back(scenario);
    }

    /// What `GET …/codex/models` answers (default: a small catalog).
    pub fn set_models(&self, scenario: Scenario) {
        *lock(&self.state.models) = Some(scenario);
    }

    /// Only these bearer tokens are accepted; others get the backend's 401.
    pub fn accept_tokens(&self, tokens: Vec<String>) {
        *lock(&self.state.valid_tokens) = Some(tokens);
    }

    /// Answer 401 to bearer JWTs whose `exp` has passed, as the real backend does.
    pub fn reject_expired_tokens(&self) {
        self.state.reject_expired.store(true, Ordering::SeqCst);
    }

    /// Generation calls received (everything but the model catalog).
    pub fn generation_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| !r.path.contains("/codex/models"))
            .collect()
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// Whether requests are kept for [`FakeCodex::requests`] (default: yes). Load and soak
    /// tests turn it off so the fake's memory stays flat.
    pub fn set_recording(&self, on: bool) {
        self.state.not_recording.store(!on, Ordering::SeqCst);
    }

    /// The quota of the ChatGPT account `account` (its `chatgpt-account-id`): its usage goes
    /// out on every answer, and a spent window answers 429.
    pub fn set_quota(&self, account: &str, quota: Quota) {
        self.state.quotas.set(account, quota);
    }

    /// Generation calls made with `account`'s `chatgpt-account-id`.
    pub fn served_by(&self, account: &str) -> usize {
        self.generation_requests()
            .iter()
            .filter(|r| r.header("chatgpt-account-id") == Some(account))
            .count()
    }

    /// Calls to the model catalog.
    pub fn models_calls(&self) -> usize {
        self.state.models_calls.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far (shows whether the host reuses them).
    /// The most image drawings that were under way at once.
    pub fn image_drawings_peak(&self) -> usize {
        self.state.drawings.peak()
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        state.connections.fetch_add(1, Ordering::SeqCst);
        // Events are small writes: without TCP_NODELAY, Nagle's algorithm holds each one until
        // the previous is acknowledged, and the client's delayed ACK makes that up to 40 ms on
        // loopback. The real backend (HTTP/2 behind a CDN) has no such stall.
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

async fn handle(
    state: Arc<State>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Body>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if parts.uri.path() == INSPECT_PATH {
        return Ok(inspect(&state, &parts.method));
    }
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body,
    };
    if !state.not_recording.load(Ordering::Relaxed) {
        lock(&state.requests).push(recorded.clone());
    }
    if let Some(valid) = lock(&state.valid_tokens).as_ref() {
        let bearer = recorded
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !valid.iter().any(|t| t == bearer) {
            return Ok(respond(Scenario::codex_status(401)));
        }
    }
    if state.reject_expired.load(Ordering::SeqCst) && bearer_expired(&recorded) {
        return Ok(respond(Scenario::codex_status(401)));
    }
    if recorded.path.contains("/codex/models") {
        state.models_calls.fetch_add(1, Ordering::SeqCst);
        let scenario = match lock(&state.models).clone() {
            Some(scripted) => scripted,
            None => default_catalog(&recorded),
        };
        return Ok(respond(scenario));
    }
    let usage = match state.quotas.check(recorded.header("chatgpt-account-id")) {
        Ok(usage) => usage,
        Err(refusal) => return Ok(respond(refusal)),
    };
    if recorded.method == "POST" && recorded.path.ends_with("/codex/alpha/search") {
        let refused = rules::input_refusal(&recorded.json());
        return Ok(respond(refused.unwrap_or_else(|| search_answer(&recorded))));
    }
    if recorded.method == "POST" && recorded.path.ends_with("/codex/responses") {
        if let Some(refused) = rules::refusal(&recorded) {
            return Ok(respond(refused));
        }
        if let Some(image) = images::answer(&recorded, &state.drawings) {
            return Ok(image);
        }
    }
    let scenario = from_model(&recorded)
        .or_else(|| lock(&state.script).pop_front())
        .or_else(|| compaction(&recorded))
        .unwrap_or_else(|| {
            if recorded.method == "GET" && recorded.path.ends_with("/v1/models") {
                openai_model_list()
            } else {
                Scenario::fixture("text")
            }
        });
    if let Scenario::Drop = scenario {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped",
        ));
    }
    let mut res = respond(scenario);
    for (k, v) in usage {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            res.headers_mut().insert(k, v);
        }
    }
    Ok(res)
}

/// A coding agent's turn (model tag `agent`): the first request asks to run `echo agent-ok`
/// through the agent's own shell tool, whichever it offers (the Codex CLI's `exec_command`,
/// OpenCode's `bash`, Claude Code's `Bash`, an older `shell`); once a tool output comes back, the answer quotes it.
fn agent_turn(req: &Recorded) -> Option<Scenario> {
    use serde_json::json;
    let body = req.json();
    let item = match tool_output(&body).filter(|o| !o.is_empty()) {
        Some(output) => {
            let text = format!("The command printed: {}", output.trim());
            json!({"type": "message", "id": "msg_agent", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "annotations": [], "text": text}]})
        }
        None => {
            let names = offered_tools(&body);
            let (name, arguments) = if names.contains(&"exec_command") {
                ("exec_command", json!({"cmd": "echo agent-ok"}))
            } else if let Some(bash) = names.iter().find(|n| n.eq_ignore_ascii_case("bash")) {
                (
                    *bash,
                    json!({"command": "echo agent-ok", "description": "Print agent-ok"}),
                )
            } else if names.contains(&"shell") {
                ("shell", json!({"command": ["echo", "agent-ok"]}))
            } else {
                return None;
            };
            json!({"type": "function_call", "id": "fc_agent", "status": "completed",
                   "call_id": "call_agent_1", "name": name, "arguments": arguments.to_string()})
        }
    };
    Some(single_item_stream(req, item))
}

/// The names of the tools a request offers: its top-level `tools`, and in the Responses Lite
/// shape the `additional_tools` input item, namespaces opened.
fn offered_tools(body: &serde_json::Value) -> Vec<&str> {
    let lite = body["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "additional_tools")
        .filter_map(|item| item["tools"].as_array());
    let top = body["tools"].as_array().into_iter();
    let mut names = Vec::new();
    for tool in top.chain(lite).flatten() {
        match tool["tools"].as_array() {
            Some(inner) => names.extend(inner.iter().filter_map(|t| t["name"].as_str())),
            None => names.extend(tool["name"].as_str()),
        }
    }
    names
}

/// A standalone web search turn (model tag `search`): the first request runs the Codex CLI's
/// `web.run` tool, which the CLI serves through `POST {base}/alpha/search`; once its output
/// comes back, the answer quotes it.
fn search_turn(req: &Recorded) -> Scenario {
    use serde_json::json;
    let body = req.json();
    let item = match tool_output(&body).filter(|o| !o.is_empty()) {
        Some(output) => {
            let text = format!("The search found: {}", output.trim());
            json!({"type": "message", "id": "msg_search", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "annotations": [], "text": text}]})
        }
        None => json!({"type": "function_call", "id": "fc_search", "status": "completed",
                       "call_id": "call_search_1", "namespace": "web", "name": "run",
                       "arguments": json!({"search_query": [{"q": "codex gateway"}]}).to_string()}),
    };
    single_item_stream(req, item)
}

/// What the backend's `…/codex/alpha/search` answers: the results as text (and an encrypted
/// copy, which the CLI does not pass on).
fn search_answer(req: &Recorded) -> Scenario {
    let body = req.json();
    let Some(query) = body["commands"]["search_query"][0]["q"].as_str() else {
        return Scenario::json(400, r#"{"detail":"commands.search_query is required"}"#);
    };
    let answer = serde_json::json!({
        "output": format!("search-ok: 3 results for {query}"),
        "encrypted_output": "enc_fake_search",
    });
    Scenario::json(200, &answer.to_string())
}

/// Prefix of the fake's compaction items; the rest is the tool output they stand for.
const COMPACTED: &str = "compacted:";

/// The last tool output in a request's input, also when a compaction stands for it.
fn tool_output(body: &serde_json::Value) -> Option<String> {
    body["input"]
        .as_array()?
        .iter()
        .rev()
        .find_map(|item| match item["type"].as_str()? {
            "function_call_output" => Some(match &item["output"] {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            }),
            "compaction" => item["encrypted_content"]
                .as_str()?
                .strip_prefix(COMPACTED)
                .map(str::to_owned),
            _ => None,
        })
}

/// `event` with its `sequence_number` set to `n`.
fn number(event: &Bytes, n: usize) -> Bytes {
    let text = String::from_utf8_lossy(event);
    let Some((head, data)) = text.split_once("data: ") else {
        return event.clone();
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(data.trim_end()) else {
        return event.clone();
    };
    json["sequence_number"] = serde_json::json!(n);
    Bytes::from(format!("{head}data: {json}\n\n"))
}

/// A streamed answer with one output item, as the backend sends it.
fn single_item_stream(req: &Recorded, item: serde_json::Value) -> Scenario {
    use serde_json::json;
    let response = |status: &str, output: serde_json::Value| {
        json!({"id": "resp_fake", "object": "response", "created_at": crate::fake_oauth::now(),
               "status": status, "model": req.json()["model"], "output": output,
               "usage": {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}})
    };
    let mut started = item.clone();
    let mut events = vec![sse(
        "response.created",
        json!({"type": "response.created",
        "sequence_number": 0, "response": response("in_progress", json!([]))}),
    )];
    let text = item["content"][0]["text"].as_str().map(str::to_owned);
    if let Some(text) = &text {
        // A message streams its text as the backend does; clients build it from the deltas.
        started["content"] = json!([]);
        started["status"] = json!("in_progress");
        let id = &item["id"];
        let part = |t: &str| json!({"type": "output_text", "annotations": [], "text": t});
        let at = |kind: &str, mut data: serde_json::Value| {
            data["type"] = json!(kind);
            data["output_index"] = json!(0);
            sse(kind, data)
        };
        events.extend([
            at("response.output_item.added", json!({"item": started})),
            at(
                "response.content_part.added",
                json!({"item_id": id, "content_index": 0, "part": part("")}),
            ),
            at(
                "response.output_text.delta",
                json!({"item_id": id, "content_index": 0, "delta": text}),
            ),
            at(
                "response.output_text.done",
                json!({"item_id": id, "content_index": 0, "text": text}),
            ),
            at(
                "response.content_part.done",
                json!({"item_id": id, "content_index": 0, "part": part(text)}),
            ),
        ]);
    } else {
        events.push(sse(
            "response.output_item.added",
            json!({"type": "response.output_item.added",
            "output_index": 0, "item": started}),
        ));
    }
    events.push(sse(
        "response.output_item.done",
        json!({"type": "response.output_item.done",
        "output_index": 0, "item": item}),
    ));
    events.push(sse(
        "response.completed",
        json!({"type": "response.completed",
        "response": response("completed", json!([item]))}),
    ));
    let events: Vec<Bytes> = events
        .into_iter()
        .enumerate()
        .map(|(n, event)| number(&event, n))
        .collect();
    Scenario::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body: events
            .iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect(),
    }
}

/// Remote compaction, as the Codex backend does it (public facts: OpenAI's
/// `POST /responses/compact` answers a `response.compaction` object whose `output` ends with a
/// `compaction` item; the v2 flow is a normal streamed turn whose input ends with a
/// `compaction_trigger` item, accepted only with `x-codex-beta-features: remote_compaction_v2`,
/// and answered with exactly one `compaction` output item).
fn compaction(req: &Recorded) -> Option<Scenario> {
    use serde_json::json;
    // The fake's "encryption": what a later agent turn must remember (a tool output that the
    // compaction replaces), readable by `agent_turn`.
    let remembered = tool_output(&req.json()).unwrap_or_default();
    let item = json!({"type": "compaction", "id": "cmp_1",
                      "encrypted_content": format!("{COMPACTED}{remembered}")});
    if req.method == "POST" && req.path.ends_with("/responses/compact") {
        let body = json!({"id": "resp_cmp_1", "object": "response.compaction",
                          "created_at": crate::fake_oauth::now(), "output": [item],
                          "usage": {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}});
        return Some(Scenario::json(200, &body.to_string()));
    }
    let last = req.json()["input"].as_array()?.last()?.clone();
    if last["type"] != "compaction_trigger" {
        return None;
    }
    let beta = req.header("x-codex-beta-features").unwrap_or_default();
    if !beta.split(',').any(|f| f.trim() == "remote_compaction_v2") {
        let error = json!({"error": {"message": "Unsupported input item type: compaction_trigger",
                                     "type": "invalid_request_error", "param": "input", "code": null}});
        return Some(Scenario::json(400, &error.to_string()));
    }
    Some(single_item_stream(req, item))
}

fn bearer_expired(req: &Recorded) -> bool {
    use base64::Engine as _;
    let exp = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .and_then(|t| t.split('.').nth(1))
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("exp")?.as_i64());
    exp.is_some_and(|exp| exp <= crate::fake_oauth::now())
}

fn from_model(req: &Recorded) -> Option<Scenario> {
    let model = req.json().get("model")?.as_str()?.to_owned();
    let (_, tag) = model.split_once('@')?;
    if let Some(code) = tag.strip_prefix("status-") {
        return Some(Scenario::codex_status(code.parse().ok()?));
    }
    if let Some(spec) = tag.strip_prefix("long-") {
        let (deltas, delay_ms) = spec.split_once('-').unwrap_or((spec, "0"));
        return Some(Scenario::Long {
            deltas: deltas.parse().ok()?,
            delay_ms: delay_ms.parse().ok()?,
        });
    }
    if tag == "search" {
        return Some(search_turn(req));
    }
    if tag == "agent" {
        return compaction(req).or_else(|| agent_turn(req));
    }
    if let Some(file) = tag.strip_prefix("file:") {
        return fixture_file(file);
    }
    if let Some(case) = tag.strip_prefix("whole-") {
        // The fixture in a single write, to tell per-event costs from per-request ones.
        let body = fixture_events(case).concat();
        return Some(Scenario::Raw {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            body: String::from_utf8(body).ok()?,
        });
    }
    if let Some(case) = tag.strip_prefix("cut-") {
        // Past the first text delta, so the answer has started before the cut.
        return Some(Scenario::CutAfter {
            case: case.into(),
            events: 8,
        });
    }
    if tag == "cutjson" {
        let path = crate::repo_path("testing/fixtures/stream/text/chat.json");
        return Some(Scenario::CutJson {
            body: std::fs::read_to_string(path).ok()?,
        });
    }
    if let Some(case) = tag.strip_prefix("slow-") {
        return Some(Scenario::Fixture {
            case: case.into(),
            delay_ms: 500,
        });
    }
    Some(Scenario::fixture(tag))
}

/// The backend's catalog: entries with every field the Codex CLI's `ModelInfo` requires (it
/// reads this shape from a provider it treats as OpenAI's, and from `model_catalog_json`), as
/// the backend serves it since 2026-05: only with `client_version` (400 without), and only the
/// models whose `minimal_client_version` that version meets.
fn default_catalog(req: &Recorded) -> Scenario {
    use serde_json::json;
    let asked = req
        .path
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|p| p.strip_prefix("client_version=")))
        .filter(|v| !v.is_empty());
    let Some(version) = asked else {
        return Scenario::json(400, r#"{"detail":"missing client_version"}"#);
    };
    let model = |slug: &str, name: &str, priority: i64, visibility: &str| {
        json!({"slug": slug, "display_name": name, "description": format!("{name} through the fake backend"),
               "default_reasoning_level": "medium",
               "supported_reasoning_levels": [{"effort": "low", "description": "Fast"},
                                              {"effort": "medium", "description": "Balanced"},
                                              {"effort": "high", "description": "Thorough"}],
               "shell_type": "shell_command", "visibility": visibility, "supported_in_api": true,
               "priority": priority, "upgrade": null, "base_instructions": "You are Codex, a coding agent.",
               "supports_reasoning_summaries": true, "support_verbosity": false, "default_verbosity": null,
               "apply_patch_tool_type": "freeform", "truncation_policy": {"mode": "tokens", "limit": 10000},
               "supports_parallel_tool_calls": true, "context_window": 272000,
               "experimental_supported_tools": []})
    };
    let mut codex = model("gpt-5.3-codex", "GPT-5.3 Codex", 2, "list");
    codex.as_object_mut().map(|m| m.remove("context_window"));
    let mut sol = model("gpt-6-sol", "GPT-6 Sol", 3, "list");
    sol["use_responses_lite"] = json!(true);
    let mut astra = model("gpt-6-astra", "GPT-6 Astra", 4, "list");
    for (entry, slug) in [(&mut sol, "gpt-6-sol"), (&mut astra, "gpt-6-astra")] {
        let need = rules::MINIMAL_VERSIONS
            .iter()
            .find(|(s, _)| *s == slug)
            .map_or("0.0.0", |(_, v)| v);
        entry["minimal_client_version"] = json!(need);
    }
    let all = [
        model("gpt-5.4", "GPT-5.4", 1, "list"),
        codex,
        model("internal-preview", "Preview", 0, "hide"),
        sol,
        astra,
    ];
    let offered: Vec<serde_json::Value> = all
        .into_iter()
        .filter(|m| {
            m["minimal_client_version"]
                .as_str()
                .is_none_or(|need| gateway_core::codex::version::version_at_least(version, need))
        })
        .collect();
    let body = json!({"models": offered, "etag": "W/\"1\""});
    Scenario::json(200, &body.to_string())
}

/// Path of the fake's own inspection endpoint (for clients that cannot call [`FakeCodex`]
/// methods, e.g. the Python and Node tests driving the `test-host` binary):
/// `GET` lists the requests received so far as JSON, `DELETE` forgets them. Not recorded.
pub const INSPECT_PATH: &str = "/__fake/requests";

fn inspect(state: &State, method: &http::Method) -> hyper::Response<Body> {
    if method == http::Method::DELETE {
        lock(&state.requests).clear();
        return respond(Scenario::json(200, "[]"));
    }
    let list: Vec<serde_json::Value> = lock(&state.requests)
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, serde_json::Value> = r
                .headers
                .iter()
                .map(|(k, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (k.as_str().to_owned(), serde_json::Value::String(v))
                })
                .collect();
            serde_json::json!({
                "method": r.method,
                "path": r.path,
                "headers": headers,
                "body": String::from_utf8_lossy(&r.body),
            })
        })
        .collect();
    respond(Scenario::json(
        200,
        &serde_json::Value::Array(list).to_string(),
    ))
}

/// Model tag `file:<case>/<name>`: answer 200 with a fixture file as an OpenAI-style upstream
/// would (`.sse` streamed event by event, anything else as JSON), e.g. `file:text/chat.sse`
/// or `file:text/chat.json` for `openai_api` mode tests.
fn fixture_file(file: &str) -> Option<Scenario> {
    let (case, name) = file.split_once('/')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !plain(case) || !plain(name) {
        return None;
    }
    if name.ends_with(".sse") {
        return Some(Scenario::File {
            rel: format!("{case}/{name}"),
        });
    }
    let path = crate::repo_path(&format!("testing/fixtures/stream/{case}/{name}"));
    let body = std::fs::read_to_string(path).ok()?;
    Some(Scenario::json(200, &body))
}

/// What an OpenAI-style `GET /v1/models` answers when nothing else is scripted.
fn openai_model_list() -> Scenario {
    Scenario::json(
        200,
        r#"{"object":"list","data":[{"id":"gpt-5.4","object":"model","created":1700000000,"owned_by":"openai"},{"id":"gpt-4o","object":"model","created":1700000000,"owned_by":"system"}]}"#,
    )
}

/// The events of a fixture, each with its terminating blank line.
pub fn fixture_events(case: &str) -> Vec<Bytes> {
    sse_file_events(&format!("{case}/upstream.sse"))
}

/// The events of `testing/fixtures/stream/<rel>`, each with its terminating blank line.
fn sse_file_events(rel: &str) -> Vec<Bytes> {
    let path = crate::repo_path(&format!("testing/fixtures/stream/{rel}"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    let mut events = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < text.len() {
        if text[i] == b'\n' && text[i + 1] == b'\n' {
            events.push(Bytes::copy_from_slice(&text[start..i + 2]));
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    if start < text.len() {
        events.push(Bytes::copy_from_slice(&text[start..]));
    }
    events
}

impl Scenario {
    fn into_response(self) -> hyper::Response<Body> {
        respond(self)
    }
}

fn respond(scenario: Scenario) -> hyper::Response<Body> {
    match scenario {
        Scenario::Raw {
            status,
            headers,
            body,
        } => {
            let mut res =
                hyper::Response::new(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed());
            *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (
                    http::HeaderName::from_bytes(k.as_bytes()),
                    http::HeaderValue::from_str(&v),
                ) {
                    res.headers_mut().insert(k, v);
                }
            }
            res
        }
        Scenario::Drop => Scenario::codex_status(500).into_response(),
        Scenario::Fixture { case, delay_ms } => stream(fixture_events(&case), delay_ms, End::Close),
        Scenario::File { rel } => stream(sse_file_events(&rel), 0, End::Close),
        Scenario::Long { deltas, delay_ms } => long_stream(deltas, delay_ms),
        Scenario::CutAfter { case, events } => stream(
            fixture_events(&case).into_iter().take(events).collect(),
            0,
            End::Reset,
        ),
        Scenario::CutJson { body } => {
            let half = Bytes::from(body.into_bytes());
            let half = half.slice(..half.len() / 2);
            let mut res = stream(vec![half], 0, End::Reset);
            res.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            res
        }
        Scenario::Stall { case, events } => stream(
            fixture_events(&case).into_iter().take(events).collect(),
            0,
            End::Hang,
        ),
    }
}

enum End {
    Close,
    Reset,
    Hang,
}

fn stream(events: Vec<Bytes>, delay_ms: u64, end: End) -> hyper::Response<Body> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
    tokio::spawn(async move {
        for (i, event) in events.into_iter().enumerate() {
            if i > 0 && delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            if tx.send(Ok(Frame::data(event))).await.is_err() {
                return;
            }
        }
        match end {
            End::Close => {}
            End::Reset => {
                // What was sent reaches the gateway before the reset does.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    )))
                    .await;
            }
            End::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop(tx);
            }
        }
    });
    let body = StreamBody::new(tokio_stream_from(rx));
    let mut res = hyper::Response::new(BodyExt::boxed(body));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/event-stream"),
    );
    res.headers_mut().insert(
        "x-codex-primary-used-percent",
        http::HeaderValue::from_static("12.5"),
    );
    res
}

/// The text of a [`Scenario::Long`] answer with `deltas` deltas.
pub fn long_text(deltas: usize) -> String {
    " lorem".repeat(deltas)
}

fn sse(kind: &str, data: serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

/// The events of a [`Scenario::Long`] answer, made one at a time as the client reads them.
fn long_stream(deltas: usize, delay_ms: u64) -> hyper::Response<Body> {
    use serde_json::json;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
    tokio::spawn(async move {
        let response = |status: &str, output: serde_json::Value, usage: serde_json::Value| {
            json!({"id": "resp_long", "object": "response", "created_at": crate::fake_oauth::now(),
                   "status": status, "model": "gpt-5.4", "output": output, "usage": usage})
        };
        let message = |status: &str, text: Option<&str>| {
            let content = text.map_or(
                json!([]),
                |t| json!([{"type": "output_text", "annotations": [], "text": t}]),
            );
            json!({"id": "msg_long", "type": "message", "status": status, "role": "assistant", "content": content})
        };
        let head = [
            sse(
                "response.created",
                json!({"type": "response.created", "sequence_number": 0,
                "response": response("in_progress", json!([]), json!(null))}),
            ),
            sse(
                "response.output_item.added",
                json!({"type": "response.output_item.added",
                "sequence_number": 1, "output_index": 0, "item": message("in_progress", None)}),
            ),
        ];
        for event in head {
            if tx.send(Ok(Frame::data(event))).await.is_err() {
                return;
            }
        }
        for i in 0..deltas {
            if i > 0 && delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            }
            let event = sse(
                "response.output_text.delta",
                json!({"type": "response.output_text.delta",
                "sequence_number": i + 2, "item_id": "msg_long", "output_index": 0, "content_index": 0,
                "delta": " lorem", "logprobs": [], "obfuscation": "ab"}),
            );
            if tx.send(Ok(Frame::data(event))).await.is_err() {
                return;
            }
        }
        let text = long_text(deltas);
        let usage = json!({"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": deltas, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": deltas + 12});
        let tail = [
            sse(
                "response.output_text.done",
                json!({"type": "response.output_text.done",
                "sequence_number": deltas + 2, "item_id": "msg_long", "output_index": 0, "content_index": 0, "text": text}),
            ),
            sse(
                "response.output_item.done",
                json!({"type": "response.output_item.done",
                "sequence_number": deltas + 3, "output_index": 0, "item": message("completed", Some(&text))}),
            ),
            sse(
                "response.completed",
                json!({"type": "response.completed", "sequence_number": deltas + 4,
                "response": response("completed", json!([message("completed", Some(&text))]), usage)}),
            ),
        ];
        for event in tail {
            if tx.send(Ok(Frame::data(event))).await.is_err() {
                return;
            }
        }
    });
    let body = StreamBody::new(tokio_stream_from(rx));
    let mut res = hyper::Response::new(BodyExt::boxed(body));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/event-stream"),
    );
    res
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
