//! `POST /v1/messages` (Anthropic Messages, what Claude Code speaks): translate to a Codex
//! Responses call and its stream back into Anthropic events; the non-stream answer is their
//! fold. `POST /v1/messages/count_tokens` is answered here, with no upstream call.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::{json_header, Responder};
use super::translated::{answer_translated, Translation};
use super::upstream::Handled;
use crate::anthropic::error::write_error_event;
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::request_id::uuid_v4;
use crate::sse::decode::SseEvent;
use crate::translate::end::StreamEnd;
use crate::translate::messages::count::estimate_request;
use crate::translate::messages::fold::MessageBuilder;
use crate::translate::messages::request::{messages_to_responses, Translated};
use crate::translate::messages::stream::{MessagesFrame, MessagesOptions, MessagesStream};

/// Claude Code's own conversation id, used when the body's metadata names none.
const SESSION_HEADER: &str = "x-claude-code-session-id";

fn translate<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Translated, GatewayError> {
    let aliases = ctx.settings.model_aliases()?;
    let session = ctx.headers.first(SESSION_HEADER);
    messages_to_responses(body, session, |model| aliases.resolve(model))
}

/// `count_tokens`: the estimate of the translated request ([`estimate_request`]).
pub async fn count<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let translated = translate(ctx, body)?;
    let tokens = estimate_request(&translated.upstream);
    let answer = format!("{{\"input_tokens\":{tokens}}}\n");
    out.full(200, &[json_header()], answer.as_bytes()).await;
    Ok(None)
}

/// Serve one Messages call from its checked JSON `body`.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let translated = translate(ctx, body)?;
    out.report_ignored(&translated.ignored);
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Chat)?;
    let request = CodexCall {
        method: Method::Post,
        url: ctx.settings.codex_responses_url()?,
        body: Some(&translated.body),
        session_id: translated.session_id.as_deref(),
        stream: true,
        client: &client,
        lite_model: Some(&translated.model),
    };
    let upstream = call(ctx, &request).await?;
    let id = format!("msg_{}", uuid_v4(ctx.host.random_16()).replace('-', ""));
    let stream = MessagesStream::new(
        MessagesOptions {
            id,
            model: translated.client_model,
            upstream_model: translated.model.clone(),
            thinking: translated.thinking,
            now: crate::ports::Clock::now_ms(ctx.host) / 1000,
        },
        translated.tool_names,
    );
    let json = (!translated.stream).then(MessageBuilder::new);
    answer_translated(ctx, upstream, stream, json, out).await
}

impl Translation for MessagesStream {
    type Frame = MessagesFrame;

    fn on_event(&mut self, ev: &SseEvent) -> Vec<MessagesFrame> {
        MessagesStream::on_event(self, ev)
    }

    fn end(&self) -> Option<&StreamEnd> {
        MessagesStream::end(self)
    }

    fn finish(&mut self, end: StreamEnd) -> Vec<MessagesFrame> {
        MessagesStream::finish(self, end)
    }

    fn failure(frame: &MessagesFrame) -> Option<&GatewayError> {
        match frame {
            MessagesFrame::Error(err) => Some(err),
            MessagesFrame::Event(_) => None,
        }
    }

    fn write(&self, frame: &MessagesFrame, out: &mut Vec<u8>) {
        match frame {
            MessagesFrame::Event(event) => event.write_sse(out),
            MessagesFrame::Error(err) => write_error_event(out, err),
        }
    }
}
