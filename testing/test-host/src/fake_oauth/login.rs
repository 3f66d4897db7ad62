//! The login side of the fake issuer, shaped like auth.openai.com: `GET /oauth/authorize`
//! (records the query, answers a 302 to `redirect_uri?code=…&state=…` as the real page does after
//! the user signs in), the `authorization_code` grant with PKCE S256 verification, the device
//! flow (`/api/accounts/deviceauth/usercode` and `/token`, approved by the test), and
//! `POST /oauth/revoke`. Never touches the refresh behaviour of the parent module.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{json, lock, make_jwt, now, url_decode_pairs, Body, FakeOAuth, State};

/// Where the device flow's code exchange must say it was redirected (`<issuer>` + this).
pub const DEVICE_CALLBACK_PATH: &str = "/deviceauth/callback";

/// An authorization code waiting for its exchange.
struct Grant {
    challenge: String,
    redirect: Redirect,
    client_id: String,
}

/// What the exchange's `redirect_uri` must be.
enum Redirect {
    /// The one the authorize request named.
    Exact(String),
    /// The device flow's: `<issuer>/deviceauth/callback`.
    DeviceCallback,
}

struct Device {
    user_code: String,
    client_id: String,
    approved: bool,
}

/// Login-side state, kept inside the parent's `State`.
#[derive(Default)]
pub(super) struct LoginState {
    grants: Mutex<HashMap<String, Grant>>,
    authorize_queries: Mutex<Vec<Vec<(String, String)>>>,
    exchanges: AtomicUsize,
    devices: Mutex<HashMap<String, Device>>,
    device_polls: Mutex<Vec<Instant>>,
    revoked: Mutex<Vec<Vec<(String, String)>>>,
    counter: AtomicUsize,
}

impl FakeOAuth {
    /// The query of every `GET /oauth/authorize` so far, decoded.
    pub fn authorize_requests(&self) -> Vec<Vec<(String, String)>> {
        lock(&self.state.login.authorize_queries).clone()
    }
    /// `authorization_code` exchanges attempted so far (successful or not).
    pub fn code_exchanges(&self) -> usize {
        self.state.login.exchanges.load(Ordering::SeqCst)
    }
    /// Approve the pending device login with `user_code`; false if there is none.
    pub fn approve_device(&self, user_code: &str) -> bool {
        let mut devices = lock(&self.state.login.devices);
        let found = devices.values_mut().find(|d| d.user_code == user_code);
        found.map(|d| d.approved = true).is_some()
    }
    /// When each device-token poll arrived.
    pub fn device_polls(&self) -> Vec<Instant> {
        lock(&self.state.login.device_polls).clone()
    }
    /// The JSON (or form) fields of every revoke call (`token`, `token_type_hint`, `client_id`).
    pub fn revocations(&self) -> Vec<Vec<(String, String)>> {
        lock(&self.state.login.revoked).clone()
    }
}

/// Serve the login-side paths; `None` for everything else.
pub(super) fn route(
    state: &State,
    path: &str,
    query: &str,
    body: &[u8],
) -> Option<hyper::Response<Body>> {
    match path {
        "/oauth/authorize" => Some(authorize(state, query)),
        "/oauth/revoke" => Some(revoke(state, body)),
        "/api/accounts/deviceauth/usercode" => Some(device_usercode(state, body)),
        "/api/accounts/deviceauth/token" => Some(device_token(state, body)),
        _ => None,
    }
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn json_fields(body: &[u8]) -> Vec<(String, String)> {
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(map) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or(v.to_string())))
            .collect(),
        Err(_) => url_decode_pairs(&String::from_utf8_lossy(body)),
    }
}

fn bad(code: &str, description: &str) -> hyper::Response<Body> {
    json(
        400,
        serde_json::json!({"error": code, "error_description": description}),
    )
}

fn authorize(state: &State, query: &str) -> hyper::Response<Body> {
    let fields = url_decode_pairs(query);
    lock(&state.login.authorize_queries).push(fields.clone());
    let get = |k: &str| field(&fields, k).filter(|v| !v.is_empty());
    let (Some(client_id), Some(redirect), Some(st), Some(challenge)) = (
        get("client_id"),
        get("redirect_uri"),
        get("state"),
        get("code_challenge"),
    ) else {
        return bad(
            "invalid_request",
            "missing client_id, redirect_uri, state or code_challenge",
        );
    };
    if get("response_type").as_deref() != Some("code")
        || get("code_challenge_method").as_deref() != Some("S256")
    {
        return bad(
            "invalid_request",
            "response_type=code and S256 are required",
        );
    }
    let n = state.login.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let code = format!("code-{n}");
    lock(&state.login.grants).insert(
        code.clone(),
        Grant {
            challenge,
            redirect: Redirect::Exact(redirect.clone()),
            client_id,
        },
    );
    let mut location = redirect;
    location.push(if location.contains('?') { '&' } else { '?' });
    location.push_str("code=");
    gateway_core::auth::oauth::form_encode_into(&mut location, &code);
    location.push_str("&state=");
    gateway_core::auth::oauth::form_encode_into(&mut location, &st);
    let mut res = json(302, serde_json::json!({}));
    if let Ok(value) = http::HeaderValue::from_str(&location) {
        res.headers_mut().insert(http::header::LOCATION, value);
    }
    res
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `grant_type=authorization_code`: the code must be known and unused, and the redirect URI,
/// client id and PKCE verifier must match what the authorize step (or the device flow) saw.
pub(super) fn exchange_code(state: &State, fields: &[(String, String)]) -> hyper::Response<Body> {
    state.login.exchanges.fetch_add(1, Ordering::SeqCst);
    let code = field(fields, "code").unwrap_or_default();
    let Some(grant) = lock(&state.login.grants).remove(&code) else {
        return bad(
            "invalid_grant",
            "unknown or already used authorization code",
        );
    };
    if field(fields, "client_id").as_deref() != Some(grant.client_id.as_str()) {
        return bad(
            "invalid_client",
            "client_id does not match the authorization",
        );
    }
    let redirect_uri = field(fields, "redirect_uri").unwrap_or_default();
    let redirect_ok = match &grant.redirect {
        Redirect::Exact(expected) => redirect_uri == *expected,
        Redirect::DeviceCallback => redirect_uri.ends_with(DEVICE_CALLBACK_PATH),
    };
    if !redirect_ok {
        return bad(
            "invalid_grant",
            "redirect_uri does not match the authorization",
        );
    }
    let verifier = field(fields, "code_verifier").unwrap_or_default();
    if verifier.is_empty() || s256(&verifier) != grant.challenge {
        return bad("invalid_grant", "PKCE verification failed");
    }
    let n = state.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let refresh = format!("rt-login-{n}");
    *lock(&state.current_refresh) = refresh.clone();
    let ttl = *lock(&state.access_ttl_secs);
    let access = make_jwt(now() + ttl, "acct-test", &format!("login-{n}"));
    json(
        200,
        serde_json::json!({
            "access_token": access,
            "refresh_token": refresh,
            "id_token": make_jwt(now() + ttl, "acct-test", "id"),
            "expires_in": ttl,
            "token_type": "Bearer",
        }),
    )
}

fn revoke(state: &State, body: &[u8]) -> hyper::Response<Body> {
    let fields = json_fields(body);
    if let Some(token) = field(&fields, "token") {
        let mut current = lock(&state.current_refresh);
        if *current == token {
            lock(&state.used).insert(token);
            *current = format!("revoked-{}", now());
        }
    }
    lock(&state.login.revoked).push(fields);
    json(200, serde_json::json!({}))
}

fn device_usercode(state: &State, body: &[u8]) -> hyper::Response<Body> {
    let fields = json_fields(body);
    let Some(client_id) = field(&fields, "client_id").filter(|c| !c.is_empty()) else {
        return bad("invalid_request", "client_id is required");
    };
    let n = state.login.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("deviceauth-{n}");
    let user_code = format!("FAKE-{n:04}");
    lock(&state.login.devices).insert(
        id.clone(),
        Device {
            user_code: user_code.clone(),
            client_id,
            approved: false,
        },
    );
    // The real issuer sends the interval as a string.
    json(
        200,
        serde_json::json!({"device_auth_id": id, "user_code": user_code, "interval": "1"}),
    )
}

fn device_token(state: &State, body: &[u8]) -> hyper::Response<Body> {
    lock(&state.login.device_polls).push(Instant::now());
    let fields = json_fields(body);
    let id = field(&fields, "device_auth_id").unwrap_or_default();
    let user_code = field(&fields, "user_code").unwrap_or_default();
    let (approved, client_id) = match lock(&state.login.devices).get(&id) {
        Some(d) if d.user_code == user_code => (d.approved, d.client_id.clone()),
        _ => return bad("invalid_request", "unknown device_auth_id or user_code"),
    };
    if !approved {
        // The real issuer answers 403 (or 404) while the user has not finished.
        return json(403, serde_json::json!({"error": "authorization_pending"}));
    }
    lock(&state.login.devices).remove(&id);
    let n = state.login.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let code = format!("device-code-{n}");
    let verifier = format!("device-verifier-{n}-0123456789abcdefghijklmnopqrstuvwxyz");
    let challenge = s256(&verifier);
    lock(&state.login.grants).insert(
        code.clone(),
        Grant {
            challenge: challenge.clone(),
            redirect: Redirect::DeviceCallback,
            client_id,
        },
    );
    json(
        200,
        serde_json::json!({"authorization_code": code, "code_verifier": verifier, "code_challenge": challenge}),
    )
}
