//! The non-stream Messages answer: the fold of the stream's own events, so there is one mapping
//! of blocks, stop reasons and usage, not two.

use serde_json::value::RawValue;

use super::stream::MessagesFrame;
use crate::anthropic::message::{BlockDelta, ContentBlock, MessageObject, StreamEvent};
use crate::error::GatewayError;

/// Builds the `message` from stream frames.
#[derive(Debug, Default)]
pub struct MessageBuilder {
    message: Option<MessageObject>,
    /// Tool arguments gathered per block, parsed when the block stops.
    arguments: Vec<(usize, String)>,
    failure: Option<GatewayError>,
}

impl MessageBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one frame.
    pub fn push(&mut self, frame: &MessagesFrame) {
        let event = match frame {
            MessagesFrame::Error(err) => {
                self.failure.get_or_insert_with(|| err.clone());
                return;
            }
            MessagesFrame::Event(event) => event,
        };
        match event {
            StreamEvent::MessageStart { message } => self.message = Some(message.clone()),
            StreamEvent::ContentBlockStart { content_block, .. } => {
                if let Some(m) = &mut self.message {
                    m.content.push(content_block.clone());
                }
            }
            StreamEvent::ContentBlockDelta { index, delta } => self.delta(*index, delta),
            StreamEvent::ContentBlockStop { index } => self.stop(*index),
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(m) = &mut self.message {
                    m.stop_reason = Some(delta.stop_reason);
                    m.usage = usage.clone();
                }
            }
            StreamEvent::MessageStop => {}
        }
    }

    fn delta(&mut self, index: usize, delta: &BlockDelta) {
        let Some(block) = self.message.as_mut().and_then(|m| m.content.get_mut(index)) else {
            return;
        };
        match (block, delta) {
            (ContentBlock::Text { text }, BlockDelta::TextDelta { text: more }) => {
                text.push_str(more);
            }
            (
                ContentBlock::Thinking { thinking, .. },
                BlockDelta::ThinkingDelta { thinking: more },
            ) => {
                thinking.push_str(more);
            }
            (
                ContentBlock::Thinking { signature, .. },
                BlockDelta::SignatureDelta { signature: s },
            ) => {
                signature.clone_from(s);
            }
            (ContentBlock::ToolUse { .. }, BlockDelta::InputJsonDelta { partial_json }) => {
                match self.arguments.iter_mut().find(|(i, _)| *i == index) {
                    Some((_, args)) => args.push_str(partial_json),
                    None => self.arguments.push((index, partial_json.clone())),
                }
            }
            _ => {}
        }
    }

    fn stop(&mut self, index: usize) {
        let Some(at) = self.arguments.iter().position(|(i, _)| *i == index) else {
            return;
        };
        let (_, args) = self.arguments.swap_remove(at);
        let Some(ContentBlock::ToolUse { input, .. }) =
            self.message.as_mut().and_then(|m| m.content.get_mut(index))
        else {
            return;
        };
        match RawValue::from_string(args) {
            Ok(raw) if raw.get().trim_start().starts_with('{') => *input = raw,
            _ => {
                self.failure.get_or_insert_with(|| {
                    GatewayError::upstream_error(
                        "upstream sent tool arguments that are not a JSON object",
                    )
                });
            }
        }
    }

    /// The message as JSON, or the failure the stream ended with.
    pub fn finish(self) -> Result<Vec<u8>, GatewayError> {
        if let Some(err) = self.failure {
            return Err(err);
        }
        let message = self
            .message
            .filter(|m| m.stop_reason.is_some())
            .ok_or_else(|| GatewayError::upstream_error(crate::translate::end::CUT_SHORT))?;
        let mut body = serde_json::to_vec(&message)
            .map_err(|e| GatewayError::Internal(format!("serialising the message: {e}")))?;
        body.push(b'\n');
        Ok(body)
    }
}
