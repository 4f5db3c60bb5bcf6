//! HTTP Signatures (draft-cavage, as Mastodon uses them): signing our deliveries
//! and verifying what inboxes receive, both with `aws-lc-rs` (constant-time, and
//! several times faster than the pure-Rust `rsa` crate at both).

mod sign;
mod verify;

pub use sign::{sign, signed_get_headers, signed_post_headers, signed_post_headers_at, Signer};
pub use verify::{verify_digest, SignatureHeader, Verifier};
