//! `keys` and `usage` through the real binary: on a deployed gateway's admin routes (`--url`),
//! and on the local Spin store the running gateway reads, each key then used on the gateway.

use gateway_core::auth::token::TOKEN_KEY;
use serde_json::Value;
use test_host::fake_oauth::login_record;

use crate::support::*;

async fn deployed() -> Deployed {
    let deployed = Deployed::start(&[("admin_api_key", ADMIN_KEY)]).await;
    let record = login_record("rt", 3600);
    kv_sqlite::SqliteKv::open(&deployed.kv_path, "default")
        .unwrap()
        .set(TOKEN_KEY, &serde_json::to_vec(&record).unwrap())
        .unwrap();
    deployed
}

async fn chat_as(deployed: &Deployed, key: &str, model: &str) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/v1/chat/completions", deployed.host.base_url()))
        .bearer_auth(key)
        .json(&serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn printed_key(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("sk-cgw-"))
        .unwrap_or_else(|| panic!("no key printed: {stdout}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_a_deployed_gateway() {
    let deployed = deployed().await;
    let url = deployed.host.base_url();
    let work = Work::new();
    let remote = ["--url", url.as_str(), "--admin-key", ADMIN_KEY];
    fn with<'a>(head: &[&'a str], remote: &[&'a str]) -> Vec<&'a str> {
        [head, remote].concat()
    }
    let args = |head: &[&'static str]| with(head, &remote);

    let made = work
        .run(&args(&[
            "keys",
            "create",
            "alice",
            "--models",
            "gpt-5.4,gpt-6*",
            "--limit",
            "requests=1/day",
            "--expires",
            "30d",
        ]))
        .await;
    made.assert_code(0);
    let key = printed_key(&made.stdout);
    assert!(made.stdout.contains("shown only now"), "{}", made.stdout);

    assert_eq!(chat_as(&deployed, &key, "gpt-5.4").await, 200);
    assert_eq!(chat_as(&deployed, &key, "gpt-5.4").await, 429, "its limit");
    assert_eq!(chat_as(&deployed, &key, "gpt-5.2").await, 403, "its models");

    let listed = work.run(&args(&["keys", "list", "--json"])).await;
    listed.assert_code(0);
    assert!(!listed.stdout.contains(&key), "a list never shows a key");
    let keys: Vec<Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(keys[0]["name"], "alice");
    assert_eq!(keys[0]["models"], serde_json::json!(["gpt-5.4", "gpt-6*"]));
    assert_eq!(
        (&keys[0]["limits"][0]["used"], &keys[0]["limits"][0]["max"]),
        (&1.into(), &1.into())
    );
    assert!(keys[0]["expires_at"].as_i64().is_some() && keys[0]["last_used_at"].as_i64().is_some());

    let usage = work
        .run(&args(&["usage", "--json", "--group-by", "key"]))
        .await;
    usage.assert_code(0);
    let report: Value = serde_json::from_str(&usage.stdout).unwrap();
    assert_eq!(report["rows"][0]["group"], "alice");
    assert_eq!(
        report["rows"][0]["requests"], 1,
        "refused requests are not counted"
    );
    let stacked = work
        .run(&args(&["usage", "--json", "--group-by", "day,model"]))
        .await;
    stacked.assert_code(0);
    let report: Value = serde_json::from_str(&stacked.stdout).unwrap();
    assert_eq!(report["rows"][0]["model"], "gpt-5.4", "{report}");
    assert!(report["rows"][0]["day"].is_string());
    let bad = work.run(&args(&["usage", "--group-by", "hour"])).await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("group_by"), "{}", bad.stderr);

    let rotated = work.run(&args(&["keys", "rotate", "alice"])).await;
    rotated.assert_code(0);
    let new_key = printed_key(&rotated.stdout);
    assert_eq!(
        chat_as(&deployed, &key, "gpt-5.4").await,
        401,
        "the old key stops"
    );
    assert_eq!(
        chat_as(&deployed, &new_key, "gpt-5.4").await,
        429,
        "the limit stays"
    );

    work.run(&args(&["keys", "revoke", "alice"]))
        .await
        .assert_code(0);
    assert_eq!(chat_as(&deployed, &new_key, "gpt-5.4").await, 401);

    let duplicate = work.run(&args(&["keys", "create", "alice"])).await;
    duplicate.assert_code(2);
    assert!(duplicate.stderr.contains("exists"), "{}", duplicate.stderr);
    let wrong = work
        .run(&[
            "keys",
            "list",
            "--url",
            &url,
            "--admin-key",
            "not-the-admin-key",
        ])
        .await;
    wrong.assert_code(6);
    assert!(wrong.stderr.contains("wrong admin key"), "{}", wrong.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_in_the_local_store_serve_the_running_gateway() {
    let deployed = deployed().await;
    let work = Work::new();
    let db = deployed.kv_path.to_string_lossy().into_owned();
    let made = work.run(&["keys", "create", "bob", "--spin-db", &db]).await;
    made.assert_code(0);
    let key = printed_key(&made.stdout);
    assert_eq!(chat_as(&deployed, &key, "gpt-5.4").await, 200);

    let listed = work.run(&["keys", "list", "--spin-db", &db]).await;
    listed.assert_code(0);
    assert!(
        listed.stdout.contains("bob") && !listed.stdout.contains(&key),
        "{}",
        listed.stdout
    );
    let usage = work
        .run(&["usage", "--key", "bob", "--days", "1", "--spin-db", &db])
        .await;
    usage.assert_code(0);
    let row = usage
        .stdout
        .lines()
        .find(|l| l.starts_with("20"))
        .unwrap_or_else(|| panic!("{}", usage.stdout));
    assert_eq!(row.split_whitespace().nth(1), Some("1"), "{row}");

    let bad = work
        .run(&[
            "keys",
            "create",
            "carol",
            "--limit",
            "requests=5/hour",
            "--spin-db",
            &db,
        ])
        .await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("requests=100/5h"), "{}", bad.stderr);
}
