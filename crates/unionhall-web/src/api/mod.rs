//! The JSON API for accounts, roles and the roster (`/api/v1`). Every route
//! authenticates with [`Caller`](crate::auth::Caller) and the members service
//! checks the role; docs/api.md lists who may call what.
//!
//! Responses carry `Cache-Control: no-store`: member data must not stay in a
//! shared computer's browser cache or in a proxy.

mod actions;
mod board;
mod body;
mod calls;
mod campaigns;
mod groups;
mod me;
mod roster;
mod strikes;
mod unions;

use crate::AppState;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) use body::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(me::router())
        .merge(actions::router())
        .merge(calls::router())
        .merge(campaigns::router())
        .merge(board::router())
        .merge(groups::router())
        .merge(roster::router())
        .merge(strikes::router())
        .merge(unions::router())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
