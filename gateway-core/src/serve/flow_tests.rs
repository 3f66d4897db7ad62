//! The whole request flow through [`serve`], on an in-memory host: what the component used to
//! decide and only the e2e suite could reach.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::host::{Host, LineOut, Outgoing, Received, Whole};
use super::testkit::{scripted, RecordingReply, ScriptedBody, Sent};
use super::{serve, Incoming};
use crate::auth::mem_kv::MemKv;
use crate::auth::testkit::{record, store, stored};
use crate::config::LookupError;
use crate::error::GatewayError;
use crate::ports::{Clock, Kv, KvError};
use crate::serve::testkit::ChunkedRequest;

const KEY: &str = "sk-flow";
const NOW: i64 = 1_700_000_000;

/// The host's store handle: one shared store behind every `kv()`.
struct SharedKv(Arc<MemKv>);

impl Kv for SharedKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.0.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.0.increment(key, delta)
    }
}

/// A scripted upstream answer: status and the body's reads.
type Answer = (u16, Vec<&'static [u8]>);
/// A call as the upstream saw it: URL and headers.
type Call = (String, Vec<(String, String)>);

/// Upstream answers in order of the calls, and what each call carried.
#[derive(Default)]
struct FakeHost {
    kv: Arc<MemKv>,
    vars: HashMap<&'static str, &'static str>,
    answers: RefCell<VecDeque<Answer>>,
    calls: RefCell<Vec<Call>>,
    lines: RefCell<Vec<String>>,
    variables_read: RefCell<Vec<String>>,
    /// How often the store was opened (each a host call on Spin).
    kv_opens: RefCell<usize>,
    /// The upstream answer's `content-type`, if any.
    content_type: Option<&'static str>,
    /// What this instance read lately, as a host that serves many requests keeps it.
    memo: Option<crate::memo::Memo>,
    /// Whether each send waits a turn first, as a WASIp3 host's does (other requests run).
    send_yields: bool,
}

impl FakeHost {
    fn new(answers: Vec<Answer>) -> Self {
        let host = Self {
            vars: HashMap::from([("downstream_api_key", KEY)]),
            answers: RefCell::new(answers.into()),
            ..Self::default()
        };
        store(&*host.kv, &record(Some(NOW + 3600), NOW));
        host
    }

    fn urls(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(u, _)| u.clone()).collect()
    }

    fn chat(&self, stream: bool) -> Sent {
        let sent = RefCell::new(Sent::default());
        crate::ready::block_on(serve(self, chat_request(stream), RecordingReply(&sent)));
        sent.into_inner()
    }
}

fn chat_request(stream: bool) -> Incoming<ChunkedRequest> {
    let body = format!(
        r#"{{"model":"gpt-5.4","stream":{stream},"messages":[{{"role":"user","content":"hi"}}]}}"#
    );
    Incoming {
        method: "POST".into(),
        path: "/v1/chat/completions".into(),
        headers: vec![("authorization".into(), format!("Bearer {KEY}").into_bytes())],
        body: ChunkedRequest::new(&[body.as_bytes()]),
    }
}

impl Clock for FakeHost {
    fn now_ms(&self) -> i64 {
        NOW * 1000
    }
    fn sleep_ms(&self, _ms: u64) {}
}

impl LineOut for FakeHost {
    fn write_line(&self, line: &str) {
        self.lines.borrow_mut().push(line.to_owned());
    }
}

impl Host for FakeHost {
    type Kv = SharedKv;
    type Body = ScriptedBody;
    fn kv(&self) -> Result<SharedKv, KvError> {
        *self.kv_opens.borrow_mut() += 1;
        Ok(SharedKv(Arc::clone(&self.kv)))
    }
    fn send_whole(&self, req: &Outgoing<'_>, limit: usize) -> Result<Whole, GatewayError> {
        crate::ready::block_on(super::upstream::send_whole(self, req, limit))
    }
    async fn send(&self, req: &Outgoing<'_>) -> Result<Received<ScriptedBody>, GatewayError> {
        if self.send_yields {
            yield_once().await;
        }
        let headers = req
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()));
        self.calls
            .borrow_mut()
            .push((req.url.to_owned(), headers.collect()));
        let (status, chunks) = self
            .answers
            .borrow_mut()
            .pop_front()
            .ok_or_else(|| GatewayError::UpstreamUnavailable("no scripted answer".into()))?;
        let mut headers = vec![("x-codex-primary-used-percent".into(), b"12".to_vec())];
        headers.extend(
            self.content_type
                .map(|ct| ("content-type".into(), ct.as_bytes().to_vec())),
        );
        let reads = chunks.iter().map(|c| match *c {
            CUT => Err(GatewayError::upstream_error(
                "upstream connection failed mid-response",
            )),
            bytes => Ok(bytes.to_vec()),
        });
        Ok(Received {
            status,
            headers,
            body: scripted(reads.collect()),
        })
    }
    fn monotonic_ns(&self) -> u64 {
        0
    }
    fn random_16(&self) -> [u8; 16] {
        [7; 16]
    }
    fn random_u64(&self) -> u64 {
        42
    }
    fn read_file(&self, _path: &str) -> Option<Vec<u8>> {
        None
    }
    fn memo(&self) -> Option<&crate::memo::Memo> {
        self.memo.as_ref()
    }
    fn variable(&self, name: &str) -> Result<Option<String>, LookupError> {
        self.variables_read.borrow_mut().push(name.to_owned());
        Ok(self.vars.get(name).map(|v| (*v).to_owned()))
    }
}

/// Pending on the first poll, ready on the next: a turn for whatever else the executor runs.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|_| {
        if std::mem::replace(&mut yielded, true) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

const ANSWER: &[&[u8]] = &[
    b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}\n\n",
    b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"lo\"}\n\n",
    b"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2,\"total_tokens\":5}}}\n\n",
];

/// In a scripted answer: the upstream connection fails at this read.
const CUT: &[u8] = b"<cut>";
/// In a scripted answer: what follows has not arrived yet when the gateway asks what is ready.
const PAUSE: &[u8] = b"";

const TOKEN_ANSWER: &[u8] = br#"{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600}"#;

#[test]
fn a_complete_chat_answer_is_one_sized_write_with_the_relayed_headers() {
    let host = FakeHost::new(vec![(200, ANSWER.to_vec())]);
    let sent = host.chat(false);
    let (status, _) = sent.head.clone().unwrap();
    assert_eq!(status, 200);
    assert_eq!(sent.writes.len(), 1);
    let json: serde_json::Value = serde_json::from_slice(&sent.writes[0]).unwrap();
    assert_eq!(json["choices"][0]["message"]["content"], "Hello");
    assert_eq!(
        sent.header("content-length"),
        Some(sent.writes[0].len().to_string().as_str())
    );
    assert_eq!(sent.header("x-codex-primary-used-percent"), Some("12"));
    let calls = host.calls.borrow();
    let auth = calls[0].1.iter().find(|(n, _)| n == "authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer at-0"));
    let access = host.lines.borrow().last().cloned().unwrap();
    assert!(access.contains("gateway.request.completed"), "{access}");
    assert!(access.contains("upstream_status=200"), "{access}");
}

#[test]
fn a_401_renews_the_token_once_and_retries() {
    let host = FakeHost::new(vec![
        (401, vec![b"{}"]),
        (200, vec![TOKEN_ANSWER]),
        (200, ANSWER.to_vec()),
    ]);
    let sent = host.chat(false);
    assert_eq!(sent.head.map(|h| h.0), Some(200));
    let urls = host.urls();
    assert_eq!(urls.len(), 3, "{urls:?}");
    assert!(urls[1].ends_with("/oauth/token"), "{urls:?}");
    let calls = host.calls.borrow();
    let auth = calls[2].1.iter().find(|(n, _)| n == "authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer at-1"));
    assert_eq!(stored(&*host.kv).access_token.expose(), "at-1");
}

#[test]
fn a_stream_that_fails_before_any_output_gets_its_real_status() {
    let failed: &[u8] = b"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"usage_limit_reached\",\"message\":\"limit\",\"resets_in_seconds\":30}}}\n\n";
    let host = FakeHost::new(vec![(200, vec![failed])]);
    let sent = host.chat(true);
    assert_eq!(sent.head.as_ref().map(|h| h.0), Some(429));
    assert_eq!(sent.header("retry-after"), Some("30"));
    assert_eq!(sent.header("x-codex-primary-used-percent"), Some("12"));
    let json: serde_json::Value = serde_json::from_slice(&sent.writes[0]).unwrap();
    assert_eq!(json["error"]["code"], "usage_limit_reached");

    let host = FakeHost::new(vec![(200, ANSWER.to_vec())]);
    let sent = host.chat(true);
    assert_eq!(sent.head.as_ref().map(|h| h.0), Some(200));
    assert_eq!(sent.header("content-type"), Some("text/event-stream"));
    let text = String::from_utf8(sent.writes.concat()).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert_eq!(sent.ended, Some(true));
}

/// Every variable is a host call, and on Spin every variables provider is asked in turn: a
/// chat call reads the settings it uses, each once, and no other (`bench/spin_bench.py` has
/// its floor read as many).
#[test]
fn a_chat_call_reads_only_the_settings_it_uses_each_once() {
    for stream in [false, true] {
        let host = FakeHost::new(vec![(200, ANSWER.to_vec())]);
        host.chat(stream);
        let mut read = host.variables_read.take();
        read.sort_unstable();
        assert_eq!(
            read,
            [
                // The request has no `prompt_cache_key`: what stands in for it is a setting.
                "chat_prompt_cache_key",
                "codex_base_url",
                "codex_client_version",
                "codex_responses_path",
                "downstream_api_key",
                "idle_timeout_secs",
                "log_format",
                "log_level",
                "max_body_bytes",
                "model_aliases",
                "originator",
                "reasoning_output",
                "refresh_margin_secs",
                "upstream_mode",
                // Read once the answer is out, to count its usage.
                "usage_tracking",
            ],
            "stream: {stream}"
        );
    }
}

/// `openai_api` mode relays the upstream's body as it arrives, one write per burst: the last
/// burst leaves with the end of the body, a body that has fully arrived leaves whole with the
/// head, and one cut off after it started never looks complete.
#[test]
fn an_openai_api_relay_writes_each_burst_once() {
    let relay = |content_type: Option<&'static str>, chunks: Vec<&'static [u8]>| {
        let mut host = FakeHost::new(vec![(200, chunks)]);
        host.vars.insert("upstream_mode", "openai_api");
        host.vars.insert("upstream_api_key", "sk-upstream");
        host.content_type = content_type;
        host.chat(true)
    };
    let sse = Some("text/event-stream");
    let sent = relay(
        sse,
        vec![b"data: 1\n\n", b"data: 2\n\n", b"data: [DONE]\n\n"],
    );
    assert_eq!(
        sent.writes,
        [b"data: 1\n\ndata: 2\n\ndata: [DONE]\n\n".to_vec()]
    );
    assert_eq!(sent.ended, Some(true));

    let sent = relay(sse, vec![]);
    assert_eq!(
        sent.writes,
        [Vec::<u8>::new()],
        "an empty body is one whole answer"
    );
    assert_eq!(sent.ended, Some(true));

    let sent = relay(
        sse,
        vec![b"data: 1\n\n", PAUSE, b"data: 2\n\n", b"data: [DONE]\n\n"],
    );
    let writes = [
        b"data: 1\n\n".to_vec(),
        b"data: 2\n\ndata: [DONE]\n\n".to_vec(),
    ];
    assert_eq!(sent.writes, writes, "the last burst leaves with the end");
    assert_eq!(sent.ended, Some(true));

    let sent = relay(sse, vec![b"data: 1\n\n", PAUSE, b"data: 2\n\n", CUT]);
    let [first, last] = sent.writes.as_slice() else {
        panic!("two writes: {:?}", sent.writes);
    };
    assert_eq!(first, b"data: 1\n\n");
    let last = String::from_utf8_lossy(last);
    assert!(
        last.starts_with("data: 2\n\n") && last.contains("upstream_error"),
        "{last}"
    );

    let sent = relay(Some("application/json"), vec![b"{\"a\":", PAUSE, b"1", CUT]);
    assert_eq!(sent.writes, [b"{\"a\":".to_vec(), b"1".to_vec()]);
    assert_eq!(sent.ended, Some(false), "a cut JSON answer is aborted");
}

mod keys;
mod memo;
