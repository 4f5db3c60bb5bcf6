//! Unionhall over HTTP: the axum router with every route, its middleware, and the
//! one place where errors become status codes ([`AppError`]).
//!
//! Each resource module exports `router()`; [`router`] only merges them and adds
//! the middleware every request goes through.

mod account_pages;
mod activity_json;
mod actors;
mod api;
mod auth;
mod board;
pub mod client_ip;
mod discovery;
mod email_pages;
mod error;
mod feeds;
mod health;
mod html;
mod inbox;
mod login_limit;
mod metrics;
mod middleware;
mod objects;
mod pages;
mod reset_pages;
mod state;

pub use error::{AppError, ErrorBody};
pub use metrics::handle as metrics_handle;
pub use state::{AppState, WebConfig};

use axum::Router;

/// Every route of the instance, with request ids, tracing, the body limit and JSON
/// errors for unknown routes and methods.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(health::router())
        .merge(discovery::router())
        .merge(actors::router())
        .merge(inbox::router())
        .merge(objects::router())
        .merge(account_pages::router())
        .merge(reset_pages::router())
        .merge(email_pages::router())
        .merge(api::router())
        .merge(feeds::router())
        .merge(metrics::router())
        .merge(pages::router())
        .fallback(|| async { AppError::NotFound("no such page or resource".into()) })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed });
    middleware::wrap(routes, &state).with_state(state)
}
