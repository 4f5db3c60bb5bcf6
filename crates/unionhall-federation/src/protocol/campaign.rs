//! Campaigns on the wire: a `Page` with its goal in the Unionhall namespace.
//! Its updates are Notes that name their `campaign`.

use super::call::SourceJson;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    pub name: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceJson>,
    /// What the campaign is for; always present (it marks a campaign).
    pub campaign_goal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub cc: Vec<Url>,
}
