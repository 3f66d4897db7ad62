//! OpenAI's device-code login (not RFC 8628): `POST <issuer>/api/accounts/deviceauth/usercode`
//! `{client_id}` gives a user code and a polling interval; `POST …/deviceauth/token`
//! `{device_auth_id, user_code}` answers 403/404 until the user approves, then an authorization
//! code with its PKCE verifier, exchanged with redirect URI `<issuer>/deviceauth/callback`.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::config::OAuthSettings;
use crate::exit::{fail, ExitKind};
use crate::http::transport_reason;

/// Used when the issuer sends no (or a zero) interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Never wait longer than this between polls, whatever the issuer says.
const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// A pending device login.
pub struct DeviceCode {
    /// Where the user opens the login page.
    pub verification_url: String,
    /// The code the user types there.
    pub user_code: String,
    /// Time between polls (the issuer's).
    pub interval: Duration,
    device_auth_id: String,
}

/// The approved login: a code to exchange.
pub struct DeviceGrant {
    /// The authorization code.
    pub authorization_code: String,
    /// Its PKCE verifier.
    pub code_verifier: String,
}

#[derive(Deserialize)]
struct UserCodeAnswer {
    device_auth_id: String,
    #[serde(alias = "usercode")]
    user_code: String,
    #[serde(default, deserialize_with = "seconds")]
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    authorization_code: String,
    code_verifier: String,
}

fn seconds<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(de)? {
        Some(Raw::Number(n)) => Some(n),
        Some(Raw::Text(t)) => t.trim().parse().ok(),
        None => None,
    })
}

/// The redirect URI the device flow's exchange must name.
pub fn redirect_uri(oauth: &OAuthSettings) -> String {
    oauth.issuer_url("/deviceauth/callback")
}

/// Ask for a user code.
pub async fn request(http: &reqwest::Client, oauth: &OAuthSettings) -> anyhow::Result<DeviceCode> {
    let url = oauth.issuer_url("/api/accounts/deviceauth/usercode");
    let res = http
        .post(&url)
        .json(&serde_json::json!({ "client_id": oauth.client_id }))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("device code request failed: {}", transport_reason(&e)))?;
    let status = res.status().as_u16();
    if status == 404 {
        return Err(fail(
            ExitKind::LoginFailed,
            format!("the issuer has no device-code login ({url} answered 404); use the browser login or --paste"),
        ));
    }
    if !(200..300).contains(&status) {
        return Err(fail(
            ExitKind::LoginFailed,
            format!("device code request failed: HTTP {status}"),
        ));
    }
    let answer: UserCodeAnswer = res
        .json()
        .await
        .map_err(|e| anyhow::anyhow!("device code answer unreadable: {}", transport_reason(&e)))?;
    let interval = match answer.interval {
        Some(0) | None => DEFAULT_INTERVAL,
        Some(secs) => Duration::from_secs(secs).min(MAX_INTERVAL),
    };
    Ok(DeviceCode {
        verification_url: oauth.issuer_url("/codex/device"),
        user_code: answer.user_code,
        interval,
        device_auth_id: answer.device_auth_id,
    })
}

/// Poll until the user approves (or the issuer refuses). The caller bounds the time.
pub async fn poll(
    http: &reqwest::Client,
    oauth: &OAuthSettings,
    code: &DeviceCode,
) -> anyhow::Result<DeviceGrant> {
    let url = oauth.issuer_url("/api/accounts/deviceauth/token");
    let body = serde_json::json!({
        "device_auth_id": code.device_auth_id,
        "user_code": code.user_code,
    });
    loop {
        match http.post(&url).json(&body).send().await {
            Ok(res) if res.status().is_success() => {
                let answer: TokenAnswer = res.json().await.map_err(|e| {
                    fail(
                        ExitKind::LoginFailed,
                        format!("device login answer unreadable: {}", transport_reason(&e)),
                    )
                })?;
                return Ok(DeviceGrant {
                    authorization_code: answer.authorization_code,
                    code_verifier: answer.code_verifier,
                });
            }
            Ok(res) if matches!(res.status().as_u16(), 403 | 404) => {}
            Ok(res) => {
                return Err(fail(
                    ExitKind::LoginFailed,
                    format!(
                        "device login failed: the issuer answered HTTP {}",
                        res.status().as_u16()
                    ),
                ))
            }
            // A network blip must not lose a login the user is completing: poll again.
            Err(e) => {
                tracing::warn!(reason = %transport_reason(&e), "login_cli.device.poll failed")
            }
        }
        tokio::time::sleep(code.interval).await;
    }
}
