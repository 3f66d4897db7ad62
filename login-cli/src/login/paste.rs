//! The paste path: the operator copies the address the browser ended on (its page cannot load
//! when the callback port is not reachable) and pastes it at the prompt. Lines come from a
//! plain thread reading stdin, so a blocked read never holds up the exit.

use tokio::sync::mpsc;

use super::callback::CallbackParams;

/// Lines typed on stdin, until end of input.
pub fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("stdin-paste".into())
        .spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    // Without the thread the paste path is simply unavailable.
    drop(spawned);
    rx
}

/// The OAuth parameters of a pasted redirect: a whole URL, or just its query (with or without
/// the leading `?`). `None` when the text carries none.
pub fn parse_pasted(text: &str) -> Option<CallbackParams> {
    let text = text
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    if text.is_empty() {
        return None;
    }
    let query = match url::Url::parse(text) {
        Ok(url) => url.query().unwrap_or_default().to_owned(),
        Err(_) => text.rsplit_once('?').map_or(text, |(_, q)| q).to_owned(),
    };
    let params = CallbackParams::from_query(&query);
    (!params.is_empty()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_bare_queries_are_accepted() {
        let full =
            parse_pasted(" http://localhost:1455/auth/callback?code=abc&state=s1 \n").unwrap();
        assert_eq!(
            (full.code.as_deref(), full.state.as_deref()),
            (Some("abc"), Some("s1"))
        );
        let bare = parse_pasted("?code=abc&state=s1").unwrap();
        assert_eq!(bare, full);
        assert_eq!(parse_pasted("code=abc&state=s1"), Some(full));
        assert_eq!(parse_pasted("hello"), None);
        assert_eq!(parse_pasted(""), None);
    }
}
