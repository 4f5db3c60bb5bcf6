//! The JSON API for accounts, roles and the roster (`/api/v1`). Every route
//! authenticates with [`Caller`](crate::auth::Caller) and the members service
//! checks the role; docs/api.md lists who may call what.
//!
//! Responses carry `Cache-Control: no-store`: member data must not stay in a
//! shared computer's browser cache or in a proxy.

mod actions;
mod blocklists;
mod board;
mod body;
mod calls;
mod campaigns;
mod chart;
mod groups;
pub(crate) mod mail;
mod me;
mod moderation;
pub(crate) mod paging;
mod roster;
mod sign_in_sheet;
mod strikes;
mod unions;

use crate::AppState;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub(crate) use body::ApiJson;
pub(crate) use calls::pledge_as;
pub(crate) use groups::invite_url;

/// The OpenAPI description of every route below (docs/openapi.json; a test
/// checks each is served and described in docs/api.md).
const OPENAPI: &str = include_str!("../../../../docs/openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
            }),
        )
        .merge(me::router())
        .merge(mail::router())
        .merge(moderation::router())
        .merge(blocklists::router())
        .merge(actions::router())
        .merge(calls::router())
        .merge(campaigns::router())
        .merge(chart::router())
        .merge(board::router())
        .merge(groups::router())
        .merge(roster::router())
        .merge(sign_in_sheet::router())
        .merge(strikes::router())
        .merge(unions::router())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// A query string that does not parse (an unknown parameter, a number that
/// is not one): 400 with what was wrong.
pub(crate) fn bad_query(err: axum::extract::rejection::QueryRejection) -> crate::AppError {
    crate::AppError::BadRequest {
        code: "bad_query",
        message: err.body_text(),
    }
}
