//! Upstream HTTP error statuses and in-stream failures mapped to gateway errors.
