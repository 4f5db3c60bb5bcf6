//! `/reset/{token}`: the page of a one-time link an operator made with
//! `unionhall account reset`, where someone locked out sets a new password.

use crate::account_pages::{form_page, protected};
use crate::auth;
use crate::pages::layout::Layout;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/reset/{token}", get(reset_page).post(reset))
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    layout: Layout,
    form_token: String,
    reset_token: &'a str,
    /// Whose account; None when the link cannot be used.
    username: Option<&'a str>,
    removes_second_factor: bool,
    done: bool,
    problem: Option<&'a str>,
}

/// The page for a link that does not work (unknown, used or expired).
fn unusable(state: &AppState, err: unionhall_members::Error) -> Result<Response, AppError> {
    let err = AppError::from(err);
    let status = match &err {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Gone(_) => StatusCode::GONE,
        _ => return Err(err),
    };
    let message = err.to_string();
    let page = ResetPage {
        layout: Layout::visitor(state),
        form_token: String::new(),
        reset_token: "",
        username: None,
        removes_second_factor: false,
        done: false,
        problem: Some(&message),
    };
    protected(status, &page, Vec::new())
}

async fn reset_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reset_token): Path<String>,
) -> Result<Response, AppError> {
    let reset = match state.members.reset(&reset_token).await {
        Ok(reset) => reset,
        Err(err) => return unusable(&state, err),
    };
    form_page(&state, &headers, StatusCode::OK, |t| ResetPage {
        layout: Layout::visitor(&state),
        form_token: t.to_owned(),
        reset_token: &reset_token,
        username: Some(&reset.username),
        removes_second_factor: reset.removes_second_factor,
        done: false,
        problem: None,
    })
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    password: String,
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reset_token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    auth::check_form_token(&headers, &form.csrf)?;
    let reset = match state.members.reset(&reset_token).await {
        Ok(reset) => reset,
        Err(err) => return unusable(&state, err),
    };
    let (status, problem, done) = match state.members.use_reset(&reset_token, &form.password).await
    {
        Ok(_) => (StatusCode::OK, None, true),
        Err(err @ unionhall_members::Error::Invalid { .. }) => {
            (StatusCode::BAD_REQUEST, Some(err.to_string()), false)
        }
        Err(err) => return unusable(&state, err),
    };
    form_page(&state, &headers, status, |t| ResetPage {
        layout: Layout::visitor(&state),
        form_token: t.to_owned(),
        reset_token: &reset_token,
        username: Some(&reset.username),
        removes_second_factor: reset.removes_second_factor,
        done,
        problem: problem.as_deref(),
    })
}
