//! The Images API's JSON answer, folded from the frames of every call.

use serde_json::{Map, Value};

use super::stream::{GeneratedImage, ImageFrame, ImageUsage};
use crate::error::GatewayError;

/// Collects finished images into `{"created", "data", …, "usage"}`.
#[derive(Debug)]
pub struct ImagesBuilder {
    created: i64,
    images: Vec<GeneratedImage>,
    failed: Option<GatewayError>,
}

impl ImagesBuilder {
    /// An answer created at `created`.
    pub fn new(created: i64) -> Self {
        Self {
            created,
            images: Vec::new(),
            failed: None,
        }
    }

    /// Add one frame; partial images are not part of a JSON answer.
    pub fn push(&mut self, frame: &ImageFrame) {
        match frame {
            ImageFrame::Completed(image) => self.images.push(image.clone()),
            ImageFrame::Error(err) => {
                self.failed.get_or_insert_with(|| err.clone());
            }
            ImageFrame::Partial(_) => {}
        }
    }

    /// The answer, or why there is none. The options the answer states are the first image's.
    pub fn finish(self) -> Result<Vec<u8>, GatewayError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let Some(first) = self.images.first() else {
            return Err(GatewayError::upstream_error(
                "upstream completed without an image",
            ));
        };
        let mut answer = Map::new();
        answer.insert("created".into(), self.created.into());
        let data: Vec<Value> = self
            .images
            .iter()
            .map(|image| {
                let mut entry = Map::new();
                entry.insert("b64_json".into(), image.b64_json.clone().into());
                if let Some(revised) = &image.revised_prompt {
                    entry.insert("revised_prompt".into(), revised.clone().into());
                }
                Value::Object(entry)
            })
            .collect();
        answer.insert("data".into(), data.into());
        let meta = &first.meta;
        for (name, value) in [
            ("background", &meta.background),
            ("output_format", &meta.output_format),
            ("quality", &meta.quality),
            ("size", &meta.size),
        ] {
            // `auto` is what was asked, not what was drawn: the answer leaves it out.
            if let Some(value) = value.as_deref().filter(|v| *v != "auto") {
                answer.insert(name.into(), value.into());
            }
        }
        let usage = self
            .images
            .iter()
            .fold(ImageUsage::default(), |sum, image| sum.plus(image.usage));
        answer.insert("usage".into(), usage.to_json());
        serde_json::to_vec(&Value::Object(answer))
            .map_err(|e| GatewayError::Internal(e.to_string()))
    }
}
