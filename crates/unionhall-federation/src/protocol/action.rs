//! Coordinated actions on the wire: the body's proposal (an `Event` once it has
//! a time, a `Page` otherwise) with its tally, and each chapter's answer.

use super::call::{PlaceJson, SourceJson};
use serde::{Deserialize, Serialize};
use url::Url;

/// One chapter's line of the tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallyJson {
    pub chapter: Url,
    /// commit or decline
    pub answer: String,
    #[serde(default)]
    pub people: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    pub name: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceJson>,
    /// proposed, confirmed, called_off
    pub action_status: String,
    pub decision_deadline: String,
    #[serde(default)]
    pub commitment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<PlaceJson>,
    #[serde(default)]
    pub tally: Vec<TallyJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub cc: Vec<Url>,
}

/// A chapter's answer to a coordinated action, sent to the body alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionAnswerJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    /// The action answered.
    pub action: Url,
    /// commit or decline
    pub answer: String,
    #[serde(default)]
    pub people: u64,
    #[serde(default)]
    pub content: String,
    /// When the chapter decided (RFC 3339 with milliseconds): the latest wins.
    pub updated: String,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
}

pub const ACTION_ANSWER: &str = "ActionAnswer";
