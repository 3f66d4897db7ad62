//! One client key as the store holds it: its name, when it was made, when it expires or was
//! revoked, its model list and limits, and a hint of its last characters. The key itself is
//! never stored, only its SHA-256, which is also where the record is found.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::limit::Limit;

/// Current record format version.
pub const RECORD_VERSION: u32 = 1;

/// The prefix of every client key.
pub const KEY_PREFIX: &str = "sk-cgw-";

/// The name usage is counted under for the owner key (`downstream_api_key`); no client key
/// may take it.
pub const OWNER: &str = "owner";

/// A client key's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientKey {
    /// Format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// The key's name: unique, shown in lists, logs and usage.
    pub name: String,
    /// The key's last characters, to tell keys apart (`sk-cgw-…Ab3x`).
    pub hint: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which the key is refused, if it expires.
    pub expires_at: Option<i64>,
    /// Unix seconds it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// The models it may use: exact names, or a prefix ending in `*`. Empty: any model.
    pub models: Vec<String>,
    /// Its limits.
    pub limits: Vec<Limit>,
}

impl ClientKey {
    /// Whether `model` is on the key's list (an empty list allows every model).
    pub fn allows(&self, model: &str) -> bool {
        self.models.is_empty()
            || self
                .models
                .iter()
                .any(|allowed| match allowed.strip_suffix('*') {
                    Some(prefix) => model.starts_with(prefix),
                    None => model == allowed,
                })
    }
}

/// A live key named `alice` with `models` and `limits` (written as [`Limit::parse`] reads
/// them), for tests.
#[cfg(test)]
pub(crate) fn test_key(models: &[&str], limits: &[&str]) -> ClientKey {
    ClientKey {
        version: RECORD_VERSION,
        name: "alice".into(),
        hint: String::new(),
        created_at: 0,
        expires_at: None,
        revoked_at: None,
        models: models.iter().map(|m| (*m).to_owned()).collect(),
        limits: limits.iter().filter_map(|l| Limit::parse(l).ok()).collect(),
    }
}

/// The SHA-256 of a presented key, as lowercase hex.
pub fn key_hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new key from 32 random bytes: `sk-cgw-` and 43 base64url characters.
pub fn new_key(random: [u8; 32]) -> String {
    use base64::Engine as _;
    format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
    )
}

/// What a list shows of a key instead of the key.
pub fn hint_of(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{KEY_PREFIX}…{tail}")
}

/// Whether `name` may name a key: 1 to 64 of `A-Z a-z 0-9 . _ -`, and not [`OWNER`].
pub fn valid_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(format!(
            "key name {:?} must be 1 to 64 letters, digits, '.', '_' or '-'",
            name.chars().take(70).collect::<String>()
        ));
    }
    if name == OWNER {
        return Err(format!(
            "{OWNER:?} names the owner key (downstream_api_key) in usage; choose another name"
        ));
    }
    Ok(())
}

/// A duration as `--expires` takes it: `30d`, `12h`, `2w`, `90m`; in seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration like 30d, 12h, 2w or 90m");
    let unit = text.chars().last().ok_or_else(bad)?;
    let amount: i64 = text
        .get(..text.len() - unit.len_utf8())
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)?;
    let secs = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    amount.checked_mul(secs).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(models: &[&str]) -> ClientKey {
        test_key(models, &[])
    }

    #[test]
    fn model_lists_take_exact_names_and_prefixes() {
        assert!(key(&[]).allows("anything"));
        let listed = key(&["gpt-5.4", "gpt-6*"]);
        for (model, allowed) in [
            ("gpt-5.4", true),
            ("gpt-5.4-mini", false),
            ("gpt-6-sol", true),
            ("gpt-6", true),
            ("claude-sonnet-4-6", false),
        ] {
            assert_eq!(listed.allows(model), allowed, "{model}");
        }
        assert!(key(&["*"]).allows("x"));
    }

    #[test]
    fn keys_hashes_and_hints() {
        let k = new_key([7; 32]);
        assert!(k.starts_with("sk-cgw-") && k.len() == 7 + 43, "{k}");
        assert_eq!(key_hash("abc").len(), 64);
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hint_of("sk-cgw-abcdWXYZ"), "sk-cgw-…WXYZ");
    }

    #[test]
    fn names_and_durations() {
        assert!(valid_name("alice.dev_2").is_ok());
        for bad in ["", "a b", "owner", "é", &"x".repeat(65)] {
            assert!(valid_name(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        assert_eq!(parse_duration("90m"), Ok(5400));
        for bad in ["", "d", "0d", "-1d", "3y", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
