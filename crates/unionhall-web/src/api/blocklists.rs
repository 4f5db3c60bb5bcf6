//! The instance's domain block list as a file, for instance admins: exported
//! and imported in the CSV format Mastodon admins share
//! (`unionhall_domain::blocklist`).

use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use unionhall_federation::policy;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/federation/blocks.csv", get(export))
        .route("/api/v1/admin/federation/blocks/import", post(import))
}

const POLICY: &str = "manage this instance's federation";

async fn export(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, AppError> {
    principal.require_instance_admin(POLICY)?;
    let csv = policy::export_blocks(&state.federation_data()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"domain_blocks.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportOptions {
    #[serde(default)]
    include_silenced: bool,
}

/// The list is the body, sent as `text/csv` (which no cross-site form can
/// send). An unreadable row refuses the whole list (400) and changes nothing.
async fn import(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(options): Query<ImportOptions>,
    request: Request,
) -> Result<Json<Value>, AppError> {
    principal.require_instance_admin(POLICY)?;
    let is_csv = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(AppError::BadRequest {
            code: "unsupported_media_type",
            message: "send the list with Content-Type: text/csv".into(),
        });
    }
    let limit = state.config.body_limit_bytes;
    let bytes = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge { limit })?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest {
        code: "bad_list",
        message: "the list is not UTF-8 text".into(),
    })?;
    let listed = unionhall_domain::blocklist::parse(&text).map_err(|err| AppError::BadRequest {
        code: "bad_list",
        message: format!("{err}; nothing was imported"),
    })?;
    let imported =
        policy::import_blocks(&state.federation_data(), listed, options.include_silenced).await?;
    let undone = imported.undone;
    Ok(Json(json!({
        "blocked": imported.blocked,
        "already_blocked": imported.already,
        "skipped": imported.skipped.iter()
            .map(|(domain, why)| json!({"domain": domain, "why": why}))
            .collect::<Vec<_>>(),
        "deliveries_dropped": undone.deliveries_dropped,
        "followers_removed": undone.followers_removed,
        "following_removed": undone.following_removed,
        "memberships_removed": undone.memberships_removed,
    })))
}
