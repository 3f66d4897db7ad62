//! The floor for any Spin gateway: forward the request body to one upstream URL with spin-sdk's
//! high-level API and return the whole answer with a `content-length`. No key check, no
//! translation, no store: what is left is Spin's own per-request cost.
//!
//! `?settings=N&store=K&log=1` first reads N variables (`setting_n1`..`setting_nN`, declared
//! with defaults, so Spin asks every variables provider as it does for the gateway's settings)
//! and K keys from the default key-value store (one open, then K gets), and writes one line to
//! stdout once the upstream answered (an access-log line): the host calls a gateway with
//! settings, a stored token and an access log cannot avoid, with nothing of the gateway around
//! them.

#![expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to unsafe export glue"
)]

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
#[expect(
    clippy::disallowed_methods,
    reason = "the floor is exactly spin-sdk's plain send, with Spin's default options"
)]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let url = spin_sdk::variables::get("upstream_url")?;
    let query = req.query();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
    };
    for i in 1..=param("settings") {
        spin_sdk::variables::get(&format!("setting_n{i}"))?;
    }
    let gets = param("store");
    if gets > 0 {
        let store = spin_sdk::key_value::Store::open_default()?;
        for key in ["codex-gateway/token", "codex-gateway/accounts"]
            .iter()
            .cycle()
            .take(gets)
        {
            store.get(key)?;
        }
    }
    let outgoing = Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("content-type", "application/json")
        .body(req.body().to_vec())
        .build();
    let answer: Response = spin_sdk::http::send(outgoing).await?;
    if param("log") > 0 {
        println!(
            r#"{{"level":"info","event":"floor.access","status":{},"path":"/"}}"#,
            answer.status()
        );
    }
    let content_type = answer
        .header("content-type")
        .and_then(|v| v.as_str())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let body = answer.body().to_vec();
    Ok(Response::builder()
        .status(*answer.status())
        .header("content-type", content_type)
        .header("content-length", body.len().to_string())
        .body(body)
        .build())
}
