//! What kind of actor an ActivityPub actor is to Unionhall.

use crate::{DomainError, Result};

/// Local actors are chapters, industrial union bodies (both ActivityPub `Group`s),
/// the one instance actor (`Application`) and the one reader (`Service`: what
/// follows communities on group-aware servers, which take no `Application`);
/// everything fetched from elsewhere is `Remote`, whatever its ActivityPub type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Chapter,
    Union,
    Instance,
    Reader,
    Remote,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chapter => "chapter",
            Self::Union => "union",
            Self::Instance => "instance",
            Self::Reader => "reader",
            Self::Remote => "remote",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "chapter" => Ok(Self::Chapter),
            "union" => Ok(Self::Union),
            "instance" => Ok(Self::Instance),
            "reader" => Ok(Self::Reader),
            "remote" => Ok(Self::Remote),
            other => Err(DomainError::UnknownActorKind(other.to_owned())),
        }
    }

    /// The ActivityStreams type a local actor of this kind is published as.
    pub fn ap_type(self) -> &'static str {
        match self {
            Self::Chapter | Self::Union => "Group",
            Self::Instance => "Application",
            Self::Reader => "Service",
            Self::Remote => "Person",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_name() {
        for kind in [
            ActorKind::Chapter,
            ActorKind::Union,
            ActorKind::Instance,
            ActorKind::Reader,
            ActorKind::Remote,
        ] {
            assert_eq!(ActorKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(ActorKind::parse("person").is_err());
    }
}
