//! Campaigns: a chapter's organizers start them and post updates
//! (`PostForGroup`); any logged-in account follows one by its address, and its
//! updates come to their board.

use super::paging::PageQuery;
use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unionhall_domain::Campaign;
use unionhall_federation::activities::campaign as campaigns_fed;
use unionhall_members::Principal;
use unionhall_store::campaigns::{self, CampaignRow};
use unionhall_store::posts;
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chapters/{handle}/campaigns", post(start))
        .route("/api/v1/campaigns", get(list))
        .route("/api/v1/campaigns/follow", post(follow))
        .route("/api/v1/campaigns/{id}", get(show))
        .route(
            "/api/v1/campaigns/{id}/follow",
            axum::routing::delete(unfollow),
        )
        .route(
            "/api/v1/campaigns/{id}/updates",
            get(updates_page).post(post_update),
        )
}

#[derive(Serialize)]
pub(crate) struct UpdateView {
    pub ap_id: Url,
    pub campaign: Option<Url>,
    pub content: String,
    pub published_at: i64,
}

impl From<posts::Post> for UpdateView {
    fn from(post: posts::Post) -> Self {
        Self {
            ap_id: post.ap_id,
            campaign: post.campaign,
            content: post.content,
            published_at: post.published_at,
        }
    }
}

#[derive(Serialize)]
struct CampaignView {
    id: i64,
    ap_id: Url,
    chapter: Url,
    local: bool,
    campaign: Campaign,
    following: bool,
    /// The newest [`UPDATES_SHOWN`]; `GET .../updates` pages through all.
    updates: Vec<UpdateView>,
    updates_total: i64,
    published_at: i64,
}

/// How many of a campaign's updates its view carries, newest first.
const UPDATES_SHOWN: u32 = 20;

/// The ids of the campaigns `principal` follows, read once a request.
async fn followed(
    state: &AppState,
    principal: &Principal,
) -> Result<std::collections::HashSet<i64>, AppError> {
    Ok(campaigns::followed_by(&state.store, principal.account_id)
        .await?
        .iter()
        .map(|c| c.id)
        .collect())
}

async fn view(
    state: &AppState,
    followed: &std::collections::HashSet<i64>,
    row: CampaignRow,
) -> Result<CampaignView, AppError> {
    let updates = posts::of_campaign(&state.store, &row.ap_id, None, UPDATES_SHOWN).await?;
    Ok(CampaignView {
        campaign: campaigns_fed::record_of(&row)?,
        following: followed.contains(&row.id),
        updates: updates.into_iter().map(Into::into).collect(),
        updates_total: posts::count_of_campaign(&state.store, &row.ap_id).await?,
        id: row.id,
        ap_id: row.ap_id,
        chapter: row.author,
        local: row.is_local,
        published_at: row.published_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCampaign {
    campaign: Campaign,
}

async fn start(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), AppError> {
    let row = campaigns_fed::start(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        body.campaign,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &followed(&state, &principal).await?, row).await?),
    ))
}

/// A page of the campaigns this instance knows, newest first (`paging.rs`).
async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<CampaignView>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let paging = query.paging()?;
    let rows = campaigns::page(&state.store, paging.after, paging.limit).await?;
    let (read, last) = (rows.len(), rows.last().map(|r| (r.published_at, r.id)));
    let followed = followed(&state, &principal).await?;
    let mut out = Vec::new();
    for row in rows {
        out.push(view(&state, &followed, row).await?);
    }
    let next = paging.next(&state, "/api/v1/campaigns", &[], read, last);
    Ok((next, Json(out)))
}

async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<CampaignView>, AppError> {
    let row = campaigns::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no campaign {id}")))?;
    let followed = followed(&state, &principal).await?;
    Ok(Json(view(&state, &followed, row).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdatesQuery {
    limit: Option<u32>,
    before: Option<String>,
}

/// A page of a campaign's updates, newest first (`paging.rs`: `limit`, and
/// `before` as the `Link` header of the page before gives it).
async fn updates_page(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    Path(id): Path<i64>,
    query: Result<Query<UpdatesQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<UpdateView>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let paging = super::paging::Paging::of(query.limit, None)?;
    let after = query
        .before
        .as_deref()
        .map(super::paging::post_cursor)
        .transpose()?;
    let row = campaigns::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no campaign {id}")))?;
    let page = posts::of_campaign(&state.store, &row.ap_id, after.as_ref(), paging.limit).await?;
    let next = match page.last() {
        Some(last) if page.len() == paging.limit as usize => {
            let (limit, before) = (
                paging.limit.to_string(),
                super::paging::post_cursor_of(&posts::PostCursor::of(last)),
            );
            super::paging::link_to_next(
                &state,
                &format!("/api/v1/campaigns/{id}/updates"),
                &[("limit", Some(&limit)), ("before", Some(&before))],
            )
        }
        _ => HeaderMap::new(),
    };
    Ok((next, Json(page.into_iter().map(Into::into).collect())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowBody {
    /// The campaign's address (its id), as shared by its chapter.
    url: Url,
}

async fn follow(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<FollowBody>,
) -> Result<Json<CampaignView>, AppError> {
    let row = unionhall_federation::activities::follow::follow_campaign(
        &state.federation_data(),
        &body.url,
    )
    .await?;
    campaigns::follow(&state.store, principal.account_id, row.id).await?;
    Ok(Json(
        view(&state, &followed(&state, &principal).await?, row).await?,
    ))
}

async fn unfollow(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    if campaigns::unfollow(&state.store, principal.account_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound("you do not follow that campaign".into()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUpdate {
    text: String,
}

async fn post_update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewUpdate>,
) -> Result<(StatusCode, Json<UpdateView>), AppError> {
    let post = campaigns_fed::post_update(
        &state.federation_data(),
        &principal.authority(),
        id,
        &body.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(post.into())))
}
