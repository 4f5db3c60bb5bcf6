//! The workplace chart in the browser: the chart itself (a table with bars in
//! inline SVG, readable on a phone, nothing loaded from elsewhere), a committee
//! member's own list, relationships and the assignment on a member's page,
//! reassigning a whole department or shift, and structure tests. Everything
//! goes through the members service, which checks the role and audits.

use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{
    is_committee_member, Permission, Relationship, RelationshipKind, StructureTest,
};
use unionhall_members::assignments::{ListEntry, Selection};
use unionhall_members::chart::{Chart, Named};
use unionhall_members::relationships::LinkedRelationship;
use unionhall_members::roster::{Filter, MemberFile};
use unionhall_members::structure_tests::{SavedTest, TestedMember};
use unionhall_members::{Group, Principal};

/// At most this many names in each list of the chart page (the page must stay
/// small on a phone); the rest are a filter away.
const NAMES_SHOWN: usize = 100;

/// One bar of the chart: a row's figures with the widths of its bar segments
/// in percent of the headcount.
struct Bar {
    name: String,
    headcount: u32,
    assessed: u32,
    /// (class, x, width, count) of the assessment segments 1-5.
    segments: Vec<(&'static str, u32, u32, u32)>,
    committee: u32,
    leaders: u32,
    covered: u32,
    coverage: u32,
}

const CLASSES: [&str; 5] = ["a1", "a2", "a3", "a4", "a5"];

fn bar(row: &unionhall_domain::ChartRow) -> Bar {
    let mut x = 0;
    let mut segments = Vec::new();
    for (i, count) in row.spread.iter().enumerate() {
        if *count == 0 || row.headcount == 0 {
            continue;
        }
        let width = count * 1000 / row.headcount;
        segments.push((CLASSES[i], x, width, *count));
        x += width;
    }
    Bar {
        name: if row.name.is_empty() {
            "(none)".into()
        } else {
            row.name.clone()
        },
        headcount: row.headcount,
        assessed: row.assessed,
        segments,
        committee: row.committee,
        leaders: row.leaders,
        covered: row.covered,
        coverage: row.coverage_percent,
    }
}

struct TestBars {
    id: i64,
    title: String,
    date: String,
    /// (name, covered, took part, percent)
    rows: Vec<(String, u32, u32, u32)>,
    total: (u32, u32, u32),
}

#[derive(Template)]
#[template(path = "chart.html")]
struct ChartPage {
    layout: Layout,
    handle: String,
    days: u32,
    today: String,
    /// The whole workplace, as a one-row table.
    total: Vec<Bar>,
    departments: Vec<Bar>,
    shifts: Vec<Bar>,
    leaders: Vec<Named>,
    leaders_more: usize,
    untalked: Vec<Named>,
    untalked_more: usize,
    untalked_total: usize,
    department: String,
    tests: Vec<TestBars>,
    /// Whether the viewer has a record here, and so a list of their own.
    own_list: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct ChartForm {
    #[serde(default)]
    days: String,
    /// Narrows the lists of names to one department.
    #[serde(default)]
    department: String,
}

fn cap(list: Vec<Named>, department: &str) -> (Vec<Named>, usize) {
    let list: Vec<Named> = list
        .into_iter()
        .filter(|n| department.is_empty() || n.department.eq_ignore_ascii_case(department))
        .collect();
    let more = list.len().saturating_sub(NAMES_SHOWN);
    (list.into_iter().take(NAMES_SHOWN).collect(), more)
}

pub(crate) async fn chart(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(form): Query<ChartForm>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let days = match form.days.trim() {
        "" => None,
        n => Some(n.parse::<u32>().map_err(|_| AppError::Invalid {
            field: "days".into(),
            message: "days: a number from 1 to 3650".into(),
        })?),
    };
    let days = unionhall_members::chart::window(days)?;
    let chart: Chart = state.members.chart(&principal, &chapter, days).await?;
    let own_list = super::home::has_own_record(&state, &principal, &chapter.ap_id).await?;
    let department = form.department.trim().to_owned();
    let untalked_total = chart.never_talked_to.len();
    let (leaders, leaders_more) = cap(chart.leaders, &department);
    let (untalked, untalked_more) = cap(chart.never_talked_to, &department);
    let tests = chart
        .tests
        .iter()
        .map(|t| TestBars {
            id: t.id,
            title: t.title.clone(),
            date: t.date.clone(),
            rows: t
                .departments
                .iter()
                .map(|r| {
                    let name = if r.name.is_empty() { "(none)" } else { &r.name };
                    (format!("Dept. {name}"), r.covered, r.took_part, r.percent)
                })
                .chain(t.shifts.iter().map(|r| {
                    let name = if r.name.is_empty() { "(none)" } else { &r.name };
                    (format!("Shift {name}"), r.covered, r.took_part, r.percent)
                }))
                .collect(),
            total: (t.total.covered, t.total.took_part, t.total.percent),
        })
        .collect();
    render(
        StatusCode::OK,
        &ChartPage {
            layout: Layout::member(&state, &principal),
            handle,
            days,
            today: chart.today,
            total: vec![bar(&chart.total)],
            departments: chart.departments.iter().map(bar).collect(),
            shifts: chart.shifts.iter().map(bar).collect(),
            leaders,
            leaders_more,
            untalked,
            untalked_more,
            untalked_total,
            department,
            tests,
            own_list,
        },
    )
}

#[derive(Template)]
#[template(path = "my_list.html")]
struct OwnListPage {
    layout: Layout,
    handle: String,
    entries: Vec<ListEntry>,
}

pub(crate) async fn own_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let list = state.members.own_list(&principal, &chapter).await?;
    render(
        StatusCode::OK,
        &OwnListPage {
            layout: Layout::member(&state, &principal),
            handle,
            entries: list.entries,
        },
    )
}

/// What the member page shows of the chart: relationships, the committee
/// member responsible, and the forms to change both.
pub(crate) struct MemberChart {
    pub relationships: Vec<(LinkedRelationship, String)>,
    /// (id, name) of the committee members, for the assignment form.
    pub committee: Vec<(i64, String)>,
    pub assignee: Option<(i64, String)>,
    pub can_edit: bool,
}

impl MemberChart {
    /// Whether `who` is the one assigned now: the form starts on them, so that
    /// pressing Assign unchanged changes nothing.
    pub fn is_assigned(&self, who: &i64) -> bool {
        self.assignee.as_ref().is_some_and(|(id, _)| id == who)
    }
}

/// The chart part of a member's page (`file` is the member's, already read).
pub(crate) async fn member_chart(
    state: &AppState,
    principal: &Principal,
    chapter: &Group,
    file: &MemberFile,
) -> Result<MemberChart, AppError> {
    let id = file.member.id;
    let roster = state
        .members
        .list(principal, chapter, &Filter::default())
        .await?;
    let assignments = state.members.assignments(principal, chapter).await?;
    let name_of = |who: i64| {
        roster
            .iter()
            .find(|m| m.id == who)
            .map(|m| m.record.name.clone())
            .unwrap_or_default()
    };
    let relationships = file
        .relationships
        .iter()
        .map(|r| {
            let line = if r.from == id {
                format!("{} {}", r.kind.label(), r.to_name)
            } else {
                format!("{} {} them", r.from_name, r.kind.label())
            };
            (r.clone(), line)
        })
        .collect();
    Ok(MemberChart {
        relationships,
        committee: roster
            .iter()
            .filter(|m| m.id != id && is_committee_member(&m.record))
            .map(|m| (m.id, m.record.name.clone()))
            .collect(),
        assignee: assignments.get(&id).map(|a| (*a, name_of(*a))),
        can_edit: principal
            .require(chapter, Permission::EditRoster, "change the roster")
            .is_ok(),
    })
}

/// At most this many coworkers offered on the page that links one.
const CANDIDATES: usize = 50;

#[derive(Template)]
#[template(path = "link_coworker.html")]
struct LinkPage {
    layout: Layout,
    handle: String,
    id: i64,
    name: String,
    find: String,
    /// (id, name, department · shift) of the coworkers found.
    found: Vec<(i64, String, String)>,
    more: usize,
    kinds: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct FindQuery {
    #[serde(default)]
    find: String,
}

/// Linking a coworker: find them by name (a page of a whole roster would be
/// too big for a phone), then say how they stand to each other.
pub(crate) async fn link_page(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    Query(query): Query<FindQuery>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "record relationships")?;
    let file = state.members.get(&principal, &chapter, id).await?;
    let find = query.find.trim().to_owned();
    let (found, more) = if find.is_empty() {
        (Vec::new(), 0)
    } else {
        let filter = Filter {
            text: Some(find.clone()),
            ..Default::default()
        };
        let matches: Vec<_> = state
            .members
            .list(&principal, &chapter, &filter)
            .await?
            .into_iter()
            .filter(|m| m.id != id)
            .collect();
        let more = matches.len().saturating_sub(CANDIDATES);
        let found = matches
            .into_iter()
            .take(CANDIDATES)
            .map(|m| {
                let line = [m.record.department.as_str(), m.record.shift.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · ");
                (m.id, m.record.name, line)
            })
            .collect();
        (found, more)
    };
    render(
        StatusCode::OK,
        &LinkPage {
            layout: Layout::member(&state, &principal),
            handle,
            id,
            name: file.member.record.name,
            find,
            found,
            more,
            kinds: RelationshipKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct RelateForm {
    csrf: String,
    /// "out" (this member -> other) or "in" (other -> this member).
    #[serde(default)]
    direction: String,
    other: i64,
    kind: String,
    #[serde(default)]
    note: String,
}

fn back_to_member(handle: &str, id: i64) -> Response {
    Redirect::to(&format!("/chapters/{handle}/members/{id}")).into_response()
}

pub(crate) async fn relate(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<RelateForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let kind = RelationshipKind::parse(&form.kind)?;
    let (from, to) = if form.direction == "in" {
        (form.other, id)
    } else {
        (id, form.other)
    };
    state
        .members
        .relate(
            &principal,
            &chapter,
            Relationship {
                from,
                to,
                kind,
                note: form.note,
            },
        )
        .await?;
    Ok(back_to_member(&handle, id))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn unrelate(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id, relationship)): Path<(String, i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    state
        .members
        .unrelate(&principal, &chapter, relationship)
        .await?;
    Ok(back_to_member(&handle, id))
}

#[derive(Deserialize)]
pub(crate) struct AssignOneForm {
    csrf: String,
    /// A committee member's id, or empty for no one.
    #[serde(default)]
    assignee: String,
}

pub(crate) fn assignee(value: &str) -> Result<Option<i64>, AppError> {
    match value.trim() {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| AppError::Invalid {
            field: "assignee".into(),
            message: "assignee: choose a committee member".into(),
        }),
    }
}

pub(crate) async fn assign_one(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<AssignOneForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    state
        .members
        .assign(
            &principal,
            &chapter,
            Selection::Ids(vec![id]),
            assignee(&form.assignee)?,
        )
        .await?;
    Ok(back_to_member(&handle, id))
}

#[derive(Template)]
#[template(path = "assignments.html")]
struct AssignmentsPage {
    layout: Layout,
    handle: String,
    /// (id, name, how many are theirs)
    committee: Vec<(i64, String, usize)>,
    unassigned: usize,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    changed: Option<usize>,
}

pub(crate) async fn assignments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "assign coworkers")?;
    let roster = state
        .members
        .list(&principal, &chapter, &Filter::default())
        .await?;
    let map = state.members.assignments(&principal, &chapter).await?;
    let committee = roster
        .iter()
        .filter(|m| is_committee_member(&m.record))
        .map(|m| {
            let theirs = map.values().filter(|a| **a == m.id).count();
            (m.id, m.record.name.clone(), theirs)
        })
        .collect();
    let unassigned = roster.iter().filter(|m| !map.contains_key(&m.id)).count();
    render(
        StatusCode::OK,
        &AssignmentsPage {
            layout: Layout::member(&state, &principal),
            handle,
            committee,
            unassigned,
            done: query.changed.map(|n| format!("{n} record(s) reassigned.")),
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct AssignManyForm {
    csrf: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    shift: String,
    #[serde(default)]
    assignee: String,
}

pub(crate) async fn assign_many(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<AssignManyForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let (department, shift) = (some(&form.department), some(&form.shift));
    if department.is_none() && shift.is_none() {
        return Err(AppError::Invalid {
            field: "department".into(),
            message: "name a department, a shift or both".into(),
        });
    }
    let changed = state
        .members
        .assign(
            &principal,
            &chapter,
            Selection::Matching(Filter {
                department,
                shift,
                ..Default::default()
            }),
            assignee(&form.assignee)?,
        )
        .await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/assignments?changed={changed}")).into_response())
}

#[derive(Template)]
#[template(path = "structure_tests.html")]
struct TestsPage {
    layout: Layout,
    handle: String,
    tests: Vec<SavedTest>,
}

pub(crate) async fn tests(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let tests = state.members.tests(&principal, &chapter).await?;
    render(
        StatusCode::OK,
        &TestsPage {
            layout: Layout::member(&state, &principal),
            handle,
            tests,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct NewTestForm {
    csrf: String,
    title: String,
    date: String,
    /// Departments separated by commas; empty for the whole workplace.
    #[serde(default)]
    departments: String,
}

pub(crate) async fn create_test(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<NewTestForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let saved = state
        .members
        .create_test(
            &principal,
            &chapter,
            StructureTest {
                title: form.title,
                date: form.date,
                departments: form.departments.split(',').map(str::to_owned).collect(),
                participants: Vec::new(),
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/tests/{}", saved.id)).into_response())
}

#[derive(Template)]
#[template(path = "structure_test.html")]
struct TestPage {
    layout: Layout,
    handle: String,
    test: SavedTest,
    /// Everyone covered, for the count.
    covered_count: usize,
    /// Those shown (narrowed by department or shift, at most NAMES_SHOWN x 3).
    shown: Vec<TestedMember>,
    more: usize,
    narrow: NarrowQuery,
    /// `narrow` as a query string, for the participation form's address.
    narrow_query: String,
    took_part: usize,
    can_edit: bool,
}

impl NarrowQuery {
    fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("department", &self.department)
            .append_pair("shift", &self.shift)
            .finish()
    }
}

/// Narrows a test's page to one department and/or shift (a workplace of
/// thousands does not fit one form on a phone). The participation form only
/// changes those it shows.
#[derive(Deserialize, Default)]
pub(crate) struct NarrowQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    shift: String,
}

pub(crate) async fn test(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    Query(narrow): Query<NarrowQuery>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let detail = state.members.test(&principal, &chapter, id).await?;
    let took_part = detail.covered.iter().filter(|m| m.took_part).count();
    let covered_count = detail.covered.len();
    let same = |wanted: &str, value: &str| {
        wanted.trim().is_empty() || wanted.trim().eq_ignore_ascii_case(value.trim())
    };
    let matching: Vec<TestedMember> = detail
        .covered
        .into_iter()
        .filter(|m| same(&narrow.department, &m.department) && same(&narrow.shift, &m.shift))
        .collect();
    let limit = NAMES_SHOWN * 3;
    let more = matching.len().saturating_sub(limit);
    let shown = matching.into_iter().take(limit).collect();
    render(
        StatusCode::OK,
        &TestPage {
            layout: Layout::member(&state, &principal),
            handle,
            can_edit: principal
                .require(&chapter, Permission::EditRoster, "change the roster")
                .is_ok(),
            test: detail.saved,
            covered_count,
            shown,
            more,
            narrow_query: narrow.query(),
            narrow,
            took_part,
        },
    )
}

/// The participation form: a checkbox `took` per coworker covered, and `shown`
/// for each one on the form, so that unticking records "did not take part".
pub(crate) async fn participation(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Query(narrow): Query<NarrowQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut csrf = String::new();
    let (mut took, mut shown) = (Vec::new(), Vec::new());
    for (key, value) in url::form_urlencoded::parse(&body) {
        let number = || {
            value.parse::<i64>().map_err(|_| AppError::BadRequest {
                code: "bad_form",
                message: format!("{key} must be a member id"),
            })
        };
        match key.as_ref() {
            "csrf" => csrf = value.to_string(),
            "took" => took.push(number()?),
            "shown" => shown.push(number()?),
            _ => {}
        }
    }
    let principal = caller.check_form(&csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let absent: Vec<i64> = shown.into_iter().filter(|m| !took.contains(m)).collect();
    state
        .members
        .record_participation(&principal, &chapter, id, &absent, false)
        .await?;
    state
        .members
        .record_participation(&principal, &chapter, id, &took, true)
        .await?;
    let mut back = format!("/chapters/{handle}/tests/{id}");
    if !narrow.department.is_empty() || !narrow.shift.is_empty() {
        back = format!("{back}?{}", narrow.query());
    }
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    csrf: String,
    member: i64,
    assessment: u8,
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    state
        .members
        .confirm_suggestion(&principal, &chapter, id, form.member, form.assessment)
        .await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/tests/{id}")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct DeleteTestForm {
    csrf: String,
    #[serde(default)]
    confirmed: String,
}

/// Deletes a structure test and who took part, once confirmed.
pub(crate) async fn delete_test(
    State(state): State<AppState>,
    caller: FormCaller,
    Path((handle, id)): Path<(String, i64)>,
    Form(form): Form<DeleteTestForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "change structure tests")?;
    if !super::confirm::confirmed(&form.confirmed) {
        let test = state.members.test(&principal, &chapter, id).await?;
        return super::confirm::ask(&super::confirm::Confirm {
            layout: Layout::member(&state, &principal),
            question: format!(
                "Delete the structure test \u{201c}{}\u{201d}?",
                test.saved.test.title
            ),
            consequence: "The test and the record of who took part are deleted for good; \
                assessments it suggested and you confirmed stay as they are.",
            quoted: String::new(),
            action: format!("/chapters/{handle}/tests/{id}/delete"),
            fields: Vec::new(),
            yes: "Yes, delete it".into(),
            back: format!("/chapters/{handle}/tests/{id}"),
        });
    }
    state.members.delete_test(&principal, &chapter, id).await?;
    Ok(Redirect::to(&format!("/chapters/{handle}/tests")).into_response())
}
