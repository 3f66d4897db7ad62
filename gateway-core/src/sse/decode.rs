//! Incremental server-sent-events decoder: bytes in, complete events out.
//!
//! It knows the SSE framing (WHATWG "event stream interpretation") and nothing about JSON. It
//! never buffers more than one event (`max_event_bytes`), never trims `data` beyond the single
//! leading space the spec strips, and never loses or reorders the bytes of an event: `raw` is
//! what the upstream sent, so pass-through can forward it unchanged.

use crate::error::GatewayError;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when one was sent (an empty value counts as absent).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The exact bytes of this event as received, up to and including its terminating blank
    /// line. Only when the CR and LF of the CRLF closing an event arrive in two different
    /// pushes does that LF start the next block instead (the event is not held back for it).
    pub raw: Vec<u8>,
}

/// Why the byte stream cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One event grew past the configured cap; the decoder refuses further input.
    #[error("upstream sent an event larger than {limit} bytes")]
    EventTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The stream ended in the middle of an event.
    #[error("upstream stream ended in the middle of an event")]
    Truncated,
}

impl From<SseError> for GatewayError {
    fn from(err: SseError) -> Self {
        GatewayError::upstream_error(err.to_string())
    }
}

/// Feeds on arbitrary byte chunks and yields complete events.
///
/// Chunk boundaries may fall anywhere (inside a line, between CR and LF, one byte at a time);
/// LF, CRLF and CR line ends are all accepted; comments (`:` lines), `id:` and `retry:` are
/// ignored; blocks without `data:` are dropped.
///
/// ```
/// use gateway_core::sse::decode::SseDecoder;
///
/// let mut decoder = SseDecoder::new(1 << 20);
/// let mut events = decoder.push(b"event: response.created\ndata: {\"a\":")?;
/// assert!(events.is_empty()); // nothing complete yet
/// events.extend(decoder.push(b"1}\n\n: keep-alive\n\ndata: x\r\ndata: y\r\n\r\n")?);
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[0].event.as_deref(), Some("response.created"));
/// assert_eq!(events[0].data, "{\"a\":1}");
/// assert_eq!(events[1].data, "x\ny");
/// decoder.finish()?; // nothing pending
/// # Ok::<(), gateway_core::sse::decode::SseError>(())
/// ```
#[derive(Debug)]
pub struct SseDecoder {
    max_event_bytes: usize,
    /// Raw bytes of the block being received (since the last blank line).
    block: Vec<u8>,
    /// Offset in `block` where the current, unterminated line starts.
    line_start: usize,
    /// The previous line ended with CR: a following LF belongs to that line end.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    failed: bool,
}

impl SseDecoder {
    /// A decoder that refuses events larger than `max_event_bytes` (raw bytes).
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            block: Vec::new(),
            line_start: 0,
            after_cr: false,
            event: None,
            data: String::new(),
            has_data: false,
            failed: false,
        }
    }

    /// Feeds the next chunk; returns the events it completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let too_large = SseError::EventTooLarge {
            limit: self.max_event_bytes,
        };
        if self.failed {
            return Err(too_large);
        }
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some((b'\n', tail)) = rest.split_first() {
                    self.block.push(b'\n');
                    self.line_start = self.block.len();
                    rest = tail;
                    continue;
                }
            }
            let Some(end) = memchr::memchr2(b'\n', b'\r', rest) else {
                self.extend_block(rest)?;
                break;
            };
            let (line, tail) = rest.split_at(end);
            let Some((&terminator, tail)) = tail.split_first() else {
                break; // unreachable: `end` indexes a terminator
            };
            self.extend_block(line)?;
            self.block.push(terminator);
            let mut terminator_len = 1;
            rest = tail;
            if terminator == b'\r' {
                if let Some((b'\n', tail)) = rest.split_first() {
                    self.block.push(b'\n');
                    terminator_len = 2;
                    rest = tail;
                } else {
                    self.after_cr = rest.is_empty();
                }
            }
            self.check_size()?;
            if let Some(event) = self.end_line(terminator_len) {
                out.push(event);
            }
        }
        Ok(out)
    }

    /// Call at upstream end of file: fails when an event was only partly received.
    pub fn finish(&mut self) -> Result<(), SseError> {
        if self.failed {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_bytes,
            });
        }
        let partial_line = self.block.get(self.line_start..).unwrap_or_default();
        let partial_field = partial_line.first().is_some_and(|b| *b != b':');
        let pending = self.has_data || self.event.is_some() || partial_field;
        *self = Self::new(self.max_event_bytes);
        if pending {
            Err(SseError::Truncated)
        } else {
            Ok(())
        }
    }

    /// Appends to the block unless that would pass the cap (checked first, so a huge chunk
    /// without line breaks is refused before it is copied).
    fn extend_block(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.block.len().saturating_add(bytes.len()) > self.max_event_bytes {
            return self.refuse();
        }
        self.block.extend_from_slice(bytes);
        Ok(())
    }

    fn check_size(&mut self) -> Result<(), SseError> {
        if self.block.len() > self.max_event_bytes {
            return self.refuse();
        }
        Ok(())
    }

    /// Drops everything buffered and refuses all further input.
    fn refuse(&mut self) -> Result<(), SseError> {
        *self = Self::new(self.max_event_bytes);
        self.failed = true;
        Err(SseError::EventTooLarge {
            limit: self.max_event_bytes,
        })
    }

    /// Interprets the line that was just terminated (the last `terminator_len` bytes of `block`).
    fn end_line(&mut self, terminator_len: usize) -> Option<SseEvent> {
        let line_end = self.block.len().saturating_sub(terminator_len);
        let line = self
            .block
            .get(self.line_start..line_end)
            .unwrap_or_default();
        self.line_start = self.block.len();
        if line.is_empty() {
            return self.dispatch();
        }
        let (name, value) = split_field(line);
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                // Valid UTF-8 (every upstream event) is copied as is; lossy decoding walks the
                // bytes in chunks and costs more per event.
                match std::str::from_utf8(value) {
                    Ok(text) => self.data.push_str(text),
                    Err(_) => self.data.push_str(&String::from_utf8_lossy(value)),
                }
                self.has_data = true;
            }
            b"event" => {
                self.event =
                    Some(String::from_utf8_lossy(value).into_owned()).filter(|e| !e.is_empty());
            }
            _ => {} // comments, id, retry and unknown fields
        }
        None
    }

    /// A blank line: hand out the block as an event if it carried data, else drop it.
    fn dispatch(&mut self) -> Option<SseEvent> {
        let raw = std::mem::take(&mut self.block);
        self.line_start = 0;
        let event = self.event.take();
        let data = std::mem::take(&mut self.data);
        let has_data = std::mem::replace(&mut self.has_data, false);
        has_data.then_some(SseEvent { event, data, raw })
    }
}

/// Splits `name:value`, stripping one space after the colon. A comment has an empty name.
fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|b| *b == b':') {
        Some(colon) => {
            let (name, rest) = line.split_at(colon);
            let value = rest.get(1..).unwrap_or_default();
            (name, value.strip_prefix(b" ").unwrap_or(value))
        }
        None => (line, &[]),
    }
}

#[cfg(test)]
mod tests;
