//! What every page shows, and the headers every page gets.

use crate::{AppError, AppState};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use unionhall_members::{Principal, Via};

pub(crate) struct Layout {
    pub instance_name: String,
    /// The logged-in account's name.
    pub user: Option<String>,
    /// The CSRF token of the session, for the forms of the page.
    pub csrf: String,
    /// A one-line confirmation of what the last form did.
    pub flash: Option<String>,
    /// The account runs the instance: the admin page is in the menu.
    pub admin: bool,
}

impl Layout {
    pub fn visitor(state: &AppState) -> Self {
        Self {
            instance_name: state.config.instance_name.clone(),
            user: None,
            csrf: String::new(),
            flash: None,
            admin: false,
        }
    }

    pub fn member(state: &AppState, principal: &Principal) -> Self {
        let csrf = match &principal.via {
            Via::Session { csrf_token, .. } => csrf_token.clone(),
            Via::Token { .. } => String::new(),
        };
        Self {
            instance_name: state.config.instance_name.clone(),
            user: Some(principal.username.clone()),
            csrf,
            flash: None,
            admin: principal.instance_admin,
        }
    }

    /// A page that anyone may read: the member's layout when logged in.
    pub fn of(state: &AppState, principal: Option<&Principal>) -> Self {
        match principal {
            Some(principal) => Self::member(state, principal),
            None => Self::visitor(state),
        }
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Self {
        self.flash = flash;
        self
    }
}

/// Renders a page with `status`: never framed, nothing loaded from elsewhere,
/// forms posting only here, and not cached (pages show who is logged in).
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Result<Response, AppError> {
    let html = page
        .render()
        .map_err(|err| AppError::Internal(format!("rendering a page: {err}")))?;
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
