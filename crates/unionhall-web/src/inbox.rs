//! Inboxes: the shared `/inbox`, each chapter's and the instance actor's. All go
//! through `unionhall_federation::inbox`; the answer is 202 whether the activity
//! was applied now or had been before (redeliveries are idempotent).

use crate::client_ip::client_ip;
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
    inbox(state, request, Some(handle)).await
}

async fn shared_inbox(
    State(state): State<AppState>,
    request: Request,
) -> Result<StatusCode, AppError> {
    inbox(state, request, None).await
}

/// `handle`: the chapter whose own inbox was posted to, looked up only once the
/// gate let the request in (a flood of posts to made-up handles costs no query).
async fn inbox(
    state: AppState,
    request: Request,
    handle: Option<String>,
) -> Result<StatusCode, AppError> {
    let limit = state.config.body_limit_bytes;
    let (parts, body) = request.into_parts();
    // Refused before the body is read: rate limits, then a slot of work.
    let data = state.federation_data();
    let _permit = data
        .inbox_gate
        .admit(
            client_ip(
                &parts.extensions,
                &parts.headers,
                &state.config.trusted_proxies,
            ),
            &parts.headers,
        )
        .inspect_err(refused)?;
    if let Some(handle) = handle {
        crate::actors::local_actor(&state, &handle).await?;
    }
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
    let outcome = receive(&data, request).await;
    match &outcome {
        Ok(()) => metrics::counter!("unionhall_inbox_activities_total", "outcome" => "accepted")
            .increment(1),
        Err(err) => refused(err),
    }
    outcome?;
    Ok(StatusCode::ACCEPTED)
}

/// Counts a refusal and logs it with its reason: a peer's administrator
/// asking why their server's activity was not taken finds the answer here.
fn refused(err: &unionhall_federation::Error) {
    let outcome = refusal_reason(err);
    metrics::counter!("unionhall_inbox_activities_total", "outcome" => outcome).increment(1);
    tracing::info!(outcome, reason = %err, "the inbox refused an activity");
}

/// A refusal's reason as a metrics label: a fixed word, never the message.
fn refusal_reason(err: &unionhall_federation::Error) -> &'static str {
    use unionhall_federation::Error as E;
    match err {
        E::BadRequest(_) | E::Domain(_) => "malformed",
        E::Unauthorized(_) => "unverified",
        E::Forbidden(_) => "forbidden",
        E::NotFound(_) => "not_found",
        E::Conflict(_) => "conflict",
        E::TooEarly(_) => "too_early",
        E::TooManyRequests { .. } => "rate_limited",
        E::Busy { .. } => "busy",
        E::Remote(_) => "remote_failed",
        E::Config(_) | E::Store(_) | E::Internal(_) => "error",
    }
}
