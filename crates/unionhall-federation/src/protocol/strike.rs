//! Strikes on the wire: a `Page` (an `Event` once it has a start), readable for
//! any server, with the lifecycle and its history in the Unionhall namespace.
//! Its picket shifts are calls for support of kind `picket` (`strike` links them
//! back), so that they can be pledged like any call.

use super::call::SourceJson;
use serde::{Deserialize, Serialize};
use url::Url;

/// One step of the strike's story, as followers saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StrikeUpdateJson {
    pub strike_status: String,
    #[serde(default)]
    pub content: String,
    pub published: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StrikeJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    pub name: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceJson>,
    /// announced, on_strike, suspended, settled, ended
    pub strike_status: String,
    pub employer: String,
    #[serde(default)]
    pub workplace: String,
    #[serde(default)]
    pub demands: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// The IANA zone its times are read in (`Europe/Paris`), as Mobilizon
    /// sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_url: Option<Url>,
    /// The picket shifts: calls for support.
    #[serde(default)]
    pub shifts: Vec<Url>,
    /// Every status change and update, oldest first.
    #[serde(default)]
    pub updates: Vec<StrikeUpdateJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub cc: Vec<Url>,
}
