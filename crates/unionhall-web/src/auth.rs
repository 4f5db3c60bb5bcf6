//! Who is calling: the session cookie or API token of a request, turned into a
//! [`Principal`], and the rules that go with each.
//!
//! - An API token (`Authorization: Bearer uht_…`) needs no CSRF token (a browser
//!   never sends one by itself); a read-scoped token may only read.
//! - A session cookie is sent by the browser with every request, so a request
//!   that changes something must also prove it came from our own page: JSON
//!   requests carry `X-CSRF-Token`, forms a `csrf` field ([`Caller::check_form`]).
//! - Forms shown before login (login, invitation) use a double-submit cookie.

use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use unionhall_members::crypto::secrets;
use unionhall_members::{Principal, TokenScope, Via};

pub const SESSION_COOKIE: &str = "uh_session";
/// The double-submit cookie of forms shown to people not logged in.
pub const FORM_COOKIE: &str = "uh_form";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A value of the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure over https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A logged-in caller. As an extractor it refuses (401) requests without a live
/// session or token, read-only tokens on writes (403), and cookie-authenticated
/// writes without the CSRF header (403). Form handlers use [`FormCaller`].
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

/// A caller whose CSRF token is checked by the handler against its form field.
#[derive(Debug, Clone)]
pub struct FormCaller(pub Principal);

/// A caller if the request has a live session or token, else nobody.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Principal>);

async fn principal(parts: &Parts, state: &AppState) -> Result<Option<Principal>, AppError> {
    if let Some(token) = bearer(&parts.headers) {
        return match state.members.authenticate_token(token).await? {
            Some(principal) => Ok(Some(principal)),
            None => Err(AppError::Unauthorized(
                "this API token is not valid (revoked, or mistyped)".into(),
            )),
        };
    }
    match cookie(&parts.headers, SESSION_COOKIE) {
        Some(secret) => Ok(state.members.authenticate_session(secret).await?),
        None => Ok(None),
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn not_logged_in() -> AppError {
    AppError::Unauthorized("log in first (a session cookie or an API token)".into())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let principal = principal(parts, state).await?.ok_or_else(not_logged_in)?;
        if is_write(&parts.method) {
            match &principal.via {
                Via::Token {
                    scope: TokenScope::Read,
                    ..
                } => return Err(AppError::Forbidden("this API token is read-only".into())),
                Via::Token { .. } => {}
                Via::Session { csrf_token, .. } => {
                    let sent = parts
                        .headers
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if !secrets::same(sent, csrf_token) {
                        return Err(AppError::Forbidden(
                            "missing or wrong X-CSRF-Token header (GET /api/v1/me gives it)".into(),
                        ));
                    }
                }
            }
        }
        Ok(Caller(principal))
    }
}

impl FromRequestParts<AppState> for FormCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let principal = principal(parts, state).await?.ok_or_else(not_logged_in)?;
        match principal.via {
            Via::Session { .. } => Ok(FormCaller(principal)),
            Via::Token { .. } => Err(AppError::BadRequest {
                code: "use_the_api",
                message: "forms are for browsers; with a token, use the JSON API".into(),
            }),
        }
    }
}

impl FormCaller {
    /// Checks the `csrf` field of a submitted form.
    pub fn check_form(&self, sent: &str) -> Result<&Principal, AppError> {
        match &self.0.via {
            Via::Session { csrf_token, .. } if secrets::same(sent, csrf_token) => Ok(&self.0),
            _ => Err(AppError::Forbidden(
                "this form is stale or came from another site; reload the page and try again"
                    .into(),
            )),
        }
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeCaller(principal(parts, state).await?))
    }
}

/// The double-submit token of a form shown before login: the one in the
/// browser's cookie if it has one, else a new one to set.
pub fn form_token(headers: &HeaderMap) -> Result<(String, bool), AppError> {
    match cookie(headers, FORM_COOKIE) {
        Some(token) if token.len() >= 32 => Ok((token.to_owned(), false)),
        _ => Ok((
            secrets::new_secret("").map_err(|err| AppError::Internal(err.to_string()))?,
            true,
        )),
    }
}

/// Checks a pre-login form: its field must equal the cookie set with the page.
pub fn check_form_token(headers: &HeaderMap, sent: &str) -> Result<(), AppError> {
    match cookie(headers, FORM_COOKIE) {
        Some(expected) if !sent.is_empty() && secrets::same(sent, expected) => Ok(()),
        _ => Err(AppError::Forbidden(
            "this form is stale or came from another site; reload the page and try again".into(),
        )),
    }
}
