//! Compressed request bodies: `content-encoding: gzip` or `zstd` (the Codex CLI can compress
//! what it sends) is decoded within the body limit, counted on the decoded size, so a small
//! compressed body cannot expand past what the gateway accepts. Any other encoding is refused;
//! compressed bytes are never parsed as if they were JSON.

use std::io::Read;

use crate::error::GatewayError;

/// The largest zstd window accepted: bounds what a frame can make the decoder allocate.
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
            read_within(flate2::read::GzDecoder::new(body.as_slice()), limit, "gzip")
        }
        Some("zstd") => {
            let window = u64::try_from(limit)
                .unwrap_or(u64::MAX)
                .clamp(1 << 20, MAX_ZSTD_WINDOW);
            let decoder = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                body.as_slice(),
                window,
            )
            .map_err(|_| corrupt("zstd"))?;
            read_within(decoder, limit, "zstd")
        }
        Some(other) => Err(GatewayError::UnsupportedEncoding(
            other.chars().take(40).collect(),
        )),
    }
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
    }
}
