//! `auth push` into a test-hosted gateway: stored with admin_api_key set, 404 without it, 401
//! with a wrong key.

use gateway_core::auth::token::{Secret, TokenRecord, RECORD_VERSION, TOKEN_KEY};
use test_host::fake_oauth::{make_jwt, now};

use crate::support::*;

fn local_record(work: &Work) -> TokenRecord {
    let record = TokenRecord {
        version: RECORD_VERSION,
        access_token: Secret::new(make_jwt(now() + 3600, "acct-push", "push")),
        refresh_token: Secret::new("rt-push"),
        id_token: None,
        account_id: Some("acct-push".into()),
        email: Some("dev@example.com".into()),
        plan_type: Some("pro".into()),
        expires_at: Some(now() + 3600),
        last_refresh: now(),
        last_failure: None,
    };
    std::fs::write(work.token_file(), record.to_json_pretty().unwrap()).unwrap();
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_installs_the_token_into_a_deployed_gateway() {
    let Deployed {
        host,
        kv_path,
        codex,
        dir: _remote,
        ..
    } = Deployed::start(&[("admin_api_key", ADMIN_KEY)]).await;
    let work = Work::new();
    let record = local_record(&work);
    let url = host.base_url();

    let done = work
        .run(&["auth", "push", "--url", &url, "--admin-key", ADMIN_KEY])
        .await;
    done.assert_code(0);
    assert!(
        done.stdout
            .contains("Pushed the token of dev@example.com (pro plan, account acct-push)"),
        "{}",
        done.stdout
    );
    let kv = kv_sqlite::SqliteKv::open(&kv_path, "default").unwrap();
    let stored = TokenRecord::from_json(&kv.get(TOKEN_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(stored, record);

    // The gateway now serves with it.
    codex.accept_tokens(vec![record.access_token.expose().to_owned()]);
    let (status, body) = chat(&host, false).await;
    assert_eq!(status, 200, "{body}");

    let wrong = work
        .run(&["auth", "push", "--url", &url, "--admin-key", "not-the-key"])
        .await;
    wrong.assert_code(6);
    assert!(
        wrong.stderr.contains("HTTP 401: wrong admin key"),
        "{}",
        wrong.stderr
    );
    assert!(
        !wrong.stderr.contains("not-the-key"),
        "the key is never echoed"
    );

    // The key also comes from the environment.
    work.run_env(
        &["auth", "push", "--url", &url, "--store", "file"],
        &[("CODEX_GATEWAY_ADMIN_KEY", ADMIN_KEY)],
    )
    .await
    .assert_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_a_gateway_without_admin_key_is_a_clear_404() {
    let Deployed {
        host,
        kv_path,
        dir: _remote,
        ..
    } = Deployed::start(&[]).await;
    let work = Work::new();
    local_record(&work);
    let done = work
        .run(&[
            "auth",
            "push",
            "--url",
            &host.base_url(),
            "--admin-key",
            ADMIN_KEY,
        ])
        .await;
    done.assert_code(6);
    assert!(
        done.stderr.contains("HTTP 404: its admin endpoint is off"),
        "{}",
        done.stderr
    );
    let kv = kv_sqlite::SqliteKv::open(&kv_path, "default").unwrap();
    assert!(kv.get(TOKEN_KEY).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_needs_a_local_token_and_a_safe_url() {
    let work = Work::new();
    let none = work
        .run(&[
            "auth",
            "push",
            "--url",
            "http://127.0.0.1:9",
            "--admin-key",
            "k",
        ])
        .await;
    none.assert_code(3);
    local_record(&work);
    let plain = work
        .run(&[
            "auth",
            "push",
            "--url",
            "http://gateway.example",
            "--admin-key",
            "k",
        ])
        .await;
    plain.assert_code(2);
    assert!(
        plain
            .stderr
            .contains("refusing to send the token over plain http"),
        "{}",
        plain.stderr
    );
    let missing_key = work
        .run(&["auth", "push", "--url", "https://gateway.example"])
        .await;
    missing_key.assert_code(2);
}

/// The store lost its token (a Redis `FLUSHALL`, an evicting `maxmemory-policy`): the running
/// gateway asks for a login, and one `auth push` brings it back, with no restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_restores_a_gateway_whose_store_lost_the_token() {
    let Deployed {
        host,
        kv_path,
        codex,
        oauth,
        dir: _remote,
    } = Deployed::start(&[("admin_api_key", ADMIN_KEY)]).await;
    let work = Work::new();
    let record = local_record(&work);
    codex.accept_tokens(vec![record.access_token.expose().to_owned()]);
    let url = host.base_url();
    let push = ["auth", "push", "--url", &url, "--admin-key", ADMIN_KEY];
    work.run(&push).await.assert_code(0);
    assert_eq!(chat(&host, false).await.0, 200);

    let kv = kv_sqlite::SqliteKv::open(&kv_path, "default").unwrap();
    for key in kv.keys().unwrap() {
        kv.delete(&key).unwrap();
    }
    let (status, body) = chat(&host, false).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("login-cli auth login"), "{body}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let health: serde_json::Value = client
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["token"]["needs_login"], true, "{health}");

    work.run(&push).await.assert_code(0);
    let (status, body) = chat(&host, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
    assert_eq!(oauth.refresh_calls(), 0);
}
