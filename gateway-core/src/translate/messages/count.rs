//! `POST /v1/messages/count_tokens`, answered in the gateway with no upstream call: an estimate
//! of the o200k token count of the translated request (instructions, every input item's text,
//! the tool definitions), plus a small fixed cost per item and per tool.
//!
//! Why an estimate: an exact o200k count needs its 200,000-entry vocabulary, several MB in the
//! `.wasm` and a table built again by every instance, and Spin gives every request a fresh
//! instance. The estimate reads the text the way o200k's pre-tokenizer splits it (words with
//! their leading space, digit groups of up to three, punctuation runs, whitespace runs, CJK
//! characters) and charges each piece what o200k typically takes for it. The constants are
//! calibrated against o200k itself (`tests/token_estimate.rs`, through `tiktoken-rs`) to within
//! 15% on prose, code and JSON.

use crate::codex::request::{ContentPart, InputItem, ResponsesRequest, Tool, ToolOutput};

/// Tokens o200k spends around each conversation item (role, separators).
const PER_ITEM: u64 = 4;
/// Tokens around each tool definition.
const PER_TOOL: u64 = 8;
/// A word longer than this takes more than one token, one more per this many characters.
const WORD_CHARS_PER_TOKEN: usize = 6;
/// Punctuation characters per token.
const PUNCT_PER_TOKEN: usize = 2;
/// The pieces above overcount o200k by a steady 15–21% on prose, code and JSON alike (its
/// vocabulary joins more than they assume); the sum is scaled by this many hundredths.
const SCALE_PERCENT: u64 = 84;
/// What an image costs, whatever its size (o200k does not see pixels; the backend's own image
/// accounting differs).
const PER_IMAGE: u64 = 765;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Space,
    Newline,
    Cjk,
    Punct,
}

fn class_of(c: char) -> Class {
    if c == '\n' || c == '\r' {
        Class::Newline
    } else if c.is_whitespace() {
        Class::Space
    } else if c.is_ascii_digit() {
        Class::Digit
    } else if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphabetic() || c == '_' {
        Class::Letter
    } else {
        Class::Punct
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// The estimated o200k token count of `text`.
pub fn estimate_text(text: &str) -> u64 {
    let mut tokens = 0u64;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let class = class_of(c);
        let mut len = 1usize;
        while let Some(&next) = chars.peek() {
            let joins = class_of(next) == class && class != Class::Cjk;
            if !joins {
                break;
            }
            len += 1;
            chars.next();
        }
        tokens += match class {
            Class::Letter => len.div_ceil(WORD_CHARS_PER_TOKEN) as u64,
            Class::Digit => len.div_ceil(3) as u64,
            // A single space joins the word after it; longer runs are one token.
            Class::Space => u64::from(len > 1),
            Class::Newline => 1,
            Class::Cjk => 1,
            Class::Punct => len.div_ceil(PUNCT_PER_TOKEN) as u64,
        };
    }
    (tokens * SCALE_PERCENT).div_ceil(100)
}

/// The estimated input tokens of a translated request.
pub fn estimate_request(request: &ResponsesRequest) -> u64 {
    let mut tokens = estimate_text(&request.instructions);
    for item in &request.input {
        tokens += PER_ITEM + estimate_item(item);
    }
    for tool in &request.tools {
        let json = match tool {
            Tool::Function(f) => serde_json::to_string(f).unwrap_or_default(),
            Tool::Other(raw) => raw.get().to_owned(),
        };
        tokens += PER_TOOL + estimate_text(&json);
    }
    tokens
}

fn estimate_item(item: &InputItem) -> u64 {
    match item {
        InputItem::Message { content, .. } => content.iter().map(estimate_part).sum(),
        InputItem::FunctionCall {
            name, arguments, ..
        } => estimate_text(name) + estimate_text(arguments),
        InputItem::FunctionCallOutput { output, .. } => match output {
            ToolOutput::Text(text) => estimate_text(text),
            ToolOutput::Parts(parts) => parts.iter().map(estimate_part).sum(),
        },
        InputItem::Reasoning { summary, .. } => {
            summary.iter().map(|s| estimate_text(&s.text)).sum()
        }
    }
}

fn estimate_part(part: &ContentPart) -> u64 {
    match part {
        ContentPart::InputText { text } | ContentPart::OutputText { text } => estimate_text(text),
        ContentPart::Refusal { refusal } => estimate_text(refusal),
        ContentPart::InputImage { .. } | ContentPart::InputFile { .. } => PER_IMAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_charged_as_o200k_splits_them() {
        assert_eq!(estimate_text(""), 0);
        assert_eq!(estimate_text("Hello world"), 2);
        assert_eq!(estimate_text("1234567"), 3);
        assert_eq!(estimate_text(&"word ".repeat(100)), 84);
        assert_eq!(estimate_text("你好"), 2);
    }
}
