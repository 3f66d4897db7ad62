//! Which headers are forwarded upstream, stripped, or added.
