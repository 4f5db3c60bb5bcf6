//! The pages that let people in: login, invitation sign-up, logout, and a plain
//! account page. Plain HTML forms that work without JavaScript; the web UI work
//! gives them their final look.

use crate::auth::{self, FormCaller, MaybeCaller, FORM_COOKIE, SESSION_COOKIE};
use crate::html::{escape, page};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use unionhall_members::accounts::NewSession;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/invite/{token}", get(invite_page).post(accept_invite))
        .route("/account", get(account_page))
}

/// Pages with forms are never framed (clickjacking), never cached, load nothing
/// from elsewhere and post only to this instance.
fn protected(
    status: StatusCode,
    body: axum::response::Html<String>,
    set: Vec<HeaderValue>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    for cookie in set {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

fn error_note(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p role=\"alert\"><strong>{}</strong></p>", escape(e)))
        .unwrap_or_default()
}

fn login_form(token: &str, username: &str, error: Option<&str>) -> String {
    format!(
        "<h1>Log in</h1>{}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><label for=\"username\">Username</label><br>\
         <input id=\"username\" name=\"username\" value=\"{}\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Password</label><br>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><label for=\"code\">Code from your authenticator app (if you turned one on)</label><br>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\"></p>\
         <p><button>Log in</button></p></form>\
         <p>No account? Accounts are by invitation: ask an organizer of your chapter.</p>",
        error_note(error),
        escape(token),
        escape(username)
    )
}

/// A pre-login form page with its double-submit cookie.
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    title: &str,
    body: impl FnOnce(&str) -> String,
) -> Result<Response, AppError> {
    let (token, fresh) = auth::form_token(headers)?;
    let set = if fresh {
        vec![auth::set_cookie(state, FORM_COOKIE, &token, 3600)]
    } else {
        Vec::new()
    };
    Ok(protected(status, page(title, &body(&token)), set))
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    form_page(&state, &headers, StatusCode::OK, "Log in", |t| {
        login_form(t, "", None)
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    code: String,
}

/// Sets the session cookie and sends the browser to the board.
fn logged_in(state: &AppState, session: &NewSession) -> Response {
    let max_age = (session.expires_at - unionhall_store::now_millis()) / 1000;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(state, SESSION_COOKIE, &session.secret, max_age),
    );
    response
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    auth::check_form_token(&headers, &form.csrf)?;
    match state
        .members
        .login(
            form.username.trim(),
            &form.password,
            Some(form.code.as_str()).filter(|c| !c.trim().is_empty()),
        )
        .await
    {
        Ok(session) => Ok(logged_in(&state, &session)),
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => return Err(err),
            };
            let message = err.to_string();
            form_page(&state, &headers, status, "Log in", |t| {
                login_form(t, form.username.trim(), Some(&message))
            })
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    caller: FormCaller,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    caller.check_form(&form.csrf)?;
    if let Some(secret) = auth::cookie(&headers, SESSION_COOKIE) {
        state.members.logout(secret).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    Ok(response)
}

struct InviteForm<'a> {
    invite_token: &'a str,
    what: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

fn invite_form(token: &str, form: &InviteForm<'_>) -> String {
    format!(
        "<h1>Join {}</h1>{}<p>Choose a username and a password (at least 10 characters). \
         The username is only seen on this instance. If you already have an account here, \
         enter its username and password to add this role to it.</p>\
         <form method=\"post\" action=\"/invite/{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><label for=\"username\">Username</label><br>\
         <input id=\"username\" name=\"username\" value=\"{}\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Password</label><br>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" required></p>\
         <p><button>Join</button></p></form>",
        escape(form.what),
        error_note(form.error),
        escape(form.invite_token),
        escape(token),
        escape(form.username),
    )
}

async fn invite_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(invite_token): Path<String>,
) -> Result<Response, AppError> {
    let invite = match state.members.invite(&invite_token).await {
        Ok(invite) => invite,
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Gone(_) => StatusCode::GONE,
                _ => return Err(err),
            };
            let body = format!(
                "<h1>This invitation cannot be used</h1><p>{}</p>",
                escape(&err.to_string())
            );
            return Ok(protected(status, page("Invitation", &body), Vec::new()));
        }
    };
    let what = format!("{} as {}", invite.group.handle, invite.role);
    form_page(&state, &headers, StatusCode::OK, "Invitation", |t| {
        invite_form(
            t,
            &InviteForm {
                invite_token: &invite_token,
                what: &what,
                username: "",
                error: None,
            },
        )
    })
}

async fn accept_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(invite_token): Path<String>,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    auth::check_form_token(&headers, &form.csrf)?;
    let username = form.username.trim();
    match state
        .members
        .accept_invite(&invite_token, username, &form.password)
        .await
    {
        // An existing account with a second factor logs in on the login page.
        Ok(_) => match state.members.login(username, &form.password, None).await {
            Ok(session) => Ok(logged_in(&state, &session)),
            Err(unionhall_members::Error::Unauthenticated(_)) => {
                Ok(Redirect::to("/login").into_response())
            }
            Err(err) => Err(err.into()),
        },
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                _ => return Err(err),
            };
            let message = err.to_string();
            let what = match state.members.invite(&invite_token).await {
                Ok(invite) => format!("{} as {}", invite.group.handle, invite.role),
                Err(_) => String::new(),
            };
            form_page(&state, &headers, status, "Invitation", |t| {
                invite_form(
                    t,
                    &InviteForm {
                        invite_token: &invite_token,
                        what: &what,
                        username,
                        error: Some(&message),
                    },
                )
            })
        }
    }
}

async fn account_page(MaybeCaller(caller): MaybeCaller) -> Response {
    let Some(principal) = caller else {
        return Redirect::to("/login").into_response();
    };
    let csrf = match &principal.via {
        unionhall_members::Via::Session { csrf_token, .. } => csrf_token.clone(),
        unionhall_members::Via::Token { .. } => String::new(),
    };
    let roles: String = principal
        .roles
        .iter()
        .map(|(group, role)| format!("<li>{} in {}</li>", role, escape(group.as_str())))
        .collect();
    let record = if principal.member_id.is_some() {
        "<p><a href=\"/api/v1/me/record\">Download your member record</a> \
         (everything your chapter keeps about you).</p>"
    } else {
        ""
    };
    let body = format!(
        "<h1>{}</h1><h2>Your roles</h2><ul>{roles}</ul>{record}\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button>Log out</button></form>",
        escape(&principal.username),
        escape(&csrf)
    );
    protected(StatusCode::OK, page("Your account", &body), Vec::new())
}
