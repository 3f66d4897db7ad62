//! `POST /v1/chat/completions`: translate to a Codex Responses call and translate the stream
//! back, chunk by chunk; the non-stream answer is a fold of the same chunks.

use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::Responder;
use super::translated::{answer_translated, Translation};
use super::upstream::Handled;
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::request_id::uuid_v4;
use crate::sse::decode::SseEvent;
use crate::translate::chat::completion::ChatCompletionBuilder;
use crate::translate::chat::request::chat_to_responses_with;
use crate::translate::chat::stream::{ChatFrame, ChatStream, StreamOptions};
use crate::translate::end::StreamEnd;

/// Serve one chat completion from its checked JSON `body`.
pub async fn handle<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let reasoning = ctx.settings.reasoning_output()?;
    let fallback = || ctx.settings.chat_prompt_cache_key();
    let mut translated = chat_to_responses_with(body, fallback)?;
    ctx.settings
        .model_aliases()?
        .apply(&mut translated.model, &mut translated.body)?;
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
    let chat = ChatStream::new(StreamOptions {
        id: format!(
            "chatcmpl-{}",
            uuid_v4(ctx.host.random_16()).replace('-', "")
        ),
        created: crate::ports::Clock::now_ms(ctx.host) / 1000,
        model: translated.model.clone(),
        // The non-stream answer always carries usage; it is folded from the same chunks.
        include_usage: translated.include_usage || !translated.stream,
    })
    .restoring(std::mem::take(&mut translated.tool_names))
    .reasoning_as(reasoning);
    let json = (!translated.stream).then(ChatCompletionBuilder::new);
    answer_translated(ctx, upstream, chat, json, out).await
}

impl Translation for ChatStream {
    type Frame = ChatFrame;

    fn on_event(&mut self, ev: &SseEvent) -> Vec<ChatFrame> {
        ChatStream::on_event(self, ev)
    }

    fn end(&self) -> Option<&StreamEnd> {
        ChatStream::end(self)
    }

    fn finish(&mut self, end: StreamEnd) -> Vec<ChatFrame> {
        ChatStream::finish(self, end)
    }

    fn failure(frame: &ChatFrame) -> Option<&GatewayError> {
        match frame {
            ChatFrame::Error(err) => Some(err),
            ChatFrame::Chunk(_) | ChatFrame::Done => None,
        }
    }

    fn write(&self, frame: &ChatFrame, out: &mut Vec<u8>) {
        frame.write_sse(out);
    }
}
