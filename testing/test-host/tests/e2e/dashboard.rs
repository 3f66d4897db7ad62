//! Issue 27: the dashboard's page and the admin routes behind it, through the built component:
//! hidden without an admin key, refused with a short one, and every file sent with a policy
//! that allows nothing inline and nothing from elsewhere. The page itself is driven in a real
//! browser by tests/dashboard.

use serde_json::Value;

use crate::accounts::{seed_accounts, THREE};
use crate::keys::ADMIN;
use crate::support::*;

async fn get(env: &Env, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = env.client.get(env.url(path));
    if let Some(bearer) = bearer {
        req = req.bearer_auth(bearer);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_page_exists_only_with_an_admin_key() {
    let off = Env::start("dash-off", &[]).await;
    for path in [
        "/dashboard",
        "/dashboard/app.js",
        "/admin/status",
        "/admin/accounts",
    ] {
        assert_eq!(get(&off, path, None).await.status(), 404, "{path}");
    }

    let on = Env::start("dash-on", &[("admin_api_key", ADMIN)]).await;
    for (path, kind) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/format.js", "text/javascript"),
        ("/dashboard/app.css", "text/css"),
    ] {
        let res = get(&on, path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        assert!(headers.get("content-length").is_some(), "a sized answer");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("https://"),
            "nothing from another origin: {path}"
        );
    }
    assert_eq!(get(&on, "/dashboard/other.js", None).await.status(), 404);
}

#[tokio::test]
async fn a_short_admin_key_is_a_broken_deployment() {
    let env = Env::start("dash-short", &[("admin_api_key", "short-admin-key")]).await;
    for path in ["/healthz", "/dashboard", "/admin/keys"] {
        let (status, _, body) = json_of(get(&env, path, Some("short-admin-key")).await).await;
        assert_eq!(
            (status, envelope_code(&body)),
            (500, "config_invalid".into()),
            "{path}"
        );
        assert!(
            !body.to_string().contains("short-admin-key"),
            "never echoed: {body}"
        );
    }
}

#[tokio::test]
async fn accounts_and_status_say_what_the_page_shows() {
    let env = Env::start("dash-data", &[("admin_api_key", ADMIN)]).await;
    seed_accounts(&env, &THREE, 3600);
    env.codex
        .set_quota("acct-a", test_host::fake_codex::Quota::used(80.0));
    for _ in 0..3 {
        assert_eq!(env.post("/v1/chat/completions", &chat_body()).await.0, 200);
    }
    let res = get(&env, "/admin/accounts", Some(ADMIN)).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (status, _, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    let accounts = body["accounts"].as_array().unwrap();
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(
        accounts
            .iter()
            .any(|a| a["usage"]["primary"]["used_percent"].is_number()),
        "a usage window reached the store: {body}"
    );
    assert!(
        !body.to_string().contains("acct-"),
        "no account id, only names"
    );

    let (status, _, status_body) = json_of(get(&env, "/admin/status", Some(ADMIN)).await).await;
    assert_eq!(status, 200);
    assert_eq!(status_body["mode"], "codex_oauth");
    assert_eq!(status_body["store"], "ok");
    let settings: &Value = &status_body["settings"];
    assert_eq!(settings["usage_tracking"], "on");
    for secret in ["downstream_api_key", "upstream_api_key", "admin_api_key"] {
        assert!(settings.get(secret).is_none(), "{secret} is never shown");
    }
    assert!(!status_body.to_string().contains(ADMIN) && !status_body.to_string().contains(KEY));

    let res = get(&env, "/admin/status", Some(KEY)).await;
    assert_eq!(res.status(), 401, "the downstream key is not the admin key");
    let (status, _, body) =
        json_of(get(&env, "/admin/usage?group_by=day,model", Some(ADMIN)).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["rows"][0]["model"], "gpt-5.4", "{body}");
    assert!(body["rows"][0]["day"].is_string());
}
