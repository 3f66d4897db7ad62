//! Talking to the issuer: the authorize URL (PKCE S256 + state), the code exchange, the device
//! flow's two endpoints, and revocation. Requests go through the proxy-aware client; nothing
//! here prints, and no error carries a token, a code or a verifier.

pub mod authorize;
pub mod device;
pub mod token;
