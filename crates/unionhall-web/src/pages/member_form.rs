//! Adding a member record, and correcting or erasing one from its page.
//!
//! One form serves both: the same fields (dues and tags included), the
//! problem next to its field. An edit keeps what the form does not show (the
//! organizing role, set over the API or by CSV). Erasing asks first: it cannot
//! be undone.

use super::confirm;
use super::form::{self, Field};
use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{
    vocabulary, Assessment, DomainError, DuesStanding, MemberRecord, Permission,
};
use unionhall_members::roster_view::Vocabulary;

#[derive(Template)]
#[template(path = "member_form.html")]
struct MemberFormPage {
    layout: Layout,
    handle: String,
    heading: String,
    action: String,
    button: &'static str,
    fields: Vec<Field>,
    /// (value, label, chosen)
    dues: Vec<(&'static str, &'static str, bool)>,
    notes: String,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    workplace: String,
    #[serde(default)]
    department: String,
    /// A department not among the chapter's yet.
    #[serde(default)]
    department_new: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    shift_new: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    committee: String,
    #[serde(default)]
    assessment: String,
    #[serde(default)]
    dues: String,
    /// Separated by commas.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    notes: String,
}

impl MemberForm {
    fn of(record: &MemberRecord) -> Self {
        Self {
            csrf: String::new(),
            name: record.name.clone(),
            phone: record.phone.clone(),
            email: record.email.clone(),
            workplace: record.workplace.clone(),
            department: record.department.clone(),
            department_new: String::new(),
            shift: record.shift.clone(),
            shift_new: String::new(),
            job_title: record.job_title.clone(),
            committee: record.committee.clone(),
            assessment: record
                .assessment
                .map(|a| a.get().to_string())
                .unwrap_or_default(),
            dues: record.dues.as_str().to_owned(),
            tags: record.tags.join(", "),
            notes: record.notes.clone(),
        }
    }

    /// The record the form describes, over `base` (what the form does not
    /// show is kept from it). A department or shift typed anew takes the
    /// chapter's spelling when it already has the word.
    fn record(&self, base: MemberRecord, known: &Vocabulary) -> Result<MemberRecord, AppError> {
        let pick = |chosen: &str, typed: &str, known: &[String]| {
            let word = if typed.trim().is_empty() {
                chosen
            } else {
                typed
            };
            vocabulary::in_known_spelling(word, known)
        };
        let assessment = match self.assessment.trim() {
            "" => None,
            n => Some(
                n.parse::<u8>()
                    .map_err(|_| DomainError::invalid("assessment", "must be a number from 1 to 5"))
                    .and_then(Assessment::new)?,
            ),
        };
        let dues = DuesStanding::parse(&self.dues).map_err(|_| AppError::Invalid {
            field: "dues".into(),
            message: "dues: choose one of the listed".into(),
        })?;
        Ok(MemberRecord {
            name: self.name.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            workplace: self.workplace.clone(),
            department: pick(&self.department, &self.department_new, &known.departments),
            shift: pick(&self.shift, &self.shift_new, &known.shifts),
            job_title: self.job_title.clone(),
            committee: self.committee.clone(),
            assessment,
            dues,
            tags: self.tags.split([',', ';']).map(str::to_owned).collect(),
            notes: self.notes.clone(),
            ..base
        })
    }
}

fn dues_label(dues: DuesStanding) -> &'static str {
    match dues {
        DuesStanding::Unknown => "Not known",
        DuesStanding::Paid => "Paid up",
        DuesStanding::Behind => "Behind",
        DuesStanding::Exempt => "Exempt",
    }
}

fn page(
    layout: Layout,
    handle: String,
    (heading, action, button): (String, String, &'static str),
    (form, known): (&MemberForm, &Vocabulary),
    problem: Option<(String, String)>,
) -> MemberFormPage {
    let field =
        |name, label, value: &str| form::field(problem.as_ref(), name, label, "text", value);
    let chosen = DuesStanding::parse(&form.dues).unwrap_or_default();
    MemberFormPage {
        layout,
        handle,
        heading,
        action,
        button,
        fields: vec![
            field("name", "Name", &form.name),
            field("phone", "Phone", &form.phone),
            field("email", "Email", &form.email),
            field("workplace", "Workplace", &form.workplace),
            field("department", "Department", &form.department)
                .choosing(&known.departments, &form.department_new),
            field("shift", "Shift", &form.shift).choosing(&known.shifts, &form.shift_new),
            field("job_title", "Job", &form.job_title),
            field("committee", "Committee", &form.committee),
            field(
                "assessment",
                "Assessment (1 strong supporter to 5 opposed)",
                &form.assessment,
            ),
            field(
                "tags",
                "Tags, separated by commas (\"leader\" marks a natural leader)",
                &form.tags,
            ),
        ],
        dues: DuesStanding::ALL
            .into_iter()
            .map(|d| (d.as_str(), dues_label(d), d == chosen))
            .collect(),
        notes: form.notes.clone(),
        problem: problem.map(|(_, m)| m),
    }
}

fn adding(handle: &str) -> (String, String, &'static str) {
    (
        format!("Add a member to @{handle}"),
        format!("/chapters/{handle}/members/new"),
        "Add",
    )
}

fn editing(handle: &str, id: i64, name: &str) -> (String, String, &'static str) {
    (
        format!("Correct the record of {name}"),
        format!("/chapters/{handle}/members/{id}/edit"),
        "Save",
    )
}

/// A refused form, shown again with its problem; other errors pass through.
fn again(
    err: AppError,
    show: impl FnOnce(Option<(String, String)>) -> MemberFormPage,
) -> Result<Response, AppError> {
    match err {
        AppError::Invalid { field, message } => {
            render(StatusCode::BAD_REQUEST, &show(Some((field, message))))
        }
        other => Err(other),
    }
}

pub(crate) async fn new_member(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "change the roster")?;
    let known = state.members.vocabulary(&principal, &chapter).await?;
    let heading = adding(&handle);
    let form = MemberForm::default();
    let page = page(
        Layout::member(&state, &principal),
        handle,
        heading,
        (&form, &known),
        None,
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn add_member(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let known = state.members.vocabulary(&principal, &chapter).await?;
    let created = match form.record(MemberRecord::default(), &known) {
        Ok(record) => state
            .members
            .create(&principal, &chapter, record)
            .await
            .map_err(AppError::from),
        Err(err) => Err(err),
    };
    match created {
        Ok(member) => {
            Ok(Redirect::to(&format!("/chapters/{handle}/members/{}", member.id)).into_response())
        }
        Err(err) => again(err, |problem| {
            let heading = adding(&handle);
            page(
                Layout::member(&state, &principal),
                handle,
                heading,
                (&form, &known),
                problem,
            )
        }),
    }
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "change the roster")?;
    let file = state.members.get(&principal, &chapter, id).await?;
    let known = state.members.vocabulary(&principal, &chapter).await?;
    let record = file.member.record;
    let heading = editing(&handle, id, &record.name);
    let page = page(
        Layout::member(&state, &principal),
        handle,
        heading,
        (&MemberForm::of(&record), &known),
        None,
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let before = state.members.get(&principal, &chapter, id).await?.member;
    let known = state.members.vocabulary(&principal, &chapter).await?;
    let saved = match form.record(before.record.clone(), &known) {
        Ok(record) => state
            .members
            .update(&principal, &chapter, id, record)
            .await
            .map_err(AppError::from),
        Err(err) => Err(err),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/chapters/{handle}/members/{id}")).into_response()),
        Err(err) => again(err, |problem| {
            let heading = editing(&handle, id, &before.record.name);
            page(
                Layout::member(&state, &principal),
                handle,
                heading,
                (&form, &known),
                problem,
            )
        }),
    }
}

#[derive(Deserialize)]
pub(crate) struct EraseForm {
    csrf: String,
    #[serde(default)]
    confirmed: String,
}

/// Erases a record and its conversations for good, once confirmed.
pub(crate) async fn erase(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<EraseForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EraseMember, "erase member records")?;
    if !confirm::confirmed(&form.confirmed) {
        let name = state
            .members
            .get(&principal, &chapter, id)
            .await?
            .member
            .record
            .name;
        return confirm::ask(&confirm::Confirm {
            layout: Layout::member(&state, &principal),
            question: format!("Erase the record of {name}?"),
            consequence: "Their record, their one-on-ones, relationships and assignments are \
                deleted for good; the audit log keeps only that a record was erased, and by whom. \
                This cannot be undone.",
            quoted: String::new(),
            action: format!("/chapters/{handle}/members/{id}/erase"),
            fields: Vec::new(),
            yes: format!("Yes, erase {name}"),
            back: format!("/chapters/{handle}/members/{id}"),
        });
    }
    state.members.erase(&principal, &chapter, id).await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/roster?erased=1")).into_response())
}
