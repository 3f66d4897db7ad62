//! Compressed request bodies: `content-encoding: gzip` or `zstd` (the Codex CLI can compress
//! what it sends) is decoded within the body limit, counted on the decoded size, so a small
//! compressed body cannot expand past what the gateway accepts. Any other encoding is refused;
//! compressed bytes are never parsed as if they were JSON.

use std::io::Read;

use crate::error::GatewayError;

/// The largest zstd window accepted: bounds what a frame can make the decoder allocate. The
/// zstd tool's levels use windows up to 8 MiB.
const MAX_ZSTD_WINDOW: u64 = 32 * 1024 * 1024;

/// `body` decoded as its `content-encoding` header says, at most `limit` bytes once decoded.
pub fn decode(
    encoding: Option<&str>,
    body: Vec<u8>,
    limit: usize,
) -> Result<Vec<u8>, GatewayError> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("" | "identity") => Ok(body),
        Some("gzip" | "x-gzip") => {
            let members = flate2::read::MultiGzDecoder::new(body.as_slice());
            read_within(members, limit, "gzip")
        }
        Some("zstd") => zstd_frames(&body, limit),
        Some(other) => Err(GatewayError::UnsupportedEncoding(
            other.chars().take(40).collect(),
        )),
    }
}

/// Every frame of a zstd body, in order, within `limit` in all.
fn zstd_frames(mut body: &[u8], limit: usize) -> Result<Vec<u8>, GatewayError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let left = limit.saturating_sub(out.len());
        let mut decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
            &mut body,
            MAX_ZSTD_WINDOW,
        )
        .map_err(|_| corrupt("zstd"))?;
        let frame = read_within(&mut decoder, left, "zstd")?;
        drop(decoder);
        out.extend_from_slice(&frame);
    }
    Ok(out)
}

fn read_within(reader: impl Read, limit: usize, name: &str) -> Result<Vec<u8>, GatewayError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| corrupt(name))?;
    if out.len() > limit {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    Ok(out)
}

fn corrupt(name: &str) -> GatewayError {
    GatewayError::bad_request(format!(
        "request body could not be decoded as {name} (content-encoding)"
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    #[test]
    fn gzip_and_zstd_decode_and_identity_passes() {
        let json = br#"{"model":"gpt-5.4","input":"hi"}"#.to_vec();
        assert_eq!(decode(Some("gzip"), gzip(&json), 1024).unwrap(), json);
        assert_eq!(decode(Some(" ZSTD "), zstd(&json), 1024).unwrap(), json);
        assert_eq!(decode(None, json.clone(), 1024).unwrap(), json);
        assert_eq!(decode(Some("identity"), json.clone(), 1024).unwrap(), json);
    }

    #[test]
    fn the_limit_counts_decoded_bytes() {
        let big = vec![b'a'; 100_000];
        for (name, body) in [("gzip", gzip(&big)), ("zstd", zstd(&big))] {
            assert!(body.len() < 10_000, "{name} compresses");
            let err = decode(Some(name), body.clone(), 99_999).unwrap_err();
            assert_eq!(err.status(), 413, "{name}");
            assert_eq!(decode(Some(name), body, 100_000).unwrap().len(), 100_000);
        }
    }

    #[test]
    fn unknown_encodings_are_415_and_garbage_is_400() {
        for other in ["br", "deflate", "gzip, zstd", "compress"] {
            let err = decode(Some(other), b"{}".to_vec(), 1024).unwrap_err();
            assert_eq!(
                (err.status(), err.code()),
                (415, "unsupported_content_encoding"),
                "{other}"
            );
        }
        for name in ["gzip", "zstd"] {
            let err = decode(Some(name), br#"{"not":"compressed"}"#.to_vec(), 1024).unwrap_err();
            assert_eq!(err.status(), 400, "{name}");
        }
        let mut trailing = zstd(b"{}");
        trailing.extend_from_slice(b"junk");
        assert_eq!(
            decode(Some("zstd"), trailing, 1024).unwrap_err().status(),
            400
        );
    }

    #[test]
    fn every_member_and_frame_is_decoded() {
        let two_members = [gzip(b"{\"a\":"), gzip(b"1}")].concat();
        assert_eq!(
            decode(Some("gzip"), two_members, 1024).unwrap(),
            b"{\"a\":1}"
        );
        let two_frames = [zstd(b"{\"a\":"), zstd(b"1}")].concat();
        assert_eq!(
            decode(Some("zstd"), two_frames, 1024).unwrap(),
            b"{\"a\":1}"
        );
        let big = [zstd(&[b'a'; 600]), zstd(&[b'b'; 600])].concat();
        assert_eq!(decode(Some("zstd"), big, 1000).unwrap_err().status(), 413);
    }
}
