//! The caller's own account: who they are, their record, sessions and tokens.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use unionhall_members::{TokenScope, Via};
use unionhall_store::accounts::CredentialRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/record", get(own_record))
        .route(
            "/api/v1/me/sessions",
            get(sessions).delete(revoke_all_sessions),
        )
        .route("/api/v1/me/sessions/{id}", delete(revoke_session))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/calendar", post(new_calendar_key))
        .route("/api/v1/me/tokens", get(tokens).post(create_token))
        .route("/api/v1/me/tokens/{id}", delete(revoke_token))
        .route("/api/v1/me/totp", post(begin_totp))
        .route("/api/v1/me/totp/confirm", post(confirm_totp))
        .route("/api/v1/me/totp/disable", post(disable_totp))
}

/// Who the caller is, their roles, and (for a browser session) the CSRF token
/// that requests changing something must carry.
async fn me(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<serde_json::Value>, AppError> {
    let groups: Vec<_> = principal
        .roles
        .iter()
        .map(|(group, role)| json!({ "group": group, "role": role.as_str() }))
        .collect();
    let csrf_token = match &principal.via {
        Via::Session { csrf_token, .. } => Some(csrf_token.clone()),
        Via::Token { .. } => None,
    };
    let second_factor = state.members.totp_enabled(principal.account_id).await?;
    Ok(Json(json!({
        "username": principal.username,
        "roles": groups,
        "has_member_record": principal.member_id.is_some(),
        "second_factor": second_factor,
        "csrf_token": csrf_token,
    })))
}

/// The caller's own member record with its one-on-one log, as a download.
async fn own_record(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<impl IntoResponse, AppError> {
    let file = state.members.own_record(&principal).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"my-member-record.json\"",
        )],
        Json(file),
    ))
}

#[derive(Serialize)]
struct Credential {
    id: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    scope: String,
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<i64>,
    current: bool,
}

fn credential(row: CredentialRow, current: Option<i64>) -> Credential {
    Credential {
        current: current == Some(row.id),
        id: row.id,
        name: row.name,
        scope: row.scope,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

async fn sessions(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<Credential>>, AppError> {
    let current = match principal.via {
        Via::Session { id, .. } => Some(id),
        Via::Token { .. } => None,
    };
    let rows = state.members.sessions(&principal).await?;
    Ok(Json(
        rows.into_iter().map(|r| credential(r, current)).collect(),
    ))
}

async fn revoke_session(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.members.revoke_sessions(&principal, Some(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Logs the account out everywhere (a lost phone).
async fn revoke_all_sessions(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<serde_json::Value>, AppError> {
    let revoked = state.members.revoke_sessions(&principal, None).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

async fn tokens(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<Vec<Credential>>, AppError> {
    let current = match principal.via {
        Via::Token { id, .. } => Some(id),
        Via::Session { .. } => None,
    };
    let rows = state.members.tokens(&principal).await?;
    Ok(Json(
        rows.into_iter().map(|r| credential(r, current)).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    scope: String,
    /// The account's password, asked again: a session alone mints no token.
    password: String,
    /// The second factor's code, if the account has one.
    #[serde(default)]
    code: Option<String>,
}

/// Makes a token; its secret is in this response only.
async fn create_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let scope = TokenScope::parse(&body.scope)?;
    let (id, token) = state
        .members
        .create_token(
            &principal,
            &body.name,
            scope,
            &body.password,
            body.code.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "token": token, "scope": scope.as_str() })),
    ))
}

/// A new address for the caller's calendar (the old one stops working).
async fn new_calendar_key(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let key = state.members.new_calendar_key(&principal).await?;
    let url = state
        .config
        .public_url
        .join(&format!("/api/v1/me/calendar.ics?key={key}"))
        .map_err(|err| AppError::Internal(err.to_string()))?;
    Ok((StatusCode::CREATED, Json(json!({ "url": url }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    current_password: String,
    new_password: String,
    #[serde(default)]
    code: Option<String>,
}

/// Changes the caller's password; every session and token of the account ends.
async fn change_password(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    state
        .members
        .change_password(
            &principal,
            &body.current_password,
            &body.new_password,
            body.code.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.members.revoke_token(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts turning on a second factor: the secret to put in an authenticator app.
async fn begin_totp(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<unionhall_members::TotpSetup>, AppError> {
    let issuer = state.config.instance_name.clone();
    Ok(Json(state.members.begin_totp(&principal, &issuer).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
}

async fn confirm_totp(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<Code>,
) -> Result<StatusCode, AppError> {
    state.members.confirm_totp(&principal, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable_totp(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(body): ApiJson<Code>,
) -> Result<StatusCode, AppError> {
    state.members.disable_totp(&principal, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}
