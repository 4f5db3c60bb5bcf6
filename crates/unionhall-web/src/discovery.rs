//! WebFinger, NodeInfo and host-meta. All public documents, answered with
//! `Access-Control-Allow-Origin: *` (RFC 7033 section 5 requires it of
//! WebFinger), errors included, so that browser-based clients and lookup
//! tools can read them.

use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/.well-known/host-meta", get(host_meta))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<impl IntoResponse, AppError> {
    let resource = query.resource.ok_or_else(|| AppError::BadRequest {
        code: "bad_request",
        message: "the resource parameter is required".into(),
    })?;
    let document =
        unionhall_federation::discovery::webfinger(&state.federation_data(), &resource).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/jrd+json")],
        document.to_string(),
    ))
}

async fn nodeinfo_links(State(state): State<AppState>) -> impl IntoResponse {
    Json(unionhall_federation::discovery::nodeinfo_links(
        &state.federation_data(),
    ))
}

async fn nodeinfo(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let document = unionhall_federation::discovery::nodeinfo(&state.federation_data()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        )],
        document.to_string(),
    ))
}

async fn host_meta(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/xrd+xml")],
        unionhall_federation::discovery::host_meta(&state.federation_data()),
    )
}
