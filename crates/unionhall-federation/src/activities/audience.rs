//! Who an object is for (the domain's `Audience`), and how that is addressed.

use crate::protocol::PUBLIC;
use url::Url;

pub use unionhall_domain::Audience;

/// `to` of what everyone may read.
pub(crate) fn public() -> Vec<Url> {
    Url::parse(PUBLIC).ok().into_iter().collect()
}
