//! network.proxy_url: the token exchange goes through it, and `proxy-forward` relays the
//! gateway's upstream calls through it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use test_host::fake_codex::FakeCodex;
use test_host::fake_oauth::FakeOAuth;

use crate::manage::logged_in;
use crate::support::*;

/// A plain HTTP forward proxy that records the absolute-form targets it is asked for.
struct TestProxy {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    async fn start() -> TestProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| relay(log.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestProxy { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn relay(
    log: Arc<Mutex<Vec<String>>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let target = req.uri().to_string();
    log.lock()
        .unwrap()
        .push(format!("{} {target}", req.method()));
    let method = req.method().clone();
    let mut headers = req.headers().clone();
    for h in [
        "host",
        "proxy-connection",
        "proxy-authorization",
        "connection",
    ] {
        headers.remove(h);
    }
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = client
        .request(method, &target)
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let mut out = hyper::Response::builder().status(res.status());
    for (k, v) in res.headers() {
        if k != "transfer-encoding" && k != "connection" {
            out = out.header(k, v);
        }
    }
    Ok(out.body(Full::new(res.bytes().await.unwrap())).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_exchange_goes_through_the_configured_proxy() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let proxy = TestProxy::start().await;
    let work = Work::new();
    work.use_issuer(&oauth, &format!("network:\n  proxy_url: {}\n", proxy.url()));
    let mut run = work.spawn(&["auth", "login", "--no-browser"]);
    let url = run.authorize_url().await;
    visit(&sign_in(&url).await).await;
    run.finish().await.assert_code(0);
    let expected = format!("POST {}/oauth/token", oauth.base_url());
    assert!(proxy.seen().contains(&expected), "{:?}", proxy.seen());
    assert!(work.file_record().is_some());

    // Logout's revoke goes through it too.
    work.run(&["auth", "logout"]).await.assert_code(0);
    let expected = format!("POST {}/oauth/revoke", oauth.base_url());
    assert!(proxy.seen().contains(&expected), "{:?}", proxy.seen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_proxy_url_is_a_usage_error_naming_the_key() {
    let work = Work::new();
    work.write_config("network:\n  proxy_url: ftp://user:secret@proxy:21\n");
    let done = work.run(&["auth", "status"]).await;
    done.assert_code(2);
    assert!(
        done.stderr.contains("invalid network.proxy_url \"ftp://***@proxy:21\" (expected scheme http, https, socks5, or socks5h)"),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_forward_relays_the_gateways_upstream_calls_through_the_proxy() {
    let oauth = FakeOAuth::start("rt").await.unwrap();
    let codex = FakeCodex::start().await.unwrap();
    let proxy = TestProxy::start().await;
    let work = Work::new();
    let record = logged_in(&work, &oauth).await;
    work.use_issuer(&oauth, &format!("network:\n  proxy_url: {}\n", proxy.url()));
    let mut forwarder = work.spawn(&[
        "proxy-forward",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &codex.base_url(),
    ]);
    let line = forwarder.line_with("Forwarding http://").await;
    let local = line.split_whitespace().nth(1).unwrap().to_owned();
    assert!(line.contains(&format!("-> {}", codex.base_url())), "{line}");

    codex.accept_tokens(vec![record.access_token.expose().to_owned()]);
    let host = gateway(
        work.spin_db(),
        &codex,
        &oauth,
        &[("codex_base_url", &local)],
    )
    .await;
    let (status, body) = chat(&host, false).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = chat(&host, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("data: [DONE]"), "{body}");
    let through: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.contains("/backend-api/codex/responses"))
        .collect();
    assert_eq!(through.len(), 2, "{:?}", proxy.seen());
    assert!(through[0].starts_with(&format!("POST {}", codex.base_url())));
    let upstream = codex.generation_requests();
    assert_eq!(
        upstream.last().unwrap().header("authorization"),
        Some(format!("Bearer {}", record.access_token.expose()).as_str())
    );
    forwarder.child.start_kill().unwrap();
}
