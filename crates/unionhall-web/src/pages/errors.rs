//! Errors as pages, for people in a browser: the JSON error every route returns
//! becomes a page that says what happened and what to do, when the request
//! asked for HTML and is not for the API.

use super::layout::{render, Layout};
use crate::{AppState, ErrorBody};
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
    advice: &'static str,
}

/// Largest error body read back (they are a few hundred bytes).
const MAX_ERROR_BODY: usize = 16 * 1024;

pub(crate) async fn html_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let for_people = wants_html && !request.uri().path().starts_with("/api/");
    // Kept to know who is logged in, should the answer be an error page.
    let headers = for_people.then(|| request.headers().clone());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !for_people || !is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let message = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|b| b.error.message)
        .unwrap_or_default();
    let (heading, advice) = wording(status);
    let layout = match headers {
        Some(headers) => layout_for(&state, headers).await,
        None => Layout::visitor(&state),
    };
    let page = ErrorPage {
        layout,
        heading,
        message,
        advice,
    };
    match render(status, &page) {
        Ok(mut html) => {
            // Keep what the error set for the client (Retry-After, cookies).
            for name in [header::RETRY_AFTER, header::SET_COOKIE] {
                for value in parts.headers.get_all(&name) {
                    html.headers_mut().append(name.clone(), value.clone());
                }
            }
            html.extensions_mut().extend(parts.extensions);
            html
        }
        Err(_) => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// The page's frame for whoever sent `headers`: their name and "Log out" when
/// they are logged in (an error is no reason to offer a login), else a
/// visitor's.
async fn layout_for(state: &AppState, headers: axum::http::HeaderMap) -> Layout {
    use axum::extract::FromRequestParts;
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    match crate::auth::MaybeCaller::from_request_parts(&mut parts, state).await {
        Ok(crate::auth::MaybeCaller(Some(principal))) => Layout::member(state, &principal),
        _ => Layout::visitor(state),
    }
}

fn wording(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 | 422 => (
            "That did not work",
            "Go back, correct what the message says, and try again.",
        ),
        401 => (
            "Please log in first",
            "Log in with your account (ask an organizer of your chapter for an invitation if you have none), then open the page again.",
        ),
        403 => (
            "You cannot do this here",
            "Your account does not have the role this needs. An admin or organizer of your chapter can give it to you.",
        ),
        404 => (
            "Page not found",
            "The address may be mistyped, or what it showed was removed. Start again from the start page.",
        ),
        409 => (
            "That is recorded already",
            "Nothing was changed. Go back to see what is there.",
        ),
        413 => ("That is too large", "Send something smaller."),
        429 => (
            "Too many tries",
            "Wait a few minutes, then try again.",
        ),
        _ => (
            "Something went wrong on this server",
            "Try again in a minute. If it keeps happening, tell your instance's admin when it happened: the details are in the server's log.",
        ),
    }
}
