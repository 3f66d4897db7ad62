//! `multipart/form-data` request bodies (`/v1/images/edits`), read with multer from the body the
//! gateway already holds within `max_body_bytes`.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::error::GatewayError;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file part.
    pub file_name: Option<String>,
    /// The part's own `content-type`, if it gave one.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// Most parts one form may have: the images, a mask and a dozen fields fit many times over.
const MAX_PARTS: usize = 64;

/// The parts of `body`, a form whose request `content-type` is `content_type`.
pub fn parse_multipart(content_type: &str, body: Vec<u8>) -> Result<Vec<Part>, GatewayError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        GatewayError::bad_request(
            "the body must be multipart/form-data with a boundary in its content-type",
        )
    })?;
    let chunks = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(chunks, boundary);
    let parts = async move {
        let mut parts = Vec::new();
        while let Some(field) = form.next_field().await? {
            if parts.len() == MAX_PARTS {
                return Ok(None);
            }
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(ToString::to_string);
            let data = field.bytes().await?.to_vec();
            parts.push(Part {
                name,
                file_name,
                content_type,
                data,
            });
        }
        Ok::<_, multer::Error>(Some(parts))
    };
    match run_ready(parts) {
        Some(Ok(Some(parts))) => Ok(parts),
        Some(Ok(None)) => Err(GatewayError::bad_request(format!(
            "the form has more than {MAX_PARTS} parts"
        ))),
        // multer's messages describe the form's structure, never its content.
        Some(Err(err)) => Err(GatewayError::bad_request(format!(
            "malformed multipart/form-data body: {err}"
        ))),
        None => Err(GatewayError::Internal(
            "multipart reader did not finish".into(),
        )),
    }
}

/// The text of the form field `name` of a form body, if the body is a form that has it (a
/// body that is not is left for the route to refuse).
pub fn form_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let parts = parse_multipart(content_type, body.to_vec()).ok()?;
    let part = parts
        .into_iter()
        .find(|p| p.name == name && p.file_name.is_none())?;
    String::from_utf8(part.data).ok()
}

/// Run a future whose input is all in memory: it completes without waiting on anything, so it
/// is polled a bounded number of times, never parked.
fn run_ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1024 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=XyZ";

    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, file, data) in parts {
            body.extend_from_slice(b"--XyZ\r\n");
            let disposition = match file {
                Some(file) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: image/png\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        body
    }

    #[test]
    fn fields_and_files_come_back_in_order_with_their_bytes() {
        let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00binary\r\n--not-a-boundary";
        let body = form(&[
            ("prompt", None, b"add a hat"),
            ("image[]", Some("a.png"), png),
        ]);
        let parts = parse_multipart(TYPE, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].data.as_slice()),
            ("prompt", &b"add a hat"[..])
        );
        assert_eq!(parts[1].file_name.as_deref(), Some("a.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, png);
    }

    #[test]
    fn malformed_forms_are_bad_requests() {
        let truncated = form(&[("prompt", None, b"x")]);
        let truncated = truncated[..truncated.len() - 10].to_vec();
        for (content_type, body) in [
            ("application/json", b"{}".to_vec()),
            ("multipart/form-data", b"--XyZ--\r\n".to_vec()),
            (TYPE, b"no boundary here at all".to_vec()),
            (TYPE, truncated),
        ] {
            let err = parse_multipart(content_type, body).unwrap_err();
            assert_eq!(err.status(), 400, "{content_type}: {err}");
        }
    }
}
