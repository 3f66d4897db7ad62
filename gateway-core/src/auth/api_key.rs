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

fn missing() -> GatewayError {
    GatewayError::Unauthorized("missing or invalid Authorization header".into())
}

#[cfg(test)]
mod tests {
    use super::*;

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
