//! `POST <token_endpoint>` with `grant_type=authorization_code` (browser and device logins), and
//! `POST <revoke_endpoint>` (logout). Answers are read with the core's parser, so login-cli and
//! the gateway classify issuer errors the same way.

use gateway_core::auth::oauth::parse_token_response;
use gateway_core::auth::token::TokenRecord;
use reqwest::header::ACCEPT;

use crate::config::OAuthSettings;
use crate::exit::{fail, ExitKind};
use crate::http::transport_reason;
use crate::ui::now_unix;

/// What the exchange sends besides the client's identity.
pub struct CodeExchange<'a> {
    /// The authorization code.
    pub code: &'a str,
    /// The redirect URI of the authorize request, repeated.
    pub redirect_uri: &'a str,
    /// The PKCE verifier.
    pub verifier: &'a str,
}

/// Exchange an authorization code for a token record.
pub async fn exchange_code(
    http: &reqwest::Client,
    oauth: &OAuthSettings,
    exchange: CodeExchange<'_>,
) -> anyhow::Result<TokenRecord> {
    let CodeExchange {
        code,
        redirect_uri,
        verifier,
    } = exchange;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", oauth.client_id.as_str()),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = &oauth.client_secret {
        form.push(("client_secret", secret.as_str()));
    }
    let failed = |reason: String| {
        fail(
            ExitKind::LoginFailed,
            format!("token exchange failed: {reason}"),
        )
    };
    let res = http
        .post(oauth.token_endpoint.clone())
        .header(ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| failed(transport_reason(&e)))?;
    let status = res.status().as_u16();
    let body = res
        .bytes()
        .await
        .map_err(|e| failed(transport_reason(&e)))?;
    let answer = parse_token_response(status, &body)
        .map_err(|e| failed(format!("{} ({})", e.message, e.code)))?;
    TokenRecord::from_token_response(&answer, now_unix(), None)
        .map_err(|e| failed(format!("the issuer's answer is unusable: {e}")))
}

#[derive(serde::Serialize)]
struct RevokeRequest<'a> {
    token: &'a str,
    token_type_hint: &'static str,
    client_id: &'a str,
}

/// Revoke `refresh_token` at the issuer (the Codex CLI's JSON form).
pub async fn revoke(
    http: &reqwest::Client,
    oauth: &OAuthSettings,
    refresh_token: &str,
) -> anyhow::Result<()> {
    let res = http
        .post(oauth.revoke_endpoint.clone())
        .json(&RevokeRequest {
            token: refresh_token,
            token_type_hint: "refresh_token",
            client_id: &oauth.client_id,
        })
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(transport_reason(&e)))?;
    let status = res.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the issuer answered HTTP {}",
            status.as_u16()
        ))
    }
}
