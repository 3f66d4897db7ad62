//! The floor for a WASIp3 Spin gateway: forward the request body to one upstream URL with
//! spin-sdk 6's API and return the whole answer with a `content-length`, reading the one
//! variable it needs per request. What is left is Spin 4's own per-request cost for a WASIp3
//! component (instances reused), as `testing/spin-floor` is for WASI 0.2.

use bytes::Bytes;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{FullBody, Request};

type Answer = http::Response<FullBody<Bytes>>;

#[spin_sdk::http_service]
async fn handle(req: Request) -> Answer {
    forward(req).await.unwrap_or_else(|status| {
        let mut answer = http::Response::new(FullBody::new(Bytes::new()));
        *answer.status_mut() = status;
        answer
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the floor is exactly spin-sdk's plain send, with Spin's default options"
)]
async fn forward(req: Request) -> Result<Answer, http::StatusCode> {
    let bad = |_| http::StatusCode::BAD_GATEWAY;
    let url = spin_sdk::variables::get("upstream_url")
        .await
        .map_err(|_| http::StatusCode::INTERNAL_SERVER_ERROR)?;
    let body = req.into_body().bytes().await.map_err(bad)?;
    let outgoing = http::Request::post(url)
        .header("content-type", "application/json")
        .body(FullBody::new(body))
        .map_err(|_| http::StatusCode::INTERNAL_SERVER_ERROR)?;
    let answer = spin_sdk::http::send(outgoing)
        .await
        .map_err(|_| http::StatusCode::BAD_GATEWAY)?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get("content-type")
        .cloned()
        .unwrap_or(http::HeaderValue::from_static("application/octet-stream"));
    let body = answer.into_body().bytes().await.map_err(bad)?;
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-length", body.len())
        .body(FullBody::new(body))
        .map_err(|_| http::StatusCode::INTERNAL_SERVER_ERROR)
}
