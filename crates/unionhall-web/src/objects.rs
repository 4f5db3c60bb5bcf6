//! Dereferencing our notes and activities by id. Only public ones are served;
//! non-public ones will be served to signed requests from their audience
//! (DESIGN.md invariant 5) when there are any.

use crate::activity_json::{ActivityJson, RawActivityJson};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use unionhall_federation::protocol::context;
use unionhall_store::{outbox, posts};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{id}", get(post))
        .route("/activities/{id}", get(activity))
}

fn own_url(state: &AppState, path: &str) -> url::Url {
    let mut url = state.config.public_url.clone();
    url.set_path(path);
    url
}

async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ActivityJson, AppError> {
    let ap_id = own_url(&state, &format!("/posts/{id}"));
    let post = posts::by_ap_id(&state.store, &ap_id)
        .await?
        .filter(|p| p.is_local && p.public)
        .ok_or_else(|| AppError::NotFound(format!("no post {id}")))?;
    if post.deleted_at.is_some() {
        return Err(AppError::Gone(format!("{ap_id} was deleted")));
    }
    let mut value = serde_json::to_value(unionhall_federation::activities::post::note_of(&post))
        .map_err(|err| AppError::Internal(err.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("@context".into(), context());
    }
    Ok(ActivityJson(value))
}

async fn activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<RawActivityJson, AppError> {
    let ap_id = own_url(&state, &format!("/activities/{id}"));
    let activity = outbox::get(&state.store, &ap_id)
        .await?
        .filter(|a| a.public)
        .ok_or_else(|| AppError::NotFound(format!("no activity {id}")))?;
    Ok(RawActivityJson(activity.body))
}
