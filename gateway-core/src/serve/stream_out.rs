//! A streamed answer on its way out, shaped for a host without `TCP_NODELAY`: what one upstream
//! read produced leaves in one write, the 200 head leaves with the first of it, and the closing
//! bytes leave with the end of the body. Nothing waits for more upstream data than has arrived.

use super::host::{BodyOut, ClientGone, Reply};
use super::responder::Responder;

/// Bytes of one streamed answer, queued per upstream read.
pub struct StreamOut<'a, R: Reply> {
    out: &'a mut Responder<R>,
    headers: &'a [(String, String)],
    writer: Option<R::Body>,
    pending: Vec<u8>,
}

impl<'a, R: Reply> StreamOut<'a, R> {
    /// A 200 stream with `headers`, not started yet.
    pub fn new(out: &'a mut Responder<R>, headers: &'a [(String, String)]) -> Self {
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
    pub async fn flush(&mut self) -> Result<(), ClientGone> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = match &mut self.writer {
            Some(w) => w.write(&self.pending).await,
            None => match self.out.relay(200, self.headers, None, &self.pending).await {
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
    pub async fn close(mut self, last: &[u8]) {
        self.pending.extend_from_slice(last);
        match self.writer {
            Some(w) => w.finish_with(&self.pending).await,
            None => {
                self.out
                    .whole_stream(200, self.headers, &self.pending)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ready::Now;
    use std::cell::RefCell;

    use super::*;
    use crate::serve::testkit::{RecordingReply, Sent};

    #[test]
    fn a_stream_leaves_one_write_per_flush_with_the_head_first_and_the_end_last() {
        let sent = RefCell::new(Sent::default());
        let mut out = Responder::new(RecordingReply(&sent), "r".into());
        let headers = [("content-type".to_owned(), "text/event-stream".to_owned())];
        let mut stream = StreamOut::new(&mut out, &headers);
        assert_eq!(stream.flush().now(), Ok(()), "nothing queued: nothing sent");
        assert!(!stream.started());
        stream.queue(b"a");
        stream.queue(b"b");
        stream.flush().now().unwrap();
        stream.queue(b"c");
        stream.flush().now().unwrap();
        stream.queue(b"d");
        stream.close(b"[end]").now();
        drop(out);
        let sent = sent.into_inner();
        assert_eq!(
            sent.writes,
            [b"ab".to_vec(), b"c".to_vec(), b"d[end]".to_vec()]
        );
        assert_eq!(
            sent.header("content-length"),
            None,
            "a stream has no length"
        );
        assert_eq!(sent.ended, Some(true));
    }

    #[test]
    fn a_stream_that_ends_before_its_first_flush_is_one_whole_answer() {
        let sent = RefCell::new(Sent::default());
        let mut out = Responder::new(RecordingReply(&sent), "r".into());
        let stream = StreamOut::new(&mut out, &[]);
        stream.close(b"all of it").now();
        drop(out);
        let sent = sent.into_inner();
        assert_eq!(sent.writes, [b"all of it".to_vec()]);
        assert_eq!(sent.ended, Some(true));
    }
}
