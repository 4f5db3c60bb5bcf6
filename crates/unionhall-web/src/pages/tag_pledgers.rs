//! From a call's sign-in sheet, an organizer tags the records of their
//! chapter's members who pledged, so that who came stays on the records (where
//! the chapter keeps its organizing) once the pledges themselves are forgotten
//! (`retention.pledges_days`).

use crate::auth::FormCaller;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct TagForm {
    csrf: String,
    chapter: String,
    #[serde(default)]
    tag: String,
}

pub(crate) async fn tag_pledgers(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<TagForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    unionhall_store::calls::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no call {id}")))?;
    let chapter = state.members.chapter(&form.chapter).await?;
    let (tagged, without) = state
        .members
        .tag_pledgers(&principal, &chapter, id, &form.tag)
        .await?;
    Ok(Redirect::to(&format!(
        "/call/{id}?done=tagged&tagged={tagged}&without={without}#coming-{}",
        form.chapter
    ))
    .into_response())
}

/// The flash for the call page after tagging.
pub(super) fn flash(tagged: usize, without: usize) -> String {
    let records = |n: usize| match n {
        1 => "1 record".to_owned(),
        n => format!("{n} records"),
    };
    let mut text = format!("Done: {} newly tagged.", records(tagged));
    if without > 0 {
        text.push_str(&format!(
            " {without} who pledged have no record on the roster: link their accounts to records to keep them."
        ));
    }
    text
}

/// The tag the sign-in sheet suggests: the call's title and its day.
pub(super) fn suggested_tag(title: &str, day: &str) -> String {
    let title: String = title.chars().filter(|c| *c != ';').take(40).collect();
    let tag = format!("{} {day}", title.trim());
    tag.trim().chars().take(60).collect()
}
