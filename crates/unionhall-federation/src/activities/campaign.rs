//! Campaigns: a chapter starts one (Create of a Page) and posts dated updates
//! (Notes naming the campaign) to its followers. A member elsewhere follows a
//! campaign by its address: their instance fetches it and follows its chapter,
//! once for all its members; who follows stays local.

use super::audience::public;
use super::{authorize, local_group_for, rfc3339};
use super::{receive, wake, Received};
use crate::delivery::enqueue;
use crate::protocol::call::SourceJson;
use crate::protocol::campaign::CampaignJson;
use crate::protocol::note::plain_text_to_html;
use crate::protocol::{ActivityObject, Create};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::CreateType;
use unionhall_domain::Campaign;
use unionhall_domain::{ActorKind, Authority, Permission};
use unionhall_store::actors::ActorRow;
use unionhall_store::campaigns::{self, CampaignRow};
use unionhall_store::posts::Post;
use unionhall_store::{actors as store_actors, follows, now_millis};
use url::Url;

pub fn record_of(row: &CampaignRow) -> Result<Campaign> {
    serde_json::from_str(&row.record)
        .map_err(|err| Error::Internal(format!("campaign {} is unreadable: {err}", row.id)))
}

pub fn campaign_json(row: &CampaignRow, author: &ActorRow) -> Result<CampaignJson> {
    let campaign = record_of(row)?;
    let mut text = campaign.details.clone();
    if !campaign.goal.is_empty() {
        text = format!("Our goal: {}\n\n{text}", campaign.goal);
    }
    Ok(CampaignJson {
        kind: "Page".into(),
        id: row.ap_id.clone(),
        attributed_to: row.author.clone(),
        name: campaign.title.clone(),
        content: plain_text_to_html(&text),
        source: Some(SourceJson {
            content: campaign.details.clone(),
            media_type: "text/plain".into(),
        }),
        campaign_goal: campaign.goal.clone(),
        published: rfc3339(row.published_at),
        to: public(),
        cc: author.followers_url.iter().cloned().collect(),
    })
}

/// A chapter starts a campaign; its followers get it.
pub async fn start(
    data: &Data,
    by: &Authority,
    handle: &str,
    campaign: Campaign,
) -> Result<CampaignRow> {
    let author = local_group_for(
        data,
        by,
        handle,
        ActorKind::Chapter,
        Permission::PostForGroup,
        "post for this chapter",
    )
    .await?;
    let campaign = campaign.validated()?;
    let record =
        serde_json::to_string(&campaign).map_err(|err| Error::Internal(err.to_string()))?;
    let ap_id = data.urls.new_campaign_id();
    let mut tx = data.store.begin_write().await?;
    campaigns::upsert(&mut tx, &ap_id, &author.ap_id, &record, true, now_millis()).await?;
    let row = campaigns::by_ap_id(&mut tx, &ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the campaign vanished".into()))?;
    let object = campaign_json(&row, &author)?;
    let inboxes = follows::follower_inboxes(&mut tx, &author.ap_id).await?;
    let create = Create {
        kind: CreateType::Create,
        id: data.urls.new_activity_id(),
        actor: author.ap_id.clone(),
        to: object.to.clone(),
        cc: object.cc.clone(),
        object: ActivityObject::Campaign(Box::new(object)),
    };
    enqueue(&mut tx, data, &author, &create.id, &create, &inboxes, true).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// A dated update to one of our campaigns: a Note naming it.
pub async fn post_update(data: &Data, by: &Authority, id: i64, text: &str) -> Result<Post> {
    let row = campaigns::by_id(&data.store, id)
        .await?
        .filter(|c| c.is_local)
        .ok_or_else(|| Error::NotFound(format!("no campaign {id} of this instance")))?;
    authorize(
        by,
        &row.author,
        Permission::PostForGroup,
        "post for this chapter",
    )?;
    let author = store_actors::by_ap_id(&data.store, &row.author)
        .await?
        .ok_or_else(|| Error::Internal("the campaign's chapter is gone".into()))?;
    let handle = author.handle.clone().unwrap_or_default();
    super::post::publish(data, &handle, text, Some(&row.ap_id)).await
}

/// A campaign arrives from a chapter we follow.
pub(crate) async fn receive_campaign(
    data: &Data,
    received: Received<'_>,
    json: CampaignJson,
) -> Result<()> {
    let actor = received.actor;
    receive::check_authorship(
        data,
        &json.id,
        &json.attributed_to,
        actor,
        "start campaigns",
    )?;
    if !follows::is_following(&data.store, actor).await? {
        return Ok(());
    }
    receive::apply(data, received, &json, None).await
}

impl receive::Version for CampaignJson {
    fn object_id(&self) -> &Url {
        &self.id
    }

    async fn store(&self, conn: &mut unionhall_store::Connection) -> Result<()> {
        store_campaign(conn, self).await.map(|_| ())
    }
}

pub(crate) async fn store_campaign(
    conn: &mut unionhall_store::Connection,
    json: &CampaignJson,
) -> Result<i64> {
    let campaign = Campaign {
        title: json.name.clone(),
        goal: json.campaign_goal.clone(),
        details: match &json.source {
            Some(source) if source.media_type == "text/plain" => source.content.clone(),
            _ => json.content.clone(),
        },
    }
    .validated()?;
    let record =
        serde_json::to_string(&campaign).map_err(|err| Error::Internal(err.to_string()))?;
    let published_at = super::published_or_now(&json.published);
    campaigns::upsert(
        conn,
        &json.id,
        &json.attributed_to,
        &record,
        false,
        published_at,
    )
    .await?
    .ok_or_else(|| Error::Forbidden(format!("{} is not {}'s", json.id, json.attributed_to)))
}
