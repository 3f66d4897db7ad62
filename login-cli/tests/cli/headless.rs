//! Headless logins: the device-code flow and the pasted redirect.

use std::time::Duration;

use test_host::fake_oauth::FakeOAuth;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_polls_at_the_issuers_interval_and_stores_the_token() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn(&["auth", "login", "--device"]);
    let url = run.line_with("/codex/device").await;
    assert_eq!(url.trim(), format!("{}/codex/device", oauth.base_url()));
    let code = run.line_with("FAKE-").await.trim().to_owned();
    // The user takes a while: the binary keeps polling (403 = pending).
    tokio::time::timeout(Duration::from_secs(10), async {
        while oauth.device_polls().len() < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    assert!(oauth.approve_device(&code));
    let done = run.finish().await;
    done.assert_code(0);
    let polls = oauth.device_polls();
    assert!(polls.len() >= 3, "{}", polls.len());
    for pair in polls.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(900),
            "polled after {gap:?}, interval is 1 s"
        );
    }
    assert_eq!(oauth.code_exchanges(), 1);
    assert!(
        oauth.authorize_requests().is_empty(),
        "no browser authorize in the device flow"
    );
    let record = work.file_record().unwrap();
    assert_eq!(record.account_id.as_deref(), Some("acct-test"));
    assert_eq!(work.spin_row().unwrap().1, record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unapproved_device_login_times_out() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let done = work
        .run(&["auth", "login", "--device", "--timeout", "2s"])
        .await;
    done.assert_code(5);
    assert!(
        done.stderr.contains("waiting for the device login"),
        "{}",
        done.stderr
    );
    work.assert_no_token();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_login_takes_the_redirect_from_stdin() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn_with_stdin(&["auth", "login", "--paste"]);
    let url = run.authorize_url().await;
    assert!(
        query(&url)["redirect_uri"].starts_with("http://localhost:1455/"),
        "--paste binds nothing"
    );
    run.line_with("paste it here").await;
    let location = sign_in(&url).await;
    run.write_stdin("not a url\n").await;
    run.write_stdin(&format!("  {location}  \n")).await;
    let done = run.finish().await;
    done.assert_code(0);
    assert!(
        done.stderr.contains("that is not the redirect address"),
        "{}",
        done.stderr
    );
    assert!(work.file_record().is_some() && work.spin_row().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_redirect_also_works_while_the_listener_waits() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn_with_stdin(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;
    let location = sign_in(&url).await;
    run.write_stdin(&format!("{}\n", location.split_once('?').unwrap().1))
        .await;
    run.finish().await.assert_code(0);
    assert!(work.file_record().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_redirect_with_the_wrong_state_fails() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let work = Work::new();
    work.use_issuer(&oauth, "");
    let mut run = work.spawn_with_stdin(&["auth", "login", "--paste"]);
    run.authorize_url().await;
    run.write_stdin("http://localhost:1455/auth/callback?code=x&state=old\n")
        .await;
    let done = run.finish().await;
    done.assert_code(4);
    assert!(
        done.stderr.contains("invalid OAuth callback state"),
        "{}",
        done.stderr
    );
    work.assert_no_token();
}
