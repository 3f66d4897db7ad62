//! The codex-gateway component for WASIp3 hosts (Spin 4): the same request flow as the WASI 0.2
//! component (`gateway_core::serve`), in an instance that Spin reuses for many requests and
//! that serves several at once, switching between them wherever the flow awaits the network.
//!
//! Settings are read once per instance (`settings`); the store is opened once per instance.
//! Nothing here may panic: on Spin a trap is an empty 500.

// First: the macros of the WASI 0.2 modules it shares are used below.
#[macro_use]
mod p2;
mod downstream;
mod host;
mod settings;
mod spawn;
mod upstream;

use gateway_core::serve::{serve, Incoming};
use spin_sdk::wasip3::exports::http::handler::Guest;
use spin_sdk::wasip3::http::types::{ErrorCode, Method, Request, Response};

use downstream::{P3Reply, RequestStream};

struct Gateway;

spin_sdk::wasip3::http::service::export!(Gateway);

impl Guest for Gateway {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        let host = host::Spin4::new(settings::load().await);
        let incoming = Incoming {
            method: method_name(request.get_method()),
            path: request.get_path_with_query().unwrap_or_default(),
            headers: request.get_headers().copy_all(),
            body: RequestStream::of(request),
        };
        let (head, answer) = futures_channel::oneshot::channel();
        // The flow goes on after the head is returned, writing the body as it is produced.
        spawn::spawn(async move {
            serve(&host, incoming, P3Reply::new(head)).await;
        })
        .await;
        answer
            .await
            .map_err(|_| ErrorCode::InternalError(Some("no answer was produced".into())))
    }
}

fn method_name(method: Method) -> String {
    method_name!(method, Method)
}
