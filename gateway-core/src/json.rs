//! JSON helpers shared by the translations: an object kept byte for byte as its ordered
//! entries (the pass-through view of a body), raw literals, and the 400 for a body that is not
//! an object.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::GatewayError;

/// A JSON object kept as its ordered `(key, raw value)` entries: the pass-through view of a body.
///
/// Values are never re-parsed or re-formatted, so numbers keep their exact digits and untouched
/// keys keep their order. Duplicate keys are kept as sent.
#[derive(Debug, Default, Clone)]
pub struct RawObject {
    /// The entries, in the client's order.
    pub entries: Vec<(String, Box<RawValue>)>,
}

impl RawObject {
    /// The raw value of the first entry named `key`.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &**v)
    }

    /// Whether an entry named `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Remove every entry named `key`; returns the first removed value.
    pub fn remove(&mut self, key: &str) -> Option<Box<RawValue>> {
        let mut first = None;
        let mut kept = Vec::with_capacity(self.entries.len());
        for (k, v) in std::mem::take(&mut self.entries) {
            if k == key {
                first.get_or_insert(v);
            } else {
                kept.push((k, v));
            }
        }
        self.entries = kept;
        first
    }

    /// Replace the first entry named `key` in place (dropping duplicates), or append it.
    pub fn set(&mut self, key: &str, value: Box<RawValue>) {
        let mut value = Some(value);
        let mut seen = false;
        self.entries.retain_mut(|(k, v)| {
            if k != key {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            if let Some(new) = value.take() {
                *v = new;
            }
            true
        });
        if let Some(value) = value {
            self.entries.push((key.to_owned(), value));
        }
    }

    /// Compact JSON of the object: keys re-escaped, values copied byte for byte.
    pub fn to_json(&self) -> String {
        let size = self
            .entries
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum::<usize>();
        let mut out = String::with_capacity(size + 2);
        out.push('{');
        for (i, (key, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Serialising a `str` cannot fail; an empty key is the harmless fallback.
            out.push_str(&serde_json::to_string(key).unwrap_or_else(|_| "\"\"".to_owned()));
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Box<RawValue>>()?;
                    entries.push((key, value));
                }
                Ok(RawObject { entries })
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A raw JSON literal we build ourselves (`true`, `false`, a serialised string…).
pub fn raw_json(text: String) -> Box<RawValue> {
    // Callers only pass serde_json output or literals, which are always valid JSON.
    RawValue::from_string(text).unwrap_or_default()
}

/// A string as a raw JSON string literal.
pub fn raw_string(s: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(s).unwrap_or_default()
}

/// The 400 for a body that does not start with `{`: empty, not JSON, or JSON of another type.
pub fn not_an_object(body: &[u8]) -> GatewayError {
    if body.iter().all(u8::is_ascii_whitespace) {
        return GatewayError::bad_request("request body is empty; expected a JSON object");
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => GatewayError::bad_request("request body must be a JSON object"),
        Err(e) => GatewayError::bad_request(format!("invalid JSON: {e}")),
    }
}

/// Whether the first non-blank byte opens an object.
pub fn is_object(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_object_keeps_order_and_number_bytes() {
        let body =
            r#"{"b":12345678901234567890123,"a":0.1000000000000000055511151231257827,"c":[1, 2]}"#;
        let obj: RawObject = serde_json::from_str(body).unwrap();
        assert_eq!(
            obj.to_json(),
            r#"{"b":12345678901234567890123,"a":0.1000000000000000055511151231257827,"c":[1, 2]}"#
        );
    }

    #[test]
    fn raw_object_set_replaces_in_place_and_drops_duplicates() {
        let mut obj: RawObject = serde_json::from_str(r#"{"x":1,"s":true,"y":2,"s":3}"#).unwrap();
        obj.set("s", raw_json("false".into()));
        obj.set("z", raw_string("new"));
        assert_eq!(obj.to_json(), r#"{"x":1,"s":false,"y":2,"z":"new"}"#);
        assert_eq!(
            obj.remove("x").map(|v| v.get().to_owned()),
            Some("1".into())
        );
        assert!(!obj.contains("x"));
    }
}
