//! Client keys in the store: each record under the SHA-256 of its key (so a request finds its
//! key with one read), and an index of names for listing, revoking and rotating. Only the owner
//! writes the index (`login-cli keys`, `/admin/keys`), never the request path, so a plain
//! read-modify-write is enough, as for the account index.

use serde::{Deserialize, Serialize};

use super::limit::Limit;
use super::record::{hint_of, key_hash, new_key, valid_name, ClientKey, RECORD_VERSION};
use crate::error::GatewayError;
use crate::ports::Kv;

/// Key of the index.
pub const INDEX_KEY: &str = "codex-gateway/client-keys";

/// Current index format version.
pub const INDEX_VERSION: u32 = 1;

/// Where the record of the key with SHA-256 `hash` lives.
pub fn record_key(hash: &str) -> String {
    format!("codex-gateway/client-key/{hash}")
}

/// Where the time of a key's last use lives (Unix seconds, as text).
pub fn last_used_key(name: &str) -> String {
    format!("codex-gateway/client-key-used/{name}")
}

/// The stored index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyIndex {
    /// Format version ([`INDEX_VERSION`]).
    pub version: u32,
    /// Every key, in the order made.
    pub keys: Vec<IndexEntry>,
}

/// One key of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The key's name.
    pub name: String,
    /// The SHA-256 of the key, where its record is.
    pub hash: String,
}

/// What a new key is to be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    /// Its name.
    pub name: String,
    /// Its model list (empty: any).
    #[serde(default)]
    pub models: Vec<String>,
    /// Its limits.
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// Seconds until it expires, if it does.
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
}

/// A key just made: the key itself (shown once) and its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The key.
    pub key: String,
    /// Its record.
    pub record: ClientKey,
}

fn kv_error(e: crate::ports::KvError) -> GatewayError {
    GatewayError::Kv(e.0)
}

/// The stored index (empty when there is none).
pub fn load_index(kv: &dyn Kv) -> Result<KeyIndex, GatewayError> {
    match kv.get(INDEX_KEY).map_err(kv_error)? {
        None => Ok(KeyIndex {
            version: INDEX_VERSION,
            keys: Vec::new(),
        }),
        Some(bytes) => serde_json::from_slice::<KeyIndex>(&bytes)
            .ok()
            .filter(|i| i.version == INDEX_VERSION)
            .ok_or_else(|| GatewayError::Kv("the client-key index is in an unknown format".into())),
    }
}

fn save_index(kv: &dyn Kv, index: &KeyIndex) -> Result<(), GatewayError> {
    let bytes = serde_json::to_vec(index).map_err(|e| GatewayError::Internal(e.to_string()))?;
    kv.set(INDEX_KEY, &bytes).map_err(kv_error)
}

fn save_record(kv: &dyn Kv, hash: &str, record: &ClientKey) -> Result<(), GatewayError> {
    let bytes = serde_json::to_vec(record).map_err(|e| GatewayError::Internal(e.to_string()))?;
    kv.set(&record_key(hash), &bytes).map_err(kv_error)
}

/// The record of a presented key, if it is a client key: one store read.
pub fn lookup(kv: &dyn Kv, presented: &str) -> Result<Option<ClientKey>, GatewayError> {
    let Some(bytes) = kv
        .get(&record_key(&key_hash(presented)))
        .map_err(kv_error)?
    else {
        return Ok(None);
    };
    Ok(serde_json::from_slice::<ClientKey>(&bytes)
        .ok()
        .filter(|r| r.version == RECORD_VERSION))
}

/// Make a key from `random` bytes at `now`.
pub fn create(
    kv: &dyn Kv,
    new: &NewKey,
    random: [u8; 32],
    now: i64,
) -> Result<Issued, GatewayError> {
    valid_name(&new.name).map_err(|e| GatewayError::bad_param("name", e))?;
    if let Some(secs) = new.expires_in_secs.filter(|s| *s <= 0) {
        return Err(GatewayError::bad_param(
            "expires_in_secs",
            format!("expires_in_secs must be positive, not {secs}"),
        ));
    }
    if let Some(model) = new.models.iter().find(|m| m.trim().is_empty()) {
        return Err(GatewayError::bad_param(
            "models",
            format!("model list entry {model:?} is empty"),
        ));
    }
    let mut index = load_index(kv)?;
    if index.keys.iter().any(|k| k.name == new.name) {
        return Err(GatewayError::bad_param(
            "name",
            format!("a key named {:?} exists; revoke or rotate it", new.name),
        ));
    }
    let key = new_key(random);
    let hash = key_hash(&key);
    let record = ClientKey {
        version: RECORD_VERSION,
        name: new.name.clone(),
        hint: hint_of(&key),
        created_at: now,
        expires_at: new.expires_in_secs.map(|s| now.saturating_add(s)),
        revoked_at: None,
        models: new.models.iter().map(|m| m.trim().to_owned()).collect(),
        limits: new.limits.clone(),
    };
    save_record(kv, &hash, &record)?;
    index.keys.push(IndexEntry {
        name: new.name.clone(),
        hash,
    });
    save_index(kv, &index)?;
    Ok(Issued { key, record })
}

/// Every key's record, in the order made (a record that cannot be read is left out).
pub fn list(kv: &dyn Kv) -> Result<Vec<ClientKey>, GatewayError> {
    let index = load_index(kv)?;
    let mut records = Vec::with_capacity(index.keys.len());
    for entry in &index.keys {
        if let Some(bytes) = kv.get(&record_key(&entry.hash)).map_err(kv_error)? {
            if let Ok(record) = serde_json::from_slice::<ClientKey>(&bytes) {
                records.push(record);
            }
        }
    }
    Ok(records)
}

fn find(kv: &dyn Kv, name: &str) -> Result<(KeyIndex, usize, ClientKey), GatewayError> {
    let index = load_index(kv)?;
    let unknown = || GatewayError::bad_param("name", format!("no key is named {name:?}"));
    let at = index
        .keys
        .iter()
        .position(|k| k.name == name)
        .ok_or_else(unknown)?;
    let hash = index
        .keys
        .get(at)
        .map(|k| k.hash.clone())
        .unwrap_or_default();
    let record = kv
        .get(&record_key(&hash))
        .map_err(kv_error)?
        .and_then(|b| serde_json::from_slice::<ClientKey>(&b).ok())
        .ok_or_else(unknown)?;
    Ok((index, at, record))
}

/// Revoke `name` at `now`: the key is refused from then on, with its own message; its record
/// and usage stay.
pub fn revoke(kv: &dyn Kv, name: &str, now: i64) -> Result<ClientKey, GatewayError> {
    let (index, at, mut record) = find(kv, name)?;
    record.revoked_at.get_or_insert(now);
    let hash = index
        .keys
        .get(at)
        .map(|k| k.hash.clone())
        .unwrap_or_default();
    save_record(kv, &hash, &record)?;
    Ok(record)
}

/// Give `name` a new key from `random` bytes: the old key stops working at once; the name,
/// model list, limits, expiry and usage stay. A revoked key comes back to life this way.
pub fn rotate(kv: &dyn Kv, name: &str, random: [u8; 32]) -> Result<Issued, GatewayError> {
    let (mut index, at, mut record) = find(kv, name)?;
    let key = new_key(random);
    let hash = key_hash(&key);
    record.hint = hint_of(&key);
    record.revoked_at = None;
    save_record(kv, &hash, &record)?;
    if let Some(entry) = index.keys.get_mut(at) {
        let old = std::mem::replace(&mut entry.hash, hash);
        kv.delete(&record_key(&old)).map_err(kv_error)?;
    }
    save_index(kv, &index)?;
    Ok(Issued { key, record })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mem_kv::MemKv;
    use crate::keys::limit::Limit;

    fn alice() -> NewKey {
        NewKey {
            name: "alice".into(),
            models: vec!["gpt-5.4".into()],
            limits: vec![Limit::parse("requests=10/5h").unwrap()],
            expires_in_secs: Some(3600),
        }
    }

    #[test]
    fn a_key_is_found_by_its_hash_and_only_the_hash_is_stored() {
        let kv = MemKv::new();
        let issued = create(&kv, &alice(), [1; 32], 1000).unwrap();
        assert_eq!(issued.record.expires_at, Some(4600));
        let found = lookup(&kv, &issued.key).unwrap().unwrap();
        assert_eq!(found, issued.record);
        assert!(lookup(&kv, "sk-cgw-other").unwrap().is_none());
        for name in kv.keys() {
            let value = kv.get(&name).unwrap().unwrap_or_default();
            let text = format!("{name}{}", String::from_utf8_lossy(&value));
            assert!(
                !text.contains(&issued.key),
                "the key itself is never stored"
            );
        }
        assert_eq!(list(&kv).unwrap(), [issued.record]);
    }

    #[test]
    fn names_are_unique_and_checked() {
        let kv = MemKv::new();
        create(&kv, &alice(), [1; 32], 0).unwrap();
        assert!(create(&kv, &alice(), [2; 32], 0)
            .unwrap_err()
            .to_string()
            .contains("exists"));
        let mut owner = alice();
        owner.name = "owner".into();
        assert_eq!(create(&kv, &owner, [3; 32], 0).unwrap_err().status(), 400);
        assert!(revoke(&kv, "bob", 0)
            .unwrap_err()
            .to_string()
            .contains("no key"));
    }

    #[test]
    fn revoke_keeps_the_record_and_rotate_replaces_the_key() {
        let kv = MemKv::new();
        let first = create(&kv, &alice(), [1; 32], 0).unwrap();
        let revoked = revoke(&kv, "alice", 50).unwrap();
        assert_eq!(revoked.revoked_at, Some(50));
        assert_eq!(
            lookup(&kv, &first.key).unwrap().unwrap().revoked_at,
            Some(50)
        );
        let second = rotate(&kv, "alice", [2; 32]).unwrap();
        assert_ne!(second.key, first.key);
        assert!(
            lookup(&kv, &first.key).unwrap().is_none(),
            "the old key is gone"
        );
        let found = lookup(&kv, &second.key).unwrap().unwrap();
        assert_eq!((found.revoked_at, found.limits.len()), (None, 1));
        assert_eq!(load_index(&kv).unwrap().keys.len(), 1);
    }
}
