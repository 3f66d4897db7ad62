//! Issue 16: several ChatGPT accounts behind one gateway. The fake backend tells the accounts
//! apart by `chatgpt-account-id`, reports each one's usage and refuses a spent one with 429;
//! the fake issuer keeps one refresh chain per account.

use gateway_core::accounts::index::INDEX_KEY;
use gateway_core::accounts::state::{cooldown_key, usage_key};
use gateway_core::accounts::token_key;
use serde_json::json;
use test_host::fake_codex::Quota;
use test_host::fake_oauth::{account_record, now};

use crate::support::*;

/// The response header naming the account that served.
const ACCOUNT: &str = "x-codex-gateway-account";

/// Log in `accounts` (name, ChatGPT account id) with tokens good for `expires_in` seconds, and
/// index them in this order.
pub fn seed_accounts(env: &Env, accounts: &[(&str, &str)], expires_in: i64) {
    let kv = env.kv();
    for (name, id) in accounts {
        let refresh = env.oauth.add_account(id);
        let record = account_record(id, &refresh, expires_in);
        kv.set(&token_key(name), &record.to_json().unwrap())
            .unwrap();
    }
    let names: Vec<&str> = accounts.iter().map(|(name, _)| *name).collect();
    let index = json!({"version": 1, "accounts": names});
    kv.set(INDEX_KEY, index.to_string().as_bytes()).unwrap();
}

pub const THREE: [(&str, &str); 3] = [("a", "acct-a"), ("b", "acct-b"), ("c", "acct-c")];

/// A Responses request with no session at all.
fn sessionless() -> serde_json::Value {
    json!({"model": "gpt-5.4", "input": "hi", "stream": false})
}

async fn served_by(env: &Env, path: &str, body: &serde_json::Value) -> (u16, String) {
    let (status, headers, answer) = env.post(path, body).await;
    assert_eq!(status, 200, "{answer}");
    let account = headers[ACCOUNT].to_str().unwrap().to_owned();
    (status, account)
}

/// A streamed chat answer that completed with no quota error in it; the account that served.
async fn streamed_chat_served_by(env: &Env) -> String {
    let mut stream = chat_body();
    stream["stream"] = json!(true);
    let res = env
        .post_json("/v1/chat/completions", &stream)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let account = res.headers()[ACCOUNT].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    assert!(
        text.contains("[DONE]") && !text.contains("usage_limit"),
        "{text}"
    );
    account
}

fn stored_json(env: &Env, key: &str) -> Option<serde_json::Value> {
    let bytes = env.kv().get(key).unwrap()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_sessions_turns_stay_on_one_account() {
    let env = Env::start("acct-session", &[]).await;
    seed_accounts(&env, &THREE, 3600);
    let mut homes = Vec::new();
    for session in ["s-1", "s-2", "s-3", "s-4", "s-5", "s-6"] {
        let mut turn = chat_body();
        turn["prompt_cache_key"] = json!(session);
        let mut served = Vec::new();
        for _ in 0..3 {
            served.push(served_by(&env, "/v1/chat/completions", &turn).await.1);
        }
        assert!(
            served.iter().all(|a| *a == served[0]),
            "{session}: {served:?}"
        );
        homes.push(served[0].clone());
    }
    homes.sort();
    homes.dedup();
    assert!(
        homes.len() > 1,
        "sessions spread over the accounts: {homes:?}"
    );

    // A Codex client's session header counts as a session too.
    let mut served = Vec::new();
    for _ in 0..3 {
        let res = env
            .post_json("/v1/responses", &sessionless())
            .header("session_id", "codex-thread-9")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        served.push(res.headers()[ACCOUNT].to_str().unwrap().to_owned());
    }
    assert!(served.iter().all(|a| *a == served[0]), "{served:?}");
    // Every request went upstream as the account the header named.
    let upstream: usize = THREE.iter().map(|(_, id)| env.codex.served_by(id)).sum();
    assert_eq!(upstream, 6 * 3 + 3);
}

#[tokio::test]
async fn sessionless_traffic_goes_to_the_account_with_most_headroom() {
    let env = Env::start("acct-headroom", &[]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::used(80.0));
    env.codex.set_quota("acct-b", Quota::used(10.0));
    env.codex.set_quota("acct-c", Quota::used(50.0));
    // Nothing is known yet: the accounts take turns, and each answer's usage is kept.
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(served_by(&env, "/v1/responses", &sessionless()).await.1);
    }
    first.sort();
    assert_eq!(first, ["a", "b", "c"]);
    let usage = stored_json(&env, &usage_key("a")).expect("a's usage is stored");
    assert_eq!(usage["primary"]["used_percent"], 80.0);
    assert_eq!(usage["primary"]["window_minutes"], 300);
    // Then the most headroom wins, with no further usage write (nothing changed).
    let before = env.kv().get(&usage_key("b")).unwrap();
    for _ in 0..4 {
        assert_eq!(
            served_by(&env, "/v1/responses", &sessionless()).await.1,
            "b"
        );
    }
    assert_eq!(env.kv().get(&usage_key("b")).unwrap(), before);
    let health = env.client.get(env.url("/healthz")).send().await.unwrap();
    let health: serde_json::Value = health.json().await.unwrap();
    let names: Vec<&str> = health["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(health["accounts"][1]["available"], true);
    assert_eq!(
        health["accounts"][1]["usage"]["primary"]["used_percent"],
        10.0
    );
    let text = health.to_string();
    assert!(
        !text.contains("acct-") && !text.contains("dev@example.com"),
        "{text}"
    );
}

#[tokio::test]
async fn a_spent_account_is_skipped_with_no_error_reaching_the_client() {
    let env = Env::start("acct-failover", &[("account_strategy", "fill-first")]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::spent(120));
    let (_, account) = served_by(&env, "/v1/chat/completions", &chat_body()).await;
    assert_eq!(account, "b");
    let cooldown = stored_json(&env, &cooldown_key("a")).expect("a cools down");
    assert_eq!(cooldown["reason"], "usage_limit");
    let until = cooldown["until"].as_i64().unwrap();
    assert!((now() + 110..=now() + 125).contains(&until), "{cooldown}");

    // A stream too, and the spent account is not asked again while it rests.
    assert_eq!(streamed_chat_served_by(&env).await, "b");
    assert_eq!(env.codex.served_by("acct-a"), 1);
    assert_eq!(env.codex.served_by("acct-b"), 2);
    let logs = env.logs().await;
    assert!(logs.contains("gateway.account.cooling_down"), "{logs}");
    assert!(
        logs.contains("account=b") || logs.contains("\"account\":\"b\""),
        "{logs}"
    );
}

#[tokio::test]
async fn an_account_the_backend_refuses_rests_and_the_next_one_serves() {
    let env = Env::start("acct-refused", &[("account_strategy", "fill-first")]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::refused(403));
    env.codex.set_quota("acct-b", Quota::refused(401));
    assert_eq!(
        served_by(&env, "/v1/chat/completions", &chat_body())
            .await
            .1,
        "c"
    );
    for (name, id, asked) in [("a", "acct-a", 1), ("b", "acct-b", 2)] {
        let cooldown = stored_json(&env, &cooldown_key(name)).unwrap();
        assert_eq!(cooldown["reason"], "refused", "{name}");
        assert_eq!(
            env.codex.served_by(id),
            asked,
            "{name}: a 401 is retried once after a refresh"
        );
    }
    assert_eq!(env.oauth.refresh_calls_for("acct-b"), 1);
    assert_eq!(env.oauth.refresh_calls_for("acct-a"), 0);
}

#[tokio::test]
async fn a_spent_window_reported_inside_the_stream_fails_over_too() {
    let env = Env::start("acct-in-stream", &[("account_strategy", "fill-first")]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::spent_in_stream(200));
    assert_eq!(streamed_chat_served_by(&env).await, "b");
    let cooldown = stored_json(&env, &cooldown_key("a")).expect("a cools down");
    assert_eq!(cooldown["reason"], "usage_limit");
    let until = cooldown["until"].as_i64().unwrap();
    assert!((now() + 190..=now() + 205).contains(&until), "{cooldown}");

    // Non-stream answers (folded from the same event stream) and Responses streams alike.
    env.kv().delete(&cooldown_key("a")).unwrap();
    crate::runtime::another_instance_wrote().await;
    assert_eq!(
        served_by(&env, "/v1/chat/completions", &chat_body())
            .await
            .1,
        "b"
    );
    env.kv().delete(&cooldown_key("a")).unwrap();
    crate::runtime::another_instance_wrote().await;
    let res = env
        .post_json(
            "/v1/responses",
            &json!({"model": "gpt-5.4", "input": "hi", "stream": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[ACCOUNT], "b");
    let text = res.text().await.unwrap();
    assert!(
        text.contains("response.completed") && !text.contains("resp_spent"),
        "{text}"
    );
    assert_eq!(env.codex.served_by("acct-a"), 3);
}

#[tokio::test]
async fn accounts_all_refused_answer_429_naming_the_refusal() {
    let env = Env::start("acct-all-refused", &[]).await;
    seed_accounts(&env, &THREE[..2], 3600);
    env.codex.set_quota("acct-a", Quota::refused(403));
    env.codex.set_quota("acct-b", Quota::refused(403));
    let (status, headers, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(envelope_code(&body), "rate_limit_exceeded");
    assert_eq!(headers["retry-after"], "300");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused") && message.contains("upstream exploded"),
        "{message}"
    );
}

#[tokio::test]
async fn a_cooldown_written_by_one_instance_holds_in_another() {
    let env = Env::start("acct-shared", &[("account_strategy", "fill-first")]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::spent(600));
    assert_eq!(
        served_by(&env, "/v1/chat/completions", &chat_body())
            .await
            .1,
        "b"
    );
    assert_eq!(env.codex.served_by("acct-a"), 1);

    let (other, url) = env.another_instance().await;
    let res = env
        .client
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&chat_body())
        .send()
        .await
        .unwrap();
    drop(other);
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[ACCOUNT], "b");
    assert_eq!(
        env.codex.served_by("acct-a"),
        1,
        "the other process never asked a"
    );
}

#[tokio::test]
async fn when_every_account_rests_the_answer_is_429_with_the_earliest_reset() {
    let env = Env::start("acct-all-spent", &[]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex.set_quota("acct-a", Quota::spent(300));
    env.codex.set_quota("acct-b", Quota::spent(90));
    env.codex.set_quota("acct-c", Quota::spent(600));
    let (status, headers, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(envelope_code(&body), "usage_limit_reached");
    let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((80..=90).contains(&retry), "{retry}");
    let asked = env.codex.generation_requests().len();
    assert_eq!(asked, 3, "each account asked once");

    // While they rest, nothing goes upstream.
    let (status, headers, _) = env.post("/v1/responses", &sessionless()).await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    assert_eq!(env.codex.generation_requests().len(), asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_requests_refresh_each_account_exactly_once() {
    let env = Env::start("acct-refresh", &[]).await;
    env.codex.reject_expired_tokens();
    env.oauth.set_delay_ms(200);
    seed_accounts(&env, &[("a", "acct-a"), ("b", "acct-b")], 120); // inside the 300 s margin
    let statuses = env
        .concurrent_posts(32, "/v1/responses", &sessionless())
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert!(env.codex.served_by("acct-a") > 0 && env.codex.served_by("acct-b") > 0);
    assert_eq!(env.oauth.refresh_calls_for("acct-a"), 1);
    assert_eq!(env.oauth.refresh_calls_for("acct-b"), 1);
    assert_eq!(env.oauth.reused_rejections(), 0);
    for name in ["a", "b"] {
        let stored = stored_json(&env, &token_key(name)).unwrap();
        assert!(
            stored["refresh_token"].as_str().unwrap().contains("-gen-"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_account_that_cannot_log_in_is_left_out_until_it_logs_in_again() {
    let env = Env::start(
        "acct-dead",
        &[
            ("account_strategy", "fill-first"),
            (
                "admin_api_key",
                "admin-key-0123456789-for-the-accounts-suite",
            ),
        ],
    )
    .await;
    seed_accounts(&env, &THREE, 3600);
    env.kv().delete(&token_key("a")).unwrap();
    assert_eq!(
        served_by(&env, "/v1/chat/completions", &chat_body())
            .await
            .1,
        "b"
    );
    let cooldown = stored_json(&env, &cooldown_key("a")).unwrap();
    assert_eq!(cooldown["reason"], "needs_login");
    let recheck = cooldown["until"].as_i64().unwrap() - now();
    assert!(
        (590..=600).contains(&recheck),
        "tried again in 10 minutes: {cooldown}"
    );

    // A new login installed through the admin route brings it back.
    let refresh = env.oauth.add_account("acct-a2");
    let login = account_record("acct-a2", &refresh, 3600);
    let res = env
        .client
        .put(env.url("/admin/token?account=a"))
        .bearer_auth("admin-key-0123456789-for-the-accounts-suite")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(env.kv().get(&cooldown_key("a")).unwrap(), None);
    assert_eq!(
        served_by(&env, "/v1/chat/completions", &chat_body())
            .await
            .1,
        "a"
    );
}

#[tokio::test]
async fn one_account_works_as_it_always_has() {
    let env = Env::start("acct-single", &[]).await;
    env.seed_token(3600);
    env.codex
        .push(test_host::fake_codex::Scenario::codex_status(429));
    let (status, headers, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(headers["retry-after"], "120");
    assert!(!headers.contains_key(ACCOUNT));
    let (status, headers, _) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 200);
    assert!(!headers.contains_key(ACCOUNT));
    let keys = env.kv().keys().unwrap();
    assert!(
        keys.iter()
            .all(|k| !k.starts_with("codex-gateway/accounts")),
        "no account state in a single-account store: {keys:?}"
    );
    let health = env.client.get(env.url("/healthz")).send().await.unwrap();
    let health: serde_json::Value = health.json().await.unwrap();
    assert!(health.get("accounts").is_none(), "{health}");
}
