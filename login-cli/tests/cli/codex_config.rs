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
    let done = work.run_env(&args, &[("CODEX_GATEWAY_API_KEY", KEY)]).await;
    done.assert_code(0);
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
    assert!(!done.stdout.contains(KEY), "the key is never echoed");

    // An existing config.toml is left alone; the block goes beside it.
    work.run_env(&args, &[("CODEX_GATEWAY_API_KEY", KEY)])
        .await
        .assert_code(0);
    assert!(out.join("codex-gateway.config.toml").exists());

    let refused = work
        .run_env(&args, &[("CODEX_GATEWAY_API_KEY", "sk-wrong")])
        .await;
    refused.assert_code(6);
    assert!(refused.stderr.contains("HTTP 401"));

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
    use gateway_core::auth::token::TOKEN_KEY;
    let record = test_host::fake_oauth::login_record("rt", 3600);
    kv_sqlite::SqliteKv::open(kv, "default")
        .unwrap()
        .set(TOKEN_KEY, &record.to_json().unwrap())
        .unwrap();
}
