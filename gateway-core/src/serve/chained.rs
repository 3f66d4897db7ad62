//! Several upstream bodies read as one, one after another: the calls of an Images API request
//! are all in flight before the first body is read, so each image is drawn while the earlier
//! ones are still being read.

use std::collections::VecDeque;

use super::host::UpstreamBody;
use crate::error::GatewayError;

/// Bodies read in order; a body's end moves on to the next.
pub struct Chained<B> {
    bodies: VecDeque<B>,
}

impl<B> Chained<B> {
    /// `bodies`, in the order they are read.
    pub fn new(bodies: impl IntoIterator<Item = B>) -> Self {
        Self {
            bodies: bodies.into_iter().collect(),
        }
    }
}

impl<B: UpstreamBody> UpstreamBody for Chained<B> {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        while let Some(current) = self.bodies.front_mut() {
            match current.next_chunk().await? {
                Some(chunk) => return Ok(Some(chunk)),
                None => {
                    self.bodies.pop_front();
                }
            }
        }
        Ok(None)
    }

    async fn chunk_if_ready(&mut self) -> Result<Option<Vec<u8>>, GatewayError> {
        while let Some(current) = self.bodies.front_mut() {
            match current.chunk_if_ready().await? {
                Some(chunk) => return Ok(Some(chunk)),
                None if current.ended() => {
                    self.bodies.pop_front();
                }
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    fn ended(&self) -> bool {
        self.bodies.iter().all(UpstreamBody::ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ready::Now;
    use crate::serve::testkit::body;

    #[test]
    fn bodies_are_read_whole_one_after_another() {
        let mut chained = Chained::new([body(&[b"a1", b"a2"]), body(&[]), body(&[b"c1"])]);
        let mut read = Vec::new();
        while let Some(chunk) = chained.next_chunk().now().unwrap() {
            read.push(String::from_utf8(chunk).unwrap());
        }
        assert_eq!(read, ["a1", "a2", "c1"]);
        assert!(chained.ended());
    }
}
