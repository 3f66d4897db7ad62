//! Where a command reaches a deployed gateway: an http(s) URL, and plain http only to loopback
//! unless allowed, since what is sent (a token, an API key) would otherwise travel unencrypted.

use url::Url;

use crate::exit::{fail, ExitKind};

/// `<base><path>` (query dropped); `secret` names what would travel, for the refusal.
pub fn endpoint(base: &str, path: &str, insecure_http: bool, secret: &str) -> anyhow::Result<Url> {
    let usage = |m: String| fail(ExitKind::Usage, m);
    let mut url = Url::parse(base.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            usage(format!(
                "invalid --url \"{base}\" (expected an http or https URL)"
            ))
        })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && !loopback && !insecure_http {
        return Err(usage(format!(
            "refusing to send {secret} over plain http to {base}: use https (or --insecure-http)"
        )));
    }
    let full = format!("{}{path}", url.path().trim_end_matches('/'));
    url.set_path(&full);
    url.set_query(None);
    Ok(url)
}
