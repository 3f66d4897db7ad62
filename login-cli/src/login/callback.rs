//! The local callback listener: binds 127.0.0.1 at the registered port (1455, else 1457),
//! answers the redirect with a page once the flow has decided, and hands each OAuth redirect to
//! the flow. Requests on other paths get a 404; a request without OAuth parameters is ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::page::Page;
use crate::config::{OAuthSettings, DEFAULT_REDIRECT_PORT, FALLBACK_REDIRECT_PORT};
use crate::exit::{fail, ExitKind};
use crate::serve::{full, Server};

/// How long the browser may wait for the flow to decide (the code exchange included).
const DECIDE_TIMEOUT: Duration = Duration::from_secs(60);

/// The OAuth parameters of a redirect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl CallbackParams {
    /// Read them from a query string.
    pub fn from_query(query: &str) -> CallbackParams {
        let mut params = CallbackParams::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key.as_ref() {
                "code" => params.code = value,
                "state" => params.state = value,
                "error" => params.error = value,
                "error_description" => params.error_description = value,
                _ => {}
            }
        }
        params
    }

    /// Whether no OAuth parameter is present.
    pub fn is_empty(&self) -> bool {
        self == &CallbackParams::default()
    }
}

/// The code of a redirect that belongs to this login, or why it fails the login. The state is
/// checked first: a redirect without this attempt's state fails as "invalid state" whatever else
/// it carries (the original gateway acted on a forged `error=` before checking the state).
pub fn validate(
    params: &CallbackParams,
    state_matches: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    let login_failed = |m: String| fail(ExitKind::LoginFailed, m);
    if !params.state.as_deref().is_some_and(&state_matches) {
        return Err(login_failed(
            "invalid OAuth callback state: the redirect does not belong to this login attempt"
                .into(),
        ));
    }
    if let Some(error) = &params.error {
        let detail = params.error_description.as_deref().unwrap_or(error);
        return Err(login_failed(format!(
            "the issuer refused the login: {detail} ({error})"
        )));
    }
    params
        .code
        .clone()
        .ok_or_else(|| login_failed("missing OAuth authorization code".into()))
}

/// One redirect waiting for the flow's verdict.
pub struct Hit {
    /// What the redirect carried.
    pub params: CallbackParams,
    reply: oneshot::Sender<Page>,
}

impl Hit {
    /// Answer the browser.
    pub fn reply(self, page: Page) {
        let _ = self.reply.send(page);
    }
}

/// A running callback listener.
pub struct CallbackServer {
    /// `http://<redirect_host>:<port><redirect_path>`.
    pub redirect_uri: String,
    hits: mpsc::Receiver<Hit>,
    server: Server,
}

impl CallbackServer {
    /// Bind and start serving.
    pub async fn start(
        oauth: &OAuthSettings,
        port_override: Option<u16>,
    ) -> anyhow::Result<CallbackServer> {
        let ip = bind_ip(&oauth.redirect_host);
        let port = port_override.unwrap_or(oauth.redirect_port);
        let listener = bind(ip, port).await?;
        let bound = listener.local_addr()?.port();
        let redirect_uri = redirect_uri(oauth, bound);
        let (tx, hits) = mpsc::channel(8);
        let path: Arc<str> = Arc::from(oauth.redirect_path.as_str());
        let handler = move |req: hyper::Request<hyper::body::Incoming>| {
            let (tx, path) = (tx.clone(), path.clone());
            async move {
                if req.uri().path() != &*path {
                    return full(404, "text/plain; charset=utf-8", "not found");
                }
                let params = CallbackParams::from_query(req.uri().query().unwrap_or_default());
                if params.is_empty() {
                    return Page::ignored("This address expects an OAuth redirect.")
                        .into_response();
                }
                let (reply, verdict) = oneshot::channel();
                let finished =
                    || Page::ignored("This login attempt has already finished; see the terminal.");
                if tx.send(Hit { params, reply }).await.is_err() {
                    return finished().into_response();
                }
                match tokio::time::timeout(DECIDE_TIMEOUT, verdict).await {
                    Ok(Ok(page)) => page.into_response(),
                    _ => finished().into_response(),
                }
            }
        };
        let server = Server::spawn(listener, handler, Duration::from_secs(2));
        Ok(CallbackServer {
            redirect_uri,
            hits,
            server,
        })
    }

    /// The next redirect (never ends while the server runs).
    pub async fn next(&mut self) -> Hit {
        match self.hits.recv().await {
            Some(hit) => hit,
            None => std::future::pending().await,
        }
    }

    /// Answer what is queued with "finished", free the port, let pages finish (≤ 2 s).
    pub async fn shutdown(self) {
        let CallbackServer {
            mut hits, server, ..
        } = self;
        hits.close();
        while let Ok(hit) = hits.try_recv() {
            hit.reply(Page::ignored(
                "This login attempt has already finished; see the terminal.",
            ));
        }
        server.shutdown().await;
    }
}

/// The listener address: an IP literal in `oauth.redirect_host` is used as is; a name (the
/// default `localhost`) binds loopback IPv4, as the Codex CLI does.
fn bind_ip(host: &str) -> IpAddr {
    host.trim_matches(|c| c == '[' || c == ']')
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Ports to try: the registered 1455 falls back to the registered 1457; others stand alone.
pub fn candidate_ports(port: u16) -> Vec<u16> {
    if port == DEFAULT_REDIRECT_PORT {
        vec![DEFAULT_REDIRECT_PORT, FALLBACK_REDIRECT_PORT]
    } else {
        vec![port]
    }
}

async fn bind(ip: IpAddr, port: u16) -> anyhow::Result<TcpListener> {
    let candidates = candidate_ports(port);
    for p in &candidates {
        match TcpListener::bind(SocketAddr::new(ip, *p)).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "start the OAuth callback listener on {ip}:{p}: {e}"
                ))
            }
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| format!("{ip}:{p}")).collect();
    Err(fail(
        ExitKind::Error,
        format!(
            "the OAuth callback port is in use ({}): is another login running? Free it, choose \
             another with oauth.redirect_port or --port, or log in with --device or --paste",
            tried.join(", ")
        ),
    ))
}

/// `http://host:port/path`; an unspecified address becomes `localhost`, IPv6 gets brackets.
pub fn redirect_uri(oauth: &OAuthSettings, port: u16) -> String {
    let host = match oauth
        .redirect_host
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        Ok(ip) if ip.is_unspecified() => "localhost".to_owned(),
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => oauth.redirect_host.clone(),
    };
    format!("http://{host}:{port}{}", oauth.redirect_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_registered_port_falls_back() {
        assert_eq!(candidate_ports(1455), [1455, 1457]);
        assert_eq!(candidate_ports(8123), [8123]);
    }

    #[test]
    fn redirect_uris_are_well_formed() {
        let mut oauth = crate::config::parse("").unwrap().config.oauth;
        assert_eq!(
            redirect_uri(&oauth, 1455),
            "http://localhost:1455/auth/callback"
        );
        oauth.redirect_host = "::1".into();
        assert_eq!(redirect_uri(&oauth, 1), "http://[::1]:1/auth/callback");
        assert_eq!(bind_ip("[::1]").to_string(), "::1");
        oauth.redirect_host = "0.0.0.0".into();
        assert_eq!(redirect_uri(&oauth, 2), "http://localhost:2/auth/callback");
    }

    #[test]
    fn the_state_is_checked_before_anything_else() {
        let ok = |s: &str| s == "good";
        let p = |q: &str| CallbackParams::from_query(q);
        assert_eq!(validate(&p("code=c&state=good"), ok).unwrap(), "c");
        let cases = [
            ("code=c&state=bad", "invalid OAuth callback state"),
            (
                "error=access_denied&state=bad",
                "invalid OAuth callback state",
            ),
            ("code=c", "invalid OAuth callback state"),
            (
                "error=access_denied&error_description=User+said+no&state=good",
                "User said no (access_denied)",
            ),
            ("state=good", "missing OAuth authorization code"),
        ];
        for (query, expected) in cases {
            let message = validate(&p(query), ok).unwrap_err().to_string();
            assert!(message.contains(expected), "{query}: {message}");
        }
    }
}
