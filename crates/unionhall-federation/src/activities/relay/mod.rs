//! Union bodies relay (FEP-1b12 `Announce`) what their member chapters address
//! to them: `send` is our bodies relaying, `receive` is taking another
//! server's body's relays, under the trust rules of FEDERATION.md.

mod members;
mod receive;
mod send;

pub(crate) use members::is_member;
pub use members::members_url;
pub use receive::receive_announce;
pub(crate) use send::{
    admitted_bodies, our_body_among, relay_if_addressed, relay_through_local_bodies,
    remote_body_inboxes,
};
