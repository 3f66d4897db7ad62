//! The pages the browser sees after the redirect: success, failure (with the reason, escaped),
//! or "already finished". Never shows a code, a token or the state.

use bytes::Bytes;
use hyper::Response;

use crate::serve::{full, Body};

/// A page to answer the callback with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    status: u16,
    heading: &'static str,
    text: String,
}

impl Page {
    /// The login completed and the token is stored.
    pub fn success() -> Page {
        Page {
            status: 200,
            heading: "Authorization Successful",
            text:
                "login-cli stored the token. You can close this window and return to the terminal."
                    .into(),
        }
    }

    /// The login failed for `reason`.
    pub fn failure(reason: &str) -> Page {
        Page {
            status: 400,
            heading: "Authorization Failed",
            text: format!("{reason}. Nothing was stored; see the terminal."),
        }
    }

    /// A callback after the attempt ended (or without any OAuth parameter).
    pub fn ignored(reason: &str) -> Page {
        Page {
            status: 400,
            heading: "Nothing to do",
            text: reason.to_owned(),
        }
    }

    /// The HTTP response (no caching, no referrer: the URL carried a code).
    pub fn into_response(self) -> Response<Body> {
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>codex-gateway login</title></head>\
             <body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>{}</h1><p>{}</p></body></html>",
            self.heading,
            escape(&self.text)
        );
        let mut res = full(self.status, "text/html; charset=utf-8", Bytes::from(html));
        let headers = res.headers_mut();
        headers.insert(
            hyper::header::CACHE_CONTROL,
            hyper::header::HeaderValue::from_static("no-store"),
        );
        headers.insert(
            hyper::header::REFERRER_POLICY,
            hyper::header::HeaderValue::from_static("no-referrer"),
        );
        res
    }
}

/// HTML-escape `& < > " '`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_escaped() {
        assert_eq!(
            escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
