//! HTTP Signatures (draft-cavage, as Mastodon uses them): signing our deliveries
//! and verifying what inboxes receive, both with `ring` (constant-time, and an
//! order of magnitude faster at verifying than the pure-Rust `rsa` crate).

mod sign;
mod verify;

pub use sign::{sign, signed_post_headers, signed_post_headers_at, Signer};
pub use verify::{verify_digest, SignatureHeader, Verifier};
