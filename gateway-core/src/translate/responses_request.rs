//! `/v1/responses` pass-through: normalise only what the backend requires, keep the rest byte-exact.
