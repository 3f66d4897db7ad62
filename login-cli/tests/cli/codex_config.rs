//! `codex-config` through the real binary against a test-hosted gateway: the Codex CLI's
//! catalog and provider block, written from the gateway's live catalog.

use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::FakeOAuth;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_config_writes_the_catalog_and_a_provider_block() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let codex = FakeCodex::start().await.unwrap();
    let remote = tempfile::tempdir().unwrap();
    let host = gateway(remote.path().join("kv.db"), &codex, &oauth, &[]).await;
    seed(&remote.path().join("kv.db"));
    let work = Work::new();
    let out = work.path().join("codex-home");
    let url = host.base_url();
    let args = [
        "codex-config",
        "--url",
        &url,
        "--out",
        out.to_str().unwrap(),
    ];
    let mut cmd = work.command(&args);
    cmd.env("CODEX_GATEWAY_API_KEY", KEY);
    let done = cmd.output().await.unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("codex-gateway-models.json")).unwrap())
            .unwrap();
    assert_eq!(catalog["models"][0]["slug"], "gpt-5.4");
    let config: toml::Value =
        toml::from_str(&std::fs::read_to_string(out.join("config.toml")).unwrap()).unwrap();
    assert_eq!(config["model"].as_str(), Some("gpt-5.4"));
    assert_eq!(
        config["model_catalog_json"].as_str(),
        out.join("codex-gateway-models.json").to_str()
    );
    assert_eq!(
        config["model_providers"]["codex-gateway"]["base_url"].as_str(),
        Some(format!("{url}/v1").as_str())
    );
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(!stdout.contains(KEY), "the key is never echoed");

    // An existing config.toml is left alone; the block goes beside it.
    let mut again = work.command(&args);
    again.env("CODEX_GATEWAY_API_KEY", KEY);
    assert_eq!(again.output().await.unwrap().status.code(), Some(0));
    assert!(out.join("codex-gateway.config.toml").exists());

    let mut wrong = work.command(&args);
    wrong.env("CODEX_GATEWAY_API_KEY", "sk-wrong");
    let refused = wrong.output().await.unwrap();
    assert_eq!(refused.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("HTTP 401"));

    let plain = work
        .run(&[
            "codex-config",
            "--url",
            "http://gateway.example",
            "--api-key",
            "k",
        ])
        .await;
    plain.assert_code(2);
}

fn seed(kv: &std::path::Path) {
    use gateway_core::auth::token::{Secret, TokenRecord, RECORD_VERSION, TOKEN_KEY};
    use test_host::fake_oauth::{make_jwt, now};
    let record = TokenRecord {
        version: RECORD_VERSION,
        access_token: Secret::new(make_jwt(now() + 3600, "acct", "cc")),
        refresh_token: Secret::new("rt"),
        id_token: None,
        account_id: Some("acct".into()),
        email: None,
        plan_type: None,
        expires_at: Some(now() + 3600),
        last_refresh: now(),
        last_failure: None,
    };
    kv_sqlite::SqliteKv::open(kv, "default")
        .unwrap()
        .set(TOKEN_KEY, &record.to_json().unwrap())
        .unwrap();
}
