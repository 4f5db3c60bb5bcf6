//! The JSON that crosses the network, as serde structs and nothing else: what
//! happens on receive lives in `activities/`.
//!
//! Parsing is lenient where other servers differ (a missing `name`, `null` where
//! a value is optional, a string where an array is usual) and strict where it
//! matters (ids, actors, keys must be URLs and present).

pub mod action;
pub mod activities;
pub mod actor;
pub mod call;
pub mod campaign;
pub mod lenient;
pub mod note;
pub mod strike;

pub use activities::{
    Accept, ActivityObject, Announce, Create, Delete, Dislike, Flag, Follow, InboxActivity, Join,
    Leave, Like, Reject, TentativeAccept, Undo, Update,
};
pub use actor::{ActorJson, Endpoints};
pub use call::{CallJson, PledgeTotalJson};
pub use note::NoteJson;
pub use strike::StrikeJson;

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The Unionhall JSON-LD namespace, for the structured fields of calls for
/// support and pledges (FEDERATION.md lists every term).
pub const NAMESPACE: &str = "https://unionhall.org/ns#";

/// The JSON-LD context of everything we send.
pub fn context() -> serde_json::Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        // Integrity proofs and the Ed25519 key they are made with (integrity.rs).
        "https://w3id.org/security/data-integrity/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            // Lemmy's: only a group's moderators post in it (group_posts.rs).
            "postingRestrictedToMods": "https://join-lemmy.org/ns#postingRestrictedToMods",
            "uh": NAMESPACE,
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "PledgeTotal": "uh:PledgeTotal",
            "callKind": "uh:callKind",
            "callStatus": "uh:callStatus",
            "deadline": { "@id": "uh:deadline", "@type": "xsd:dateTime" },
            // The IANA zone an event's times are read in, as Mobilizon names it.
            "timezone": "http://joinmobilizon.org/ns#timezone",
            "goal": "uh:goal",
            "pledged": "uh:pledged",
            "call": { "@id": "uh:call", "@type": "@id" },
            "people": { "@id": "uh:people", "@type": "xsd:nonNegativeInteger" },
            "amount": { "@id": "uh:amount", "@type": "xsd:nonNegativeInteger" },
            "currency": "uh:currency",
            "actions": { "@id": "uh:actions", "@type": "xsd:nonNegativeInteger" },
            "fundUrl": { "@id": "uh:fundUrl", "@type": "@id" },
            "strike": { "@id": "uh:strike", "@type": "@id" },
            "strikeStatus": "uh:strikeStatus",
            "employer": "uh:employer",
            "workplace": "uh:workplace",
            "demands": "uh:demands",
            "outcome": "uh:outcome",
            "shifts": { "@id": "uh:shifts", "@type": "@id", "@container": "@list" },
            "updates": { "@id": "uh:updates", "@container": "@list" },
            "ActionAnswer": "uh:ActionAnswer",
            "action": { "@id": "uh:action", "@type": "@id" },
            "actionStatus": "uh:actionStatus",
            "decisionDeadline": { "@id": "uh:decisionDeadline", "@type": "xsd:dateTime" },
            "commitment": "uh:commitment",
            "tally": { "@id": "uh:tally", "@container": "@list" },
            "chapter": { "@id": "uh:chapter", "@type": "@id" },
            "answer": "uh:answer",
            "campaign": { "@id": "uh:campaign", "@type": "@id" },
            "campaignGoal": "uh:campaignGoal"
        }
    ])
}

/// Accepts a single value or an array for properties servers send either way
/// (`to`, `cc`), and `null` for none. Every spelling of the public collection
/// (`Public`, `as:Public`) is read as its full IRI.
pub(crate) mod one_or_many {
    use serde::{Deserialize, Deserializer};
    use url::Url;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let addresses = match Option::<OneOrMany>::deserialize(d)? {
            None => Vec::new(),
            Some(OneOrMany::One(address)) => vec![address],
            Some(OneOrMany::Many(addresses)) => addresses,
        };
        addresses
            .iter()
            .map(|address| {
                let address = super::lenient::public_alias(address).unwrap_or(address);
                Url::parse(address).map_err(|err| {
                    serde::de::Error::custom(format!("{address:?} is not a URL: {err}"))
                })
            })
            .collect()
    }
}

/// `one_or_many` for fields we also send (always as an array).
pub(crate) mod one_or_many_ser {
    use serde::{Deserializer, Serialize, Serializer};
    use url::Url;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
        super::one_or_many::deserialize(d)
    }

    pub fn serialize<S: Serializer>(urls: &[Url], s: S) -> Result<S::Ok, S::Error> {
        urls.serialize(s)
    }
}

/// A reference that servers send either as a URL or as the object itself (Fedify
/// embeds the whole follower actor in the Follow it accepts): read as the id.
pub(crate) mod id_or_object {
    use serde::{Deserialize, Deserializer};
    use url::Url;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum IdOrObject {
            Id(Url),
            Object { id: Url },
        }
        Ok(match IdOrObject::deserialize(d)? {
            IdOrObject::Id(id) | IdOrObject::Object { id } => id,
        })
    }
}
