//! Writing to a WASI output stream in as few host writes as its budget allows.
//!
//! `blocking-write-and-flush` takes at most 4096 bytes a call; `check-write` grants far more
//! (1 MiB per write on wasmtime's HTTP bodies), so a body of a few KiB is one write.

use wasi::io::streams::{OutputStream, StreamError};

/// Write all of `bytes`, waiting for budget when the host has none.
pub fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        let budget = stream.check_write()?;
        if budget == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = bytes
            .len()
            .min(usize::try_from(budget).unwrap_or(usize::MAX));
        let (now, rest) = bytes.split_at(n);
        stream.write(now)?;
        bytes = rest;
    }
    Ok(())
}
