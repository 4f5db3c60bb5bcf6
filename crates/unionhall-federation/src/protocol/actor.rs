//! Actors: what we publish for chapters, bodies and the instance, and what we
//! accept from Mastodon, Lemmy, Mobilizon and others.

use activitypub_federation::protocol::public_key::PublicKey;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    /// Group, Application, Person, Service, Organization.
    #[serde(rename = "type", deserialize_with = "super::lenient::type_name")]
    pub kind: String,
    pub id: Url,
    /// Optional in ActivityPub: relays, bridges and service actors may have
    /// none (see [`ActorJson::username`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// Its `id` may be missing (ActivityPods): see `lenient::public_key`.
    #[serde(deserialize_with = "super::lenient::public_key")]
    pub public_key: PublicKey,
    /// FEP-521a: the Ed25519 key(s) the actor makes integrity proofs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_method: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    /// A group's moderators collection (Lemmy's use, FEP-1b12): ours names
    /// the group's voice (`group_posts.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<serde_json::Value>,
    /// Lemmy: only the moderators post in the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    /// The human-readable page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
}

impl ActorJson {
    /// The name it goes by: its `preferredUsername`, else the last segment of
    /// its id (`https://relay.example/actor` is "actor").
    pub fn username(&self) -> String {
        if !self.preferred_username.is_empty() {
            return self.preferred_username.clone();
        }
        self.id
            .path_segments()
            .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
            .unwrap_or_else(|| self.id.host_str().unwrap_or_default())
            .to_owned()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

/// The actor types we accept from other servers.
pub const ACTOR_TYPES: &[&str] = &["Person", "Group", "Application", "Service", "Organization"];
