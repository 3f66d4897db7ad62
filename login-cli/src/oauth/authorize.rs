//! The authorization request: PKCE (S256, 32 random bytes), a random `state`, and the Codex
//! client's parameters (`id_token_add_organizations`, `codex_cli_simplified_flow`,
//! `originator`), built with the `oauth2` crate.

use anyhow::Context as _;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use url::Url;

use crate::config::OAuthSettings;

/// One login attempt's authorize URL and the secrets to check and finish it.
pub struct AuthorizeRequest {
    /// Where the browser goes.
    pub url: Url,
    /// The redirect URI inside `url` (the exchange must repeat it).
    pub redirect_uri: String,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
}

impl AuthorizeRequest {
    /// Build a fresh request (new state and verifier) for `redirect_uri`.
    pub fn new(oauth: &OAuthSettings, redirect_uri: &str) -> anyhow::Result<AuthorizeRequest> {
        let client = BasicClient::new(ClientId::new(oauth.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(oauth.authorize_endpoint.clone()))
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_owned())
                    .with_context(|| format!("invalid redirect URI {redirect_uri}"))?,
            );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(oauth.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .add_extra_param("id_token_add_organizations", "true")
            .add_extra_param("codex_cli_simplified_flow", "true")
            .add_extra_param("originator", oauth.originator.clone())
            .url();
        Ok(AuthorizeRequest {
            url,
            redirect_uri: redirect_uri.to_owned(),
            state,
            verifier,
        })
    }

    /// Whether `presented` is this attempt's `state`.
    pub fn state_matches(&self, presented: &str) -> bool {
        !presented.is_empty() && presented == self.state.secret()
    }

    /// The PKCE verifier, for the code exchange only.
    pub fn verifier(&self) -> &str {
        self.verifier.secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn the_url_carries_pkce_state_and_the_codex_parameters() {
        let config = crate::config::parse("").unwrap().config;
        let req =
            AuthorizeRequest::new(&config.oauth, "http://localhost:1455/auth/callback").unwrap();
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "app_EMoamEEZ73f0CkXaXp7hrann");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "openid profile email offline_access");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["id_token_add_organizations"], "true");
        assert_eq!(q["codex_cli_simplified_flow"], "true");
        assert_eq!(q["originator"], "codex_cli_rs");
        assert_eq!(q["redirect_uri"], "http://localhost:1455/auth/callback");
        assert!(req.state_matches(&q["state"]) && !req.state_matches("other"));
        assert_eq!(req.verifier().len(), 43);
        let digest = <sha2::Sha256 as sha2::Digest>::digest(req.verifier().as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        assert_eq!(q["code_challenge"], expected);
    }
}
