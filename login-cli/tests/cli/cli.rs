//! The command line itself: help text, config policy, warnings.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_the_exit_codes_and_the_forwarder() {
    let work = Work::new();
    let help = work.run(&["--help"]).await;
    help.assert_code(0);
    assert!(
        help.stdout.contains("Exit codes:") && help.stdout.contains("130"),
        "{}",
        help.stdout
    );
    let login = work.run(&["auth", "login", "--help"]).await;
    for flag in [
        "--no-browser",
        "--device",
        "--paste",
        "--timeout",
        "--store",
        "--spin-db",
        "--workdir",
        "--config",
    ] {
        assert!(login.stdout.contains(flag), "{flag}: {}", login.stdout);
    }
    let forward = work.run(&["proxy-forward", "--help"]).await;
    assert!(
        forward.stdout.contains("SPIN_VARIABLE_CODEX_BASE_URL"),
        "{}",
        forward.stdout
    );
    work.run(&["auth", "nope"]).await.assert_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_policy_and_warnings() {
    let work = Work::new();
    let outside = work.run(&["--config", "../x.yaml", "auth", "status"]).await;
    outside.assert_code(2);
    assert!(
        outside.stderr.contains("config path is outside of workdir"),
        "{}",
        outside.stderr
    );
    let missing = work
        .run(&["--config", "missing.yaml", "auth", "status"])
        .await;
    missing.assert_code(2);
    assert!(missing.stderr.contains("read config"), "{}", missing.stderr);

    work.write_config(
        "server:\n  listen: ':8080'\noauth:\n  clinet_id: typo\nlogging:\n  level: debug\n",
    );
    let warned = work.run(&["auth", "status"]).await;
    warned.assert_code(3);
    assert!(
        warned
            .stderr
            .contains("unknown config key `oauth.clinet_id` (ignored)"),
        "{}",
        warned.stderr
    );
    assert!(warned.stderr.contains("server.listen"), "{}", warned.stderr);

    work.write_config("logging:\n  level: chatty\n");
    let bad = work.run(&["auth", "status"]).await;
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("invalid logging.level \"chatty\" (expected debug, info, warn, or error)"),
        "{}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_output_pipes_do_not_crash_it() {
    let work = Work::new();
    work.write_config("logging:\n  level: debug\n  format: json\n");
    // `status()` drops the piped stdout and stderr: every write meets a closed pipe.
    let status = work
        .command(&["auth", "logout", "--no-revoke"])
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
