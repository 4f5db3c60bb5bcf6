//! Calls for support on the wire, and the pledge totals chapters send back.
//!
//! A call is an `Event` when it has a time (a picket, a turnout), a `Page`
//! otherwise, with readable `name` and `content` for Mastodon and Mobilizon, and
//! its structured fields in the Unionhall namespace (see [`super::context`]).
//! A `PledgeTotal` is a chapter's pledges added up: counts and amounts, never
//! names.

use serde::{Deserialize, Serialize};
use url::Url;

/// `location`: an ActivityStreams Place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceJson {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoalJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_url: Option<Url>,
}

/// Pledge totals: how many will come, how much money (in the call's currency's
/// smallest unit), how many actions (calls made, letters signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TotalsJson {
    #[serde(default)]
    pub people: u64,
    #[serde(default)]
    pub amount: u64,
    #[serde(default)]
    pub actions: u64,
}

/// `source`: the text as its author wrote it (Activity Streams 2.0 §4.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceJson {
    pub content: String,
    pub media_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    pub name: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceJson>,
    /// picket, donation, call-in, boycott, sign-on, turnout, other
    pub call_kind: String,
    /// open, met, withdrawn, closed
    pub call_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<PlaceJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// The IANA zone its times are read in (`Europe/Paris`), as Mobilizon
    /// sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default)]
    pub goal: GoalJson,
    #[serde(default)]
    pub pledged: TotalsJson,
    /// A picket shift: the strike it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub cc: Vec<Url>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PledgeTotalJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    /// The call these pledges answer.
    pub call: Url,
    #[serde(flatten)]
    pub totals: TotalsJson,
    #[serde(default)]
    pub content: String,
    /// When the sender added them up (RFC 3339 with milliseconds): a receiver
    /// keeps the latest, whatever order deliveries arrive in.
    pub updated: String,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
}

pub const PLEDGE_TOTAL: &str = "PledgeTotal";
