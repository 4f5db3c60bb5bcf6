//! The pages that let people in: login, invitation sign-up, logout, and the
//! account page. Plain HTML forms that work without JavaScript. Before login a
//! form is protected by a double-submit cookie, after it by the session's token.

use crate::auth::{self, FormCaller, MaybeCaller, FORM_COOKIE, SESSION_COOKIE};
use crate::pages::layout::Layout;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use unionhall_domain::Language;
use unionhall_members::accounts::NewSession;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/invite/{token}", get(invite_page).post(accept_invite))
        .route("/invite/{token}/accept", post(accept_invite_as_me))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
}

/// Pages with forms are never framed (clickjacking), never cached, load nothing
/// from elsewhere and post only to this instance.
pub(crate) fn protected(
    status: StatusCode,
    page: &impl Template,
    set: Vec<HeaderValue>,
) -> Result<Response, AppError> {
    let html = page
        .render()
        .map_err(|err| AppError::Internal(format!("rendering a page: {err}")))?;
    let mut response = (status, axum::response::Html(html)).into_response();
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
    Ok(response)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout,
    form_token: String,
    username: &'a str,
    problem: Option<&'a str>,
}

/// A pre-login form page with its double-submit cookie.
pub(crate) fn form_page<T: Template>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    page: impl FnOnce(&str) -> T,
) -> Result<Response, AppError> {
    let (token, fresh) = auth::form_token(headers)?;
    let set = if fresh {
        vec![auth::set_cookie(state, FORM_COOKIE, &token, 3600)]
    } else {
        Vec::new()
    };
    protected(status, &page(&token), set)
}

fn login_page_with<'a>(
    state: &AppState,
    form_token: &str,
    username: &'a str,
    problem: Option<&'a str>,
) -> LoginPage<'a> {
    LoginPage {
        layout: Layout::visitor(state),
        form_token: form_token.to_owned(),
        username,
        problem,
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    form_page(&state, &headers, StatusCode::OK, |t| {
        login_page_with(&state, t, "", None)
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
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    auth::check_form_token(&headers, &form.csrf)?;
    let ip = crate::client_ip::client_ip(&extensions, &headers, &state.config.trusted_proxies);
    if let Some(wait) = ip.and_then(|ip| state.login_limiter.check(ip)) {
        let err = AppError::TooManyRequests {
            message: format!(
                "too many failed logins from this address; try again in {} minutes",
                wait.as_secs() / 60 + 1
            ),
            retry_after_seconds: wait.as_secs().max(1),
        };
        // The page, not the JSON error: a person is at the form.
        let message = err.to_string();
        let mut page = form_page(&state, &headers, StatusCode::TOO_MANY_REQUESTS, |t| {
            login_page_with(&state, t, form.username.trim(), Some(&message))
        })?;
        page.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(page);
    }
    match state
        .members
        .login(
            form.username.trim(),
            &form.password,
            Some(form.code.as_str()).filter(|c| !c.trim().is_empty()),
            ip,
        )
        .await
    {
        Ok(session) => Ok(logged_in(&state, &session)),
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::Unauthorized(_) => {
                    if let Some(ip) = ip {
                        state.login_limiter.failed(ip);
                    }
                    StatusCode::UNAUTHORIZED
                }
                AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => return Err(err),
            };
            let message = err.to_string();
            let mut page = form_page(&state, &headers, status, |t| {
                login_page_with(&state, t, form.username.trim(), Some(&message))
            })?;
            if let AppError::TooManyRequests {
                retry_after_seconds,
                ..
            } = err
            {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            }
            Ok(page)
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

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage<'a> {
    layout: Layout,
    form_token: String,
    invite_token: &'a str,
    /// What the invitation is for; None when it cannot be used.
    what: Option<&'a str>,
    /// Who is logged in here, if anyone, with the session's form token: they
    /// accept it for their own account, no password asked.
    me: Option<(&'a str, &'a str)>,
    username: &'a str,
    problem: Option<&'a str>,
}

async fn invite_page(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
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
            let message = err.to_string();
            let page = InvitePage {
                layout: Layout::visitor(&state),
                form_token: String::new(),
                invite_token: "",
                what: None,
                me: None,
                username: "",
                problem: Some(&message),
            };
            return protected(status, &page, Vec::new());
        }
    };
    let what = format!("{} as {}", invite.group.handle, invite.role);
    let me = caller.as_ref().and_then(|p| match &p.via {
        unionhall_members::Via::Session { csrf_token, .. } => {
            Some((p.username.as_str(), csrf_token.as_str()))
        }
        _ => None,
    });
    form_page(&state, &headers, StatusCode::OK, |t| InvitePage {
        layout: Layout::visitor(&state),
        form_token: t.to_owned(),
        invite_token: &invite_token,
        what: Some(&what),
        me,
        username: "",
        problem: None,
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
        // A new account: its first login, from wherever it signed up.
        Ok(_) => match state
            .members
            .login(username, &form.password, None, None)
            .await
        {
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
            form_page(&state, &headers, status, |t| InvitePage {
                layout: Layout::visitor(&state),
                form_token: t.to_owned(),
                invite_token: &invite_token,
                what: Some(&what),
                me: None,
                username,
                problem: Some(&message),
            })
        }
    }
}

/// Someone logged in accepts an invitation for their own account.
async fn accept_invite_as_me(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(invite_token): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    state
        .members
        .accept_invite_for(&invite_token, principal)
        .await?;
    Ok(Redirect::to("/?done=joined").into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    username: String,
    /// (group handle, role, whether the role manages the group's people).
    roles: Vec<(String, String, bool)>,
    has_record: bool,
    /// The zone times are shown in, and the one the account chose ("" for
    /// its chapter's).
    zone: &'static str,
    own_zone: String,
    zone_names: Vec<&'static str>,
    /// Why the last change of password (or of address) was refused.
    problem: Option<String>,
    /// Whether this server sends mail at all.
    email_on: bool,
    /// The account's address ("" for none) and its state: "none",
    /// "unconfirmed", "confirmed" or "bouncing" (with the server's reason).
    email: String,
    email_state: &'static str,
    bounce_reason: String,
    email_problem: Option<String>,
    /// Mail about what the account pledged to come to.
    reminders: bool,
    /// Notices of new pledges to its chapters' calls.
    pledges: bool,
    /// News: off, at_once or daily.
    news: &'static str,
    /// The daily digest's hour on the account's clock.
    digest_hour: u32,
    /// The language mail is written in: the account's code, "" for the
    /// server's; and the choices, (code, name).
    language: &'static str,
    server_language: &'static str,
    languages: Vec<(&'static str, &'static str)>,
}

async fn account_page(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    axum::extract::Query(done): axum::extract::Query<crate::pages::form::Done>,
) -> Result<Response, AppError> {
    let Some(principal) = caller else {
        return Ok(Redirect::to("/login").into_response());
    };
    let flash = match done.done.as_deref() {
        Some("time-zone") => Some("Done: your time zone is saved.".to_owned()),
        Some("email") => Some(
            "Done: a link to confirm the address is on its way to it. It works for 48 hours."
                .to_owned(),
        ),
        Some("email-removed") => Some("Done: your email address is removed.".to_owned()),
        Some("mail") => Some("Done: your choice of mail is saved.".to_owned()),
        _ => None,
    };
    render_account(&state, &principal, StatusCode::OK, None, flash).await
}

/// Why a change on the account page was refused, shown in its section.
pub(crate) enum Problem {
    Password(String),
    Email(String),
}

pub(crate) async fn render_account(
    state: &AppState,
    principal: &unionhall_members::Principal,
    status: StatusCode,
    problem: Option<Problem>,
    flash: Option<String>,
) -> Result<Response, AppError> {
    let (problem, email_problem) = match problem {
        Some(Problem::Password(p)) => (Some(p), None),
        Some(Problem::Email(p)) => (None, Some(p)),
        None => (None, None),
    };
    let mut roles = Vec::new();
    for (group, role) in &principal.roles {
        if let Ok(group) = state.members.group_by_id(group).await {
            let manages = role.allows(unionhall_domain::Permission::ManageRoles);
            roles.push((group.handle, role.to_string(), manages));
        }
    }
    roles.sort();
    let own_zone = unionhall_store::time_zones::of_account(&state.store, principal.account_id)
        .await?
        .own
        .unwrap_or_default();
    use unionhall_members::email::EmailState;
    use unionhall_store::mail_reminders::Preference;
    let (email, email_state, bounce_reason) = match state.members.email_of(principal).await? {
        EmailState::None => (String::new(), "none", String::new()),
        EmailState::Unconfirmed(a) => (a, "unconfirmed", String::new()),
        EmailState::Confirmed(a) => (a, "confirmed", String::new()),
        EmailState::Bouncing { address, reason } => (address, "bouncing", reason),
    };
    let language = state.members.language_choice(principal).await?;
    let page = AccountPage {
        layout: Layout::member(state, principal).with_flash(flash),
        username: principal.username.clone(),
        roles,
        has_record: principal.member_id.is_some(),
        zone: crate::pages::zones::of_reader(state, Some(principal))
            .await?
            .name(),
        own_zone,
        zone_names: crate::pages::zones::names(),
        problem,
        email_on: state.members.email_on(),
        email,
        email_state,
        bounce_reason,
        email_problem,
        reminders: state
            .members
            .mail_wanted(principal, Preference::Reminders)
            .await?,
        pledges: state
            .members
            .mail_wanted(principal, Preference::Pledges)
            .await?,
        news: state.members.news_choice(principal).await?.as_str(),
        digest_hour: state.members.digest_hour(principal).await?,
        language: language.chosen.map_or("", Language::code),
        server_language: language.server.name(),
        languages: Language::ALL.iter().map(|l| (l.code(), l.name())).collect(),
    };
    protected(status, &page, Vec::new())
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
    #[serde(default)]
    code: String,
}

/// Changes the password from the account page; every session ends, this one
/// too, and the person logs in again with the new password.
async fn change_password(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let code = Some(form.code.trim()).filter(|c| !c.is_empty());
    match state
        .members
        .change_password(&principal, &form.current_password, &form.new_password, code)
        .await
    {
        Ok(()) => {
            let mut response = Redirect::to("/login").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                auth::set_cookie(&state, SESSION_COOKIE, "", 0),
            );
            Ok(response)
        }
        Err(err) => {
            let err = AppError::from(err);
            let status = match &err {
                AppError::Invalid { .. } | AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => return Err(err),
            };
            let problem = Problem::Password(err.to_string());
            render_account(&state, &principal, status, Some(problem), None).await
        }
    }
}
