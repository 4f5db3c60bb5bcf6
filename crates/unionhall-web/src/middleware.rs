//! What every request goes through: a request id (taken from `x-request-id` or
//! made), a tracing span carrying it, the body-size limit, and error logging.

use crate::error::LoggedDetail;
use crate::{AppError, AppState};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) fn wrap(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limit = state.config.body_limit_bytes;
    // Layers run outside-in in the reverse order they are added.
    routes
        .layer(from_fn_with_state(
            state.clone(),
            crate::pages::errors::html_errors,
        ))
        .layer(from_fn(crate::metrics::record))
        .layer(DefaultBodyLimit::max(limit))
        .layer(from_fn_with_state(state.clone(), refuse_oversize_bodies))
        .layer(from_fn(log_errors))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %loggable_path(request.uri().path()),
                    request_id = %id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The path as logs may show it: the secret in an invitation link is cut off.
fn loggable_path(path: &str) -> &str {
    match path.strip_prefix("/invite/") {
        Some(_) => "/invite/…",
        None => path,
    }
}

/// Refuses a body announced as too large before reading any of it. Bodies without
/// a length (chunked) are cut at the same limit by `DefaultBodyLimit` when read.
async fn refuse_oversize_bodies(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let limit = state.config.body_limit_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    Ok(next.run(request).await)
}

/// Logs each error response once, with the detail the client was not shown.
async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(LoggedDetail(detail)) = response.extensions().get::<LoggedDetail>() {
        if response.status().is_server_error() {
            tracing::error!(status = %response.status(), "{detail}");
        } else {
            tracing::debug!(status = %response.status(), "{detail}");
        }
    }
    response
}
