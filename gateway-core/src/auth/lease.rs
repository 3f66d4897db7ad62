//! The refresh lease: exactly one refresher per token generation across instances.
