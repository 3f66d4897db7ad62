//! Settings from Spin variables: typed, validated, with defaults.
