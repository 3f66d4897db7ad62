//! Request ids: keep a sane client id, otherwise make a UUID v4 from host randomness.
