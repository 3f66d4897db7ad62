//! The route table: method and path to a handler, or the 404/405 the client should see.

use crate::error::GatewayError;

/// A matched route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz` (no key).
    Health,
    /// `GET /v1/models`.
    Models,
    /// `POST /v1/chat/completions`.
    ChatCompletions,
    /// `POST /v1/responses`.
    Responses,
    /// `POST /v1/responses/compact`.
    ResponsesCompact,
    /// `POST /v1/alpha/search` (the Codex CLI's standalone web search).
    AlphaSearch,
    /// `POST /v1/messages` (Anthropic Messages).
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `POST /v1/images/generations`.
    ImageGenerations,
    /// `POST /v1/images/edits` (multipart).
    ImageEdits,
    /// `GET|HEAD /api/hello` (Claude Code's preconnect; no key).
    Hello,
    /// `GET|PUT|DELETE /admin/token` (only with `admin_api_key` set).
    AdminToken,
    /// `GET|POST /admin/keys`, `DELETE /admin/keys/{name}`, `POST /admin/keys/{name}/rotate`.
    AdminKeys,
    /// `GET /admin/usage`.
    AdminUsage,
    /// `GET /admin/accounts`.
    AdminAccounts,
    /// `GET /admin/status`.
    AdminStatus,
    /// `GET /dashboard` and its files (only with `admin_api_key` set).
    Dashboard,
}

impl Route {
    /// Stable name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Models => "models",
            Self::ChatCompletions => "chat",
            Self::Responses => "responses",
            Self::ResponsesCompact => "responses_compact",
            Self::AlphaSearch => "alpha_search",
            Self::Messages => "messages",
            Self::CountTokens => "count_tokens",
            Self::ImageGenerations => "image_generations",
            Self::ImageEdits => "image_edits",
            Self::Hello => "hello",
            Self::AdminToken => "admin_token",
            Self::AdminKeys => "admin_keys",
            Self::AdminUsage => "admin_usage",
            Self::AdminAccounts => "admin_accounts",
            Self::AdminStatus => "admin_status",
            Self::Dashboard => "dashboard",
        }
    }
}

/// Match a request. `path` may carry a query string (ignored).
pub fn route(method: &str, path_and_query: &str) -> Result<Route, GatewayError> {
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(p, _)| p);
    let (route, allow): (Route, &'static str) = match path {
        "/healthz" => (Route::Health, "GET, HEAD"),
        "/v1/models" => (Route::Models, "GET"),
        "/v1/chat/completions" => (Route::ChatCompletions, "POST"),
        "/v1/responses" => (Route::Responses, "POST"),
        "/v1/responses/compact" => (Route::ResponsesCompact, "POST"),
        "/v1/alpha/search" => (Route::AlphaSearch, "POST"),
        "/v1/messages" => (Route::Messages, "POST"),
        "/v1/messages/count_tokens" => (Route::CountTokens, "POST"),
        "/v1/images/generations" => (Route::ImageGenerations, "POST"),
        "/v1/images/edits" => (Route::ImageEdits, "POST"),
        "/api/hello" => (Route::Hello, "GET, HEAD"),
        "/admin/token" => (Route::AdminToken, "GET, PUT, DELETE"),
        "/admin/keys" => (Route::AdminKeys, "GET, POST"),
        "/admin/usage" => (Route::AdminUsage, "GET"),
        "/admin/accounts" => (Route::AdminAccounts, "GET"),
        "/admin/status" => (Route::AdminStatus, "GET"),
        "/dashboard"
        | "/dashboard/"
        | "/dashboard/app.js"
        | "/dashboard/app.css"
        | "/dashboard/format.js"
        | "/dashboard/icon.svg" => (Route::Dashboard, "GET, HEAD"),
        _ if path
            .strip_prefix("/admin/keys/")
            .is_some_and(|rest| !rest.is_empty()) =>
        {
            // `{name}` (revoke) or `{name}/rotate`; a key may itself be named `rotate`.
            match path.trim_start_matches("/admin/keys/").split_once('/') {
                None => (Route::AdminKeys, "DELETE"),
                Some((name, "rotate")) if !name.is_empty() => (Route::AdminKeys, "POST"),
                Some(_) => return Err(GatewayError::NotFound(path.chars().take(200).collect())),
            }
        }
        _ => return Err(GatewayError::NotFound(path.chars().take(200).collect())),
    };
    if allow.split(", ").any(|m| m == method) {
        Ok(route)
    } else {
        Err(GatewayError::MethodNotAllowed { allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, Result<Route, u16>)] = &[
            ("GET", "/healthz", Ok(Route::Health)),
            ("HEAD", "/healthz", Ok(Route::Health)),
            ("GET", "/v1/models?x=1", Ok(Route::Models)),
            ("POST", "/v1/chat/completions", Ok(Route::ChatCompletions)),
            ("POST", "/v1/responses", Ok(Route::Responses)),
            ("GET", "/v1/responses", Err(405)),
            ("POST", "/v1/models", Err(405)),
            ("GET", "/v1/nope", Err(404)),
            ("GET", "/v1/models/", Err(404)),
            ("PUT", "/admin/token", Ok(Route::AdminToken)),
            ("POST", "/v1/alpha/search", Ok(Route::AlphaSearch)),
            ("POST", "/v1/messages?beta=true", Ok(Route::Messages)),
            (
                "POST",
                "/v1/messages/count_tokens?beta=true",
                Ok(Route::CountTokens),
            ),
            ("HEAD", "/api/hello", Ok(Route::Hello)),
            ("GET", "/v1/messages", Err(405)),
            ("DELETE", "/admin/keys/alice", Ok(Route::AdminKeys)),
            ("DELETE", "/admin/keys/rotate", Ok(Route::AdminKeys)),
            ("POST", "/admin/keys/rotate/rotate", Ok(Route::AdminKeys)),
            ("POST", "/admin/keys/alice", Err(405)),
            ("DELETE", "/admin/keys/alice/rotate", Err(405)),
            ("GET", "/admin/keys/alice/other", Err(404)),
            ("GET", "/dashboard", Ok(Route::Dashboard)),
            ("GET", "/dashboard/app.js", Ok(Route::Dashboard)),
            ("GET", "/dashboard/other.js", Err(404)),
            ("POST", "/dashboard", Err(405)),
            ("GET", "/admin/status", Ok(Route::AdminStatus)),
        ];
        for (method, path, want) in cases {
            let got = route(method, path).map_err(|e| e.status());
            assert_eq!(&got, want, "{method} {path}");
        }
    }
}
