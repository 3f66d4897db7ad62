//! The admin token endpoint that `login-cli auth push` uses on deployed gateways.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn admin_endpoint_is_invisible_without_an_admin_key() {
    let env = Env::start("admin-off", &[]).await;
    for method in ["GET", "PUT", "DELETE", "POST"] {
        let res = env
            .client
            .request(method.parse().unwrap(), env.url("/admin/token"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        let (status, headers, body) = json_of(res).await;
        assert_eq!(status, 404, "{method}");
        assert!(
            headers.get("allow").is_none(),
            "{method} must not reveal the route"
        );
        assert_eq!(envelope_code(&body), "not_found");
    }
}

#[tokio::test]
async fn admin_endpoint_stores_inspects_and_deletes_the_token() {
    let env = Env::start(
        "admin-on",
        &[(
            "admin_api_key",
            "adm-secret-key-123-for-the-admin-suite-0000",
        )],
    )
    .await;
    let record = env.seed_token(3600);
    env.kv()
        .delete(gateway_core::auth::token::TOKEN_KEY)
        .unwrap();

    // The downstream key is not the admin key.
    let res = env
        .client
        .put(env.url("/admin/token"))
        .bearer_auth(KEY)
        .body(record.to_json().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (status, _, body) = json_of(
        env.client
            .put(env.url("/admin/token"))
            .bearer_auth("adm-secret-key-123-for-the-admin-suite-0000")
            .body("{\"nope\":1}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let res = env
        .client
        .put(env.url("/admin/token"))
        .bearer_auth("adm-secret-key-123-for-the-admin-suite-0000")
        .body(record.to_json().unwrap())
        .send()
        .await
        .unwrap();
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["present"], true);
    assert!(!body.to_string().contains(record.refresh_token.expose()));
    assert_eq!(env.stored_token().unwrap(), record);

    let (status, _, _) = json_of(
        env.post_json(
            "/v1/chat/completions",
            &json!({"model":"gpt-5.4","messages":[{"role":"user","content":"hi"}]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "the pushed token is used");

    let (status, _, body) = json_of(
        env.client
            .delete(env.url("/admin/token"))
            .bearer_auth("adm-secret-key-123-for-the-admin-suite-0000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["present"], false);
    assert!(env.stored_token().is_none());
    assert!(!env
        .logs()
        .await
        .contains("adm-secret-key-123-for-the-admin-suite-0000"));
}

#[tokio::test]
async fn error_answers_keep_rate_limit_and_ignored_params_headers() {
    let env = Env::start("err-headers", &[]).await;
    env.seed_token(3600);
    let body = json!({"model": "gpt-5.4@status-429", "temperature": 0.1, "messages": [{"role": "user", "content": "hi"}]});
    let res = env
        .post_json("/v1/chat/completions", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["x-codex-primary-used-percent"], "100");
    assert!(res.headers()["x-codex-gateway-ignored-params"]
        .to_str()
        .unwrap()
        .contains("temperature"));
}

#[tokio::test]
async fn refreshes_are_logged_without_secrets() {
    let env = Env::start("refresh-log", &[]).await;
    env.seed_token(60);
    let body = json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, _) = env.post("/v1/chat/completions", &body).await;
    assert_eq!(status, 200);
    let logs = env.logs().await;
    assert!(logs.contains("gateway.oauth.refreshed"), "{logs}");
    assert!(!logs.contains("rt-initial") && !logs.contains(&env.oauth.current_refresh()));
}

/// Issue 13: a login pushed while a refresh of the old generation is running, and then fails,
/// is what the store keeps and what the gateway serves with; neither write is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_put_during_a_failing_refresh_is_kept_and_served() {
    let env = Env::start(
        "admin-race",
        &[(
            "admin_api_key",
            "adm-secret-key-123-for-the-admin-suite-0000",
        )],
    )
    .await;
    let old = env.seed_token(-10);
    env.codex.reject_expired_tokens();
    env.oauth.set_mode(test_host::fake_oauth::Mode::Down);
    env.oauth.set_delay_ms(1500);
    let refreshing = {
        let request = env.post_json("/v1/chat/completions", &chat_body());
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    };
    // The refresh is under way (the issuer answers after 1.5 s) when the new login arrives.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pushed = gateway_core::auth::token::TokenRecord {
        access_token: gateway_core::auth::token::Secret::new(test_host::fake_oauth::make_jwt(
            test_host::fake_oauth::now() + 3600,
            "acct-pushed",
            "pushed",
        )),
        account_id: Some("acct-pushed".into()),
        expires_at: Some(test_host::fake_oauth::now() + 3600),
        last_refresh: test_host::fake_oauth::now(),
        last_failure: None,
        ..old
    };
    let res = env
        .client
        .put(env.url("/admin/token"))
        .bearer_auth("adm-secret-key-123-for-the-admin-suite-0000")
        .body(pushed.to_json().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(refreshing.await.unwrap(), 503, "the refresh itself failed");
    assert_eq!(env.oauth.refresh_calls(), 1);
    let stored = env.stored_token().unwrap();
    assert_eq!(
        stored.account_id.as_deref(),
        Some("acct-pushed"),
        "the pushed login survived"
    );
    assert_eq!(
        stored.last_failure, None,
        "no failure mark on the new login"
    );

    let (status, _, body) = env.post("/v1/chat/completions", &chat_body()).await;
    assert_eq!(status, 200, "{body}");
    let req = env.codex.generation_requests().pop().unwrap();
    assert_eq!(req.header("chatgpt-account-id"), Some("acct-pushed"));
}
