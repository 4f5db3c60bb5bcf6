//! What kind of actor an ActivityPub actor is to Unionhall.

use crate::{DomainError, Result};

/// Local actors are chapters, industrial union bodies (both ActivityPub `Group`s)
/// and the one instance actor (`Application`); everything fetched from elsewhere is
/// `Remote`, whatever its ActivityPub type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    Chapter,
    Union,
    Instance,
    Remote,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chapter => "chapter",
            Self::Union => "union",
            Self::Instance => "instance",
            Self::Remote => "remote",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "chapter" => Ok(Self::Chapter),
            "union" => Ok(Self::Union),
            "instance" => Ok(Self::Instance),
            "remote" => Ok(Self::Remote),
            other => Err(DomainError::UnknownActorKind(other.to_owned())),
        }
    }

    /// The ActivityStreams type a local actor of this kind is published as.
    pub fn ap_type(self) -> &'static str {
        match self {
            Self::Chapter | Self::Union => "Group",
            Self::Instance => "Application",
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
            ActorKind::Remote,
        ] {
            assert_eq!(ActorKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(ActorKind::parse("person").is_err());
    }
}
