//! `auth status`, `auth logout`, `auth import`.

use gateway_core::auth::token::TokenRecord;
use test_host::fake_oauth::{make_jwt, now, FakeOAuth};

use crate::support::*;

/// Log in through the browser flow (the happy path, as a fixture).
pub async fn logged_in(work: &Work, oauth: &FakeOAuth) -> TokenRecord {
    work.use_issuer(oauth, "");
    let mut run = work.spawn(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;
    visit(&sign_in(&url).await).await;
    run.finish().await.assert_code(0);
    work.file_record().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tells_who_and_where_and_exits_by_usability() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let none = work.run(&["auth", "status"]).await;
    none.assert_code(3);
    assert!(none.stdout.contains("no token"), "{}", none.stdout);
    assert!(
        none.stderr
            .contains("no usable token is stored: run `login-cli auth login`"),
        "{}",
        none.stderr
    );

    let record = logged_in(&work, &oauth).await;
    let done = work.run(&["auth", "status"]).await;
    done.assert_code(0);
    for needle in [
        "logged in",
        "dev@example.com",
        "plus",
        "acct-test",
        "expires:",
        "last refresh:",
        "oauth-token.json",
        "sqlite_key_value.db",
    ] {
        assert!(done.stdout.contains(needle), "{needle}: {}", done.stdout);
    }
    for secret in [record.access_token.expose(), record.refresh_token.expose()] {
        assert!(
            !done.stdout.contains(secret) && !done.stderr.contains(secret),
            "token printed"
        );
    }

    let json = work
        .run(&["auth", "status", "--json", "--store", "spin"])
        .await;
    json.assert_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["usable"], true);
    assert_eq!(value["stores"].as_array().unwrap().len(), 1);
    assert_eq!(value["stores"][0]["store"], "spin");
    assert_eq!(value["stores"][0]["email"], "dev@example.com");
    assert!(value["stores"][0]["expires_in_secs"].as_i64().unwrap() > 3000);

    // A record the issuer refused is not usable.
    let mut dead = record.clone();
    dead.last_failure = Some(gateway_core::auth::token::RefreshFailure {
        kind: gateway_core::auth::token::FailureKind::Terminal,
        code: "refresh_token_reused".into(),
        at: now(),
        attempts: 1,
    });
    std::fs::write(work.token_file(), dead.to_json_pretty().unwrap()).unwrap();
    let refused = work.run(&["auth", "status", "--store", "file"]).await;
    refused.assert_code(3);
    assert!(
        refused.stdout.contains("refresh_token_reused") && refused.stdout.contains("login needed"),
        "{}",
        refused.stdout
    );

    std::fs::write(work.token_file(), "{not json").unwrap();
    let broken = work.run(&["auth", "status", "--store", "file"]).await;
    broken.assert_code(3);
    assert!(broken.stdout.contains("unreadable"), "{}", broken.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_and_empties_both_stores() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let record = logged_in(&work, &oauth).await;
    assert!(work.spin_row().is_some());
    let done = work.run(&["auth", "logout"]).await;
    done.assert_code(0);
    assert!(
        done.stdout.contains("Revoked the refresh token"),
        "{}",
        done.stdout
    );
    let revoked = oauth.revocations();
    assert_eq!(
        revoked.len(),
        1,
        "one revoke for the token both stores share"
    );
    let fields: std::collections::HashMap<_, _> = revoked[0].iter().cloned().collect();
    assert_eq!(fields["token"], record.refresh_token.expose());
    assert_eq!(fields["token_type_hint"], "refresh_token");
    assert_eq!(fields["client_id"], "app_EMoamEEZ73f0CkXaXp7hrann");
    work.assert_no_token();
    work.run(&["auth", "status"]).await.assert_code(3);
    let again = work.run(&["auth", "logout"]).await;
    again.assert_code(0);
    assert!(
        again.stdout.contains("nothing to remove"),
        "{}",
        again.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_still_removes_when_the_issuer_is_unreachable() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    logged_in(&work, &oauth).await;
    work.write_config("oauth:\n  issuer: http://127.0.0.1:9\n");
    let done = work.run(&["auth", "logout"]).await;
    done.assert_code(0);
    assert!(done.stderr.contains("could not revoke"), "{}", done.stderr);
    work.assert_no_token();
}

fn codex_auth_json() -> (String, String) {
    let access = make_jwt(now() + 3600, "acct-codex", "codex");
    let text = serde_json::json!({
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": make_jwt(now() + 3600, "acct-codex", "id"),
            "access_token": access,
            "refresh_token": "rt-codex",
            "account_id": "acct-codex",
        },
        "last_refresh": "2026-01-02T03:04:05.123456Z",
    })
    .to_string();
    (text, access)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_a_codex_auth_json() {
    let work = Work::new();
    let (text, access) = codex_auth_json();
    let from = work.path().join("codex-auth.json");
    std::fs::write(&from, &text).unwrap();
    let done = work
        .run(&["auth", "import", "--from", from.to_str().unwrap()])
        .await;
    done.assert_code(0);
    assert!(
        done.stdout
            .contains("Imported dev@example.com (plus plan, account acct-codex)"),
        "{}",
        done.stdout
    );
    assert!(
        done.stderr.contains("share one refresh token"),
        "{}",
        done.stderr
    );
    let record = work.file_record().unwrap();
    assert_eq!(record.access_token.expose(), access);
    assert_eq!(record.refresh_token.expose(), "rt-codex");
    assert_eq!(record.last_refresh, 1_767_323_045);
    assert_eq!(work.spin_row().unwrap(), ("blob".to_owned(), record));

    // The default location is $HOME/.codex/auth.json (the test's HOME is inside the workdir).
    let other = Work::new();
    std::fs::create_dir_all(other.path().join("home/.codex")).unwrap();
    std::fs::write(other.path().join("home/.codex/auth.json"), &text).unwrap();
    other
        .run(&["auth", "import", "--store", "spin"])
        .await
        .assert_code(0);
    assert!(other.spin_row().is_some() && other.file_record().is_none());

    let bad = Work::new();
    std::fs::write(
        bad.path().join("a.json"),
        r#"{"OPENAI_API_KEY":"sk-x","tokens":null}"#,
    )
    .unwrap();
    let done = bad
        .run(&[
            "auth",
            "import",
            "--from",
            bad.path().join("a.json").to_str().unwrap(),
        ])
        .await;
    done.assert_code(1);
    assert!(done.stderr.contains("no ChatGPT tokens"), "{}", done.stderr);
    bad.assert_no_token();
}
