//! The Images API over the backend's `image_generation` tool: `request` builds the Responses call
//! that draws one image, `stream` reads the image (and partial images) out of its events, and
//! `answer` folds the images of all calls into one Images API answer.
pub mod answer;
pub mod request;
pub mod stream;
