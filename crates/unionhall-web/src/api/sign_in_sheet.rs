//! A call's sign-in sheet for a chapter's organizers: who of the chapter's
//! own members pledged to it (each look in the audit log), and tagging their
//! records so that who came stays there once the pledges are forgotten
//! (`retention.pledges_days`). The same as the call page's sheet.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calls/{id}/pledgers/{handle}", get(sheet))
        .route("/api/v1/calls/{id}/pledgers/{handle}/tag", post(tag))
}

#[derive(Serialize)]
struct PledgerView {
    /// The name on their record, when their account is linked to one.
    name: Option<String>,
    username: String,
    kind: String,
    amount: i64,
}

async fn sheet(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, handle)): Path<(i64, String)>,
) -> Result<Json<Vec<PledgerView>>, AppError> {
    super::calls::readable_call(&state, &principal, id).await?;
    let chapter = state.members.chapter(&handle).await?;
    let people = state
        .members
        .who_is_coming(&principal, &chapter, id)
        .await?;
    Ok(Json(
        people
            .into_iter()
            .map(|p| PledgerView {
                name: p.name,
                username: p.username,
                kind: p.kind,
                amount: p.amount,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagBody {
    tag: String,
}

#[derive(Serialize)]
struct Tagged {
    /// Records that did not have the tag yet.
    tagged: usize,
    /// Who pledged with no record on the chapter's roster.
    without_record: usize,
}

async fn tag(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, handle)): Path<(i64, String)>,
    ApiJson(body): ApiJson<TagBody>,
) -> Result<Json<Tagged>, AppError> {
    super::calls::readable_call(&state, &principal, id).await?;
    let chapter = state.members.chapter(&handle).await?;
    let (tagged, without_record) = state
        .members
        .tag_pledgers(&principal, &chapter, id, &body.tag)
        .await?;
    Ok(Json(Tagged {
        tagged,
        without_record,
    }))
}
