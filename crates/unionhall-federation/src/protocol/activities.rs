//! Activities we send and receive.

use super::action::{ActionAnswerJson, ActionJson, ACTION_ANSWER};
use super::call::{CallJson, PledgeTotalJson, PLEDGE_TOTAL};
use super::campaign::CampaignJson;
use super::note::NoteJson;
use super::one_or_many_ser;
use super::strike::StrikeJson;
use activitypub_federation::kinds::activity::{
    AcceptType, AnnounceType, CreateType, DeleteType, DislikeType, FlagType, FollowType, JoinType,
    LeaveType, LikeType, RejectType, TentativeAcceptType, UndoType, UpdateType,
};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// An actor asking another for something about itself: a Follow, or a chapter's
/// Join and Leave of an industrial union body. Alike but for their type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorRequest<K> {
    #[serde(rename = "type")]
    pub kind: K,
    pub id: Url,
    #[serde(deserialize_with = "super::id_or_object::deserialize")]
    pub actor: Url,
    #[serde(deserialize_with = "super::id_or_object::deserialize")]
    pub object: Url,
}

impl<K: Default> ActorRequest<K> {
    pub fn new(id: Url, actor: Url, object: Url) -> Self {
        Self {
            kind: K::default(),
            id,
            actor,
            object,
        }
    }
}

pub type Follow = ActorRequest<FollowType>;
pub type Join = ActorRequest<JoinType>;
pub type Leave = ActorRequest<LeaveType>;

/// What an Accept or Reject answers: a Follow or a Join, embedded (Mastodon,
/// Lemmy, us) or by id; or an event itself, embedded or by id (Friendica's
/// attendance: an Accept or TentativeAccept of the Event).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answered {
    Follow(Follow),
    Join(Join),
    Id(Url),
    Object { id: Url },
}

impl Answered {
    pub fn id(&self) -> &Url {
        match self {
            Self::Follow(request) => &request.id,
            Self::Join(request) => &request.id,
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

/// An answer to a Follow or a Join: [`Accept`] or [`Reject`], alike but for
/// their type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer<K> {
    #[serde(rename = "type")]
    pub kind: K,
    pub id: Url,
    pub actor: Url,
    pub object: Answered,
}

pub type Accept = Answer<AcceptType>;
pub type Reject = Answer<RejectType>;
/// "Maybe": Friendica's answer to an event, counted like an Accept.
pub type TentativeAccept = Answer<TentativeAcceptType>;

/// A vote on an object, by id or embedded: a `Like` (Mastodon's favourite,
/// Lemmy's upvote) or a `Dislike` (Lemmy's downvote).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vote<K> {
    #[serde(rename = "type")]
    pub kind: K,
    pub id: Url,
    pub actor: Url,
    #[serde(deserialize_with = "super::id_or_object::deserialize")]
    pub object: Url,
}

pub type Like = Vote<LikeType>;
pub type Dislike = Vote<DislikeType>;

/// A union body relaying a member chapter's activity to every member (FEP-1b12):
/// the activity is embedded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub id: Url,
    pub actor: Url,
    pub object: serde_json::Value,
    #[serde(default, with = "one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "one_or_many_ser")]
    pub cc: Vec<Url>,
}

/// What an Undo takes back: a Follow, or anything else by its id (a Like, an
/// Announce, a Join or Accept of an event: `activities/interaction.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UndoObject {
    Follow(Follow),
    Other(serde_json::Value),
}

impl UndoObject {
    /// The id of what is taken back, if it names one.
    pub fn id(&self) -> Option<Url> {
        match self {
            Self::Follow(follow) => Some(follow.id.clone()),
            Self::Other(serde_json::Value::String(id)) => Url::parse(id).ok(),
            Self::Other(other) => other
                .get("id")
                .and_then(|id| id.as_str())
                .and_then(|id| Url::parse(id).ok()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Undo {
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub id: Url,
    pub actor: Url,
    pub object: UndoObject,
}

/// What a Create or Update carries: a call for support (it has a `callKind`), a
/// strike (`strikeStatus`), a coordinated action (`actionStatus`), a chapter's
/// pledge totals or answer to an action, or any other object with text, read as
/// a note.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ActivityObject {
    Call(Box<CallJson>),
    Strike(Box<StrikeJson>),
    Action(Box<ActionJson>),
    ActionAnswer(ActionAnswerJson),
    Campaign(Box<CampaignJson>),
    PledgeTotal(PledgeTotalJson),
    Note(NoteJson),
}

impl<'de> Deserialize<'de> for ActivityObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let kind = value.get("type").and_then(|t| t.as_str());
        let parsed = if kind == Some(PLEDGE_TOTAL) {
            serde_json::from_value(value).map(Self::PledgeTotal)
        } else if kind == Some(ACTION_ANSWER) {
            serde_json::from_value(value).map(Self::ActionAnswer)
        } else if value.get("campaignGoal").is_some() {
            serde_json::from_value(value).map(|c| Self::Campaign(Box::new(c)))
        } else if value.get("actionStatus").is_some() {
            serde_json::from_value(value).map(|a| Self::Action(Box::new(a)))
        } else if value.get("strikeStatus").is_some() {
            serde_json::from_value(value).map(|s| Self::Strike(Box::new(s)))
        } else if value.get("callKind").is_some() {
            serde_json::from_value(value).map(|c| Self::Call(Box::new(c)))
        } else {
            serde_json::from_value(value).map(Self::Note)
        };
        parsed.map_err(D::Error::custom)
    }
}

/// An activity carrying an object: [`Create`] or [`Update`], alike but for their
/// type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectActivity<K> {
    #[serde(rename = "type")]
    pub kind: K,
    pub id: Url,
    pub actor: Url,
    pub object: ActivityObject,
    #[serde(default, with = "one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "one_or_many_ser")]
    pub cc: Vec<Url>,
}

pub type Create = ObjectActivity<CreateType>;
pub type Update = ObjectActivity<UpdateType>;

/// The object of a Delete: its id, or a Tombstone (or the object) carrying it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdOrObject {
    Id(Url),
    Object { id: Url },
}

impl IdOrObject {
    pub fn id(&self) -> &Url {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delete {
    #[serde(rename = "type")]
    pub kind: DeleteType,
    pub id: Url,
    pub actor: Url,
    pub object: IdOrObject,
    #[serde(default, with = "one_or_many_ser")]
    pub to: Vec<Url>,
}

/// A report to moderators (as Mastodon sends them, from its instance actor): the
/// reported actor and posts in `object`, the reason in `content`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    #[serde(rename = "type")]
    pub kind: FlagType,
    pub id: Url,
    pub actor: Url,
    #[serde(default, with = "one_or_many_ser")]
    pub object: Vec<Url>,
    #[serde(default)]
    pub content: Option<String>,
}

/// Every activity an inbox accepts, chosen by its `type` so that an unknown type
/// is reported as such rather than as "did not match any variant".
#[derive(Debug, Clone)]
pub enum InboxActivity {
    Follow(Follow),
    Accept(Accept),
    Reject(Reject),
    Undo(Undo),
    Create(Create),
    Update(Update),
    Delete(Delete),
    Join(Join),
    Leave(Leave),
    Announce(Announce),
    Flag(Flag),
    Like(Like),
    Dislike(Dislike),
    TentativeAccept(TentativeAccept),
}

/// The activity types an inbox accepts, for error messages and FEDERATION.md.
pub const INBOX_TYPES: &[&str] = &[
    "Follow",
    "Accept",
    "TentativeAccept",
    "Reject",
    "Undo",
    "Create",
    "Update",
    "Delete",
    "Join",
    "Leave",
    "Announce",
    "Like",
    "Dislike",
    "Flag",
];

impl<'de> Deserialize<'de> for InboxActivity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut value = serde_json::Value::deserialize(d)?;
        super::lenient::normalize(&mut value);
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .ok_or_else(|| D::Error::custom("the activity has no \"type\""))?
            .to_owned();
        Self::of_type(&kind, value).map_err(D::Error::custom)
    }
}

/// JSON an activity can be read from: a parsed `Value` (an activity inside an
/// Announce) or the text of a request body.
trait ActivityJson {
    fn read<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T>;
}

impl ActivityJson for serde_json::Value {
    fn read<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_value(self)
    }
}

impl ActivityJson for &[u8] {
    fn read<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_slice(self)
    }
}

impl InboxActivity {
    /// Reads the JSON text of an activity straight into its type. The inbox
    /// reads every activity it is sent; through a `Value` first (as
    /// `Deserialize` has to, to see the type) it cost twice as much.
    ///
    /// What fails to read as sent is read again in the shapes of `lenient.rs`
    /// (a `type` array, a list of authors), if it has any; else the first
    /// error stands.
    pub fn from_json(body: &[u8]) -> serde_json::Result<Self> {
        let as_sent = Self::from_json_as_sent(body);
        if as_sent.is_ok() {
            return as_sent;
        }
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return as_sent;
        };
        if !super::lenient::normalize(&mut value) {
            return as_sent;
        }
        serde_json::from_value(value)
    }

    fn from_json_as_sent(body: &[u8]) -> serde_json::Result<Self> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Typed<'a> {
            #[serde(rename = "type", borrow)]
            kind: Option<std::borrow::Cow<'a, str>>,
        }
        let kind = serde_json::from_slice::<Typed>(body)?
            .kind
            .ok_or_else(|| serde_json::Error::custom("the activity has no \"type\""))?;
        Self::of_type(&kind, body).map_err(serde_json::Error::custom)
    }

    /// `json` read as the activity type `kind` names; the error says which.
    fn of_type(kind: &str, json: impl ActivityJson) -> Result<Self, String> {
        let parsed = match kind {
            "Follow" => json.read().map(Self::Follow),
            "Accept" => json.read().map(Self::Accept),
            "Reject" => json.read().map(Self::Reject),
            "Undo" => json.read().map(Self::Undo),
            "Create" => json.read().map(Self::Create),
            "Update" => json.read().map(Self::Update),
            "Delete" => json.read().map(Self::Delete),
            "Join" => json.read().map(Self::Join),
            "Leave" => json.read().map(Self::Leave),
            "Announce" => json.read().map(Self::Announce),
            "Flag" => json.read().map(Self::Flag),
            "Like" => json.read().map(Self::Like),
            "Dislike" => json.read().map(Self::Dislike),
            "TentativeAccept" => json.read().map(Self::TentativeAccept),
            other => {
                return Err(format!(
                    "unsupported activity type {other:?}; this inbox accepts {}",
                    INBOX_TYPES.join(", ")
                ))
            }
        };
        parsed.map_err(|err| format!("{kind}: {err}"))
    }
}

impl InboxActivity {
    pub fn id(&self) -> &Url {
        match self {
            Self::Follow(a) => &a.id,
            Self::Accept(a) => &a.id,
            Self::Reject(a) => &a.id,
            Self::Undo(a) => &a.id,
            Self::Create(a) => &a.id,
            Self::Update(a) => &a.id,
            Self::Delete(a) => &a.id,
            Self::Join(a) => &a.id,
            Self::Leave(a) => &a.id,
            Self::Announce(a) => &a.id,
            Self::Flag(a) => &a.id,
            Self::Like(a) => &a.id,
            Self::Dislike(a) => &a.id,
            Self::TentativeAccept(a) => &a.id,
        }
    }

    pub fn actor(&self) -> &Url {
        match self {
            Self::Follow(a) => &a.actor,
            Self::Accept(a) => &a.actor,
            Self::Reject(a) => &a.actor,
            Self::Undo(a) => &a.actor,
            Self::Create(a) => &a.actor,
            Self::Update(a) => &a.actor,
            Self::Delete(a) => &a.actor,
            Self::Join(a) => &a.actor,
            Self::Leave(a) => &a.actor,
            Self::Announce(a) => &a.actor,
            Self::Flag(a) => &a.actor,
            Self::Like(a) => &a.actor,
            Self::Dislike(a) => &a.actor,
            Self::TentativeAccept(a) => &a.actor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accept_may_embed_the_follow_with_its_actor_as_an_object() {
        // As Fedify's documented handler sends it.
        let accept = serde_json::json!({
            "type": "Accept", "id": "https://p.example/accepts/1", "actor": "https://p.example/users/peer",
            "object": {
                "type": "Follow", "id": "https://a.example/activities/1",
                "actor": {"id": "https://a.example/actor", "type": "Application", "inbox": "https://a.example/actor/inbox"},
                "object": "https://p.example/users/peer"
            }
        });
        let parsed: InboxActivity = serde_json::from_value(accept).unwrap();
        let InboxActivity::Accept(accept) = parsed else {
            panic!("not an Accept")
        };
        let Answered::Follow(follow) = accept.object else {
            panic!("not embedded")
        };
        assert_eq!(follow.actor.as_str(), "https://a.example/actor");
    }
}
