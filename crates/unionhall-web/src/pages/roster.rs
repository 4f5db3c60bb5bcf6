//! The roster in the browser, for organizers: the list with its filters, a
//! member's page with the one-on-one log, adding a member and logging a
//! conversation. Everything goes through the members service, which checks the
//! role and writes the audit log; nothing of it is ever federated.

use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::collections::HashMap;
use unionhall_domain::Permission;
use unionhall_domain::{Assessment, OneOnOne};
use unionhall_members::roster::Filter;
use unionhall_members::roster_view::Vocabulary;

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    layout: Layout,
    handle: String,
    filter: FilterForm,
    members: Vec<Row>,
    /// "201–400 of 5,000".
    shown: String,
    /// Addresses of the previous and next pages, with the same filters.
    previous: Option<String>,
    next: Option<String>,
    /// (address, words, chosen) of each order the list can take.
    sorts: Vec<(String, &'static str, bool)>,
    /// The chapter's departments and shifts, for the filter's choices.
    vocabulary: Vocabulary,
    /// (id, name) of the committee members, for assigning the checked.
    committee: Vec<(i64, String)>,
    /// Whether the viewer may change records (tick, assign, tag).
    can_edit: bool,
    /// This very page's address, where the bulk form comes back to.
    here: String,
    done: Option<String>,
}

/// The orders organizers use, by key: (key, words).
const SORTS: [(&str, &str); 7] = [
    ("name", "name"),
    ("department", "department"),
    ("shift", "shift"),
    ("assessment", "assessment"),
    ("last_conversation", "last conversation, longest ago first"),
    ("assigned", "assigned to"),
    ("newest", "newest first"),
];

struct Row {
    id: i64,
    name: String,
    /// Department, shift, committee: what tells coworkers apart at a glance.
    line: String,
    assessment: Option<u8>,
    /// The committee member responsible for them, if any.
    assigned: String,
    /// "last talked 2026-11-02" or "never talked to", when sorted by it.
    talk: String,
}

/// Members listed on one page of the roster: a 5,000-member workplace stays
/// readable on a phone, and each page well under 100 KB.
const PER_PAGE: usize = 200;

#[derive(Deserialize, Default)]
pub(crate) struct FilterForm {
    /// Which page of the list, from 1.
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    assessment: String,
    #[serde(default)]
    committee: String,
    /// One of [`SORTS`]' keys; by name when empty or unknown.
    #[serde(default)]
    sort: String,
    /// After the bulk form: "assigned" or "tagged", and how many changed.
    #[serde(default)]
    done: String,
    #[serde(default)]
    changed: usize,
}

fn some(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub(crate) async fn roster(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(form): Query<FilterForm>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let assessment = match form.assessment.trim() {
        "" => None,
        n => Some(n.parse::<u8>().map_err(|_| AppError::Invalid {
            field: "assessment".into(),
            message: "assessment: a number from 1 to 5".into(),
        })?),
    };
    let filter = Filter {
        department: some(&form.department),
        shift: some(&form.shift),
        assessment,
        committee: some(&form.committee),
        tag: None,
        text: some(&form.q),
    };
    let sort = SORTS
        .iter()
        .map(|(key, _)| *key)
        .find(|key| *key == form.sort)
        .unwrap_or("name");
    let view = state
        .members
        .roster_view(&principal, &chapter, &filter, sort == "last_conversation")
        .await?;
    let name_of: HashMap<i64, &str> = view
        .committee
        .iter()
        .map(|(id, name)| (*id, name.as_str()))
        .collect();
    let assigned = |id: i64| {
        view.assignments
            .get(&id)
            .and_then(|a| name_of.get(a).copied())
            .unwrap_or("")
    };
    let mut members = view.members;
    let text_key = |text: &str| text.trim().to_lowercase();
    match sort {
        "department" => members
            .sort_by_cached_key(|m| (text_key(&m.record.department), text_key(&m.record.name))),
        "shift" => {
            members.sort_by_cached_key(|m| (text_key(&m.record.shift), text_key(&m.record.name)))
        }
        // Unassessed last, then 1 (strongest) to 5.
        "assessment" => members.sort_by_cached_key(|m| {
            (
                m.record.assessment.map_or(u8::MAX, Assessment::get),
                text_key(&m.record.name),
            )
        }),
        // Never talked to first (an empty date sorts first), then the oldest.
        "last_conversation" => members.sort_by_cached_key(|m| {
            (
                view.last_conversations
                    .get(&m.id)
                    .cloned()
                    .unwrap_or_default(),
                text_key(&m.record.name),
            )
        }),
        // By the committee member's name; no one assigned first.
        "assigned" => {
            members.sort_by_cached_key(|m| (text_key(assigned(m.id)), text_key(&m.record.name)))
        }
        "newest" => members.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id))),
        _ => members.sort_by_cached_key(|m| (text_key(&m.record.name), m.id)),
    }
    let total = members.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = form.page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * PER_PAGE;
    let shown = if total == 0 {
        "0 shown".to_owned()
    } else {
        format!(
            "{}–{} of {total} shown",
            first + 1,
            (first + PER_PAGE).min(total)
        )
    };
    let link = |to: usize| page_link(&handle, &form, sort, to);
    let sorts = SORTS
        .iter()
        .map(|(key, words)| (page_link(&handle, &form, key, 1), *words, *key == sort))
        .collect();
    let (previous, next) = (
        (page > 1).then(|| link(page - 1)),
        (page < pages).then(|| link(page + 1)),
    );
    let rows = members
        .into_iter()
        .skip(first)
        .take(PER_PAGE)
        .map(|m| {
            let r = &m.record;
            let line = [&r.department, &r.shift, &r.committee]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            let talk = match (sort, view.last_conversations.get(&m.id)) {
                ("last_conversation", Some(date)) => format!("last talked {date}"),
                ("last_conversation", None) => "never talked to".to_owned(),
                _ => String::new(),
            };
            Row {
                id: m.id,
                name: r.name.clone(),
                line,
                assessment: r.assessment.map(Assessment::get),
                assigned: assigned(m.id).to_owned(),
                talk,
            }
        })
        .collect();
    let done = match form.done.as_str() {
        "assigned" => Some(format!("{} record(s) reassigned.", form.changed)),
        "tagged" => Some(format!("{} record(s) tagged.", form.changed)),
        _ => None,
    };
    let here = link(page);
    let can_edit = principal
        .require(&chapter, Permission::EditRoster, "")
        .is_ok();
    render(
        StatusCode::OK,
        &RosterPage {
            layout: Layout::member(&state, &principal),
            handle,
            filter: form,
            members: rows,
            shown,
            previous,
            next,
            sorts,
            vocabulary: view.vocabulary,
            committee: view.committee,
            can_edit,
            here,
            done,
        },
    )
}

/// The roster's address at `page` in the order `sort`, keeping the filters.
fn page_link(handle: &str, form: &FilterForm, sort: &str, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("q", &form.q),
        ("department", &form.department),
        ("shift", &form.shift),
        ("assessment", &form.assessment),
        ("committee", &form.committee),
    ] {
        if !value.trim().is_empty() {
            query.append_pair(key, value);
        }
    }
    if sort != "name" {
        query.append_pair("sort", sort);
    }
    query.append_pair("page", &page.to_string());
    format!("/chapters/{handle}/roster?{}", query.finish())
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    layout: Layout,
    handle: String,
    id: i64,
    name: String,
    details: Vec<(&'static str, String)>,
    log: Vec<OneOnOne>,
    today: String,
    problem: Option<String>,
    /// Relationships and the committee member responsible (pages/chart.rs).
    chart: super::chart::MemberChart,
    /// Whether the viewer may erase records (member_form.rs asks first).
    can_erase: bool,
    /// Whether the viewer may read the audit log (who looked at this record).
    can_audit: bool,
}

async fn member_page(
    state: &AppState,
    principal: &unionhall_members::Principal,
    handle: String,
    id: i64,
    problem: Option<String>,
) -> Result<MemberPage, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let file = state.members.get(principal, &chapter, id).await?;
    let chart = super::chart::member_chart(state, principal, &chapter, &file).await?;
    let r = &file.member.record;
    let details = [
        ("Phone", r.phone.clone()),
        ("Email", r.email.clone()),
        ("Workplace", r.workplace.clone()),
        ("Department", r.department.clone()),
        ("Shift", r.shift.clone()),
        ("Job", r.job_title.clone()),
        ("Committee", r.committee.clone()),
        ("Organizing role", r.organizing_role.clone()),
        (
            "Assessment",
            r.assessment
                .map(|a| a.get().to_string())
                .unwrap_or_default(),
        ),
        ("Dues", r.dues.as_str().to_owned()),
        ("Tags", r.tags.join(", ")),
        ("Notes", r.notes.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    Ok(MemberPage {
        layout: Layout::member(state, principal),
        handle,
        id,
        name: r.name.clone(),
        details,
        log: file.one_on_ones.into_iter().map(|e| e.entry).collect(),
        today: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        problem,
        chart,
        can_erase: principal
            .require(&chapter, unionhall_domain::Permission::EraseMember, "")
            .is_ok(),
        can_audit: principal
            .require(&chapter, unionhall_domain::Permission::ViewAudit, "")
            .is_ok(),
    })
}

pub(crate) async fn member(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let page = member_page(&state, &principal, handle, id, None).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct TalkForm {
    csrf: String,
    date: String,
    by: String,
    #[serde(default)]
    issues: String,
    #[serde(default)]
    next_step: String,
    #[serde(default)]
    next_step_due: String,
}

pub(crate) async fn log_talk(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<TalkForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let entry = OneOnOne {
        date: form.date,
        by: form.by,
        issues: form.issues,
        next_step: form.next_step,
        next_step_due: form.next_step_due,
    };
    match state
        .members
        .add_one_on_one(&principal, &chapter, id, entry)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/chapters/{handle}/members/{id}")).into_response()),
        Err(AppError::Invalid { message, .. }) => {
            let page = member_page(&state, &principal, handle, id, Some(message)).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(other),
    }
}
