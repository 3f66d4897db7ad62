//! Every way a browser login can fail ends with a clear message, its exit code, a freed port,
//! and no token anywhere.

use std::time::{Duration, Instant};

use test_host::fake_oauth::FakeOAuth;

use crate::support::*;

/// Start a login and return it with the issuer's redirect (code and state) for it.
async fn started(work: &Work, oauth: &FakeOAuth) -> (Running, String) {
    work.use_issuer(oauth, "");
    let mut run = work.spawn(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;
    let location = sign_in(&url).await;
    (run, location)
}

fn port_of(url: &str) -> u16 {
    let after = url.split("://").nth(1).unwrap();
    let host_port = after.split('/').next().unwrap();
    host_port.rsplit(':').next().unwrap().parse().unwrap()
}

async fn assert_port_free(port: u16) {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("port {port} still busy: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_state_fails_the_login() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let (run, location) = started(&work, &oauth).await;
    let q = query(&location);
    let (status, page) = visit(&callback_with(
        &location,
        &format!("code={}&state=forged", q["code"]),
    ))
    .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Authorization Failed") && page.contains("state"),
        "{page}"
    );
    let done = run.finish().await;
    done.assert_code(4);
    assert!(
        done.stderr.contains("invalid OAuth callback state"),
        "{}",
        done.stderr
    );
    assert_eq!(oauth.code_exchanges(), 0, "no exchange with a forged state");
    work.assert_no_token();
    assert_port_free(port_of(&location)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_callback_fails_the_login_with_the_issuers_reason() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let (run, location) = started(&work, &oauth).await;
    let state = &query(&location)["state"];
    let url = callback_with(
        &location,
        &format!("error=access_denied&error_description=The+user+said+%3Cno%3E&state={state}"),
    );
    let (status, page) = visit(&url).await;
    assert_eq!(status, 400);
    assert!(page.contains("The user said &lt;no&gt;"), "escaped: {page}");
    let done = run.finish().await;
    done.assert_code(4);
    assert!(
        done.stderr
            .contains("the issuer refused the login: The user said <no> (access_denied)"),
        "{}",
        done.stderr
    );
    work.assert_no_token();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_code_exchange_fails_the_login() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let (run, location) = started(&work, &oauth).await;
    let state = &query(&location)["state"];
    let (status, page) = visit(&callback_with(
        &location,
        &format!("code=not-issued&state={state}"),
    ))
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("token exchange failed"), "{page}");
    let done = run.finish().await;
    done.assert_code(4);
    assert!(
        done.stderr.contains(
            "token exchange failed: unknown or already used authorization code (invalid_grant)"
        ),
        "{}",
        done.stderr
    );
    assert_eq!(oauth.code_exchanges(), 1);
    work.assert_no_token();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_ends_the_login_and_frees_the_port() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let started = Instant::now();
    let mut run = work.spawn(&["auth", "login", "--no-browser", "--timeout", "1s"]);
    let url = run.authorize_url().await;
    let done = run.finish().await;
    done.assert_code(5);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        done.stderr
            .contains("timed out after 1s waiting for the browser login; nothing was stored"),
        "{}",
        done.stderr
    );
    work.assert_no_token();
    assert_port_free(port_of(&query(&url)["redirect_uri"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_ends_the_login_cleanly() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;
    let pid = run.child.id().unwrap().to_string();
    // Let the wait (and its signal handler) start.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let done = run.finish().await;
    done.assert_code(130);
    assert!(
        done.stderr
            .contains("interrupted while waiting for the browser login; nothing was stored"),
        "{}",
        done.stderr
    );
    work.assert_no_token();
    assert_port_free(port_of(&query(&url)["redirect_uri"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_callback_port_is_reported() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let work = Work::new();
    work.write_config(&format!(
        "oauth:\n  issuer: {}\n  redirect_port: {port}\n",
        oauth.base_url()
    ));
    let done = work.run(&["auth", "login", "--no-browser"]).await;
    done.assert_code(1);
    assert!(
        done.stderr.contains(&format!(
            "the OAuth callback port is in use (127.0.0.1:{port})"
        )),
        "{}",
        done.stderr
    );
    assert!(
        !done.stdout.contains("/oauth/authorize"),
        "no URL for a login that cannot finish"
    );
    work.assert_no_token();
    // --port overrides the config.
    let mut run = work.spawn(&[
        "auth",
        "login",
        "--no-browser",
        "--port",
        "0",
        "--timeout",
        "1",
    ]);
    run.authorize_url().await;
    run.finish().await.assert_code(5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stray_requests_do_not_end_the_login() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    let (run, location) = started(&work, &oauth).await;
    let base = location.split_once("/auth/callback").unwrap().0.to_owned();
    assert_eq!(visit(&format!("{base}/favicon.ico")).await.0, 404);
    assert_eq!(visit(&format!("{base}/auth/callback")).await.0, 400);
    let (status, page) = visit(&location).await;
    assert_eq!(status, 200, "{page}");
    run.finish().await.assert_code(0);
    // After the login, the port is closed.
    assert!(browser().get(&location).send().await.is_err());
}
