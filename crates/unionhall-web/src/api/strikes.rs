//! Strikes: announcing one and moving it through its lifecycle needs
//! `PostForGroup` in its chapter; any logged-in account reads them. Picket
//! shifts are calls for support: pledge to them through the calls API.

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
use unionhall_domain::{Strike, StrikeStatus};
use unionhall_federation::activities::strike::{self as strikes_fed, StrikeUpdate};
use unionhall_store::strikes::{self, StrikeRow};
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chapters/{handle}/strikes", post(announce))
        .route("/api/v1/strikes", get(list))
        .route("/api/v1/strikes/{id}", get(show))
        .route("/api/v1/strikes/{id}/status", post(set_status))
        .route("/api/v1/strikes/{id}/updates", post(add_update))
}

#[derive(Serialize)]
struct Shift {
    /// The call for support to pledge to.
    call_id: i64,
    status: unionhall_domain::CallStatus,
    starts_at: Option<i64>,
    needed: Option<u32>,
    pledged_people: i64,
}

#[derive(Serialize)]
struct StrikeView {
    id: i64,
    ap_id: Url,
    chapter: Url,
    local: bool,
    status: StrikeStatus,
    outcome: String,
    strike: Strike,
    history: Vec<StrikeUpdate>,
    shifts: Vec<Shift>,
    published_at: i64,
    updated_at: i64,
}

async fn view(state: &AppState, row: StrikeRow) -> Result<StrikeView, AppError> {
    let mut conn = state.store.acquire().await?;
    let mut shifts: Vec<Shift> = unionhall_store::calls::shifts_of(&mut conn, &row.ap_id)
        .await?
        .into_iter()
        .map(|call| {
            let record = unionhall_federation::activities::call::record_of(&call)?;
            Ok(Shift {
                call_id: call.id,
                status: call.status,
                starts_at: record.starts_at,
                needed: record.goal.people,
                pledged_people: call.pledged.people,
            })
        })
        .collect::<Result<_, unionhall_federation::Error>>()?;
    // In time order: ids differ between instances, times do not.
    shifts.sort_by_key(|s| (s.starts_at, s.call_id));
    Ok(StrikeView {
        strike: strikes_fed::record_of(&row)?,
        history: strikes_fed::history_of(&row)?,
        status: row.status,
        id: row.id,
        ap_id: row.ap_id,
        chapter: row.author,
        local: row.is_local,
        outcome: row.outcome,
        shifts,
        published_at: row.published_at,
        updated_at: row.updated_at,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStrike {
    strike: Strike,
}

async fn announce(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<NewStrike>,
) -> Result<(StatusCode, Json<StrikeView>), AppError> {
    let row = strikes_fed::announce_strike(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        body.strike,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, row).await?)))
}

/// A page of the strikes this instance has, newest first (`paging.rs`).
async fn list(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<StrikeView>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let paging = query.paging()?;
    let rows = strikes::page(&state.store, paging.after, paging.limit).await?;
    let (read, last) = (rows.len(), rows.last().map(|r| (r.published_at, r.id)));
    let mut out = Vec::new();
    for row in rows {
        out.push(view(&state, row).await?);
    }
    let next = paging.next(&state, "/api/v1/strikes", &[], read, last);
    Ok((next, Json(out)))
}

async fn show(
    State(state): State<AppState>,
    Caller(_principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<StrikeView>, AppError> {
    let row = strikes::by_id(&state.store, id)
        .await?
        .filter(|s| s.deleted_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("no strike {id}")))?;
    Ok(Json(view(&state, row).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    status: String,
    /// The outcome when settling or ending; an update otherwise.
    #[serde(default)]
    text: String,
}

async fn set_status(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewStatus>,
) -> Result<Json<StrikeView>, AppError> {
    let status = StrikeStatus::parse(&body.status)?;
    let row = strikes_fed::advance(
        &state.federation_data(),
        &principal.authority(),
        id,
        Some(status),
        &body.text,
    )
    .await?;
    Ok(Json(view(&state, row).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUpdate {
    text: String,
}

async fn add_update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewUpdate>,
) -> Result<Json<StrikeView>, AppError> {
    let row = strikes_fed::advance(
        &state.federation_data(),
        &principal.authority(),
        id,
        None,
        &body.text,
    )
    .await?;
    Ok(Json(view(&state, row).await?))
}
