//! Downstream API key check: `Authorization: Bearer <key>`, compared in constant time.

use subtle::ConstantTimeEq;

use crate::error::GatewayError;

/// Checks every `Authorization` value the request carried against the configured key.
///
/// The scheme is matched case-insensitively (RFC 9110 §11.1) and surrounding whitespace is
/// ignored; more than one `Authorization` header is refused rather than guessed at.
pub fn check_bearer(authorization: &[&[u8]], expected: &str) -> Result<(), GatewayError> {
    let value = match authorization {
        [] => return Err(missing()),
        [one] => *one,
        _ => {
            return Err(GatewayError::Unauthorized(
                "more than one Authorization header".into(),
            ))
        }
    };
    let value = std::str::from_utf8(value).map_err(|_| missing())?.trim();
    let (scheme, key) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let key = key.trim();
    if key.is_empty() {
        return Err(missing());
    }
    if bool::from(key.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(GatewayError::Unauthorized("invalid api key".into()))
    }
}

/// Anthropic's clients: the key as `x-api-key` (what `ANTHROPIC_API_KEY` sends) or as a bearer
/// (`ANTHROPIC_AUTH_TOKEN`). Either one matching is enough: with both variables set, Claude
/// Code sends both, and one may be a leftover key for another service. Neither is a 401.
pub fn check_api_key_or_bearer(
    api_key: &[&[u8]],
    authorization: &[&[u8]],
    expected: &str,
) -> Result<(), GatewayError> {
    let key_ok = match api_key {
        [one] => std::str::from_utf8(one).is_ok_and(|key| {
            let key = key.trim();
            !key.is_empty() && bool::from(key.as_bytes().ct_eq(expected.as_bytes()))
        }),
        [] => false,
        _ => {
            return Err(GatewayError::Unauthorized(
                "more than one x-api-key header".into(),
            ))
        }
    };
    match check_bearer(authorization, expected) {
        Ok(()) => Ok(()),
        Err(_) if key_ok => Ok(()),
        Err(err) if api_key.is_empty() => Err(err),
        Err(_) => Err(GatewayError::Unauthorized("invalid api key".into())),
    }
}

/// The keys a request presents: its bearer's and, where `x-api-key` counts, that header's;
/// only values shaped like a client key (see [`crate::keys::record::KEY_PREFIX`]), so a key
/// of any other shape costs no store read.
pub fn presented_client_keys<'a>(api_key: &[&'a [u8]], authorization: &[&'a [u8]]) -> Vec<&'a str> {
    let bearer = authorization.iter().filter_map(|value| {
        let (scheme, key) = std::str::from_utf8(value).ok()?.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
    });
    let api_keys = api_key
        .iter()
        .filter_map(|value| std::str::from_utf8(value).ok().map(str::trim));
    bearer
        .chain(api_keys)
        .filter(|key| key.starts_with(crate::keys::record::KEY_PREFIX))
        .collect()
}

fn missing() -> GatewayError {
    GatewayError::Unauthorized("missing or invalid Authorization header".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_clients_send_x_api_key_or_a_bearer() {
        const KEY: &str = "sk-test";
        type Case<'a> = (&'a [&'a [u8]], &'a [&'a [u8]]);
        let ok: &[Case] = &[
            (&[b"sk-test"], &[]),
            (&[], &[b"Bearer sk-test"]),
            (&[b" sk-test "], &[b"Bearer sk-test"]),
            (&[b"sk-test"], &[b"Bearer sk-nope"]),
            (&[b"sk-ant-leftover"], &[b"Bearer sk-test"]),
        ];
        for (api_key, auth) in ok {
            assert!(check_api_key_or_bearer(api_key, auth, KEY).is_ok());
        }
        let refused: &[Case] = &[
            (&[], &[]),
            (&[b"sk-nope"], &[]),
            (&[b""], &[]),
            (&[b"sk-nope"], &[b"Bearer sk-nope"]),
            (&[b"sk-test", b"sk-test"], &[]),
        ];
        for (api_key, auth) in refused {
            let err = check_api_key_or_bearer(api_key, auth, KEY).unwrap_err();
            assert_eq!(err.status(), 401);
        }
    }

    #[test]
    fn bearer_cases() {
        const KEY: &str = "sk-test";
        type Case<'a> = (&'a str, &'a [&'a [u8]], Option<&'a str>);
        let cases: &[Case] = &[
            ("exact", &[b"Bearer sk-test"], None),
            ("lowercase scheme", &[b"bearer sk-test"], None),
            ("extra spaces", &[b"  Bearer   sk-test  "], None),
            (
                "missing",
                &[],
                Some("missing or invalid Authorization header"),
            ),
            (
                "basic scheme",
                &[b"Basic sk-test"],
                Some("missing or invalid Authorization header"),
            ),
            (
                "no key",
                &[b"Bearer "],
                Some("missing or invalid Authorization header"),
            ),
            ("wrong key", &[b"Bearer sk-nope"], Some("invalid api key")),
            (
                "prefix of key",
                &[b"Bearer sk-tes"],
                Some("invalid api key"),
            ),
            (
                "non utf8",
                &[b"Bearer \xff"],
                Some("missing or invalid Authorization header"),
            ),
            (
                "two headers",
                &[b"Bearer sk-test", b"Bearer sk-test"],
                Some("more than one Authorization header"),
            ),
        ];
        for (name, headers, want) in cases {
            let got = check_bearer(headers, KEY).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "case {name}");
        }
    }
}
