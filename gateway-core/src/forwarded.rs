//! Which of the client's own headers reach the Codex backend: the session and feature headers
//! coding agents send (the Codex CLI's `x-codex-beta-features` turns on remote compaction, its
//! session ids keep a conversation on one backend cache, and a Responses Lite body needs its
//! header). A short allowlist, nothing else:
//! never credentials, cookies, hop-by-hop headers or the host's `spin-*`.

use crate::error::GatewayError;
use crate::headers::header_value_ok;

/// The route a request came in on; chat clients are not Codex, so only their session headers
/// are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// `/v1/responses` and `/v1/responses/compact`: session, feature and identity headers.
    Responses,
    /// `/v1/chat/completions`: session headers only.
    Chat,
}

/// The session headers: they name a conversation (not one request), so a request with one
/// also stays on one account.
pub const SESSION_HEADERS: [&str; 4] = ["session-id", "session_id", "thread-id", "conversation_id"];

/// The client's own id of one request, forwarded beside the session headers.
const CLIENT_REQUEST_ID: &str = "x-client-request-id";

/// Identity headers a Codex client sets for itself; the gateway's defaults stand otherwise.
/// `user-agent` and `version` count only from a client that names itself with `originator`:
/// an SDK's or a browser's user agent is not a Codex identity.
const IDENTITY: [&str; 3] = ["originator", "version", "user-agent"];

/// Most bytes (names plus values) forwarded; the request as a whole has its own limit.
pub const MAX_FORWARDED_BYTES: usize = 16 * 1024;

/// The client headers to send upstream on `route`, names in lower case, as the client sent
/// them. A value that is not a plain header value is left out; more than
/// [`MAX_FORWARDED_BYTES`] in all is a 431.
pub fn forwarded_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    route: Forwarding,
) -> Result<Vec<(String, String)>, GatewayError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut bytes = 0usize;
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        // Session headers are forwarded on every generation route.
        let allowed = SESSION_HEADERS.contains(&name.as_str())
            || name == CLIENT_REQUEST_ID
            || (route == Forwarding::Responses
                && (IDENTITY.contains(&name.as_str())
                    || name.starts_with("x-codex-")
                    || name == crate::codex::lite::LITE_HEADER));
        let Some(value) = std::str::from_utf8(value)
            .ok()
            .filter(|v| header_value_ok(v))
        else {
            continue;
        };
        if !allowed || out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        bytes = bytes.saturating_add(name.len()).saturating_add(value.len());
        if bytes > MAX_FORWARDED_BYTES {
            return Err(GatewayError::HeadersTooLarge {
                max_count: crate::headers::MAX_REQUEST_HEADERS,
                max_bytes: MAX_FORWARDED_BYTES,
            });
        }
        out.push((name, value.to_owned()));
    }
    if !out.iter().any(|(n, _)| n == "originator") {
        out.retain(|(n, _)| n != "user-agent" && n != "version");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(pairs: &[(&str, &str)], route: Forwarding) -> Vec<(String, String)> {
        let pairs = pairs.iter().map(|(n, v)| (*n, v.as_bytes()));
        forwarded_headers(pairs, route).unwrap()
    }

    #[test]
    fn only_the_allowlist_passes_and_as_sent() {
        let sent = [
            ("X-Codex-Beta-Features", "remote_compaction_v2"),
            ("x-codex-turn-metadata", r#"{"turn":1}"#),
            ("session-id", "s-1"),
            ("thread-id", "t-1"),
            ("originator", "codex_exec"),
            ("User-Agent", "codex_exec/0.171.0 (Linux)"),
            ("version", "0.171.0"),
            ("X-OpenAI-Internal-Codex-Responses-Lite", "true"),
            ("authorization", "Bearer sk-downstream"),
            ("chatgpt-account-id", "acct"),
            ("cookie", "a=b"),
            ("connection", "keep-alive"),
            ("spin-full-url", "http://x"),
            ("x-request-id", "r"),
        ];
        let names: Vec<String> = forward(&sent, Forwarding::Responses)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "x-codex-beta-features",
                "x-codex-turn-metadata",
                "session-id",
                "thread-id",
                "originator",
                "user-agent",
                "version",
                "x-openai-internal-codex-responses-lite"
            ]
        );
        let chat: Vec<String> = forward(&sent, Forwarding::Chat)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(chat, ["session-id", "thread-id"]);
        let sdk = forward(
            &[
                ("user-agent", "OpenAI/Python 1.0"),
                ("version", "1"),
                ("x-codex-window-id", "w"),
            ],
            Forwarding::Responses,
        );
        assert_eq!(
            sdk,
            [("x-codex-window-id".to_owned(), "w".to_owned())],
            "no originator: not a Codex identity"
        );
    }

    #[test]
    fn bad_values_are_dropped_and_the_total_is_bounded() {
        assert!(forward(&[("session-id", "a\u{7f}b")], Forwarding::Chat).is_empty());
        let once = forward(
            &[("session-id", "a"), ("session-id", "b")],
            Forwarding::Chat,
        );
        assert_eq!(once, [("session-id".to_owned(), "a".to_owned())]);
        let big = "v".repeat(MAX_FORWARDED_BYTES);
        let err = forwarded_headers([("x-codex-big", big.as_bytes())], Forwarding::Responses)
            .unwrap_err();
        assert_eq!(err.status(), 431);
    }
}
