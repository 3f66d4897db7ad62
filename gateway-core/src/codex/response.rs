//! The Responses object (`object: "response"`) returned to non-stream callers.
