//! placeholder
use crate::host::downstream::Responder;
use crate::Ctx;
use gateway_core::error::GatewayError;
use spin_sdk::http::IncomingRequest;

/// placeholder
pub fn handle(
    _ctx: &mut Ctx,
    _req: &IncomingRequest,
    _out: &mut Responder,
) -> Result<(), GatewayError> {
    Err(GatewayError::NotFound("chat".into()))
}
