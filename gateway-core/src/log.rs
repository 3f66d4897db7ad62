//! Log lines in text or JSON, level-filtered, never carrying secrets.
//!
//! Formatting only: the host writes the line to stdout (Spin captures it). Every line carries the
//! request id. Field names that smell of a secret are redacted as a second line of defence; the
//! first is that callers never pass secrets in.

use serde::Serialize;

use crate::spelling::lookup;

/// Minimum severity that is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Diagnostics.
    Debug,
    /// Normal operation (the access log).
    Info,
    /// Something went wrong outside our control.
    Warn,
    /// Our own bug or a misconfiguration.
    Error,
}

impl LogLevel {
    /// The accepted spellings (any case).
    pub const VALUES: &'static [(&'static str, Self)] = &[
        ("debug", Self::Debug),
        ("info", Self::Info),
        ("warn", Self::Warn),
        ("warning", Self::Warn),
        ("error", Self::Error),
    ];

    /// Parse one of [`Self::VALUES`].
    pub fn parse(raw: &str) -> Option<Self> {
        lookup(Self::VALUES, raw)
    }

    fn label(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }
}

/// Shape of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-01-01T00:00:00.000Z INFO gateway.request.completed request_id=… k=v`
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// The accepted spellings (any case).
    pub const VALUES: &'static [(&'static str, Self)] =
        &[("text", Self::Text), ("json", Self::Json)];

    /// Parse one of [`Self::VALUES`].
    pub fn parse(raw: &str) -> Option<Self> {
        lookup(Self::VALUES, raw)
    }
}

/// A field value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Field {
    /// Text.
    Str(String),
    /// Integer.
    Int(i64),
    /// Flag.
    Bool(bool),
}

impl From<&str> for Field {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}
impl From<String> for Field {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}
impl From<i64> for Field {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<u16> for Field {
    fn from(v: u16) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<bool> for Field {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

const SECRET_NAMES: &[&str] = &[
    "authorization",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "secret",
    "password",
    "client_secret",
];

/// Format one line (without the trailing newline).
pub fn format_line(
    format: LogFormat,
    now_ms: i64,
    level: LogLevel,
    event: &str,
    request_id: &str,
    fields: &[(&str, Field)],
) -> String {
    let ts = rfc3339_ms(now_ms);
    let redacted = fields.iter().map(|(k, v)| {
        let secret = SECRET_NAMES.contains(&k.to_ascii_lowercase().replace('-', "_").as_str());
        let value = if secret {
            Field::Str("[REDACTED]".into())
        } else {
            v.clone()
        };
        (*k, value)
    });
    match format {
        LogFormat::Json => {
            let mut map = serde_json::Map::new();
            map.insert("ts".into(), ts.into());
            map.insert("level".into(), level.label().into());
            map.insert("event".into(), event.into());
            map.insert("request_id".into(), request_id.into());
            for (k, v) in redacted {
                let value = match v {
                    Field::Str(s) => serde_json::Value::from(s),
                    Field::Int(i) => serde_json::Value::from(i),
                    Field::Bool(b) => serde_json::Value::from(b),
                };
                map.insert(k.to_owned(), value);
            }
            serde_json::Value::Object(map).to_string()
        }
        LogFormat::Text => {
            let mut line = format!("{ts} {} {event} request_id={request_id}", level.label());
            for (k, v) in redacted {
                line.push(' ');
                line.push_str(k);
                line.push('=');
                match v {
                    Field::Str(s) => push_text_value(&mut line, &s),
                    Field::Int(i) => line.push_str(&i.to_string()),
                    Field::Bool(b) => line.push_str(if b { "true" } else { "false" }),
                }
            }
            line
        }
    }
}

fn push_text_value(line: &mut String, value: &str) {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '=' && c != '\\');
    if plain {
        line.push_str(value);
    } else {
        // Debug-escaping keeps one event on one line whatever the value holds.
        line.push_str(&format!("{value:?}"));
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` from Unix milliseconds (UTC).
pub fn rfc3339_ms(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::calendar::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn text_and_json_lines() {
        let fields = [
            ("method", Field::from("GET")),
            ("status", Field::from(200u16)),
            ("authorization", Field::from("Bearer sk-x")),
            ("note", Field::from("two words")),
        ];
        let text = format_line(
            LogFormat::Text,
            0,
            LogLevel::Info,
            "gateway.request.completed",
            "r1",
            &fields,
        );
        assert_eq!(
            text,
            "1970-01-01T00:00:00.000Z INFO gateway.request.completed request_id=r1 method=GET status=200 authorization=[REDACTED] note=\"two words\""
        );
        let json = format_line(LogFormat::Json, 0, LogLevel::Warn, "e", "r1", &fields);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["status"], 200);
        assert_eq!(v["authorization"], "[REDACTED]");
        assert!(!json.contains("sk-x"));
    }

    #[test]
    fn levels_order_and_parse() {
        assert!(LogLevel::Debug < LogLevel::Info);
        assert_eq!(LogLevel::parse("WARN"), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("verbose"), None);
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
    }
}
