//! A chapter's or union body's people: invitations, roles and the audit log.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use unionhall_domain::Role;
use unionhall_members::audit;
use unionhall_store::audit::Reading;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{handle}/invites", post(create_invite))
        .route("/api/v1/groups/{handle}/roles", get(roles))
        .route(
            "/api/v1/groups/{handle}/roles/{username}",
            put(set_role).delete(remove_role),
        )
        .route("/api/v1/groups/{handle}/audit", get(audit))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    role: String,
    #[serde(default)]
    member_id: Option<i64>,
}

/// Makes an invitation link; the link is in this response only.
async fn create_invite(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<NewInvite>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let group = state.members.group(&handle).await?;
    let role = Role::parse(&body.role)?;
    let invite = state
        .members
        .create_invite(Some(&principal), &group, role, body.member_id)
        .await?;
    let url = invite_url(&state, &invite.token)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "url": url, "role": role.as_str(), "expires_at": invite.expires_at })),
    ))
}

pub(crate) fn invite_url(state: &AppState, token: &str) -> Result<url::Url, AppError> {
    state
        .config
        .public_url
        .join(&format!("/invite/{token}"))
        .map_err(|err| AppError::Internal(err.to_string()))
}

async fn roles(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    let group = state.members.group(&handle).await?;
    let rows = state.members.roles(&principal, &group).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| json!({ "username": r.username, "role": r.role, "granted_at": r.granted_at }))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, username)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetRole>,
) -> Result<StatusCode, AppError> {
    let group = state.members.group(&handle).await?;
    let role = Role::parse(&body.role)?;
    state
        .members
        .set_role(&principal, &group, &username, Some(role))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_role(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, username)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let group = state.members.group(&handle).await?;
    state
        .members
        .set_role(&principal, &group, &username, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<i64>,
    /// Entries older than this one (the number of the last entry of the
    /// page before, as the `Link` header gives it).
    before: Option<i64>,
    /// Only the entries about this member record (by its number).
    member: Option<i64>,
}

/// The group's audit log a page at a time, newest first: 200 entries unless
/// `limit` says otherwise (1 to 1,000), the next page in a `Link` header.
async fn audit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<serde_json::Value>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let limit = query.limit.unwrap_or(200);
    if !(1..=audit::MOST_READ).contains(&limit) {
        return Err(AppError::BadRequest {
            code: "bad_query",
            message: format!("limit: must be from 1 to {}", audit::MOST_READ),
        });
    }
    let group = state.members.group(&handle).await?;
    let subject = query.member.map(audit::member_subject);
    let reading = Reading {
        subject: subject.as_deref(),
        before: query.before,
        limit,
    };
    let entries = state
        .members
        .audit_log(&principal, &group, &reading)
        .await?;
    let next = match entries.last() {
        Some(last) if entries.len() as i64 == limit => {
            let (limit, before) = (limit.to_string(), last.id.to_string());
            let member = query.member.map(|m| m.to_string());
            let params = [
                ("member", member.as_deref()),
                ("limit", Some(limit.as_str())),
                ("before", Some(before.as_str())),
            ];
            super::paging::link_to_next(&state, &format!("/api/v1/groups/{handle}/audit"), &params)
        }
        _ => HeaderMap::new(),
    };
    let entries = entries
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id, "at": e.at, "username": e.username, "action": e.action,
                "subject": e.subject, "detail": e.detail,
            })
        })
        .collect();
    Ok((next, Json(entries)))
}
