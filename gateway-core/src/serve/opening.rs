//! With several accounts, a quota refusal that the backend sends inside its event stream (a
//! `200` whose first real event is `response.failed` or `error` with a quota code) is still a
//! refusal of the account before any byte reached the client: the stream's opening events
//! (`response.created` and the like, which say nothing yet) are held until the first real
//! event, so that such an account fails over like one answering HTTP 429.
//!
//! The held bytes are replayed to the route unchanged, so a stream that goes on is relayed byte
//! for byte as before; it only leaves with its first real event instead of its first event.

use super::host::UpstreamBody;
use super::pump::failure_of;
use super::upstream::{Failed, Upstream};
use crate::codex::event::{self, OPENING_TYPES};
use crate::error::{GatewayError, UpstreamCode};
use crate::sse::decode::SseDecoder;
use crate::translate::responses::fold::observe_terminal;

/// Opening bytes held at the most; a stream still opening past this is handed on as it is.
const HOLD_LIMIT: usize = 64 * 1024;

/// An upstream body with bytes already read from it given back first.
pub struct Replayed<B> {
    head: Option<Vec<u8>>,
    /// A read failure met while holding, reported once the held bytes are given back.
    failure: Option<GatewayError>,
    rest: B,
}

impl<B> Replayed<B> {
    /// `body`, with nothing held.
    pub fn whole(body: B) -> Self {
        Self {
            head: None,
            failure: None,
            rest: body,
        }
    }

    fn given_back(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        if let Some(head) = self.head.take().filter(|h| !h.is_empty()) {
            return Ok(Some(head));
        }
        match self.failure.take() {
            Some(err) => Err(err),
            None => Ok(None),
        }
    }
}

impl<B: UpstreamBody> UpstreamBody for Replayed<B> {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        match self.given_back()? {
            Some(head) => Ok(Some(head)),
            None => self.rest.next_chunk().await,
        }
    }

    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        match self.given_back()? {
            Some(head) => Ok(Some(head)),
            None => self.rest.chunk_if_ready().await,
        }
    }

    fn ended(&self) -> bool {
        self.head.as_ref().is_none_or(Vec::is_empty) && self.failure.is_none() && self.rest.ended()
    }
}

/// The answer with nothing held.
pub fn whole<B>(upstream: Upstream<B>) -> Upstream<Replayed<B>> {
    Upstream {
        headers: upstream.headers,
        body: Replayed::whole(upstream.body),
        meta: upstream.meta,
    }
}

/// Read the event stream's opening events up to its first real one: a quota failure there is
/// the account's refusal (`Err`, as an HTTP 429 would be); anything else is handed on with the
/// bytes read replayed first.
pub async fn hold_opening<B: UpstreamBody>(
    upstream: Upstream<B>,
) -> Result<Upstream<Replayed<B>>, Failed> {
    let Upstream {
        headers,
        mut body,
        meta,
    } = upstream;
    let mut held = Vec::new();
    let mut decoder = SseDecoder::new(HOLD_LIMIT);
    let mut failure = None;
    'reading: while held.len() <= HOLD_LIMIT {
        let chunk = match body.next_chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => {
                failure = Some(err);
                break;
            }
        };
        held.extend_from_slice(&chunk);
        let Ok(events) = decoder.push(&chunk) else {
            break;
        };
        for event in &events {
            if OPENING_TYPES.contains(&event::type_of(event).as_ref()) {
                continue;
            }
            let refusal = observe_terminal(event)
                .and_then(|end| failure_of(&end))
                .filter(is_quota);
            if let Some(err) = refusal {
                return Err(Failed::after(err, &meta));
            }
            break 'reading;
        }
    }
    Ok(Upstream {
        headers,
        body: Replayed {
            head: Some(held),
            failure,
            rest: body,
        },
        meta,
    })
}

fn is_quota(err: &GatewayError) -> bool {
    matches!(err, GatewayError::Upstream { code, .. } if UpstreamCode::QUOTA.contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::Now;
    use crate::serve::testkit::{body, upstream};

    fn drain(mut up: Upstream<Replayed<crate::serve::testkit::ScriptedBody>>) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(chunk) = up.body.next_chunk().now().unwrap() {
            out.extend(chunk);
        }
        out
    }

    const CREATED: &str = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\n";

    #[test]
    fn a_quota_failure_after_the_opening_events_is_the_accounts_refusal() {
        let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"r\",\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"limit\",\"resets_in_seconds\":90}}}\n\n";
        let refused = hold_opening(upstream(
            200,
            body(&[CREATED.as_bytes(), failed.as_bytes()]),
        ))
        .now()
        .err()
        .unwrap();
        assert_eq!(refused.err.code(), "usage_limit_reached");
        assert_eq!(refused.err.retry_after(), Some(90));
        assert_eq!(refused.upstream.map(|m| m.status), Some(200));
    }

    #[test]
    fn any_other_stream_is_handed_on_byte_for_byte() {
        let delta = "data: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n";
        let overloaded =
            "data: {\"type\":\"error\",\"code\":\"server_is_overloaded\",\"message\":\"busy\"}\n\n";
        for events in [
            vec![CREATED, delta, delta],
            vec![CREATED, overloaded],
            vec![CREATED],
        ] {
            let chunks: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
            let held = hold_opening(upstream(200, body(&chunks)))
                .now()
                .ok()
                .unwrap();
            assert_eq!(drain(held), events.concat().into_bytes());
        }
    }
}
