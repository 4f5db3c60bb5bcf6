//! Email, where people touch it: an account's own address (set on the
//! account page, confirmed by the link mailed to it), and "forgot your
//! password?" for someone logged out. With email off (no `[email]`), the
//! pages say so and send nothing.

use crate::account_pages::{form_page, protected, render_account, Problem};
use crate::auth::{self, FormCaller};
use crate::pages::layout::Layout;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/email", post(set_email))
        .route("/email/confirm/{token}", get(confirm))
        .route("/forgot", get(forgot_page).post(forgot))
        .route("/account/mail", post(set_mail_wanted))
        .route("/groups/{handle}/reminders", post(set_reminder_hours))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
}

#[derive(Deserialize)]
struct ReminderHoursForm {
    csrf: String,
    first_hours: String,
    second_hours: String,
}

/// A chapter's admins set when its members who pledged are reminded.
async fn set_reminder_hours(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<ReminderHoursForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let group = state.members.group(&handle).await?;
    let hours = |field: &str, value: &str| {
        value.trim().parse::<i64>().map_err(|_| AppError::Invalid {
            field: field.into(),
            message: format!("{}: a number of hours", field.replace('_', " ")),
        })
    };
    let first = hours("first_hours", &form.first_hours)?;
    let second = hours("second_hours", &form.second_hours)?;
    state
        .members
        .set_reminder_hours(&principal, &group, first, second)
        .await?;
    Ok(Redirect::to(&format!("/groups/{handle}/people?done=reminders#reminders")).into_response())
}

/// The account page's choice of mail: a checkbox is present when checked.
#[derive(Deserialize)]
struct MailForm {
    csrf: String,
    #[serde(default)]
    reminders: Option<String>,
    #[serde(default)]
    pledges: Option<String>,
    /// off, at_once or daily.
    #[serde(default)]
    news: String,
    /// en, es or fr; "": the server's.
    #[serde(default)]
    language: String,
    /// The daily digest's hour, 0 to 23; absent: unchanged.
    #[serde(default)]
    digest_hour: Option<String>,
}

async fn set_mail_wanted(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<MailForm>,
) -> Result<Response, AppError> {
    use unionhall_store::mail_reminders::Preference;
    let principal = caller.check_form(&form.csrf)?.clone();
    let news = crate::api::mail::news_choice(&form.news)?;
    let language = crate::api::mail::language_choice(&form.language)?;
    let digest_hour = match form.digest_hour.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(hour) => Some(crate::api::mail::digest_hour(hour)?),
    };
    for (what, on) in [
        (Preference::Reminders, form.reminders.is_some()),
        (Preference::Pledges, form.pledges.is_some()),
    ] {
        state.members.set_mail_wanted(&principal, what, on).await?;
    }
    state.members.set_news_choice(&principal, news).await?;
    state.members.set_language(&principal, language).await?;
    if let Some(hour) = digest_hour {
        state.members.set_digest_hour(&principal, hour).await?;
    }
    Ok(Redirect::to("/account?done=mail#mail").into_response())
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    layout: Layout,
    token: &'a str,
    done: bool,
    problem: Option<String>,
}

/// The page behind a mail's "no more ..." link, for a person: one button. The mail program's own button posts to the same address.
async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let page = UnsubscribePage {
        layout: Layout::visitor(&state),
        token: &token,
        done: false,
        problem: None,
    };
    protected(StatusCode::OK, &page, Vec::new())
}

/// One click (RFC 8058): the link itself is the credential, so no form token
/// or session is asked for; a mail program posts `List-Unsubscribe=One-Click`.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (status, done, problem) = match state.members.unsubscribe(&token).await {
        Ok(_) => (StatusCode::OK, true, None),
        Err(err) => {
            let err = AppError::from(err);
            match &err {
                AppError::NotFound(_) => (StatusCode::NOT_FOUND, false, Some(err.to_string())),
                _ => return Err(err),
            }
        }
    };
    let page = UnsubscribePage {
        layout: Layout::visitor(&state),
        token: &token,
        done,
        problem,
    };
    protected(status, &page, Vec::new())
}

#[derive(Deserialize)]
struct EmailForm {
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Sets (or, empty, removes) the caller's address; a link to confirm it is
/// mailed to it.
async fn set_email(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    match state.members.set_email(&principal, &form.email).await {
        Ok(()) if form.email.trim().is_empty() => {
            Ok(Redirect::to("/account?done=email-removed#email").into_response())
        }
        Ok(()) => Ok(Redirect::to("/account?done=email#email").into_response()),
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::Invalid { .. } | AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                _ => return Err(err),
            };
            let problem = Problem::Email(err.to_string());
            render_account(&state, &principal, status, Some(problem), None).await
        }
    }
}

#[derive(Template)]
#[template(path = "email_confirmed.html")]
struct ConfirmedPage {
    layout: Layout,
    /// The account whose address it now is; None when the link does not work.
    username: Option<String>,
    problem: Option<String>,
}

/// The link mailed to an address: following it confirms the address.
async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (status, username, problem) = match state.members.confirm_email(&token).await {
        Ok(username) => (StatusCode::OK, Some(username), None),
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Gone(_) => StatusCode::GONE,
                _ => return Err(err),
            };
            (status, None, Some(err.to_string()))
        }
    };
    let page = ConfirmedPage {
        layout: Layout::visitor(&state),
        username,
        problem,
    };
    protected(status, &page, Vec::new())
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    layout: Layout,
    form_token: String,
    email_on: bool,
    /// The request was taken (the same answer whatever became of it).
    asked: bool,
    problem: Option<String>,
}

async fn forgot_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    form_page(&state, &headers, StatusCode::OK, |t| ForgotPage {
        layout: Layout::visitor(&state),
        form_token: t.to_owned(),
        email_on: state.members.email_on(),
        asked: false,
        problem: None,
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    username: String,
}

/// Asks for a reset link by mail, by username or address. The answer is the
/// same whether or not the account or address exists; one client may ask a
/// few times an hour.
async fn forgot(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    auth::check_form_token(&headers, &form.csrf)?;
    let ip = crate::client_ip::client_ip(&extensions, &headers, &state.config.trusted_proxies);
    let (status, asked, problem) = match ip.and_then(|ip| state.reset_limiter.check(ip)) {
        Some(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            false,
            Some(format!(
                "too many requests from here; try again in {} minutes",
                wait.as_secs().div_ceil(60)
            )),
        ),
        None => {
            if let Some(ip) = ip {
                state.reset_limiter.failed(ip);
            }
            match state.members.request_reset(&form.username).await {
                Ok(()) => (StatusCode::OK, true, None),
                Err(err) => {
                    let err = AppError::from(err);
                    match &err {
                        AppError::Conflict(_) => {
                            (StatusCode::CONFLICT, false, Some(err.to_string()))
                        }
                        _ => return Err(err),
                    }
                }
            }
        }
    };
    form_page(&state, &headers, status, |t| ForgotPage {
        layout: Layout::visitor(&state),
        form_token: t.to_owned(),
        email_on: state.members.email_on(),
        asked,
        problem,
    })
}
