//! A new invitation's secret, carried across the redirect after the form
//! that made it (post/redirect/get) without being written into an address:
//! a browser's history and a proxy's log keep addresses. It rides in a
//! short-lived HttpOnly cookie, and the page that shows it clears the
//! cookie, so reloading that page neither makes another invitation nor
//! shows the secret again.

use crate::auth;
use crate::AppState;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

const COOKIE: &str = "unionhall_new_invite";

/// Long enough for the redirect, short enough that a forgotten one is gone.
const SECONDS: i64 = 120;

/// A redirect to `to` that brings `token` along.
pub(crate) fn redirect(state: &AppState, to: &str, token: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(state, COOKIE, token, SECONDS),
    );
    response
}

/// The token brought along, if any (only the characters tokens are made
/// of: anything else is no token of ours).
pub(crate) fn token(headers: &HeaderMap) -> Option<String> {
    auth::cookie(headers, COOKIE)
        .filter(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// `response`, clearing the cookie: the secret is shown once.
pub(crate) fn shown(state: &AppState, mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::SET_COOKIE, auth::set_cookie(state, COOKIE, "", 0));
    response
}
