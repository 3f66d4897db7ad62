//! Chat `messages` → Responses `instructions` and `input` items.
//!
//! Pure and total: every message either maps or yields a 400 naming `messages[i]…`; nothing here
//! may panic or silently reorder the conversation.
//!
//! Choices, and why:
//! - `system` and `developer` messages become `instructions` (their text joined with `"\n\n"` in
//!   order, wherever they appear; [`DEFAULT_INSTRUCTIONS`] when there is none). The backend wants
//!   a string there, and chat clients put the prompt first, so nothing meaningful moves.
//! - Text parts of one `system`/`developer`/`tool` message are joined with `"\n"`.
//! - `user` → a `message` with `input_text`/`input_image`/`input_file` parts; `assistant` → a
//!   `message` with `output_text`/`refusal` parts (omitted when empty), then one `function_call`
//!   per tool call, in order, then its legacy `function_call`.
//! - `tool` → `function_call_output`; its `tool_call_id` must name an earlier assistant call.
//!   Text-only content becomes a string; content with images stays a list of parts.
//! - Legacy assistant `function_call` gets the call id `call_legacy_<i>` (`i` = message index);
//!   a later `role: "function"` message answers the latest unanswered legacy call with its name.
//! - Tool calls without an id get `call_<i>_<j>`; blank arguments become `"{}"`.
//! - Unknown message fields (`name`, `refusal`, `reasoning_content`…) are dropped and reported
//!   as `messages[].<field>`; unknown keys inside content parts are dropped silently.
//! - A leading `<think>…</think>` block in an assistant's text is reasoning a client echoed back
//!   (the `think_tags` presentation, or another reasoning model's habit), not answer text: it is
//!   removed, as `reasoning_content` is.

use std::collections::HashSet;

use crate::codex::request::{
    ContentPart, InputItem, MessageRole, ToolOutput, DEFAULT_INSTRUCTIONS,
};
use crate::error::GatewayError;
use crate::openai::chat_request::{
    ChatMessage, ContentPart as ChatPart, FunctionCall, MessageContent, Role, ToolCall,
};

use crate::translate::ignored::Ignored;

/// What the messages become upstream.
#[derive(Debug)]
pub(crate) struct Conversation {
    /// The `instructions` string.
    pub instructions: String,
    /// The `input` items.
    pub input: Vec<InputItem>,
}

/// Convert the whole conversation.
pub(crate) fn convert_messages(
    messages: Vec<ChatMessage>,
    ignored: &mut Ignored,
) -> Result<Conversation, GatewayError> {
    let mut state = State::default();
    for (i, message) in messages.into_iter().enumerate() {
        for (key, value) in &message.extra {
            if !value.is_null() {
                ignored.add(&format!("messages[].{key}"));
            }
        }
        if message.name.is_some() && message.role != Role::Function {
            ignored.add("messages[].name");
        }
        state.push(i, message)?;
    }
    state.finish()
}

#[derive(Default)]
struct State {
    instructions: Vec<String>,
    input: Vec<InputItem>,
    call_ids: HashSet<String>,
    legacy: Vec<LegacyCall>,
}

struct LegacyCall {
    name: String,
    call_id: String,
    answered: bool,
}

impl State {
    fn push(&mut self, i: usize, message: ChatMessage) -> Result<(), GatewayError> {
        match message.role {
            Role::System | Role::Developer => {
                let text = joined_text(message.content, i)?;
                if !text.trim().is_empty() {
                    self.instructions.push(text);
                }
                Ok(())
            }
            Role::User => self.user(i, message.content),
            Role::Assistant => self.assistant(i, message),
            Role::Tool => self.tool(i, message),
            Role::Function => self.function(i, message),
        }
    }

    fn finish(self) -> Result<Conversation, GatewayError> {
        if self.input.is_empty() {
            return Err(GatewayError::bad_param(
                "messages",
                "messages must contain at least one user, assistant or tool message",
            ));
        }
        let instructions = if self.instructions.is_empty() {
            DEFAULT_INSTRUCTIONS.to_owned()
        } else {
            self.instructions.join("\n\n")
        };
        Ok(Conversation {
            instructions,
            input: self.input,
        })
    }

    fn user(&mut self, i: usize, content: Option<MessageContent>) -> Result<(), GatewayError> {
        let content = match content {
            None => {
                let param = format!("messages[{i}].content");
                return Err(GatewayError::bad_param(
                    &param,
                    format!("{param} is required"),
                ));
            }
            Some(MessageContent::Text(text)) => vec![ContentPart::InputText { text }],
            Some(MessageContent::Parts(parts)) => parts
                .into_iter()
                .enumerate()
                .map(|(j, part)| user_part(part, &format!("messages[{i}].content[{j}]")))
                .collect::<Result<_, _>>()?,
        };
        self.input.push(InputItem::Message {
            role: MessageRole::User,
            content,
        });
        Ok(())
    }

    fn assistant(&mut self, i: usize, message: ChatMessage) -> Result<(), GatewayError> {
        let content: Vec<ContentPart> = match message.content {
            None => Vec::new(),
            Some(MessageContent::Text(text)) => match without_think_block(text) {
                text if text.is_empty() => Vec::new(),
                text => vec![ContentPart::OutputText { text }],
            },
            Some(MessageContent::Parts(parts)) => parts
                .into_iter()
                .enumerate()
                .map(|(j, part)| assistant_part(part, &format!("messages[{i}].content[{j}]")))
                .filter_map(|part| match part {
                    Ok(ContentPart::OutputText { text }) => match without_think_block(text) {
                        text if text.is_empty() => None,
                        text => Some(Ok(ContentPart::OutputText { text })),
                    },
                    other => Some(other),
                })
                .collect::<Result<_, _>>()?,
        };
        if !content.is_empty() {
            self.input.push(InputItem::Message {
                role: MessageRole::Assistant,
                content,
            });
        }
        for (j, call) in message.tool_calls.into_iter().flatten().enumerate() {
            self.tool_call(
                call,
                &format!("messages[{i}].tool_calls[{j}]"),
                format!("call_{i}_{j}"),
            )?;
        }
        if let Some(call) = message.function_call {
            let path = format!("messages[{i}].function_call");
            let (name, arguments) = function_parts(call, &path)?;
            let call_id = format!("call_legacy_{i}");
            self.legacy.push(LegacyCall {
                name: name.clone(),
                call_id: call_id.clone(),
                answered: false,
            });
            self.add_call(call_id, name, arguments);
        }
        Ok(())
    }

    fn tool_call(
        &mut self,
        call: ToolCall,
        path: &str,
        fallback_id: String,
    ) -> Result<(), GatewayError> {
        if let Some(kind) = call.kind.as_deref().filter(|k| *k != "function") {
            let param = format!("{path}.type");
            return Err(GatewayError::bad_param(
                &param,
                format!("{param}: unsupported tool call type `{kind}` (only `function`)"),
            ));
        }
        let function_path = format!("{path}.function");
        let Some(function) = call.function else {
            return Err(GatewayError::bad_param(
                &function_path,
                format!("{function_path} is required"),
            ));
        };
        let (name, arguments) = function_parts(function, &function_path)?;
        let call_id = non_blank(call.id).unwrap_or(fallback_id);
        self.add_call(call_id, name, arguments);
        Ok(())
    }

    fn add_call(&mut self, call_id: String, name: String, arguments: String) {
        self.call_ids.insert(call_id.clone());
        self.input.push(InputItem::FunctionCall {
            call_id,
            name,
            arguments,
        });
    }

    fn tool(&mut self, i: usize, message: ChatMessage) -> Result<(), GatewayError> {
        let param = format!("messages[{i}].tool_call_id");
        let Some(call_id) = non_blank(message.tool_call_id) else {
            return Err(GatewayError::bad_param(
                &param,
                format!("{param} is required on tool messages"),
            ));
        };
        if !self.call_ids.contains(&call_id) {
            return Err(GatewayError::bad_param(
                &param,
                format!("{param} `{call_id}` matches no earlier assistant tool call"),
            ));
        }
        let output = tool_output(message.content, i)?;
        self.input
            .push(InputItem::FunctionCallOutput { call_id, output });
        Ok(())
    }

    fn function(&mut self, i: usize, message: ChatMessage) -> Result<(), GatewayError> {
        let name = non_blank(message.name);
        let pending = self
            .legacy
            .iter_mut()
            .rev()
            .filter(|call| !call.answered)
            .find(|call| name.as_deref().is_none_or(|n| n == call.name));
        let Some(call) = pending else {
            let param = format!("messages[{i}]");
            return Err(GatewayError::bad_param(
                &param,
                format!("{param}: function message answers no earlier assistant function_call"),
            ));
        };
        call.answered = true;
        let call_id = call.call_id.clone();
        let output = tool_output(message.content, i)?;
        self.input
            .push(InputItem::FunctionCallOutput { call_id, output });
        Ok(())
    }
}

/// Name (required) and arguments (`"{}"` when blank) of a function call.
fn function_parts(call: FunctionCall, path: &str) -> Result<(String, String), GatewayError> {
    let Some(name) = non_blank(call.name) else {
        let param = format!("{path}.name");
        return Err(GatewayError::bad_param(
            &param,
            format!("{param} is required"),
        ));
    };
    let arguments = match call.arguments {
        Some(args) if !args.trim().is_empty() => args,
        _ => "{}".to_owned(),
    };
    Ok((name.trim().to_owned(), arguments))
}

/// Trimmed-empty strings count as absent; the value itself is kept as sent.
/// `text` without a leading `<think>…</think>` block and the blank space after it.
fn without_think_block(text: String) -> String {
    let Some(rest) = text.trim_start().strip_prefix("<think>") else {
        return text;
    };
    match rest.split_once("</think>") {
        Some((_, answer)) => answer.trim_start().to_owned(),
        None => text,
    }
}

pub(crate) fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn is_text(kind: &str) -> bool {
    matches!(kind, "text" | "input_text" | "output_text")
}

/// Text of a part that must be text.
fn part_text(part: ChatPart, path: &str) -> Result<String, GatewayError> {
    part.text.ok_or_else(|| {
        let param = format!("{path}.text");
        GatewayError::bad_param(&param, format!("{param} is required for text parts"))
    })
}

fn unsupported(path: &str, kind: &str, role: &str) -> GatewayError {
    let param = format!("{path}.type");
    let message = if kind == "input_audio" {
        format!("{param}: audio input is not supported by the Codex backend")
    } else {
        format!("{param}: content part type `{kind}` is not supported in {role} messages")
    };
    GatewayError::bad_param(param, message)
}

fn user_part(part: ChatPart, path: &str) -> Result<ContentPart, GatewayError> {
    match part.kind.as_str() {
        kind if is_text(kind) => Ok(ContentPart::InputText {
            text: part_text(part, path)?,
        }),
        "image_url" => {
            let Some(image) = part.image_url else {
                let param = format!("{path}.image_url");
                return Err(GatewayError::bad_param(
                    &param,
                    format!("{param} is required"),
                ));
            };
            Ok(ContentPart::InputImage {
                image_url: image.url.0,
                detail: image.detail.unwrap_or_else(|| "auto".to_owned()),
            })
        }
        "file" => match part.file {
            Some(file) if file.file_id.is_some() || file.file_data.is_some() => {
                Ok(ContentPart::InputFile {
                    file_id: file.file_id,
                    file_data: file.file_data.map(|d| d.0),
                    filename: file.filename,
                })
            }
            _ => {
                let param = format!("{path}.file");
                Err(GatewayError::bad_param(
                    &param,
                    format!("{param} needs file_id or file_data"),
                ))
            }
        },
        kind => Err(unsupported(path, kind, "user")),
    }
}

fn assistant_part(part: ChatPart, path: &str) -> Result<ContentPart, GatewayError> {
    match part.kind.as_str() {
        kind if is_text(kind) => Ok(ContentPart::OutputText {
            text: part_text(part, path)?,
        }),
        "refusal" => {
            let refusal = part.refusal.ok_or_else(|| {
                let param = format!("{path}.refusal");
                GatewayError::bad_param(&param, format!("{param} is required for refusal parts"))
            })?;
            Ok(ContentPart::Refusal { refusal })
        }
        kind => Err(unsupported(path, kind, "assistant")),
    }
}

/// Text of a `system`/`developer` message: text parts only, joined with `"\n"`.
fn joined_text(content: Option<MessageContent>, i: usize) -> Result<String, GatewayError> {
    match content {
        None => Ok(String::new()),
        Some(MessageContent::Text(text)) => Ok(text),
        Some(MessageContent::Parts(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for (j, part) in parts.into_iter().enumerate() {
                let path = format!("messages[{i}].content[{j}]");
                if !is_text(&part.kind) {
                    return Err(unsupported(&path, &part.kind, "system"));
                }
                texts.push(part_text(part, &path)?);
            }
            Ok(texts.join("\n"))
        }
    }
}

/// `output` of a tool/function result: a string unless the content carries non-text parts.
fn tool_output(content: Option<MessageContent>, i: usize) -> Result<ToolOutput, GatewayError> {
    match content {
        Some(MessageContent::Parts(parts)) if parts.iter().any(|p| !is_text(&p.kind)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, part)| user_part(part, &format!("messages[{i}].content[{j}]")))
            .collect::<Result<_, _>>()
            .map(ToolOutput::Parts),
        other => joined_text(other, i).map(ToolOutput::Text),
    }
}
