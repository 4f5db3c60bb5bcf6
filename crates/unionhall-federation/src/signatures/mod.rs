//! HTTP Signatures, draft-cavage (as Mastodon uses them) and RFC 9421
//! (`rfc9421.rs`, as Fedify and Mastodon 4.5 do): signing our deliveries and
//! fetches and verifying what inboxes receive, all with `aws-lc-rs`
//! (constant-time, and several times faster than the pure-Rust `rsa` crate).

pub mod rfc9421;
mod sign;
mod verify;

pub use sign::{
    add_activity_json_headers, sign, signed_get_headers, signed_post_headers,
    signed_post_headers_at, unix_now, Signer,
};
pub use verify::{verify_digest, SignatureHeader, Verifier};
