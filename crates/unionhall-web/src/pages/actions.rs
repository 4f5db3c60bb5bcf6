//! Coordinated actions from the browser: a body's officers propose one and
//! decide it; member chapters answer it; everyone logged in sees the tally.

use super::form::Done;
use super::form::{self, Field};
use super::layout::{render, Layout};
use super::unions::tally_line;
use super::views::Names;
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{
    ActionAnswer, ActionStatus, ActorKind, CoordinatedAction, Permission, Place, Zone,
};
use unionhall_federation::activities::action as actions_fed;
use unionhall_members::Principal;
use unionhall_store::{actions, now_millis, unions};

#[derive(Template)]
#[template(path = "action_form.html")]
struct ActionForm {
    layout: Layout,
    handle: String,
    /// The zone the body posts in: the form's times are read there.
    zone: &'static str,
    fields: Vec<Field>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    commitment: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    deadline: String,
}

fn action_form(
    layout: Layout,
    handle: String,
    zone: Zone,
    f: &Fields,
    problem: Option<(String, String)>,
) -> ActionForm {
    let field =
        |name, label, kind, value: &str| form::field(problem.as_ref(), name, label, kind, value);
    ActionForm {
        layout,
        handle,
        zone: zone.name(),
        fields: vec![
            field("title", "What (a short title)", "text", &f.title),
            field("details", "Details", "textarea", &f.details),
            field(
                "commitment",
                "What committing means (\"walk out at noon for an hour\")",
                "text",
                &f.commitment,
            ),
            field("address", "Where (optional)", "text", &f.address),
            field("starts", "When it starts", "datetime-local", &f.starts),
            field(
                "deadline",
                "Chapters answer by",
                "datetime-local",
                &f.deadline,
            ),
        ],
        problem: problem.map(|(_, m)| m),
    }
}

/// Checks the caller may propose for the body; its zone, which the form's
/// times are read in.
async fn proposer(state: &AppState, principal: &Principal, handle: &str) -> Result<Zone, AppError> {
    let body = state.members.group(handle).await?;
    if body.kind != ActorKind::Union {
        return Err(AppError::NotFound(format!("@{handle} is not a union body")));
    }
    principal.require(
        &body,
        Permission::PostForGroup,
        "propose actions for this body",
    )?;
    super::zones::of_group(state, &body.ap_id).await
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let zone = proposer(&state, &principal, &handle).await?;
    let layout = Layout::member(&state, &principal);
    render(
        StatusCode::OK,
        &action_form(layout, handle, zone, &Fields::default(), None),
    )
}

pub(crate) async fn propose(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&fields.csrf)?.clone();
    let zone = proposer(&state, &principal, &handle).await?;
    let proposed = match action_of(&fields, zone) {
        Ok(action) => actions_fed::propose(
            &state.federation_data(),
            &principal.authority(),
            &handle,
            action,
        )
        .await
        .map_err(AppError::from),
        Err(err) => Err(err),
    };
    match proposed {
        Ok(row) => Ok(Redirect::to(&format!("/actions/{}?done=proposed", row.id)).into_response()),
        Err(AppError::Invalid { field, message }) => {
            let layout = Layout::member(&state, &principal);
            let page = action_form(layout, handle, zone, &fields, Some((field, message)));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(other),
    }
}

fn action_of(f: &Fields, zone: Zone) -> Result<CoordinatedAction, AppError> {
    let moment = |field, text: &str| form::date_time(zone, field, text);
    let decision_deadline = moment("deadline", &f.deadline)?.ok_or_else(|| AppError::Invalid {
        field: "deadline".into(),
        message: "deadline: when chapters must have answered".into(),
    })?;
    let address = f.address.trim();
    Ok(CoordinatedAction {
        title: f.title.clone(),
        details: f.details.clone(),
        place: (!address.is_empty()).then(|| Place {
            address: address.to_owned(),
            latitude: None,
            longitude: None,
        }),
        starts_at: moment("starts", &f.starts)?,
        decision_deadline,
        commitment: f.commitment.clone(),
    })
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    layout: Layout,
    id: i64,
    title: String,
    body: String,
    status: &'static str,
    details: String,
    commitment: String,
    place: String,
    starts: String,
    deadline: String,
    tally: String,
    answers: Vec<(String, String)>,
    /// Statuses the caller may move it to: (value, button).
    decide: Vec<(&'static str, &'static str)>,
    /// The caller's chapters that may answer now.
    answer_as: Vec<String>,
    problem: Option<String>,
}

fn flash(done: Option<&str>) -> Option<String> {
    match done? {
        "proposed" => Some("Proposed: member chapters can answer now.".into()),
        "answered" => Some("Answered: the body has your chapter's answer.".into()),
        "decided" => Some("Done: member chapters are told.".into()),
        _ => None,
    }
}

async fn action_page(
    state: &AppState,
    principal: &Principal,
    id: i64,
    flash_text: Option<String>,
    problem: Option<String>,
) -> Result<ActionPage, AppError> {
    let store = &state.store;
    let row = actions::by_id(store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no action {id}")))?;
    let record = actions_fed::record_of(&row)?;
    let zone = super::zones::of_reader(state, Some(principal)).await?;
    let status = row.status;
    let now = now_millis();
    let mut conn = store.acquire().await?;
    let tally = actions_fed::tally_of(&mut conn, &row).await?;
    let mut names = Names::default();
    let mut answers = Vec::new();
    for t in &tally {
        let said = if t.answer == "commit" {
            format!("in, with {} people", t.people)
        } else {
            "declined".to_owned()
        };
        answers.push((names.of(store, &t.chapter).await?, said));
    }
    let mut decide = Vec::new();
    if row.is_local {
        let body = state.members.group_by_id(&row.author).await?;
        if principal
            .role_in(&body)
            .is_some_and(|r| r.allows(Permission::PostForGroup))
        {
            for next in ActionStatus::ALL {
                if status.move_to(next, record.decision_deadline, now).is_ok() {
                    decide.push((next.as_str(), button(next)));
                }
            }
        }
    }
    let mut answer_as = Vec::new();
    if status.takes_answers(record.decision_deadline, now) {
        for (group_id, role) in &principal.roles {
            if !role.allows(Permission::PostForGroup) {
                continue;
            }
            let Ok(group) = state.members.group_by_id(group_id).await else {
                continue;
            };
            if group.kind == ActorKind::Chapter
                && unions::is_admitted(&mut conn, unions::Side::Chapter, &row.author, group_id)
                    .await?
            {
                answer_as.push(group.handle);
            }
        }
    }
    answer_as.sort();
    Ok(ActionPage {
        layout: Layout::member(state, principal).with_flash(flash_text),
        id,
        title: record.title,
        body: names.of(store, &row.author).await?,
        status: status.label(),
        details: record.details,
        commitment: record.commitment,
        place: record.place.map(|p| p.address).unwrap_or_default(),
        starts: record.starts_at.map(|t| zone.show(t)).unwrap_or_default(),
        deadline: zone.show(record.decision_deadline),
        tally: tally_line(&tally),
        answers,
        decide,
        answer_as,
        problem,
    })
}

fn button(status: ActionStatus) -> &'static str {
    match status {
        ActionStatus::Proposed => "Back to proposed",
        ActionStatus::Confirmed => "Confirm: it goes ahead",
        ActionStatus::CalledOff => "Call it off",
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let page = action_page(&state, &principal, id, flash(done.done.as_deref()), None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    csrf: String,
    chapter: String,
    answer: String,
    #[serde(default)]
    people: String,
}

pub(crate) async fn answer(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&form.chapter).await?;
    let answer = match form.answer.as_str() {
        "decline" => Ok(ActionAnswer::Decline),
        "commit" => form
            .people
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(|people| ActionAnswer::Commit { people })
            .ok_or_else(|| "How many people: a whole number, 1 or more.".to_owned()),
        _ => Err("Choose to commit or to decline.".to_owned()),
    };
    let answered = match answer {
        Ok(answer) => {
            let actor = unionhall_store::actors::by_ap_id(&state.store, &chapter.ap_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no chapter {}", form.chapter)))?;
            match actions_fed::answer(
                &state.federation_data(),
                &principal.authority(),
                id,
                &actor,
                answer,
            )
            .await
            {
                Ok(()) => Ok(()),
                Err(err) => Err(super::on_the_form(AppError::from(err))?),
            }
        }
        Err(problem) => Err(problem),
    };
    match answered {
        Ok(()) => Ok(Redirect::to(&format!("/actions/{id}?done=answered")).into_response()),
        Err(problem) => {
            let page = action_page(&state, &principal, id, None, Some(problem)).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    csrf: String,
    status: String,
    /// "yes" when sent from the confirmation page.
    #[serde(default)]
    confirmed: String,
}

pub(crate) async fn set_status(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let data = state.federation_data();
    let next = ActionStatus::parse(&form.status)?;
    // Confirming or calling off tells every chapter in the body and cannot be
    // taken back: asked first.
    if !super::confirm::confirmed(&form.confirmed) {
        if let Err(err) = actions_fed::check_decision(&data, &principal.authority(), id, next).await
        {
            let problem = Some(super::on_the_form(AppError::from(err))?);
            let page = action_page(&state, &principal, id, None, problem).await?;
            return render(StatusCode::BAD_REQUEST, &page);
        }
        let page = action_page(&state, &principal, id, None, None).await?;
        let (question, yes) = match next {
            ActionStatus::CalledOff => ("Call off", "Yes, call it off"),
            _ => ("Confirm", "Yes, confirm it"),
        };
        return super::confirm::ask(&super::confirm::Confirm {
            layout: Layout::member(&state, &principal),
            question: format!("{question} {}?", page.title),
            consequence:
                "Every chapter of the body is told at once, and this cannot be taken back.",
            quoted: String::new(),
            action: format!("/actions/{id}/status"),
            fields: vec![("status", form.status.clone())],
            yes: yes.to_owned(),
            back: format!("/actions/{id}"),
        });
    }
    match actions_fed::set_status(&data, &principal.authority(), id, next).await {
        Ok(_) => Ok(Redirect::to(&format!("/actions/{id}?done=decided")).into_response()),
        Err(err) => {
            let problem = Some(super::on_the_form(AppError::from(err))?);
            let page = action_page(&state, &principal, id, None, problem).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}
