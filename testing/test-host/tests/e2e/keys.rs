//! Issue 26: client keys and usage through the built component. Keys are made on `/admin/keys`
//! (login-cli's own tests drive the same routes and the local store with the real binary);
//! every instance honours the same keys and counters through the shared store.

use serde_json::{json, Value};

use crate::runtime::on_spin;
use crate::support::*;

pub const ADMIN: &str = "admin-key-for-the-e2e-suite-0123456789abcdef";

async fn admin_env(name: &str, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![("admin_api_key", ADMIN)];
    vars.extend_from_slice(extra);
    let env = Env::start(name, &vars).await;
    // Far from expiry, so moving the gateway's clock never makes it refresh.
    env.seed_token(90 * 86_400);
    env
}

async fn create(env: &Env, spec: Value) -> String {
    let res = env
        .client
        .post(env.url("/admin/keys"))
        .bearer_auth(ADMIN)
        .json(&spec)
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 201, "{body}");
    body["key"].as_str().unwrap().to_owned()
}

async fn admin(env: &Env, method: reqwest::Method, path: &str) -> (u16, Value) {
    let res = env
        .client
        .request(method, env.url(path))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    (status, body)
}

fn chat_as(env: &Env, key: &str, model: &str) -> reqwest::RequestBuilder {
    env.client
        .post(env.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
}

async fn status_of(req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    json_of(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_client_key_keeps_to_its_models_and_request_limit() {
    let env = admin_env("keys-limits", &[]).await;
    let key = create(
        &env,
        json!({"name": "alice", "models": ["gpt-5*"], "limits": ["requests=2/5h"]}),
    )
    .await;
    assert!(key.starts_with("sk-cgw-"), "{key}");
    for _ in 0..2 {
        let (status, headers, body) = status_of(chat_as(&env, &key, "gpt-5.4")).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            !headers.keys().any(|h| h.as_str().starts_with("x-codex-")),
            "no quota or account of the owner's reaches a key holder: {headers:?}"
        );
    }
    let (_, owner_headers, _) = status_of(chat_as(&env, KEY, "gpt-5.4")).await;
    assert!(
        owner_headers.contains_key("x-codex-primary-used-percent"),
        "the owner sees them"
    );
    let (status, headers, body) = status_of(chat_as(&env, &key, "gpt-5.4")).await;
    assert_eq!(
        (status, envelope_code(&body)),
        (429, "key_limit_reached".into())
    );
    let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5 * 3600).contains(&retry), "{retry}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("requests=2/5h"));

    let (status, _, body) = status_of(chat_as(&env, &key, "gpt-6-sol")).await;
    assert_eq!(
        (status, envelope_code(&body)),
        (403, "model_not_allowed".into())
    );

    // Anthropic's clients get the same decisions in Anthropic's shape, with x-api-key.
    let res = env
        .client
        .post(env.url("/v1/messages"))
        .header("x-api-key", &key)
        .json(&json!({"model": "claude-sonnet-4-6", "max_tokens": 10,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(
        (status, &body["error"]["type"]),
        (403, &json!("permission_error"))
    );

    let logs = env.logs().await;
    assert!(
        logs.contains("alice"),
        "the access line names the key: {logs}"
    );
    assert!(!logs.contains(&key), "never the key itself");
    assert_eq!(
        env.codex.generation_requests().len(),
        3,
        "the key's two and the owner's one: refusals never go upstream"
    );

    if !on_spin() {
        env.advance_clock(5 * 3600);
        let (status, _, body) = status_of(chat_as(&env, &key, "gpt-5.4")).await;
        assert_eq!(status, 200, "a new window: {body}");
    }
}

#[tokio::test]
async fn a_token_limit_counts_what_the_backend_reported() {
    crate::test_host_only!("the gateway's clock moves past the window");
    let env = admin_env("keys-tokens", &[]).await;
    // Each answer reports 12 input and 5 output tokens.
    let key = create(&env, json!({"name": "bob", "limits": ["tokens=30/day"]})).await;
    for _ in 0..2 {
        assert_eq!(
            status_of(chat_as(&env, &key, "gpt-5.4@long-5")).await.0,
            200
        );
    }
    let (status, headers, body) = status_of(chat_as(&env, &key, "gpt-5.4@long-5")).await;
    assert_eq!(
        (status, envelope_code(&body)),
        (429, "key_limit_reached".into())
    );
    assert!(headers.contains_key("retry-after"));
    let (_, listed) = admin(&env, reqwest::Method::GET, "/admin/keys").await;
    let window = &listed["keys"][0]["limits"][0];
    assert_eq!((&window["used"], &window["max"]), (&json!(34), &json!(30)));

    env.advance_clock(86_400);
    assert_eq!(
        status_of(chat_as(&env, &key, "gpt-5.4@long-5")).await.0,
        200
    );
}

#[tokio::test]
async fn revoked_and_rotated_keys_stop_at_once() {
    let env = admin_env("keys-revoke", &[]).await;
    let key = create(&env, json!({"name": "carol"})).await;
    assert_eq!(status_of(chat_as(&env, &key, "gpt-5.4")).await.0, 200);

    let (status, body) = admin(&env, reqwest::Method::POST, "/admin/keys/carol/rotate").await;
    assert_eq!(status, 200, "{body}");
    let rotated = body["key"].as_str().unwrap().to_owned();
    let (status, _, body) = status_of(chat_as(&env, &key, "gpt-5.4")).await;
    assert_eq!(
        (status, envelope_code(&body)),
        (401, "invalid_api_key".into())
    );
    assert_eq!(status_of(chat_as(&env, &rotated, "gpt-5.4")).await.0, 200);

    let (status, body) = admin(&env, reqwest::Method::DELETE, "/admin/keys/carol").await;
    assert_eq!((status, &body["status"]), (200, &json!("revoked")));
    let (status, _, body) = status_of(chat_as(&env, &rotated, "gpt-5.4")).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );

    let (_, listed) = admin(&env, reqwest::Method::GET, "/admin/keys").await;
    let listed = listed.to_string();
    assert!(
        !listed.contains(&key) && !listed.contains(&rotated),
        "no key is ever listed"
    );
    assert!(listed.contains("last_used_at"), "{listed}");
}

#[tokio::test]
async fn usage_is_counted_for_every_request_and_read_back() {
    let env = admin_env("keys-usage", &[]).await;
    let key = create(&env, json!({"name": "dave"})).await;
    for (who, model) in [
        (KEY, "gpt-5.4@long-5"),
        (&key, "gpt-5.4@long-5"),
        (&key, "gpt-5.4@long-3"),
    ] {
        assert_eq!(status_of(chat_as(&env, who, model)).await.0, 200);
    }
    // Usage is written after the answer has left: wait for the last request's, or fail below.
    let mut by_key = Value::Null;
    for _ in 0..50 {
        let (status, report) = admin(&env, reqwest::Method::GET, "/admin/usage?group_by=key").await;
        assert_eq!(status, 200, "{report}");
        by_key = report;
        if by_key["total"]["requests"] == 3 && by_key["total"]["output_tokens"] == 13 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows: Vec<(String, u64, u64)> = by_key["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let g = r["group"].as_str().unwrap().to_owned();
            (
                g,
                r["requests"].as_u64().unwrap(),
                r["output_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("dave".into(), 2, 8), ("owner".into(), 1, 5)]);
    assert_eq!(by_key["total"]["input_tokens"], 36);

    let (_, dave) = admin(
        &env,
        reqwest::Method::GET,
        "/admin/usage?key=dave&group_by=model",
    )
    .await;
    let models: Vec<&str> = dave["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["gpt-5.4@long-3", "gpt-5.4@long-5"]);

    let (status, body) = admin(&env, reqwest::Method::GET, "/admin/usage?group_by=week").await;
    assert_eq!((status, &body["error"]["param"]), (400, &json!("group_by")));
    let res = env.get("/admin/usage").send().await.unwrap();
    assert_eq!(res.status(), 401, "the downstream key is not the admin key");
}

#[tokio::test]
async fn usage_tracking_off_writes_nothing() {
    let env = admin_env("keys-off", &[("usage_tracking", "off")]).await;
    for _ in 0..3 {
        assert_eq!(status_of(chat_as(&env, KEY, "gpt-5.4")).await.0, 200);
    }
    let keys = env.kv().keys().unwrap();
    assert!(
        !keys.iter().any(|k| k.contains("/usage/")),
        "no usage counter: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_honour_one_limit_and_lose_no_usage() {
    let env = admin_env("keys-two", &[]).await;
    let key = create(
        &env,
        json!({"name": "erin", "limits": ["requests=150/day"]}),
    )
    .await;
    let (_other, other_url) = env.another_instance().await;
    let urls = [
        env.url("/v1/chat/completions"),
        format!("{other_url}/v1/chat/completions"),
    ];
    let body = json!({"model": "gpt-5.4@long-5", "messages": [{"role": "user", "content": "hi"}]});
    let send = |who: String, i: usize| {
        let (client, url, body) = (env.client.clone(), urls[i % 2].clone(), body.clone());
        async move {
            let res = client
                .post(url)
                .bearer_auth(who)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let _ = res.bytes().await;
            status
        }
    };
    let owner = futures_util::future::join_all((0..200).map(|i| send(KEY.to_owned(), i))).await;
    assert!(owner.iter().all(|s| *s == 200), "{owner:?}");
    let limited = futures_util::future::join_all((0..200).map(|i| send(key.clone(), i))).await;
    let served = limited.iter().filter(|s| **s == 200).count();
    let refused = limited.iter().filter(|s| **s == 429).count();
    assert_eq!((served, refused), (150, 50), "{limited:?}");

    // Usage is written once each answer is out: give the last ones a moment.
    let mut report = Value::Null;
    for _ in 0..50 {
        report = admin(&env, reqwest::Method::GET, "/admin/usage?group_by=key")
            .await
            .1;
        // A request is counted before its tokens: wait for both, or fail below.
        if report["total"]["requests"] == 350 && report["total"]["output_tokens"] == 1750 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let row = |name: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == name)
            .cloned()
            .unwrap_or_default()
    };
    // Every answer reported 12 input and 5 output tokens.
    assert_eq!(
        (
            &row("owner")["requests"],
            &row("owner")["input_tokens"],
            &row("owner")["output_tokens"]
        ),
        (&json!(200), &json!(2400), &json!(1000)),
        "{report}"
    );
    assert_eq!(
        (&row("erin")["requests"], &row("erin")["output_tokens"]),
        (&json!(150), &json!(750)),
        "{report}"
    );
}
