//! `GET /dashboard`: the operator's page, embedded in the component (HTML, CSS and two ES
//! modules; nothing from another origin). The page holds no data: it signs in with the admin
//! key and reads the JSON admin routes with it. Every file goes out with a policy that allows
//! only this origin's scripts and styles, no framing and no referrer.

use super::host::Reply;
use super::responder::Responder;
use super::upstream::Handled;

/// The page's files: path, content type, bytes.
const FILES: [(&str, &str, &str); 5] = [
    (
        "/dashboard",
        "text/html; charset=utf-8",
        include_str!("../../dashboard/index.html"),
    ),
    (
        "/dashboard/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../dashboard/app.js"),
    ),
    (
        "/dashboard/format.js",
        "text/javascript; charset=utf-8",
        include_str!("../../dashboard/format.js"),
    ),
    (
        "/dashboard/app.css",
        "text/css; charset=utf-8",
        include_str!("../../dashboard/app.css"),
    ),
    (
        "/dashboard/icon.svg",
        "image/svg+xml",
        include_str!("../../dashboard/icon.svg"),
    ),
];

/// What the page may load: its own scripts, styles and admin routes; nothing inline, nothing
/// from elsewhere, no frames, no forms posted anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// The headers every dashboard and admin answer carries.
pub fn security_headers() -> [(String, String); 5] {
    [
        (
            "content-security-policy".into(),
            CONTENT_SECURITY_POLICY.into(),
        ),
        ("x-frame-options".into(), "DENY".into()),
        ("referrer-policy".into(), "no-referrer".into()),
        ("x-content-type-options".into(), "nosniff".into()),
        ("cache-control".into(), "no-store".into()),
    ]
}

/// Serve one of the page's files (the router admits only these paths).
pub async fn handle<R: Reply>(path: &str, out: &mut Responder<R>) -> Handled {
    let bare = path.split('?').next().unwrap_or_default();
    let bare = if bare == "/dashboard/" {
        "/dashboard"
    } else {
        bare
    };
    let (content_type, body) = FILES
        .iter()
        .find(|(p, _, _)| *p == bare)
        .map_or(("text/plain", ""), |(_, t, b)| (*t, *b));
    let mut headers = security_headers().to_vec();
    headers.push(("content-type".into(), content_type.into()));
    out.full(200, &headers, body.as_bytes()).await;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_inline_and_nothing_from_elsewhere() {
        for (path, _, body) in FILES {
            // The SVG namespace is a name, not an address; nothing else may point elsewhere.
            let addresses = body.replace("http://www.w3.org/2000/svg", "");
            assert!(!addresses.contains("http://"), "{path}");
            assert!(!addresses.contains("https://"), "{path}");
            assert!(
                !body.contains("innerHTML"),
                "{path}: text only through textContent"
            );
            assert!(
                !body.contains("localStorage"),
                "{path}: the key stays in sessionStorage"
            );
        }
        let (_, _, html) = FILES[0];
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "no inline script or style"
        );
        assert!(html.contains(r#"<script type="module" src="/dashboard/app.js">"#));
    }
}
