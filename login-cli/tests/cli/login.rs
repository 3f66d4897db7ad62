//! `auth login --no-browser` end to end: URL, callback, exchange, both stores, then the gateway
//! serves a request with the stored token.

use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::FakeOAuth;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_stores_the_token_where_the_gateway_reads_it() {
    let oauth = FakeOAuth::start("rt-unused").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;

    let q = query(&url);
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", oauth.base_url())),
        "{url}"
    );
    assert_eq!(q["client_id"], "app_EMoamEEZ73f0CkXaXp7hrann");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid profile email offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["id_token_add_organizations"], "true");
    assert_eq!(q["codex_cli_simplified_flow"], "true");
    assert_eq!(q["originator"], "codex_cli_rs");
    assert!(q["state"].len() >= 16);
    assert!(
        q["redirect_uri"].starts_with("http://localhost:"),
        "{}",
        q["redirect_uri"]
    );
    assert!(q["redirect_uri"].ends_with("/auth/callback"));

    let location = sign_in(&url).await;
    let (status, page) = visit(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Authorization Successful"), "{page}");
    let done = run.finish().await;
    done.assert_code(0);
    assert!(
        done.stdout
            .contains("Login successful: dev@example.com (plus plan, account acct-test)"),
        "{}",
        done.stdout
    );
    assert_eq!(oauth.code_exchanges(), 1);

    let record = work.file_record().expect("token file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(work.token_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let text = std::fs::read_to_string(work.token_file()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["account_id"], "acct-test");
    assert!(json["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("rt-login-"));
    let (sqlite_type, spin_record) = work.spin_row().expect("Spin row");
    assert_eq!(sqlite_type, "blob");
    assert_eq!(spin_record, record);
    let secret = record.access_token.expose();
    assert!(
        !done.stdout.contains(secret) && !done.stderr.contains(secret),
        "token printed"
    );
    assert!(!done.stdout.contains(record.refresh_token.expose()));

    // The component, on that database, serves with that token.
    let codex = FakeCodex::start().await.unwrap();
    codex.accept_tokens(vec![secret.to_owned()]);
    let host = gateway(work.spin_db(), &codex, &oauth, &[]).await;
    let (status, body) = chat(&host, false).await;
    assert_eq!(status, 200, "{body}");
    let sent = codex.generation_requests();
    let last = sent.last().expect("an upstream call");
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {secret}").as_str())
    );
    assert_eq!(oauth.refresh_calls(), 0, "a fresh token needs no refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_file_writes_only_the_file_and_spin_only_the_database() {
    let oauth = FakeOAuth::start("rt-unused").await.unwrap();
    for (store, file, spin) in [("file", true, false), ("spin", false, true)] {
        let work = Work::new();
        work.use_issuer(&oauth, "");
        let mut run = work.spawn(&["auth", "login", "--no-browser", "--store", store]);
        let url = run.authorize_url().await;
        visit(&sign_in(&url).await).await;
        run.finish().await.assert_code(0);
        assert_eq!(work.file_record().is_some(), file, "{store}");
        assert_eq!(work.spin_row().is_some(), spin, "{store}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spin_db_override_is_resolved_against_the_workdir() {
    let oauth = FakeOAuth::start("rt-unused").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn(&[
        "auth",
        "login",
        "--no-browser",
        "--store",
        "spin",
        "--spin-db",
        "app/kv.db",
    ]);
    let url = run.authorize_url().await;
    visit(&sign_in(&url).await).await;
    let done = run.finish().await;
    done.assert_code(0);
    let kv = kv_sqlite::SqliteKv::open(&work.path().join("app/kv.db"), "default").unwrap();
    assert!(kv.get("codex-gateway/token").unwrap().is_some());
    assert!(!done.stderr.contains("no spin.toml"), "{}", done.stderr);
}
