//! `--account` and `auth list`: a named account beside the default one, in the Spin store (its
//! own key, the account index, its usage and cooldown), in its own token file, and pushed into a
//! test-hosted gateway.

use gateway_core::accounts::state::{cooldown_key, usage_key, Cooldown, CooldownReason};
use gateway_core::accounts::usage::{UsageSnapshot, UsageWindow};
use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use serde_json::json;
use test_host::fake_oauth::{account_record, now, FakeOAuth};

use crate::manage::logged_in;
use crate::support::*;

const WORK_KEY: &str = "codex-gateway/accounts/work/token";
const INDEX_KEY: &str = "codex-gateway/accounts";

fn index(work: &Work) -> Option<serde_json::Value> {
    work.spin_value(INDEX_KEY)
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

fn spin_record(work: &Work, key: &str) -> Option<TokenRecord> {
    work.spin_value(key)
        .map(|bytes| TokenRecord::from_json(&bytes).unwrap())
}

/// `record` written to a file in the workdir, for `auth import --from`.
fn export(work: &Work, name: &str, record: &TokenRecord) -> String {
    let path = work.path().join(name);
    std::fs::write(&path, record.to_json_pretty().unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn assert_no_secret(text: &str, records: &[&TokenRecord]) {
    for record in records {
        for secret in [record.access_token.expose(), record.refresh_token.expose()] {
            assert!(!text.contains(secret), "a token was printed:\n{text}");
        }
    }
    for personal in ["dev@example.com", "acct-test"] {
        assert!(!text.contains(personal), "{personal} was printed:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_an_account_adds_it_beside_the_default_one() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let default = logged_in(&work, &oauth).await;
    assert_eq!(index(&work), None, "one account needs no index");
    // What the gateway learned about an earlier `work` login is forgotten by a new one.
    work.set_spin_value(&usage_key("work"), br#"{"at":1}"#);
    work.set_spin_value(&cooldown_key("work"), br#"{"reason":"needs_login","at":1}"#);

    let mut run = work.spawn(&["auth", "login", "--no-browser", "--account", "work"]);
    let url = run.authorize_url().await;
    visit(&sign_in(&url).await).await;
    let done = run.finish().await;
    done.assert_code(0);
    for needle in [&format!("key {WORK_KEY})"), "oauth-token.work.json"] {
        assert!(done.stdout.contains(needle), "{needle}: {}", done.stdout);
    }

    assert_eq!(
        work.spin_row().unwrap(),
        ("blob".to_owned(), default.clone())
    );
    assert_eq!(
        work.file_record().unwrap(),
        default,
        "default file untouched"
    );
    let named = spin_record(&work, WORK_KEY).unwrap();
    assert_ne!(named.access_token, default.access_token);
    let file = std::fs::read(work.account_file("work")).unwrap();
    assert_eq!(TokenRecord::from_json(&file).unwrap(), named);
    assert_eq!(
        index(&work),
        Some(json!({"version": 1, "accounts": ["default", "work"]}))
    );
    assert_eq!(work.spin_value(&usage_key("work")), None);
    assert_eq!(work.spin_value(&cooldown_key("work")), None);

    // The gateway's findings, as it would record them.
    let usage = UsageSnapshot {
        primary: Some(UsageWindow {
            used_percent: 52.5,
            window_minutes: Some(300),
            resets_at: Some(now() + 600),
        }),
        secondary: Some(UsageWindow {
            used_percent: 100.0,
            window_minutes: Some(10_080),
            resets_at: Some(now() + 7200),
        }),
        at: now() - 30,
    };
    let cooldown = Cooldown {
        reason: CooldownReason::UsageLimit,
        at: now() - 30,
        until: Some(now() + 7200),
    };
    work.set_spin_value(&usage_key("work"), &serde_json::to_vec(&usage).unwrap());
    work.set_spin_value(
        &cooldown_key("work"),
        &serde_json::to_vec(&cooldown).unwrap(),
    );

    let text = work.run(&["auth", "list"]).await;
    text.assert_code(0);
    for needle in [
        "default: available",
        "work: resting (usage_limit)",
        "stored in:    spin, file",
        "plan:         plus",
        "expires:",
        "5h window:    52.5% used, resets ",
        "7d window:    100% used, resets ",
        "usage seen:",
        "cooldown:     usage_limit until ",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    assert_no_secret(
        &format!("{}{}", text.stdout, text.stderr),
        &[&default, &named],
    );

    let listed = work.run(&["auth", "list", "--json"]).await;
    listed.assert_code(0);
    assert_no_secret(&listed.stdout, &[&default, &named]);
    let value: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let names: Vec<_> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "work"]);
    assert_eq!(value[0]["available"], true);
    assert_eq!(value[0]["stores"], json!(["spin", "file"]));
    assert_eq!(value[0]["token"]["plan_type"], "plus");
    assert_eq!(value[0]["token"]["needs_login"], false);
    assert_eq!(value[1]["available"], false);
    assert_eq!(value[1]["cooldown"]["reason"], "usage_limit");
    assert_eq!(value[1]["cooldown"]["until"], cooldown.until.unwrap());
    assert_eq!(value[1]["usage"], serde_json::to_value(&usage).unwrap());

    let status = work
        .run(&["auth", "status", "--account", "work", "--store", "spin"])
        .await;
    status.assert_code(0);
    assert!(
        status
            .stdout
            .contains(&format!("key {WORK_KEY}): logged in")),
        "{}",
        status.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_of_one_account_leaves_the_others() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let default = account_record("acct-default", "rt-default", 3600);
    let named = account_record("acct-work", "rt-work", 3600);
    let from = export(&work, "default.json", &default);
    work.run(&["auth", "import", "--store", "spin", "--from", &from])
        .await
        .assert_code(0);
    let from = export(&work, "work.json", &named);
    let import = ["auth", "import", "--store", "spin", "--account", "work"];
    work.run(&[&import[..], &["--from", &from]].concat())
        .await
        .assert_code(0);
    assert_eq!(spin_record(&work, WORK_KEY), Some(named.clone()));
    assert_eq!(
        index(&work),
        Some(json!({"version": 1, "accounts": ["default", "work"]}))
    );

    let done = work
        .run(&["auth", "logout", "--store", "spin", "--account", "work"])
        .await;
    done.assert_code(0);
    let revoked: Vec<String> = oauth
        .revocations()
        .iter()
        .flat_map(|fields| fields.iter().filter(|(k, _)| k == "token"))
        .map(|(_, v)| v.clone())
        .collect();
    assert_eq!(revoked, ["rt-work"], "only that account's token is revoked");
    assert_eq!(work.spin_value(WORK_KEY), None);
    assert_eq!(
        index(&work),
        Some(json!({"version": 1, "accounts": ["default"]}))
    );
    assert_eq!(spin_record(&work, TOKEN_KEY), Some(default));

    work.run(&["auth", "logout", "--store", "spin", "--no-revoke"])
        .await
        .assert_code(0);
    assert_eq!(index(&work), None, "an empty index is deleted");
    assert_eq!(work.spin_value(TOKEN_KEY), None);
    let none = work.run(&["auth", "list"]).await;
    none.assert_code(0);
    assert!(
        none.stdout.contains("No accounts are stored here"),
        "{}",
        none.stdout
    );
    let none = work.run(&["auth", "list", "--json"]).await;
    none.assert_code(0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&none.stdout).unwrap(),
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_account_has_its_own_private_token_file() {
    let work = Work::new();
    let named = account_record("acct-work", "rt-work", 3600);
    let from = export(&work, "work.json", &named);
    work.run(&[
        "auth",
        "import",
        "--store",
        "file",
        "--account",
        "work",
        "--from",
        &from,
    ])
    .await
    .assert_code(0);
    let path = work.account_file("work");
    let stored = TokenRecord::from_json(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(stored, named);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(!work.token_file().exists() && !work.spin_db().exists());

    let status = work
        .run(&["auth", "status", "--store", "file", "--account", "work"])
        .await;
    status.assert_code(0);
    assert!(
        status.stdout.contains("oauth-token.work.json: logged in"),
        "{}",
        status.stdout
    );
    let default = work.run(&["auth", "status", "--store", "file"]).await;
    default.assert_code(3);
    let listed = work.run(&["auth", "list"]).await;
    listed.assert_code(0);
    assert!(
        listed.stdout.contains("work: available") && !listed.stdout.contains("default:"),
        "{}",
        listed.stdout
    );
    assert!(!work.spin_db().exists(), "listing created the Spin store");

    work.run(&[
        "auth",
        "logout",
        "--store",
        "file",
        "--account",
        "work",
        "--no-revoke",
    ])
    .await
    .assert_code(0);
    assert!(!path.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_with_an_account_installs_it_as_that_account() {
    let Deployed {
        host,
        kv_path,
        dir: _remote,
        ..
    } = Deployed::start(&[("admin_api_key", ADMIN_KEY)]).await;
    let work = Work::new();
    let named = account_record("acct-work", "rt-work", 3600);
    std::fs::write(work.account_file("work"), named.to_json_pretty().unwrap()).unwrap();
    let url = host.base_url();
    let push = ["auth", "push", "--url", &url, "--admin-key", ADMIN_KEY];

    let done = work
        .run(&[&push[..], &["--account", "work"]].concat())
        .await;
    done.assert_code(0);
    assert!(
        done.stdout.contains("/admin/token?account=work."),
        "{}",
        done.stdout
    );
    let kv = kv_sqlite::SqliteKv::open(&kv_path, "default").unwrap();
    let stored = TokenRecord::from_json(&kv.get(WORK_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(stored, named);
    assert_eq!(kv.get(TOKEN_KEY).unwrap(), None, "not the default account");
    let remote_index: serde_json::Value =
        serde_json::from_slice(&kv.get(INDEX_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(remote_index, json!({"version": 1, "accounts": ["work"]}));

    let missing = work
        .run(&[&push[..], &["--account", "spare"]].concat())
        .await;
    missing.assert_code(3);
    assert!(
        missing
            .stderr
            .contains("run `login-cli auth login --account spare` first"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_account_name_is_a_usage_error() {
    let work = Work::new();
    for args in [
        &["auth", "status", "--account", "Work"][..],
        &["auth", "login", "--account", "../x"],
        &[
            "auth",
            "push",
            "--url",
            "https://gw.example",
            "--admin-key",
            "k",
            "--account",
            "a b",
        ],
    ] {
        let done = work.run(args).await;
        done.assert_code(2);
        assert!(
            done.stderr
                .contains("an account name is 1 to 32 characters of a-z, 0-9"),
            "{args:?}: {}",
            done.stderr
        );
    }
    work.run(&["auth", "list", "--account", "work"])
        .await
        .assert_code(2);
    for command in ["login", "import", "status", "logout", "push"] {
        let help = work.run(&["auth", command, "--help"]).await;
        assert!(
            help.stdout.contains("--account <NAME>"),
            "{command}: {}",
            help.stdout
        );
    }
    let help = work.run(&["auth", "list", "--help"]).await;
    for flag in ["--json", "--store", "--spin-db"] {
        assert!(help.stdout.contains(flag), "{flag}: {}", help.stdout);
    }
}

/// A gateway from before several accounts: `/admin/token` answers every request with its one
/// token's health and no `account`. Returns its URL and the request lines it saw.
async fn gateway_without_accounts() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head);
            lines
                .lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_owned());
            let body = r#"{"present":true,"readable":true,"needs_login":false}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_never_pushed_to_a_gateway_that_would_ignore_it() {
    let (url, seen) = gateway_without_accounts().await;
    let work = Work::new();
    let named = account_record("acct-work", "rt-work", 3600);
    std::fs::write(work.account_file("work"), named.to_json_pretty().unwrap()).unwrap();
    let done = work
        .run(&[
            "auth",
            "push",
            "--url",
            &url,
            "--admin-key",
            ADMIN_KEY,
            "--account",
            "work",
        ])
        .await;
    done.assert_code(6);
    assert!(done.stderr.contains("predates them"), "{}", done.stderr);
    let lines = seen.lock().unwrap().clone();
    assert_eq!(
        lines,
        ["GET /admin/token?account=work HTTP/1.1"],
        "no PUT was sent"
    );
}
