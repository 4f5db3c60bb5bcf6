//! Coordinated actions: an officer of a body proposes one and decides it
//! (`PostForGroup` in the body); a chapter's organizers answer
//! (`PostForGroup` in the chapter); any logged-in account reads them.

use super::paging::PageQuery;
use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unionhall_domain::{ActionAnswer, ActionStatus, CoordinatedAction};
use unionhall_federation::activities::action as actions_fed;
use unionhall_federation::protocol::action::TallyJson;
use unionhall_store::actions::{self, ActionRow};
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/unions/{handle}/actions", post(propose))
        .route("/api/v1/actions", get(list))
        .route("/api/v1/actions/{id}", get(show))
        .route("/api/v1/actions/{id}/status", post(set_status))
        .route("/api/v1/actions/{id}/answers/{handle}", put(answer))
}

#[derive(Serialize)]
struct ActionView {
    id: i64,
    ap_id: Url,
    body: Url,
    local: bool,
    status: ActionStatus,
    action: CoordinatedAction,
    tally: Vec<TallyJson>,
    committed_chapters: usize,
    committed_people: u64,
    published_at: i64,
    updated_at: i64,
}

async fn view(state: &AppState, row: ActionRow) -> Result<ActionView, AppError> {
    let mut conn = state.store.acquire().await?;
    let tally = actions_fed::tally_of(&mut conn, &row).await?;
    let committed: Vec<&TallyJson> = tally.iter().filter(|t| t.answer == "commit").collect();
    Ok(ActionView {
        action: actions_fed::record_of(&row)?,
        status: row.status,
        committed_chapters: committed.len(),
        committed_people: committed.iter().map(|t| t.people).sum(),
        tally,
        id: row.id,
        ap_id: row.ap_id,
        body: row.author,
        local: row.is_local,
        published_at: row.published_at,
        updated_at: row.updated_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAction {
    action: CoordinatedAction,
}

async fn propose(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<NewAction>,
) -> Result<(StatusCode, Json<ActionView>), AppError> {
    let row = actions_fed::propose(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        body.action,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, row).await?)))
}

/// A page of the coordinated actions this instance has, newest first
/// (`paging.rs`).
async fn list(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<ActionView>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let paging = query.paging()?;
    let rows = actions::page(&state.store, paging.after, paging.limit).await?;
    let (read, last) = (rows.len(), rows.last().map(|r| (r.published_at, r.id)));
    let mut out = Vec::new();
    for row in rows {
        out.push(view(&state, row).await?);
    }
    let next = paging.next(&state, "/api/v1/actions", &[], read, last);
    Ok((next, Json(out)))
}

async fn show(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<ActionView>, AppError> {
    let row = actions::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no action {id}")))?;
    Ok(Json(view(&state, row).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewStatus>,
) -> Result<Json<ActionView>, AppError> {
    let status = ActionStatus::parse(&body.status)?;
    let data = state.federation_data();
    let row = actions_fed::set_status(&data, &principal.authority(), id, status).await?;
    Ok(Json(view(&state, row).await?))
}

async fn answer(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, handle)): Path<(i64, String)>,
    ApiJson(answer): ApiJson<ActionAnswer>,
) -> Result<StatusCode, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let actor = unionhall_store::actors::by_ap_id(&state.store, &chapter.ap_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no chapter {handle}")))?;
    actions_fed::answer(
        &state.federation_data(),
        &principal.authority(),
        id,
        &actor,
        answer,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
