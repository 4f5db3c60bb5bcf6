//! Who an object is for, and how that is addressed.

use crate::protocol::PUBLIC;
use unionhall_store::calls::CallRow;
use url::Url;

/// Who a call is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Anyone; delivered to the chapter's followers.
    Public,
    /// The chapter's followers only.
    Followers,
    /// Named chapters (remote actors this instance knows), and no one else.
    Chapters(Vec<Url>),
    /// The members of an industrial union body the chapter belongs to: sent to
    /// the body, which relays it to every member.
    Union(Url),
}

impl Audience {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Followers => "followers",
            Self::Chapters(_) => "chapters",
            Self::Union(_) => "union",
        }
    }

    pub(crate) fn addressees(&self) -> &[Url] {
        match self {
            Self::Chapters(urls) => urls,
            Self::Union(body) => std::slice::from_ref(body),
            _ => &[],
        }
    }

    pub(crate) fn of_row(row: &CallRow) -> Self {
        match row.audience.as_str() {
            "public" => Self::Public,
            "chapters" => Self::Chapters(row.addressees.clone()),
            "union" => match row.addressees.first() {
                Some(body) => Self::Union(body.clone()),
                None => Self::Followers,
            },
            _ => Self::Followers,
        }
    }
}

/// `to` of what everyone may read.
pub(crate) fn public() -> Vec<Url> {
    Url::parse(PUBLIC).ok().into_iter().collect()
}
