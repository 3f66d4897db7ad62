use super::*;

fn err_of(text: &str) -> String {
    let err = parse(text).unwrap_err();
    assert_eq!(crate::exit::exit_kind(&err), ExitKind::Usage, "{err:#}");
    format!("{err:#}")
}

#[test]
fn defaults_match_the_codex_client() {
    let loaded = parse("").unwrap();
    let o = &loaded.config.oauth;
    assert_eq!(o.client_id, "app_EMoamEEZ73f0CkXaXp7hrann");
    assert_eq!(
        o.authorize_endpoint.as_str(),
        "https://auth.openai.com/oauth/authorize"
    );
    assert_eq!(
        o.token_endpoint.as_str(),
        "https://auth.openai.com/oauth/token"
    );
    assert_eq!(
        o.revoke_endpoint.as_str(),
        "https://auth.openai.com/oauth/revoke"
    );
    assert_eq!(
        (o.redirect_host.as_str(), o.redirect_port),
        ("localhost", 1455)
    );
    assert_eq!(o.redirect_path, "/auth/callback");
    assert_eq!(o.scopes, ["openid", "profile", "email", "offline_access"]);
    assert_eq!(o.originator, "codex_cli_rs");
    assert!(loaded.config.proxy.is_none());
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.config.logging.level, tracing::Level::INFO);
}

#[test]
fn the_issuer_moves_every_endpoint_unless_one_is_set() {
    let loaded = parse(
        "oauth:\n  issuer: http://127.0.0.1:9/base/\n  token_endpoint: http://127.0.0.1:8/t\n  redirect_host: 127.0.0.1\n  redirect_path: cb\n  scopes: [openid]\n",
    )
    .unwrap();
    let o = &loaded.config.oauth;
    assert_eq!(
        o.authorize_endpoint.as_str(),
        "http://127.0.0.1:9/base/oauth/authorize"
    );
    assert_eq!(o.token_endpoint.as_str(), "http://127.0.0.1:8/t");
    assert_eq!(
        o.issuer_url("/codex/device"),
        "http://127.0.0.1:9/base/codex/device"
    );
    assert_eq!(o.redirect_host, "localhost");
    assert_eq!(o.redirect_path, "/cb");
    assert_eq!(o.scopes, ["openid"]);
}

#[test]
fn bad_values_name_the_key_and_the_allowed_values() {
    let cases = [
        ("network:\n  proxy_url: ftp://p:1\n", "invalid network.proxy_url \"ftp://p:1\" (expected scheme http, https, socks5, or socks5h)"),
        ("network:\n  proxy_url: proxy.example.com:8080\n", "(expected absolute URL with host)"),
        ("network:\n  proxy_url: localhost:8080\n", "(expected absolute URL with host)"),
        ("network:\n  proxy_url: \"http://:8080\"\n", "(expected absolute URL with host)"),
        ("logging:\n  level: loud\n", "invalid logging.level \"loud\" (expected debug, info, warn, or error)"),
        ("logging:\n  format: xml\n", "invalid logging.format \"xml\" (expected text or json)"),
        ("logging:\n  color: pink\n", "invalid logging.color \"pink\" (expected auto, always, or never)"),
        ("oauth:\n  redirect_port: abc\n", "invalid oauth.redirect_port"),
        ("oauth:\n  redirect_port: 70000\n", "invalid oauth.redirect_port"),
        ("oauth:\n  issuer: auth.example\n", "invalid oauth.issuer"),
        ("oauth:\n  token_endpoint: ftp://x/y\n", "invalid oauth.token_endpoint"),
        ("oauth: [1, 2]\n", "invalid oauth"),
        ("a: [\n", "parse yaml"),
    ];
    for (text, expected) in cases {
        let message = err_of(text);
        assert!(message.contains(expected), "{text:?}: {message}");
    }
}

#[test]
fn proxy_passwords_never_reach_a_message() {
    let message = err_of("network:\n  proxy_url: ftp://user:hunter2@proxy:1\n");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("ftp://***@proxy:1"), "{message}");
    for ok in [
        "http://u:p@proxy:3128",
        "socks5h://127.0.0.1:1080",
        "HTTPS://proxy",
    ] {
        let text = format!("network:\n  proxy_url: {ok}\n");
        assert!(parse(&text).unwrap().config.proxy.is_some(), "{ok}");
    }
}

#[test]
fn unknown_and_gateway_keys_are_warned_about() {
    let loaded = parse(
        "server:\n  listen: ':8080'\nupstream:\n  mode: codex_oauth\n  timeout_seconds: 60\noauth:\n  clientid: x\n  scopes: [a]\nlogging:\n  file:\n    dir: logs\ntypo: 1\nnetwork:\n",
    )
    .unwrap();
    let w = loaded.warnings.join("\n");
    assert!(w.contains("unknown config key `oauth.clientid`"), "{w}");
    assert!(w.contains("unknown config key `typo`"), "{w}");
    assert!(w.contains("server.listen"), "{w}");
    assert!(
        w.contains("upstream.mode (Spin variable upstream_mode)"),
        "{w}"
    );
    assert!(w.contains("logging.file ("), "{w}");
    assert!(
        !w.contains("oauth.scopes") && !w.contains("`network`"),
        "{w}"
    );
    assert_eq!(loaded.warnings.len(), 3, "{w}");
}

#[test]
fn the_example_config_is_valid_and_warning_free() {
    let loaded = parse(include_str!("../../../config.example.yaml")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.oauth.redirect_port, 1455);
    assert!(loaded.config.proxy.is_none());
}
