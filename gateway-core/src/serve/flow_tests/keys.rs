//! Client keys and usage through the whole flow, on the in-memory host: the owner key with no
//! key lookup, a client key admitted or refused in the route's own error shape, and usage
//! counted once the answer is out.

use std::cell::RefCell;

use super::*;
use crate::keys::limit::Limit;
use crate::keys::store::{create, revoke, NewKey};
use crate::usage::report::{report, Query};

fn ask(host: &FakeHost, path: &str, key: &str, body: &str) -> Sent {
    let sent = RefCell::new(Sent::default());
    let request = Incoming {
        method: "POST".into(),
        path: path.into(),
        headers: vec![("authorization".into(), format!("Bearer {key}").into_bytes())],
        body: ChunkedRequest::new(&[body.as_bytes()]),
    };
    crate::ready::block_on(serve(host, request, RecordingReply(&sent)));
    sent.into_inner()
}

fn chat_body(model: &str) -> String {
    format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"hi"}}]}}"#)
}

fn error_code(sent: &Sent) -> String {
    let json: serde_json::Value = serde_json::from_slice(&sent.writes.concat()).unwrap();
    json["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn usage_rows(host: &FakeHost, group_by: &str) -> Vec<(String, u64, u64)> {
    let query = Query::from_params([("group_by", group_by)], NOW).unwrap();
    report(&*host.kv, &query)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| (r.group, r.requests, r.tokens.output_tokens))
        .collect()
}

fn new_key(host: &FakeHost, models: &[&str], limits: &[&str]) -> String {
    let new = NewKey {
        name: "alice".into(),
        models: models.iter().map(|m| (*m).to_owned()).collect(),
        limits: limits.iter().map(|l| Limit::parse(l).unwrap()).collect(),
        expires_in_secs: None,
    };
    create(&*host.kv, &new, [9; 32], NOW).unwrap().key
}

#[test]
fn the_owner_key_is_counted_without_any_key_lookup() {
    let host = FakeHost::new(vec![(200, ANSWER.to_vec())]);
    let reads_before = host.kv.op_counts();
    let sent = ask(&host, "/v1/chat/completions", KEY, &chat_body("gpt-5.4"));
    assert_eq!(sent.head.as_ref().map(|h| h.0), Some(200));
    assert_eq!(usage_rows(&host, "key"), [("owner".into(), 1, 2)]);
    let stored = host.kv.keys();
    assert!(
        !stored.iter().any(|k| k.contains("client-key")),
        "no key was looked up or written: {stored:?} ({reads_before:?})"
    );
    let access = host.lines.borrow().last().cloned().unwrap_or_default();
    assert!(access.contains("gateway.request.completed"), "{access}");
    assert!(
        access.contains("owner"),
        "the access line names the key: {access}"
    );
}

#[test]
fn usage_tracking_off_writes_no_usage_and_the_owner_path_costs_what_it_did() {
    let mut host = FakeHost::new(vec![(200, ANSWER.to_vec())]);
    host.vars.insert("usage_tracking", "off");
    let before = host.kv.op_counts();
    ask(&host, "/v1/chat/completions", KEY, &chat_body("gpt-5.4"));
    assert!(!host.kv.keys().iter().any(|k| k.contains("/usage/")));
    let after = host.kv.op_counts();
    // What a chat call read before client keys existed: the token, the account index and the
    // Responses Lite model list; nothing written.
    assert_eq!(
        (after.gets - before.gets, after.writes() - before.writes()),
        (3, 0)
    );
    assert_eq!(
        *host.kv_opens.borrow(),
        1,
        "the store is opened once, by the call itself"
    );
}

#[test]
fn tracking_costs_the_owner_one_increment_per_counted_field() {
    let host = FakeHost::new(vec![(200, ANSWER.to_vec()), (200, ANSWER.to_vec())]);
    ask(&host, "/v1/chat/completions", KEY, &chat_body("gpt-5.4"));
    let before = host.kv.op_counts();
    ask(&host, "/v1/chat/completions", KEY, &chat_body("gpt-5.4"));
    let after = host.kv.op_counts();
    // A second request of the day: requests, input and output (the answer reports no cached
    // or reasoning tokens); no read beyond the three of any chat call.
    assert_eq!(
        (
            after.gets - before.gets,
            after.increments - before.increments,
            after.sets - before.sets
        ),
        (3, 3, 0)
    );
}

#[test]
fn a_client_key_is_served_checked_and_counted_under_its_name() {
    let host = FakeHost::new(vec![(200, ANSWER.to_vec()), (200, ANSWER.to_vec())]);
    let key = new_key(&host, &["gpt-5*"], &["requests=2/day"]);
    let sent = ask(&host, "/v1/chat/completions", &key, &chat_body("gpt-5.4"));
    assert_eq!(sent.head.as_ref().map(|h| h.0), Some(200));
    assert_eq!(
        sent.header("x-codex-primary-used-percent"),
        None,
        "the owner's quota stays the owner's"
    );
    let access = host.lines.borrow().last().cloned().unwrap_or_default();
    assert!(
        access.contains("alice") && !access.contains(&key),
        "{access}"
    );

    let refused = ask(&host, "/v1/chat/completions", &key, &chat_body("gpt-6-sol"));
    assert_eq!(refused.head.as_ref().map(|h| h.0), Some(403));
    assert_eq!(error_code(&refused), "model_not_allowed");

    ask(&host, "/v1/chat/completions", &key, &chat_body("gpt-5.4"));
    let limited = ask(&host, "/v1/chat/completions", &key, &chat_body("gpt-5.4"));
    assert_eq!(limited.head.as_ref().map(|h| h.0), Some(429));
    assert_eq!(error_code(&limited), "key_limit_reached");
    let retry: i64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(retry, crate::keys::limit::Window::Day.bounds(NOW).1 - NOW);
    assert_eq!(
        usage_rows(&host, "key"),
        [("alice".into(), 2, 4)],
        "refusals cost nothing"
    );
    assert_eq!(host.urls().len(), 2, "refused requests never went upstream");
}

#[test]
fn revoked_and_unknown_keys_are_refused_in_the_routes_own_shape() {
    let host = FakeHost::new(vec![]);
    let key = new_key(&host, &[], &[]);
    revoke(&*host.kv, "alice", NOW).unwrap();
    let sent = ask(&host, "/v1/messages", &key, &chat_body("claude-sonnet-4-6"));
    assert_eq!(sent.head.as_ref().map(|h| h.0), Some(401));
    let json: serde_json::Value = serde_json::from_slice(&sent.writes.concat()).unwrap();
    assert_eq!(json["error"]["type"], "authentication_error", "{json}");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));

    let unknown = ask(
        &host,
        "/v1/chat/completions",
        "sk-cgw-unknown",
        &chat_body("m"),
    );
    assert_eq!(unknown.head.as_ref().map(|h| h.0), Some(401));
    assert_eq!(error_code(&unknown), "invalid_api_key");
}
