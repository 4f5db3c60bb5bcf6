//! Dereferencing our notes and activities by id. Public ones are served to
//! anyone; non-public ones only to signed requests from their audience
//! (DESIGN.md invariant 5).

use crate::activity_json::{ActivityJson, RawActivityJson};
use crate::{AppError, AppState};
use axum::extract::{Path, Request, State};
use axum::routing::get;
use axum::Router;
use unionhall_federation::activities::audience_of;
use unionhall_federation::authentication::{authorize_fetch, SignedRequest};
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

/// Public activities to anyone; the others (follows and their answers) only to
/// signed requests from a server they were addressed to.
async fn activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<RawActivityJson, AppError> {
    let ap_id = own_url(&state, &format!("/activities/{id}"));
    let not_found = || AppError::NotFound(format!("no activity {id}"));
    let activity = outbox::get(&state.store, &ap_id)
        .await?
        .ok_or_else(not_found)?;
    if !activity.public {
        let json: serde_json::Value = serde_json::from_str(&activity.body)
            .map_err(|err| AppError::Internal(err.to_string()))?;
        let audience = audience_of(&json);
        let uri = request.uri();
        let signed = SignedRequest {
            method: request.method().as_str(),
            path_and_query: uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or_else(|| uri.path()),
            headers: request.headers(),
        };
        authorize_fetch(&state.federation_data(), &signed, &audience).await?;
    }
    Ok(RawActivityJson(activity.body))
}
