//! Probes for supervisors and load balancers: `/healthz` (the process answers) and
//! `/readyz` (the database answers and is fully migrated).

use crate::{AppError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let readiness = state
        .store
        .readiness()
        .await
        .map_err(|err| AppError::Unavailable(format!("database unreachable: {err}")))?;
    if !readiness.is_ready() {
        return Err(AppError::Unavailable(format!(
            "database migrations pending: {:?}",
            readiness.pending_migrations
        )));
    }
    Ok(Json(json!({ "status": "ready" })))
}
