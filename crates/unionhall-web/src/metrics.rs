//! `/metrics` in the Prometheus text format, for the operator's monitoring.
//!
//! Served only with `Authorization: Bearer <http.metrics_token>`; with no token
//! configured the route does not exist (404). Families (docs/operating.md says
//! what each means and when to worry):
//! - `unionhall_http_requests_total{method,route,status}` and
//!   `unionhall_http_request_duration_seconds{method,route}`: by route pattern
//!   (`/actors/{handle}`), never by the path someone typed;
//! - `unionhall_inbox_activities_total{outcome}`: accepted (applied, or a
//!   redelivery that changed nothing), or the reason of a refusal;
//! - `unionhall_deliveries_total{peer,outcome}` (from the federation crate):
//!   delivered, failed (retried later), dead, dropped; peers beyond the first
//!   50 seen are counted as "other";
//! - `unionhall_deliveries_pending`, `unionhall_deliveries_dead`,
//!   `unionhall_delivery_oldest_pending_seconds`, `unionhall_db_connections{state}`:
//!   read from the database when scraped.
//!
//! No label ever holds member data or a string a user typed.

use crate::{AppError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder, installed on first use (tests start many
/// instances in one process; they share it).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            // Buckets from 5 ms to 10 s; the default ones stop at 10 s too but
            // are coarse where pages and inbox requests fall.
            let builder = builder
                .set_buckets_for_metric(
                    Matcher::Full("unionhall_http_request_duration_seconds".into()),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder installed first (an embedding program) keeps its
            // place; ours then renders what it saw, which is nothing.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts and times every request by its route pattern.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("unionhall_http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("unionhall_http_request_duration_seconds",
        "method" => method, "route" => route)
    .record(started.elapsed().as_secs_f64());
    response
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = state.config.metrics_token.as_str();
    if token.is_empty() {
        return Err(AppError::NotFound("no such page or resource".into()));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
        return Err(AppError::Unauthorized(
            "metrics need Authorization: Bearer <http.metrics_token>".into(),
        ));
    }
    let health = unionhall_store::deliveries::health(&state.store).await?;
    metrics::gauge!("unionhall_deliveries_pending").set(health.pending as f64);
    metrics::gauge!("unionhall_deliveries_dead").set(health.dead as f64);
    metrics::gauge!("unionhall_delivery_oldest_pending_seconds")
        .set(health.oldest_pending_age_ms as f64 / 1000.0);
    let pool = state.store.pool_use();
    metrics::gauge!("unionhall_db_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("unionhall_db_connections", "state" => "in_use").set(pool.in_use as f64);
    let text = handle().render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
