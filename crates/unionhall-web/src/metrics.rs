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
//!   `unionhall_delivery_oldest_pending_seconds`: read from the shared database
//!   when scraped, so every process reports the same figure (use `max()`, not
//!   `sum()`, across processes); `unionhall_db_connections{state}`: this
//!   process's pool;
//! - `unionhall_mail_queue{state}` (waiting, sent, failed: from the shared
//!   database) and `unionhall_mail_total{kind,outcome}` (the mail crate);
//! - `unionhall_build_info{version}` and the `process_*` gauges (`process.rs`).
//!
//! Every family has a `# HELP` line, and the counters an operator alerts on
//! exist at zero from the start, so that `rate()` sees their first increment.
//! No label ever holds member data or a string a user typed: the method is one
//! of the standard ones or "other".

mod process;

use crate::{AppError, AppState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static STARTED: OnceLock<SystemTime> = OnceLock::new();

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
            STARTED.get_or_init(SystemTime::now);
            describe();
            handle
        })
        .clone()
}

/// The `# HELP` line of every family, and the counters that start at zero.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "unionhall_http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        "unionhall_http_request_duration_seconds",
        "Time to answer an HTTP request, by method and route pattern"
    );
    describe_counter!(
        "unionhall_inbox_activities_total",
        "Activities posted to inboxes: accepted, or the reason they were refused"
    );
    describe_counter!(
        "unionhall_deliveries_total",
        "Delivery attempts by peer (the first 50 seen; then \"other\") and outcome"
    );
    describe_counter!(
        "unionhall_inbox_floods_refused_total",
        "Reports and follows refused over the per-actor or per-domain hourly limit"
    );
    describe_counter!(
        "unionhall_relays_refused_total",
        "Relayed activities refused, by reason"
    );
    describe_counter!(
        "unionhall_pledge_totals_refused_total",
        "Pledge totals from other chapters refused, by reason"
    );
    describe_gauge!(
        "unionhall_deliveries_pending",
        "Deliveries waiting, in the shared database (max() across processes)"
    );
    describe_gauge!(
        "unionhall_deliveries_dead",
        "Deliveries given up, in the shared database (max() across processes)"
    );
    describe_gauge!(
        "unionhall_delivery_oldest_pending_seconds",
        "Age of the oldest waiting delivery, shared database (max() across processes)"
    );
    describe_gauge!(
        "unionhall_mail_queue",
        "Mail waiting, sent and given up, in the shared database (max() across processes)"
    );
    describe_counter!(
        "unionhall_mail_total",
        "Mail send attempts by this process, by kind and outcome (sent, retried, refused, expired)"
    );
    describe_gauge!(
        "unionhall_db_connections",
        "This process's database connections, idle and in use"
    );
    describe_gauge!(
        "unionhall_build_info",
        "Always 1; the version of the running binary is its label"
    );
    describe_gauge!(
        "process_resident_memory_bytes",
        "Resident memory of this process"
    );
    describe_gauge!("process_open_fds", "File descriptors this process has open");
    describe_gauge!("process_max_fds", "File descriptors this process may open");
    describe_gauge!("process_threads", "Threads of this process");
    describe_gauge!(
        "process_start_time_seconds",
        "When this process started, in seconds since the Unix epoch"
    );
    metrics::gauge!("unionhall_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    for outcome in [
        "accepted",
        "unverified",
        "malformed",
        "forbidden",
        "rate_limited",
        "busy",
        "error",
    ] {
        metrics::counter!("unionhall_inbox_activities_total", "outcome" => outcome).absolute(0);
    }
}

/// The request's method as a label: a client can send any token as a method,
/// and each would be a new series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts and times every request by its route pattern.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("unionhall_http_requests_total",
        "method" => method, "route" => route.clone(), "status" => status)
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
    let mail = unionhall_store::mail_queue::stats(&state.store).await?;
    metrics::gauge!("unionhall_mail_queue", "state" => "waiting").set(mail.waiting as f64);
    metrics::gauge!("unionhall_mail_queue", "state" => "sent").set(mail.sent as f64);
    metrics::gauge!("unionhall_mail_queue", "state" => "failed").set(mail.failed as f64);
    let pool = state.store.pool_use();
    metrics::gauge!("unionhall_db_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("unionhall_db_connections", "state" => "in_use").set(pool.in_use as f64);
    process::record(*STARTED.get_or_init(SystemTime::now));
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
