//! A streamed answer on its way out, shaped for a host without `TCP_NODELAY`: what one upstream
//! read produced leaves in one write, the 200 head leaves with the first of it, and the closing
//! bytes leave with the end of the body. Nothing waits for more upstream data than has arrived.

use super::downstream::{BodyWriter, ClientGone, Responder};

/// Bytes of one streamed answer, queued per upstream read.
pub struct StreamOut<'a> {
    out: &'a mut Responder,
    headers: &'a [(String, String)],
    writer: Option<BodyWriter>,
    pending: Vec<u8>,
}

impl<'a> StreamOut<'a> {
    /// A 200 stream with `headers`, not started yet.
    pub fn new(out: &'a mut Responder, headers: &'a [(String, String)]) -> Self {
        Self {
            out,
            headers,
            writer: None,
            pending: Vec::new(),
        }
    }

    /// Whether any byte has left (or is queued to leave) for the client.
    pub fn started(&self) -> bool {
        self.writer.is_some() || !self.pending.is_empty()
    }

    /// Add bytes to the next write.
    pub fn queue(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// Hand the queued bytes to the client (the first time, with the head).
    pub fn flush(&mut self) -> Result<(), ClientGone> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = match &mut self.writer {
            Some(w) => w.write(&self.pending),
            None => match self.out.stream(200, self.headers, &self.pending) {
                Some(w) => {
                    self.writer = Some(w);
                    Ok(())
                }
                None => Err(ClientGone),
            },
        };
        self.pending.clear();
        result
    }

    /// The queued bytes and `last`, then the end of the body, in one write where they fit.
    pub fn close(mut self, last: &[u8]) {
        self.pending.extend_from_slice(last);
        match self.writer {
            Some(w) => w.finish_with(&self.pending),
            None => self.out.whole_stream(200, self.headers, &self.pending),
        }
    }
}
