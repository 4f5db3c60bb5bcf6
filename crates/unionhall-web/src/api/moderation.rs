//! Federation safety over the API: the instance policy and report queue (for
//! instance admins), a group's blocks of single remote actors and reports of
//! remote posts (Moderate in that group), and removing any group's post
//! (instance admins).

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use unionhall_domain::{FederationMode, Permission};
use unionhall_federation::{moderation, policy};
use unionhall_store::{deliveries, reports};
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/federation", get(show_policy))
        .route("/api/v1/admin/federation/mode", put(set_mode))
        .route("/api/v1/admin/federation/blocks", post(block))
        .route("/api/v1/admin/federation/blocks/{domain}", delete(unblock))
        .route("/api/v1/admin/federation/allows", post(allow))
        .route("/api/v1/admin/federation/allows/{domain}", delete(disallow))
        .route("/api/v1/admin/reports", get(list_reports))
        .route("/api/v1/admin/reports/{id}/resolve", post(resolve_report))
        .route("/api/v1/admin/posts/remove", post(remove_post))
        .route("/api/v1/admin/deliveries/retry", post(retry_peer))
        .route("/api/v1/admin/deliveries/retry-dead", post(retry_dead))
        .route(
            "/api/v1/groups/{handle}/blocks",
            get(actor_blocks).post(block_actor).delete(unblock_actor),
        )
        .route("/api/v1/groups/{handle}/reports", post(report))
}

const POLICY: &str = "manage this instance's federation";

async fn show_policy(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Value>, AppError> {
    principal.require_instance_admin(POLICY)?;
    let data = state.federation_data();
    let (mode, blocked, allowed) = unionhall_store::policy::load(&data.store).await?;
    let stats = deliveries::stats(&data.store).await?;
    let dead: Vec<Value> = deliveries::dead(&data.store, 50)
        .await?
        .into_iter()
        .map(|(activity, inbox, error)| json!({"activity": activity, "inbox": inbox, "error": error}))
        .collect();
    Ok(Json(json!({
        "mode": mode.as_deref().unwrap_or(FederationMode::Open.as_str()),
        "blocked": blocked.iter()
            .map(|b| json!({"domain": b.domain, "reason": b.reason, "created_at": b.created_at}))
            .collect::<Vec<_>>(),
        "allowed": allowed,
        "deliveries": {"pending": stats.pending, "delivered": stats.delivered,
            "dead": stats.dead, "dropped": stats.dropped},
        "dead_deliveries": dead,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mode {
    mode: String,
}

async fn set_mode(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<Mode>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin(POLICY)?;
    let mode = FederationMode::parse(&body.mode)?;
    policy::set_mode(&state.federation_data(), mode).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    domain: String,
    #[serde(default)]
    reason: String,
}

async fn block(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<Block>,
) -> Result<Json<Value>, AppError> {
    principal.require_instance_admin(POLICY)?;
    let done = policy::block(&state.federation_data(), &body.domain, &body.reason).await?;
    Ok(Json(json!({
        "deliveries_dropped": done.deliveries_dropped,
        "followers_removed": done.followers_removed,
        "following_removed": done.following_removed,
        "memberships_removed": done.memberships_removed,
    })))
}

async fn unblock(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(domain): Path<String>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin(POLICY)?;
    if policy::unblock(&state.federation_data(), &domain).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("{domain} is not blocked")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Allow {
    domain: String,
}

async fn allow(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<Allow>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin(POLICY)?;
    policy::allow(&state.federation_data(), &body.domain).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disallow(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(domain): Path<String>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin(POLICY)?;
    if policy::disallow(&state.federation_data(), &domain).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!(
            "{domain} is not on the allow list"
        )))
    }
}

async fn list_reports(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Value>, AppError> {
    principal.require_instance_admin("read the reports")?;
    let store = &state.federation_data().store;
    let received: Vec<Value> = reports::list(store, 200)
        .await?
        .into_iter()
        .map(|r| {
            json!({"id": r.id, "reporter": r.reporter, "content": r.content,
                "objects": r.objects, "received_at": r.received_at, "resolved_at": r.resolved_at})
        })
        .collect();
    let sent: Vec<Value> = reports::sent(store, 200)
        .await?
        .into_iter()
        .map(
            |r| json!({"id": r.id, "object": r.object, "content": r.content, "sent_at": r.sent_at}),
        )
        .collect();
    Ok(Json(json!({"received": received, "sent": sent})))
}

async fn resolve_report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin("resolve reports")?;
    if reports::resolve(&state.federation_data().store, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("no open report {id}")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemovePost {
    url: Url,
}

async fn remove_post(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<RemovePost>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin("remove posts")?;
    moderation::remove_local_post(&state.federation_data(), &body.url).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryPeer {
    peer: String,
}

/// A peer known to be back: its back-off cleared, its queue due now.
async fn retry_peer(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<RetryPeer>,
) -> Result<StatusCode, AppError> {
    principal.require_instance_admin(DELIVERIES)?;
    unionhall_federation::delivery::retry::retry_peer(&state.federation_data(), &body.peer).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryDead {
    #[serde(default)]
    peer: Option<String>,
    #[serde(default)]
    activity: Option<String>,
}

/// Dead deliveries due again: all, or to one peer, or of one activity.
async fn retry_dead(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<RetryDead>,
) -> Result<Json<Value>, AppError> {
    principal.require_instance_admin(DELIVERIES)?;
    let revived = unionhall_federation::delivery::retry::retry_dead(
        &state.federation_data(),
        body.peer.as_deref(),
        body.activity.as_deref(),
    )
    .await?;
    Ok(Json(json!({ "retried": revived })))
}

const DELIVERIES: &str = "manage this instance's deliveries";

async fn actor_blocks(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<Vec<Value>>, AppError> {
    let group = state.members.group(&handle).await?;
    principal.require(&group, Permission::Moderate, "moderate for this group")?;
    let blocks = moderation::blocks_of(&state.federation_data(), &handle).await?;
    Ok(Json(
        blocks
            .into_iter()
            .map(|b| json!({"actor": b.blocked, "reason": b.reason, "created_at": b.created_at}))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockActor {
    actor: String,
    #[serde(default)]
    reason: String,
}

async fn block_actor(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<BlockActor>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let group = state.members.group(&handle).await?;
    principal.require(&group, Permission::Moderate, "moderate for this group")?;
    let done =
        moderation::block_actor(&state.federation_data(), &handle, &body.actor, &body.reason)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"actor": done.actor, "follow_removed": done.follow_removed,
            "membership_ended": done.membership_removed}),
        ),
    ))
}

#[derive(Deserialize)]
struct ActorQuery {
    actor: Url,
}

async fn unblock_actor(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(query): Query<ActorQuery>,
) -> Result<StatusCode, AppError> {
    let group = state.members.group(&handle).await?;
    principal.require(&group, Permission::Moderate, "moderate for this group")?;
    if moderation::unblock_actor(&state.federation_data(), &handle, &query.actor).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!(
            "@{handle} does not block {}",
            query.actor
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    object: Url,
    #[serde(default)]
    comment: String,
}

/// Reported from the instance actor: the group only decides who may ask.
async fn report(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<Report>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let group = state.members.group(&handle).await?;
    principal.require(&group, Permission::Moderate, "report for this group")?;
    let sent =
        moderation::report_remote(&state.federation_data(), &body.object, &body.comment).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": sent.id, "object": sent.object, "activity": sent.ap_id})),
    ))
}
