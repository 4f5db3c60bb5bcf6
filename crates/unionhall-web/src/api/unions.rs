//! Industrial union bodies: chapters apply and leave (their admins decide,
//! `ManageRoles`); officers admit or refuse (`AdmitChapters`).

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unionhall_domain::Permission;
use unionhall_federation::activities::union as unions_fed;
use unionhall_store::unions::{self, Membership};
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/chapters/{handle}/unions",
            get(bodies_of).post(apply),
        )
        .route("/api/v1/chapters/{handle}/unions/leave", post(leave))
        .route("/api/v1/unions/{handle}/members", get(members))
        .route("/api/v1/unions/{handle}/members/decide", post(decide))
}

#[derive(Serialize)]
struct MembershipView {
    body: Url,
    chapter: Url,
    admitted: bool,
    applied_at: i64,
}

impl From<Membership> for MembershipView {
    fn from(m: Membership) -> Self {
        Self {
            body: m.body,
            chapter: m.chapter,
            admitted: m.accepted_at.is_some(),
            applied_at: m.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyRef {
    /// `@handle@domain`, a handle of this instance, or the body's id.
    body: String,
}

async fn apply(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<BodyRef>,
) -> Result<(StatusCode, Json<MembershipView>), AppError> {
    let membership = unions_fed::apply(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        &body.body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(membership.into())))
}

async fn bodies_of(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<Vec<MembershipView>>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    if principal.role_in(&chapter).is_none() {
        return Err(AppError::Forbidden(
            "only this chapter's people see its bodies".into(),
        ));
    }
    let rows = unions::bodies_of(&state.store, &chapter.ap_id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

async fn leave(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<BodyRef>,
) -> Result<StatusCode, AppError> {
    let url = Url::parse(&body.body).map_err(|_| AppError::Invalid {
        field: "body".into(),
        message: "body is the id (URL) of the body to leave".into(),
    })?;
    unions_fed::leave(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        &url,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn members(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<Vec<MembershipView>>, AppError> {
    let body = state.members.group(&handle).await?;
    principal.require(
        &body,
        Permission::AdmitChapters,
        "see this body's applications",
    )?;
    let mut conn = state.store.acquire().await?;
    let rows = unions::members_of(&mut conn, &body.ap_id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    chapter: Url,
    admit: bool,
}

async fn decide(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<StatusCode, AppError> {
    unions_fed::decide(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        &decision.chapter,
        decision.admit,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
