//! What an organizer does to the records ticked on a roster page: assign
//! them all to one committee member, or give them all a tag. The form
//! comes back to the same page of the roster (same filters, order and
//! page), saying how many records changed.

use crate::auth::FormCaller;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use unionhall_members::assignments::Selection;

/// The form as sent: checkboxes `id` repeat, which serde's form reader
/// cannot take, so it is read pair by pair.
#[derive(Default)]
struct SelectedForm {
    csrf: String,
    ids: Vec<i64>,
    /// "assign" or "tag": which button was pressed.
    act: String,
    assignee: String,
    tag: String,
    back: String,
}

impl SelectedForm {
    fn read(body: &[u8]) -> Result<Self, AppError> {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => form.csrf = value,
                "id" => form
                    .ids
                    .push(value.parse().map_err(|_| AppError::BadRequest {
                        code: "bad_form",
                        message: "a ticked record is not one of this roster's".into(),
                    })?),
                "act" => form.act = value,
                "assignee" => form.assignee = value,
                "tag" => form.tag = value,
                "back" => form.back = value,
                _ => {}
            }
        }
        Ok(form)
    }
}

pub(crate) async fn act_on_selected(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = SelectedForm::read(&body)?;
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    if form.ids.is_empty() {
        return Err(AppError::Invalid {
            field: "id".into(),
            message: "tick the people first, then choose what to do".into(),
        });
    }
    let (done, changed) = match form.act.as_str() {
        "assign" => {
            let assignee = super::chart::assignee(&form.assignee)?;
            let changed = state
                .members
                .assign(&principal, &chapter, Selection::Ids(form.ids), assignee)
                .await?;
            ("assigned", changed)
        }
        "tag" => {
            let changed = state
                .members
                .tag(&principal, &chapter, &form.ids, &form.tag)
                .await?;
            ("tagged", changed)
        }
        _ => {
            return Err(AppError::BadRequest {
                code: "bad_form",
                message: "choose Assign or Add the tag".into(),
            })
        }
    };
    // Back to the page the form was on, never to another site or chapter.
    let roster = format!("/chapters/{handle}/roster");
    let back = if form.back.starts_with(&format!("{roster}?")) {
        form.back
    } else {
        format!("{roster}?")
    };
    Ok(Redirect::to(&format!("{back}&done={done}&changed={changed}")).into_response())
}
