//! Industrial union bodies from the browser: a body's page (member chapters,
//! applications to decide, its coordinated actions with their tally), and a
//! chapter's page of the bodies it belongs to (apply, leave).

use super::form::Done;
use super::layout::{render, Layout};
use super::views::Names;
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::Permission;
use unionhall_federation::activities::{action as actions_fed, union as unions_fed};
use unionhall_members::Principal;
use unionhall_store::{actions, unions};
use url::Url;

#[derive(Template)]
#[template(path = "union.html")]
struct BodyPage {
    layout: Layout,
    handle: String,
    name: String,
    /// The caller admits chapters (officers).
    admits: bool,
    /// The caller proposes actions.
    proposes: bool,
    members: Vec<ChapterLine>,
    applications: Vec<ChapterLine>,
    actions: Vec<ActionLine>,
}

struct ChapterLine {
    id: Url,
    name: String,
}

pub(crate) struct ActionLine {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub tally: String,
}

fn flash(done: Option<&str>) -> Option<String> {
    match done? {
        "admitted" => Some("Admitted: the chapter is told, and gets this body's actions.".into()),
        "refused" => Some("Done: the chapter is told.".into()),
        "proposed" => Some("Proposed: member chapters can answer now.".into()),
        "applied" => Some("Applied: the body's officers decide.".into()),
        "left" => Some("Done: the chapter has left the body.".into()),
        _ => None,
    }
}

/// "3 chapters in, 120 people; 1 declined".
pub(crate) fn tally_line(tally: &[unionhall_federation::protocol::action::TallyJson]) -> String {
    let committed: Vec<_> = tally.iter().filter(|t| t.answer == "commit").collect();
    let people: u64 = committed.iter().map(|t| t.people).sum();
    let declined = tally.len() - committed.len();
    let chapters = if committed.len() == 1 {
        "1 chapter in".to_owned()
    } else {
        format!("{} chapters in", committed.len())
    };
    format!("{chapters}, {people} people; {declined} declined")
}

pub(crate) async fn body_page(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, AppError> {
    let body = state.members.group(&handle).await?;
    if body.kind != unionhall_domain::ActorKind::Union {
        return Err(AppError::NotFound(format!("@{handle} is not a union body")));
    }
    let role = principal
        .role_in(&body)
        .ok_or_else(|| AppError::Forbidden("only this body's officers see this page".into()))?;
    let store = &state.store;
    let mut names = Names::default();
    let mut members = Vec::new();
    let mut applications = Vec::new();
    let rows = unions::members_of(&mut *store.acquire().await?, &body.ap_id).await?;
    for m in rows {
        let line = ChapterLine {
            name: names.of(store, &m.chapter).await?,
            id: m.chapter,
        };
        if m.accepted_at.is_some() {
            members.push(line);
        } else {
            applications.push(line);
        }
    }
    let mut lines = Vec::new();
    for row in actions::by_author(store, &body.ap_id).await? {
        lines.push(action_line(&state, &row).await?);
    }
    let page = BodyPage {
        layout: Layout::member(&state, &principal).with_flash(flash(done.done.as_deref())),
        name: names.of(store, &body.ap_id).await?,
        handle,
        admits: role.allows(Permission::AdmitChapters),
        proposes: role.allows(Permission::PostForGroup),
        members,
        applications,
        actions: lines,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn action_line(
    state: &AppState,
    row: &actions::ActionRow,
) -> Result<ActionLine, AppError> {
    let mut conn = state.store.acquire().await?;
    let tally = actions_fed::tally_of(&mut conn, row).await?;
    Ok(ActionLine {
        id: row.id,
        title: actions_fed::record_of(row)?.title,
        status: row.status.label(),
        tally: tally_line(&tally),
    })
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    csrf: String,
    chapter: String,
    decision: String,
}

pub(crate) async fn decide(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    let chapter = Url::parse(&form.chapter).map_err(|_| AppError::Invalid {
        field: "chapter".into(),
        message: "chapter: the id (URL) of the chapter".into(),
    })?;
    let admit = form.decision == "admit";
    unions_fed::decide(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        &chapter,
        admit,
    )
    .await?;
    let done = if admit { "admitted" } else { "refused" };
    Ok(Redirect::to(&format!("/unions/{handle}?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "chapter_unions.html")]
struct ChapterBodies {
    layout: Layout,
    handle: String,
    bodies: Vec<BodyLine>,
    body: String,
    problem: Option<String>,
}

struct BodyLine {
    id: Url,
    name: String,
    admitted: bool,
    /// Local bodies have a page here.
    local_handle: Option<String>,
}

async fn chapter_bodies(
    state: &AppState,
    principal: &Principal,
    handle: String,
    typed: String,
    problem: Option<String>,
    flash_text: Option<String>,
) -> Result<ChapterBodies, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::ManageRoles, "decide for this chapter")?;
    let mut names = Names::default();
    let mut bodies = Vec::new();
    for m in unions::bodies_of(&state.store, &chapter.ap_id).await? {
        let local_handle = state
            .urls
            .is_local(&m.body)
            .then(|| m.body.path_segments().and_then(|mut s| s.next_back()))
            .flatten()
            .map(str::to_owned);
        bodies.push(BodyLine {
            name: names.of(&state.store, &m.body).await?,
            admitted: m.accepted_at.is_some(),
            local_handle,
            id: m.body,
        });
    }
    Ok(ChapterBodies {
        layout: Layout::member(state, principal).with_flash(flash_text),
        handle,
        bodies,
        body: typed,
        problem,
    })
}

pub(crate) async fn chapter_page(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, AppError> {
    let flash_text = flash(done.done.as_deref());
    let page = chapter_bodies(&state, &principal, handle, String::new(), None, flash_text).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct ApplyForm {
    csrf: String,
    #[serde(default)]
    body: String,
}

pub(crate) async fn apply(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<ApplyForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    match unions_fed::apply(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        form.body.trim(),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/chapters/{handle}/unions?done=applied")).into_response())
        }
        Err(err) => {
            // A body that cannot be found is a typo to correct here.
            let problem = Some(match AppError::from(err) {
                AppError::NotFound(message) => message,
                other => super::on_the_form(other)?,
            });
            let page = chapter_bodies(&state, &principal, handle, form.body, problem, None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LeaveForm {
    csrf: String,
    body: String,
}

pub(crate) async fn leave(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<LeaveForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    let body = Url::parse(&form.body).map_err(|_| AppError::Invalid {
        field: "body".into(),
        message: "body: the id (URL) of the body".into(),
    })?;
    unions_fed::leave(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        &body,
    )
    .await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/unions?done=left")).into_response())
}
