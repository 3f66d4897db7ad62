//! Folds: chat chunks into one `chat.completion`; Responses events into one response object.
