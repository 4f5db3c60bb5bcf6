//! A chapter's or body's accounts and roles, and its audit log, for its admins.
//! The members service checks the roles (an admin cannot demote the last one
//! who can manage the group) and writes every change to the audit log.

use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{Permission, Role};
use unionhall_members::{audit, Principal};
use unionhall_store::audit::Reading;

#[derive(Template)]
#[template(path = "group_people.html")]
struct PeoplePage {
    layout: Layout,
    handle: String,
    people: Vec<Person>,
    /// Roles the caller may give here.
    roles: Vec<&'static str>,
    /// The zone the group posts in, which its admins may change.
    time_zone: &'static str,
    sets_zone: bool,
    zone_names: Vec<&'static str>,
    problem: Option<String>,
    /// Mail is on: when its members who pledged to come are reminded
    /// (hours before the start, first and second).
    email_on: bool,
    reminder_hours: (i64, i64),
}

struct Person {
    username: String,
    role: String,
    since: String,
    /// Since when the mail server refuses its address ("" when it does not).
    bounces_since: String,
}

async fn people_page(
    state: &AppState,
    principal: &Principal,
    handle: String,
    flash: Option<String>,
    problem: Option<String>,
) -> Result<PeoplePage, AppError> {
    let group = state.members.group(&handle).await?;
    let rows = state.members.roles(principal, &group).await?;
    let bouncing = match state.members.email_on() {
        true => state.members.bouncing_in(principal, &group).await?,
        false => Default::default(),
    };
    let zone = super::zones::of_reader(state, Some(principal)).await?;
    let group_zone = super::zones::of_group(state, &group.ap_id).await?;
    let sets_zone = principal
        .require(&group, Permission::ManageRoles, "")
        .is_ok();
    let mine = principal.role_in(&group);
    let roles = Role::ALL
        .into_iter()
        .filter(|r| mine.is_some_and(|m| m.may_grant(*r, group.kind).is_ok()))
        .map(Role::as_str)
        .collect();
    Ok(PeoplePage {
        layout: Layout::member(state, principal).with_flash(flash),
        handle,
        people: rows
            .into_iter()
            .map(|r| Person {
                bounces_since: bouncing
                    .get(&r.account_id)
                    .map(|at| zone.show(*at))
                    .unwrap_or_default(),
                username: r.username,
                role: r.role,
                since: zone.show(r.granted_at),
            })
            .collect(),
        roles,
        problem,
        time_zone: group_zone.name(),
        sets_zone,
        zone_names: super::zones::names(),
        email_on: state.members.email_on(),
        reminder_hours: state.members.reminder_hours(&group).await?,
    })
}

pub(crate) async fn people(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(done): Query<super::form::Done>,
) -> Result<Response, AppError> {
    let flash = match done.done.as_deref() {
        Some("time-zone") => Some("Done: the time zone is set.".to_owned()),
        Some("reminders") => Some("Done: the reminder hours are set.".to_owned()),
        _ => None,
    };
    let page = people_page(&state, &principal, handle, flash, None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    csrf: String,
    username: String,
    /// A role, or "none" to take the account out of the group.
    role: String,
}

pub(crate) async fn set_role(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let group = state.members.group(&handle).await?;
    let role = match form.role.as_str() {
        "none" => Ok(None),
        other => Role::parse(other).map(Some),
    };
    let changed = match role {
        Ok(role) => state
            .members
            .set_role(&principal, &group, &form.username, role)
            .await
            .map_err(|err| AppError::from(err).to_string()),
        Err(err) => Err(AppError::from(err).to_string()),
    };
    let (status, flash, problem) = match changed {
        Ok(()) => (
            StatusCode::OK,
            Some(format!("Done: {} changed.", form.username)),
            None,
        ),
        Err(problem) => (StatusCode::BAD_REQUEST, None, Some(problem)),
    };
    let page = people_page(&state, &principal, handle, flash, problem).await?;
    render(status, &page)
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    handle: String,
    entries: Vec<Entry>,
    /// The record number the entries are narrowed to, as typed ('' for all).
    member: String,
    /// The next page: entries older than the last shown.
    older: Option<String>,
    problem: Option<String>,
}

/// Entries shown on one page of the audit log.
const AUDIT_PER_PAGE: i64 = 300;

#[derive(Deserialize)]
pub(crate) struct AuditForm {
    /// Entries older than this one (the "Older entries" link).
    #[serde(default)]
    before: Option<String>,
    /// Only the entries about this record number.
    #[serde(default)]
    member: Option<String>,
}

/// A number typed in the audit page's address or its form: None if left
/// empty, an error naming it if it is not a number.
fn number_in(value: Option<&str>, what: &str) -> Result<Option<i64>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{what} is a number such as 12 (not {text:?})")),
        },
    }
}

struct Entry {
    at: String,
    who: String,
    action: String,
    subject: String,
    detail: String,
}

/// What an audit entry's code means, in the words of the people who read
/// the log; a code this version does not know is shown as it is.
fn audit_words(code: &str) -> String {
    let words = match code {
        "assignment.changed" => "changed who talks to whom",
        "assignments.viewed" => "looked at the assignments",
        "assignments.viewed_own" => "looked at their own list",
        "chart.exported" => "downloaded the workplace chart",
        "chart.viewed" => "looked at the workplace chart",
        "invite.accepted" => "accepted an invitation",
        "invite.created" => "made an invitation",
        "member.created" => "added a member record",
        "member.erased" => "erased a member record",
        "member.tagged" => "tagged member records",
        "member.updated" => "changed a member record",
        "member.viewed" => "opened a member record",
        "member.viewed_own" => "opened their own record",
        "one_on_one.recorded" => "logged a conversation",
        "relationship.created" => "recorded a relationship",
        "relationship.removed" => "removed a relationship",
        "relationships.viewed" => "looked at relationships",
        "role.changed" => "changed a role",
        "roster.exported" => "downloaded the roster",
        "roster.imported" => "imported into the roster",
        "roster.viewed" => "looked at the roster",
        "structure_test.created" => "planned a structure test",
        "structure_test.deleted" => "deleted a structure test",
        "structure_test.recorded" => "recorded structure test answers",
        "structure_test.suggestion_confirmed" => "confirmed a suggested assessment",
        "structure_test.viewed" => "opened a structure test",
        "structure_tests.viewed" => "looked at the structure tests",
        "pledges.viewed" => "looked at who pledged to a call",
        other => other,
    };
    words.to_owned()
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(form): Query<AuditForm>,
) -> Result<Response, AppError> {
    let group = state.members.group(&handle).await?;
    let zone = super::zones::of_reader(&state, Some(&principal)).await?;
    let member_typed = form.member.clone().unwrap_or_default();
    let asked = number_in(form.member.as_deref(), "The record number").and_then(|member| {
        Ok((
            member,
            number_in(form.before.as_deref(), "The entry to go on from")?,
        ))
    });
    let (status, (member, before), problem) = match asked {
        Ok(asked) => (StatusCode::OK, asked, None),
        Err(problem) => (StatusCode::BAD_REQUEST, (None, None), Some(problem)),
    };
    let subject = member.map(audit::member_subject);
    let reading = Reading {
        subject: subject.as_deref(),
        before,
        limit: AUDIT_PER_PAGE,
    };
    let found = state
        .members
        .audit_log(&principal, &group, &reading)
        .await?;
    let older = match found.last() {
        Some(last) if found.len() as i64 == AUDIT_PER_PAGE => {
            let mut link = url::form_urlencoded::Serializer::new(String::new());
            if let Some(member) = member {
                link.append_pair("member", &member.to_string());
            }
            link.append_pair("before", &last.id.to_string());
            Some(format!("/groups/{handle}/audit?{}", link.finish()))
        }
        _ => None,
    };
    let entries = found
        .into_iter()
        .map(|e| Entry {
            at: zone.show(e.at),
            who: e.username,
            action: audit_words(&e.action),
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    let page = AuditPage {
        layout: Layout::member(&state, &principal),
        handle,
        entries,
        member: member_typed,
        older,
        problem,
    };
    render(status, &page)
}
