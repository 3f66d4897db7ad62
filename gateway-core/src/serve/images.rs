//! `POST /v1/images/generations` and `POST /v1/images/edits`: each image is one Codex Responses
//! call that makes `image_host_model` call the hosted `image_generation` tool. The `n` calls
//! are all sent before any is read, so the images are drawn at the same time; the answer reads
//! them in order, as one JSON answer or as the Images API's event stream.

use serde_json::{Map, Value};

use super::chained::Chained;
use super::codex_call::{call, CodexCall};
use super::host::{Host, Method, Reply};
use super::request::Ctx;
use super::responder::Responder;
use super::translated::{answer_translated, Folded, Translation};
use super::upstream::{Handled, Upstream};
use crate::error::GatewayError;
use crate::forwarded::{forwarded_headers, Forwarding};
use crate::openai::images::{parse_edit_form, parse_image_request, ImageRequest, ImageRoute};
use crate::openai::multipart::parse_multipart;
use crate::sse::decode::SseEvent;
use crate::translate::end::StreamEnd;
use crate::translate::images::answer::ImagesBuilder;
use crate::translate::images::request::{image_call_body, refuses_forced_tool};
use crate::translate::images::stream::{ImageEvents, ImageFrame, ImageMeta};

/// `POST /v1/images/generations` from its JSON `body`.
pub async fn generations<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    crate::passthrough::require_json_object(body)?;
    let fields: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| GatewayError::bad_request(format!("invalid JSON body: {e}")))?;
    let request = parse_image_request(&fields, ImageRoute::Generation)?;
    draw(ctx, &request, ImageRoute::Generation, out).await
}

/// `POST /v1/images/edits` from its multipart `body`.
pub async fn edits<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    body: &[u8],
    out: &mut Responder<R>,
) -> Handled {
    let content_type = ctx.headers.first("content-type").unwrap_or_default();
    let request = parse_edit_form(parse_multipart(content_type, body.to_vec())?)?;
    draw(ctx, &request, ImageRoute::Edit, out).await
}

async fn draw<H: Host, R: Reply>(
    ctx: &Ctx<'_, H>,
    request: &ImageRequest,
    route: ImageRoute,
    out: &mut Responder<R>,
) -> Handled {
    out.report_ignored(&request.ignored);
    let host_model = ctx.settings.image_host_model()?;
    let url = ctx.settings.codex_responses_url()?;
    let client = forwarded_headers(ctx.headers.entries(), Forwarding::Chat)?;
    let mut forced = true;
    let mut body = image_call_body(&host_model, request, forced)?;
    let calls = usize::try_from(request.n).unwrap_or(1);
    let mut upstreams = Vec::with_capacity(calls);
    while upstreams.len() < calls {
        let image_call = CodexCall {
            method: Method::Post,
            url: url.clone(),
            body: Some(&body),
            session_id: None,
            stream: true,
            client: &client,
            lite_model: None,
        };
        match call(ctx, &image_call).await {
            Ok(upstream) => upstreams.push(upstream),
            Err(failed) if forced && upstreams.is_empty() && refuses_forced_tool(&failed.err) => {
                forced = false;
                body = image_call_body(&host_model, request, forced)?;
            }
            Err(failed) => return Err(failed),
        }
    }
    let mut upstreams = upstreams.into_iter();
    let Some(first) = upstreams.next() else {
        return Err(GatewayError::Internal("no image call was made".into()).into());
    };
    let chained = Upstream {
        headers: first.headers,
        meta: first.meta,
        body: Chained::new(std::iter::once(first.body).chain(upstreams.map(|u| u.body))),
    };
    let created = crate::ports::Clock::now_ms(ctx.host) / 1000;
    let requested = requested_meta(request);
    let events = ImagesOut {
        events: ImageEvents::new(calls, requested, created),
        route,
    };
    let folded = (!request.stream).then(|| ImagesBuilder::new(created));
    answer_translated(ctx, chained, events, folded, out).await
}

/// What the client asked the images to be, for the answer's fields the backend leaves out.
fn requested_meta(request: &ImageRequest) -> ImageMeta {
    let option = |name: &str| {
        request
            .tool
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    ImageMeta {
        size: option("size"),
        quality: option("quality"),
        background: option("background"),
        output_format: option("output_format"),
    }
}

/// The image calls' events as the Images API's frames.
struct ImagesOut {
    events: ImageEvents,
    route: ImageRoute,
}

impl Translation for ImagesOut {
    type Frame = ImageFrame;

    fn on_event(&mut self, ev: &SseEvent) -> Vec<ImageFrame> {
        self.events.on_event(ev)
    }

    fn end(&self) -> Option<&StreamEnd> {
        self.events.end()
    }

    fn finish(&mut self, end: StreamEnd) -> Vec<ImageFrame> {
        self.events.finish(end)
    }

    fn failure(frame: &ImageFrame) -> Option<&GatewayError> {
        match frame {
            ImageFrame::Error(err) => Some(err),
            ImageFrame::Partial(_) | ImageFrame::Completed(_) => None,
        }
    }

    fn write(&self, frame: &ImageFrame, out: &mut Vec<u8>) {
        frame.write_sse(self.route, self.events.created_at(), out);
    }
}

impl Folded<ImageFrame> for ImagesBuilder {
    fn push(&mut self, frame: &ImageFrame) {
        ImagesBuilder::push(self, frame);
    }
    fn finish(self) -> Result<Vec<u8>, GatewayError> {
        ImagesBuilder::finish(self)
    }
}
