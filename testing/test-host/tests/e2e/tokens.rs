//! Issue 3: tokens in the key-value store, single refresh across instances and processes,
//! forced refresh on 401, terminal failures, import, and the live model catalog.

use std::time::{Duration, Instant};

use gateway_core::auth::lease::holder_key;
use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use serde_json::json;
use test_host::fake_codex::Scenario;
use test_host::fake_oauth::{make_jwt, now, Mode};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_requests_inside_the_margin_cause_exactly_one_refresh() {
    let env = Env::start("margin", &[]).await;
    env.codex.reject_expired_tokens();
    env.oauth.set_delay_ms(200);
    let seeded = env.seed_token(120); // inside the 300 s margin, still valid
    let statuses = env
        .concurrent_posts(32, "/v1/chat/completions", &chat_body())
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(env.oauth.refresh_calls(), 1);
    assert_eq!(env.oauth.reused_rejections(), 0);
    let stored = env.stored_token().unwrap();
    assert_eq!(stored.refresh_token.expose(), env.oauth.current_refresh());
    assert_ne!(stored.access_token, seeded.access_token);
    assert!(stored.last_failure.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_requests_with_an_expired_token_wait_for_one_refresh() {
    let env = Env::start("expired", &[]).await;
    env.codex.reject_expired_tokens();
    env.oauth.set_delay_ms(300);
    env.seed_token(-10);
    let started = Instant::now();
    let statuses = env
        .concurrent_posts(32, "/v1/chat/completions", &chat_body())
        .await;
    let took = started.elapsed();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(env.oauth.refresh_calls(), 1);
    assert_eq!(env.oauth.reused_rejections(), 0);
    // Every request used a token the issuer minted, none the expired one.
    let issued = env.oauth.issued_access();
    for req in env.codex.generation_requests() {
        let bearer = req
            .header("authorization")
            .unwrap()
            .trim_start_matches("Bearer ");
        assert!(issued.iter().any(|t| t == bearer));
    }
    eprintln!("32 waiters on an expired token finished in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_host_processes_sharing_one_store_refresh_once() {
    crate::test_host_only!("two test-host processes");
    let env = Env::start("two-procs", &[]).await;
    env.codex.reject_expired_tokens();
    env.oauth.set_delay_ms(300);
    env.seed_token(-10);
    let (mut children, mut urls) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let (child, url) = env.spawn_process();
        children.push(child);
        urls.push(url);
    }
    let futures = (0..32).map(|i| {
        let url = format!("{}/v1/chat/completions", urls[i % 2]);
        let client = env.client.clone();
        async move {
            client
                .post(url)
                .bearer_auth(KEY)
                .json(&chat_body())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(futures).await;
    for mut c in children {
        let _ = c.kill();
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(env.oauth.refresh_calls(), 1);
    assert_eq!(env.oauth.reused_rejections(), 0);
}

#[tokio::test]
async fn upstream_401_forces_one_refresh_and_one_retry() {
    let env = Env::start("force", &[]).await;
    env.seed_token(3600);
    env.codex.push(Scenario::codex_status(401));
    let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.oauth.refresh_calls(), 1);
    assert_eq!(env.codex.generation_requests().len(), 2);

    // Rejected again after the refresh: the client sees 401 in the envelope.
    env.codex.push(Scenario::codex_status(401));
    env.codex.push(Scenario::codex_status(401));
    let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(envelope_code(&body), "upstream_unauthorized");
    assert_eq!(env.oauth.refresh_calls(), 2);
    assert_eq!(env.oauth.reused_rejections(), 0);
}

#[tokio::test]
async fn terminal_failure_fails_fast_until_a_new_login() {
    let env = Env::start("terminal", &[]).await;
    env.oauth.set_mode(Mode::Reject("invalid_grant".into()));
    env.seed_token(-10);
    for _ in 0..3 {
        let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
        assert_asks_for_login(status, &body);
    }
    assert_eq!(
        env.oauth.refresh_calls(),
        1,
        "the token endpoint must not be hammered"
    );
    let (_, _, health) = json_of(env.client.get(env.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(health["token"]["needs_login"], true, "{health}");
    assert_eq!(health["token"]["terminal_failure"], "invalid_grant");

    // A new login replaces the record: requests work again.
    env.oauth.set_mode(Mode::Normal);
    env.seed_token(3600);
    let (status, _, _) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn transient_failure_is_503_refresh_failed_and_the_record_stays_valid() {
    let env = Env::start("transient", &[]).await;
    env.oauth.set_mode(Mode::Down);
    env.seed_token(-10);
    let (status, headers, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 503);
    assert_eq!(envelope_code(&body), "oauth_refresh_failed");
    assert!(headers.get("retry-after").is_some());
    let stored = env.stored_token().unwrap();
    assert_eq!(
        stored.refresh_token.expose(),
        "rt-initial",
        "token record intact"
    );
    assert!(stored.last_failure.is_some());
    assert!(
        !env.kv()
            .keys()
            .unwrap()
            .iter()
            .any(|k| k.starts_with("codex-gateway/lease-holder/")),
        "lease released"
    );
}

#[tokio::test]
async fn no_token_at_all_is_503_with_the_login_hint() {
    let env = Env::start("notoken", &[]).await;
    let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_asks_for_login(status, &body);
}

#[tokio::test]
async fn a_dead_holder_delays_others_by_at_most_the_lease_ttl() {
    let ttl = 4;
    let env = Env::start(
        "dead-holder",
        &[("refresh_lease_ttl_secs", "4"), ("refresh_wait_secs", "1")],
    )
    .await;
    let record = env.seed_token(-10);
    // A holder that claimed the lease just now and then died: it never refreshes or releases.
    let holder = json!({"nonce": 1, "started_at_ms": now() * 1000});
    env.kv()
        .set(
            &holder_key(&record.fingerprint()),
            holder.to_string().as_bytes(),
        )
        .unwrap();
    let started = Instant::now();
    let mut status = 0;
    while started.elapsed() < Duration::from_secs(ttl * 3) {
        let res = env
            .post_json("/v1/chat/completions", &chat_body())
            .send()
            .await
            .unwrap();
        status = res.status().as_u16();
        if status == 200 {
            break;
        }
        assert_eq!(
            status, 503,
            "waiters see a retryable 503, never an error that sticks"
        );
    }
    let waited = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(env.oauth.refresh_calls(), 1);
    assert!(
        waited <= Duration::from_secs(ttl + 2),
        "took over after {waited:?}"
    );
    eprintln!("dead holder (ttl {ttl}s) delayed the refresh by {waited:?}");
}

#[tokio::test]
async fn codex_calls_carry_identity_headers() {
    let env = Env::start("headers", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4", "prompt_cache_key": "conv-42", "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, _) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 200);
    let req = &env.codex.generation_requests()[0];
    assert!(req
        .header("authorization")
        .unwrap()
        .starts_with("Bearer ey"));
    assert_eq!(req.header("chatgpt-account-id"), Some("acct-test"));
    assert_eq!(req.header("originator"), Some("codex_cli_rs"));
    assert!(req
        .header("user-agent")
        .unwrap()
        .starts_with("codex_cli_rs/"));
    assert_eq!(req.header("session_id"), Some("conv-42"));
    assert!(req.header("x-request-id").is_some());
}

/// A gateway over `env`'s store and fakes with `files` mounted at `/`.
async fn host_with_files(env: &Env, files: &std::path::Path) -> test_host::TestHost {
    test_host::TestHost::start(test_host::HostConfig {
        variables: [
            ("downstream_api_key", KEY.to_owned()),
            ("codex_base_url", env.codex.base_url()),
            ("oauth_issuer", env.oauth.base_url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        kv_path: env.dir.join(".spin/sqlite_key_value.db"),
        files_dir: Some(files.to_path_buf()),
        port: 0,
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_mounted_token_file_is_imported_only_when_the_store_cannot_serve() {
    crate::test_host_only!("a second gateway over the same store with a files mount");
    let codex_env = Env::start("import", &[]).await;
    let stored = codex_env.seed_token(3600);
    let files = temp_dir("import-files");
    let newer = TokenRecord {
        access_token: gateway_core::auth::token::Secret::new(make_jwt(
            now() + 7200,
            "acct-file",
            "file",
        )),
        account_id: Some("acct-file".into()),
        last_refresh: now(),
        ..stored.clone()
    };
    std::fs::write(
        files.path().join("oauth-token.json"),
        newer.to_json_pretty().unwrap(),
    )
    .unwrap();
    let host = host_with_files(&codex_env, files.path()).await;
    let chat = |host: &test_host::TestHost| {
        codex_env
            .client
            .post(format!("{}/v1/chat/completions", host.base_url()))
            .bearer_auth(KEY)
            .json(&chat_body())
            .send()
    };
    let stored_account = || {
        let bytes = codex_env.kv().get(TOKEN_KEY).unwrap().unwrap();
        serde_json::from_slice::<TokenRecord>(&bytes)
            .unwrap()
            .account_id
    };

    // A usable stored token serves; the file is not read on the hot path.
    assert_eq!(chat(&host).await.unwrap().status(), 200);
    let req = codex_env.codex.generation_requests().pop().unwrap();
    assert_eq!(req.header("chatgpt-account-id"), Some("acct-test"));
    assert_eq!(stored_account().as_deref(), Some("acct-test"));

    // The stored session was refused for good: the mounted login takes over.
    let dead = TokenRecord {
        last_refresh: now() - 600,
        last_failure: Some(gateway_core::auth::token::RefreshFailure {
            kind: gateway_core::auth::token::FailureKind::Terminal,
            code: "invalid_grant".into(),
            at: now() - 60,
            attempts: 1,
        }),
        ..stored
    };
    codex_env
        .kv()
        .set(TOKEN_KEY, &serde_json::to_vec(&dead).unwrap())
        .unwrap();
    assert_eq!(chat(&host).await.unwrap().status(), 200);
    let req = codex_env.codex.generation_requests().pop().unwrap();
    assert_eq!(req.header("chatgpt-account-id"), Some("acct-file"));
    assert_eq!(stored_account().as_deref(), Some("acct-file"));

    // No token at all: the file is imported too.
    codex_env.kv().delete(TOKEN_KEY).unwrap();
    assert_eq!(chat(&host).await.unwrap().status(), 200);
    assert_eq!(stored_account().as_deref(), Some("acct-file"));
}

#[tokio::test]
async fn model_catalog_is_live_then_cached_and_falls_back() {
    let env = Env::start("catalog", &[]).await;
    env.seed_token(3600);
    let (status, _, body) = env.fetch("/v1/models").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["gpt-5.4", "gpt-5.3-codex", "gpt-6-sol", "gpt-6-astra"],
        "listed models, by priority"
    );
    assert_eq!(body["data"][0]["context_window"], 272000);
    assert_eq!(env.codex.models_calls(), 1);
    let (_, _, again) = env.fetch("/v1/models").await;
    assert_eq!(again, body);
    assert_eq!(
        env.codex.models_calls(),
        1,
        "second call served from the store"
    );

    let failing = Env::start("catalog-fail", &[]).await;
    failing.seed_token(3600);
    failing.codex.set_models(Scenario::codex_status(500));
    let (status, _, body) = failing.fetch("/v1/models").await;
    assert_eq!(status, 200);
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "gpt-6-sol" && m["context_window"] == 272000));

    let no_token = Env::start("catalog-notoken", &[]).await;
    let (status, _, body) = no_token.fetch("/v1/models").await;
    assert_eq!(status, 200);
    assert!(body["data"].as_array().unwrap().len() >= 5);
    assert_eq!(no_token.codex.models_calls(), 0);
}
