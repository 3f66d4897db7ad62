//! Which headers go upstream, and which upstream headers come back to the client.
//!
//! Pure tables: the host only copies what these functions return. The ChatGPT account id and the
//! Codex-only headers are built here for the Codex backend and nowhere else, so they cannot leak
//! to an `openai_api` upstream.

/// Inputs for the Codex backend's request headers.
#[derive(Debug, Clone, Copy)]
pub struct CodexHeaderArgs<'a> {
    /// OAuth access token (sent as the bearer).
    pub access_token: &'a str,
    /// `chatgpt_account_id` claim, when known.
    pub account_id: Option<&'a str>,
    /// `originator` value.
    pub originator: &'a str,
    /// Client version used in the User-Agent.
    pub client_version: &'a str,
    /// Conversation id from the client (`prompt_cache_key`), sent as `session_id`.
    pub session_id: Option<&'a str>,
    /// The request id, forwarded for correlation.
    pub request_id: &'a str,
    /// What the answer is: an event stream (`true`) or one JSON document.
    pub stream: bool,
    /// Whether the body is JSON (POST) or there is none (GET).
    pub has_body: bool,
    /// The client's own headers to pass on ([`crate::forwarded`]); an `originator`,
    /// `user-agent` or `session_id` among them replaces the gateway's.
    pub client: &'a [(String, String)],
}

/// Headers for a Codex backend call.
pub fn codex_request_headers(args: CodexHeaderArgs<'_>) -> Vec<(&str, String)> {
    let CodexHeaderArgs {
        access_token,
        account_id,
        originator,
        client_version,
        session_id,
        request_id,
        stream,
        has_body,
        client,
    } = args;
    let mut headers = vec![
        ("authorization", format!("Bearer {access_token}")),
        ("originator", originator.to_owned()),
        (
            "user-agent",
            format!(
                "{originator}/{client_version} (codex-gateway {})",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        // The backend gates models on the client's version (since 2026-05) and refused a
        // model to a request without a Codex identity: the version goes in its own header too.
        ("version", client_version.to_owned()),
        ("x-request-id", request_id.to_owned()),
    ];
    if has_body {
        headers.push(("content-type", "application/json".into()));
    }
    let accept = if stream {
        "text/event-stream"
    } else {
        "application/json"
    };
    headers.push(("accept", accept.into()));
    if let Some(account) = account_id.filter(|a| header_value_ok(a)) {
        headers.push(("chatgpt-account-id", account.to_owned()));
    }
    if let Some(session) = session_id.filter(|s| header_value_ok(s)) {
        headers.push(("session_id", session.to_owned()));
    }
    // A Codex client's identity is presented exactly as it sent it: its `version` or none.
    if client.iter().any(|(n, _)| n == "originator") {
        headers.retain(|(n, _)| *n != "version");
    }
    for (name, value) in client {
        match headers.iter_mut().find(|(n, _)| *n == name.as_str()) {
            Some(ours) => ours.1.clone_from(value),
            None => headers.push((name.as_str(), value.clone())),
        }
    }
    headers
}

/// Headers for an `openai_api` upstream call: bearer, request id and the client's content type.
pub fn openai_request_headers(
    bearer: &str,
    request_id: &str,
    content_type: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("authorization", format!("Bearer {bearer}")),
        ("x-request-id", request_id.to_owned()),
    ];
    if let Some(ct) = content_type.filter(|c| header_value_ok(c)) {
        headers.push(("content-type", ct.to_owned()));
    }
    headers
}

/// Whether an upstream response header is relayed to the client.
///
/// Rate-limit and model-catalog hints are useful to clients; hop-by-hop headers, lengths (we
/// re-frame the body), cookies and the upstream's own request id (ours is authoritative) are not.
pub fn relay_response_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.starts_with("x-codex-") || name.starts_with("x-ratelimit-") {
        return true;
    }
    matches!(
        name.as_str(),
        "content-type" | "retry-after" | "x-models-etag" | "openai-processing-ms" | "openai-model"
    )
}

/// Most request header fields accepted.
pub const MAX_REQUEST_HEADERS: usize = 100;
/// Most request header bytes (names plus values) accepted.
pub const MAX_REQUEST_HEADER_BYTES: usize = 64 * 1024;

/// The request headers Spin itself sets (`trigger-http`'s `compute_default_headers`, for a
/// route without named wildcards). Spin replaces any client copy, so each is there once.
pub const SPIN_INJECTED_HEADERS: [&str; 7] = [
    "spin-path-info",
    "spin-full-url",
    "spin-matched-route",
    "spin-base-path",
    "spin-raw-component-route",
    "spin-component-route",
    "spin-client-addr",
];

/// Refuse (431) requests whose headers exceed the limits, before anything else reads them.
/// Everything counts but one copy of each header Spin injects, which the client did not send.
pub fn check_request_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), crate::error::GatewayError> {
    let (mut count, mut bytes) = (0usize, 0usize);
    let mut exempt = SPIN_INJECTED_HEADERS.map(|name| (name, false));
    for (name, value) in headers {
        let injected = exempt
            .iter_mut()
            .find(|(n, seen)| !*seen && name.eq_ignore_ascii_case(n));
        if let Some((_, seen)) = injected {
            *seen = true;
            continue;
        }
        count += 1;
        bytes = bytes.saturating_add(name.len()).saturating_add(value.len());
    }
    if count > MAX_REQUEST_HEADERS || bytes > MAX_REQUEST_HEADER_BYTES {
        return Err(crate::error::GatewayError::HeadersTooLarge {
            max_count: MAX_REQUEST_HEADERS,
            max_bytes: MAX_REQUEST_HEADER_BYTES,
        });
    }
    Ok(())
}

/// Whether a value can be sent as an HTTP header value (visible ASCII and spaces).
pub fn header_value_ok(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_headers_carry_identity() {
        let h = codex_request_headers(CodexHeaderArgs {
            access_token: "tok",
            account_id: Some("acct-1"),
            originator: "codex_cli_rs",
            client_version: "0.171.0",
            session_id: Some("conv-1"),
            request_id: "r1",
            stream: true,
            has_body: true,
            client: &[],
        });
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("authorization"), Some("Bearer tok"));
        assert_eq!(get("chatgpt-account-id"), Some("acct-1"));
        assert_eq!(get("session_id"), Some("conv-1"));
        assert_eq!(get("originator"), Some("codex_cli_rs"));
        assert_eq!(get("version"), Some("0.171.0"));
        assert!(get("user-agent")
            .unwrap()
            .starts_with("codex_cli_rs/0.171.0"));
    }

    #[test]
    fn a_codex_client_speaks_for_itself() {
        let client = [
            ("originator".to_owned(), "codex_exec".to_owned()),
            ("session_id".to_owned(), "from-header".to_owned()),
            (
                "x-codex-beta-features".to_owned(),
                "remote_compaction_v2".to_owned(),
            ),
        ];
        let h = codex_request_headers(CodexHeaderArgs {
            access_token: "tok",
            account_id: None,
            originator: "codex_cli_rs",
            client_version: "0.171.0",
            session_id: Some("from-body"),
            request_id: "r1",
            stream: false,
            has_body: true,
            client: &client,
        });
        let all = |n: &str| -> Vec<&str> {
            h.iter()
                .filter(|(k, _)| *k == n)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(all("originator"), ["codex_exec"]);
        assert!(
            all("version").is_empty(),
            "no version the client did not send"
        );
        assert_eq!(all("session_id"), ["from-header"]);
        assert_eq!(all("x-codex-beta-features"), ["remote_compaction_v2"]);
        assert_eq!(all("accept"), ["application/json"]);
        assert!(
            all("user-agent")[0].starts_with("codex_cli_rs/0.171.0"),
            "ours when not sent"
        );
    }

    #[test]
    fn openai_headers_never_carry_account() {
        let h = openai_request_headers("k", "r1", Some("application/json"));
        assert!(h
            .iter()
            .all(|(k, _)| *k != "chatgpt-account-id" && *k != "originator"));
    }

    #[test]
    fn header_limits() {
        let small = [("a", &b"b"[..])];
        assert!(check_request_headers(small).is_ok());
        let big = vec![0u8; MAX_REQUEST_HEADER_BYTES];
        assert_eq!(
            check_request_headers([("k", big.as_slice())])
                .unwrap_err()
                .status(),
            431
        );
        let many: Vec<(&str, &[u8])> = (0..=MAX_REQUEST_HEADERS)
            .map(|_| ("x", &b"1"[..]))
            .collect();
        assert_eq!(check_request_headers(many).unwrap_err().status(), 431);
    }

    #[test]
    fn only_one_copy_of_each_spin_header_is_free() {
        let value = vec![b'v'; 1024];
        let at_limit: Vec<(&str, &[u8])> = (0..MAX_REQUEST_HEADERS)
            .map(|_| ("x", &b"1"[..]))
            .chain(SPIN_INJECTED_HEADERS.iter().map(|n| (*n, value.as_slice())))
            .collect();
        assert!(
            check_request_headers(at_limit.clone()).is_ok(),
            "Spin's own are free"
        );
        let mut doubled = at_limit;
        doubled.push(("spin-full-url", b"again"));
        assert_eq!(check_request_headers(doubled).unwrap_err().status(), 431);
        let names: Vec<String> = (0..80).map(|i| format!("spin-x-{i}")).collect();
        let kib = vec![b'p'; 1024];
        let lookalikes: Vec<(&str, &[u8])> =
            names.iter().map(|n| (n.as_str(), kib.as_slice())).collect();
        assert_eq!(
            check_request_headers(lookalikes).unwrap_err().status(),
            431,
            "spin-* names a client chose count"
        );
    }

    #[test]
    fn relay_table() {
        let cases = [
            ("Content-Type", true),
            ("x-codex-primary-used-percent", true),
            ("Retry-After", true),
            ("content-length", false),
            ("set-cookie", false),
            ("x-request-id", false),
            ("transfer-encoding", false),
        ];
        for (name, want) in cases {
            assert_eq!(relay_response_header(name), want, "{name}");
        }
    }
}
