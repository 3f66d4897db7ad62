//! Decoding the JWT claims we need (expiry, account id, plan, email) without verifying them.
