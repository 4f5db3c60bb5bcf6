//! Who an object a group publishes is for.

use crate::{DomainError, Result};
use url::Url;

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
    /// The word it is stored and shown as.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Followers => "followers",
            Self::Chapters(_) => "chapters",
            Self::Union(_) => "union",
        }
    }

    /// The actors it names: the chapters, or the body.
    pub fn addressees(&self) -> &[Url] {
        match self {
            Self::Chapters(urls) => urls,
            Self::Union(body) => std::slice::from_ref(body),
            _ => &[],
        }
    }

    pub fn is_public(&self) -> bool {
        *self == Self::Public
    }

    /// Built again from its word and addressees, as stored.
    pub fn from_parts(word: &str, addressees: Vec<Url>) -> Result<Self> {
        match word {
            "public" => Ok(Self::Public),
            "followers" => Ok(Self::Followers),
            "chapters" => Ok(Self::Chapters(addressees)),
            "union" => addressees
                .into_iter()
                .next()
                .map(Self::Union)
                .ok_or_else(|| DomainError::invalid("audience", "a union audience names its body")),
            _ => Err(DomainError::invalid(
                "audience",
                "must be public, followers, chapters or union",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audience_is_built_again_from_what_is_stored() {
        let body = Url::parse("https://a.example/actors/fwiu").unwrap();
        for audience in [
            Audience::Public,
            Audience::Followers,
            Audience::Chapters(vec![body.clone()]),
            Audience::Union(body.clone()),
        ] {
            let again =
                Audience::from_parts(audience.as_str(), audience.addressees().to_vec()).unwrap();
            assert_eq!(again, audience);
        }
        assert!(Audience::from_parts("union", Vec::new()).is_err());
        assert!(Audience::from_parts("everyone", Vec::new()).is_err());
    }
}
