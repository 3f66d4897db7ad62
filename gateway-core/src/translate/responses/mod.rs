//! `/v1/responses` pass-through: the body normalised for the backend (`request`), function
//! names shortened and restored (`names`), and the stream observed or folded (`fold`).
pub mod fold;
pub mod names;
pub mod request;
