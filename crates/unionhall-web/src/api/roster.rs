//! A chapter's roster: member records, one-on-ones, CSV export and import.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use unionhall_domain::{MemberRecord, OneOnOne};
use unionhall_members::roster::{Filter, Member, MemberFile};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chapters/{handle}/members", get(list).post(create))
        .route(
            "/api/v1/chapters/{handle}/members/{id}",
            get(show).put(update).delete(erase),
        )
        .route(
            "/api/v1/chapters/{handle}/members/{id}/one-on-ones",
            post(add_one_on_one),
        )
        .route(
            "/api/v1/chapters/{handle}/roster.csv",
            get(export_csv).post(import_csv),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    department: Option<String>,
    shift: Option<String>,
    assessment: Option<u8>,
    committee: Option<String>,
    tag: Option<String>,
    q: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Member>>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let chapter = state.members.chapter(&handle).await?;
    let filter = Filter {
        department: query.department,
        shift: query.shift,
        assessment: query.assessment,
        committee: query.committee,
        tag: query.tag,
        text: query.q,
    };
    Ok(Json(
        state.members.list(&principal, &chapter, &filter).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(record): ApiJson<MemberRecord>,
) -> Result<(StatusCode, Json<Member>), AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let member = state.members.create(&principal, &chapter, record).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Json<MemberFile>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(state.members.get(&principal, &chapter, id).await?))
}

async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    ApiJson(record): ApiJson<MemberRecord>,
) -> Result<Json<Member>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(
        state
            .members
            .update(&principal, &chapter, id, record)
            .await?,
    ))
}

async fn erase(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    state.members.erase(&principal, &chapter, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_one_on_one(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    ApiJson(entry): ApiJson<OneOnOne>,
) -> Result<(StatusCode, impl IntoResponse), AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let logged = state
        .members
        .add_one_on_one(&principal, &chapter, id, entry)
        .await?;
    Ok((StatusCode::CREATED, Json(logged)))
}

async fn export_csv(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let text = state.members.export_csv(&principal, &chapter).await?;
    let disposition = format!("attachment; filename=\"{}-roster.csv\"", chapter.handle);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    ))
}

async fn import_csv(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<unionhall_members::csv::ImportSummary>, AppError> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(AppError::BadRequest {
            code: "unsupported_media_type",
            message: "send the file with Content-Type: text/csv".into(),
        });
    }
    let text = std::str::from_utf8(&body).map_err(|_| AppError::BadRequest {
        code: "bad_csv",
        message: "the file is not UTF-8 text; save it as CSV UTF-8".into(),
    })?;
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(
        state.members.import_csv(&principal, &chapter, text).await?,
    ))
}
