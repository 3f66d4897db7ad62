//! `GET /?n=N&gap_ms=G`: N small server-sent events, G ms apart, each written and flushed on its
//! own; the first leaves with the response head. Nothing else: what a client sees of the pacing
//! is Spin's doing (its listener leaves Nagle's algorithm on).

#![expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to unsafe export glue"
)]

use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::http0_2_0::types::{self, OutgoingBody};
use wasi::clocks::monotonic_clock;

#[http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let query = req.path_with_query().unwrap_or_default();
    let param = |name: &str| -> u64 {
        query
            .split(['?', '&'])
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    };
    let (n, gap_ms) = (param("n").clamp(1, 10_000), param("gap_ms").min(10_000));
    let headers = Fields::new();
    let _ = headers.append("content-type", b"text/event-stream");
    let response = OutgoingResponse::new(headers);
    let Ok(body) = response.body() else { return };
    let Ok(stream) = body.write() else { return };
    let _ = stream.blocking_write_and_flush(b"data: 0\n\n");
    types::ResponseOutparam::set(out.into_inner(), Ok(response));
    for i in 1..n {
        monotonic_clock::subscribe_duration(gap_ms * 1_000_000).block();
        if stream
            .blocking_write_and_flush(format!("data: {i}\n\n").as_bytes())
            .is_err()
        {
            return;
        }
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}
