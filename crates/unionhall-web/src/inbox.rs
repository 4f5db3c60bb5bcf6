//! Inboxes: the shared `/inbox`, each chapter's and the instance actor's. All go
//! through `unionhall_federation::inbox`; the answer is 202 whether the activity
//! was applied now or had been before (redeliveries are idempotent).

use crate::{AppError, AppState};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use unionhall_federation::inbox::{receive, InboxRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", post(shared_inbox))
        .route("/actor/inbox", post(shared_inbox))
        .route("/actors/{handle}/inbox", post(actor_inbox))
}

async fn actor_inbox(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    request: Request,
) -> Result<StatusCode, AppError> {
    crate::actors::local_actor(&state, &handle).await?;
    shared_inbox(State(state), request).await
}

async fn shared_inbox(
    State(state): State<AppState>,
    request: Request,
) -> Result<StatusCode, AppError> {
    let limit = state.config.body_limit_bytes;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit })?;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| parts.uri.path());
    let request = InboxRequest {
        method: parts.method.as_str(),
        path_and_query,
        headers: &parts.headers,
        body: &bytes,
    };
    receive(&state.federation_data(), request).await?;
    Ok(StatusCode::ACCEPTED)
}
