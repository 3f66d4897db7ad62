//! Splitting an absolute http(s) URL into the pieces `wasi:http` wants.

/// An absolute URL, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'a> {
    /// `https` (else `http`).
    pub https: bool,
    /// `host[:port]`.
    pub authority: &'a str,
    /// `/path?query` (at least `/`).
    pub path_and_query: &'a str,
}

impl<'a> Url<'a> {
    /// Parse `http(s)://authority/path?query`; `None` for anything else.
    pub fn parse(raw: &'a str) -> Option<Self> {
        let (https, rest) = if let Some(rest) = raw.strip_prefix("https://") {
            (true, rest)
        } else {
            (false, raw.strip_prefix("http://")?)
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        if authority.is_empty() {
            return None;
        }
        let path_and_query = if tail.is_empty() { "/" } else { tail };
        Some(Self {
            https,
            authority,
            path_and_query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        let u =
            Url::parse("http://127.0.0.1:9000/backend-api/codex/models?client_version=1").unwrap();
        assert_eq!(
            (u.https, u.authority, u.path_and_query),
            (
                false,
                "127.0.0.1:9000",
                "/backend-api/codex/models?client_version=1"
            )
        );
        let u = Url::parse("https://chatgpt.com").unwrap();
        assert_eq!(
            (u.https, u.authority, u.path_and_query),
            (true, "chatgpt.com", "/")
        );
        assert!(Url::parse("ftp://x/").is_none());
        assert!(Url::parse("http:///x").is_none());
    }
}
