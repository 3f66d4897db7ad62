//! The codex-gateway Spin component: the host's side of `gateway-core`'s request flow.
//!
//! Everything the gateway decides is in `gateway_core::serve`; this crate only moves bytes
//! between it and Spin (WASI HTTP in and out, the key-value store, variables, clocks, stdout).
//! Nothing here may panic: on Spin a trap is an empty 500.

#![expect(
    unsafe_code,
    reason = "spin-sdk's #[http_component] expands to unsafe export glue"
)]

#[macro_use]
mod host;

use gateway_core::serve::{serve, Incoming};
use spin_sdk::http::{IncomingRequest, Method, ResponseOutparam};
use spin_sdk::http_component;

use host::downstream::{RequestStream, SpinReply};

#[http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let incoming = Incoming {
        method: method_name(req.method()),
        path: req.path_with_query().unwrap_or_default(),
        headers: req.headers().entries(),
        body: RequestStream::of(req),
    };
    // Every host call here blocks until done, so the flow's futures are ready when polled.
    gateway_core::ready::block_on(serve(&host::Spin::default(), incoming, SpinReply::new(out)));
}

fn method_name(method: Method) -> String {
    method_name!(method, Method)
}
