//! The page that asks "are you sure?" before an act that cannot be undone or
//! that tells the world (ending a strike, calling off an action): the form
//! posts again, with `confirmed=yes`, to the same place. Asking changes
//! nothing, so a reload or a back button is harmless.

use super::layout::{render, Layout};
use crate::AppError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct Confirm {
    pub layout: Layout,
    /// "End the strike at Acme Bakeries?"
    pub question: String,
    /// What happens, and that it cannot be taken back.
    pub consequence: &'static str,
    /// What the person typed, shown as it will go out.
    pub quoted: String,
    /// Where the form posts, and the fields it posts again.
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
    /// The button's words ("Yes, end the strike") and the way back.
    pub yes: String,
    pub back: String,
}

/// Whether a form came from the confirmation page.
pub(crate) fn confirmed(field: &str) -> bool {
    field == "yes"
}

pub(crate) fn ask(page: &Confirm) -> Result<Response, AppError> {
    render(StatusCode::OK, page)
}
