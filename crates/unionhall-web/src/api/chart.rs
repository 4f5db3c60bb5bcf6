//! The workplace chart: relationships, assignments, a committee member's own
//! list, structure tests, and the chart as JSON and CSV. The members service
//! checks roles and audits; none of it is ever federated.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use unionhall_domain::{Relationship, StructureTest};
use unionhall_members::assignments::{OwnList, Selection};
use unionhall_members::chart::Chart;
use unionhall_members::relationships::LinkedRelationship;
use unionhall_members::roster::Filter;
use unionhall_members::structure_tests::{SavedTest, TestDetail};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chapters/{handle}/chart", get(chart))
        .route("/api/v1/chapters/{handle}/chart.csv", get(chart_csv))
        .route(
            "/api/v1/chapters/{handle}/relationships",
            get(relationships).post(relate),
        )
        .route(
            "/api/v1/chapters/{handle}/relationships/{id}",
            delete(unrelate),
        )
        .route(
            "/api/v1/chapters/{handle}/assignments",
            get(assignments).put(assign),
        )
        .route("/api/v1/chapters/{handle}/my-list", get(own_list))
        .route(
            "/api/v1/chapters/{handle}/structure-tests",
            get(tests).post(create_test),
        )
        .route(
            "/api/v1/chapters/{handle}/structure-tests/{id}",
            get(test).delete(delete_test),
        )
        .route(
            "/api/v1/chapters/{handle}/structure-tests/{id}/participation",
            post(participation),
        )
        .route(
            "/api/v1/chapters/{handle}/structure-tests/{id}/confirm",
            put(confirm),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartQuery {
    days: Option<u32>,
}

type ChartQueryResult = Result<Query<ChartQuery>, axum::extract::rejection::QueryRejection>;

async fn chart(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    query: ChartQueryResult,
) -> Result<Json<Chart>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let days = unionhall_members::chart::window(query.days)?;
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(state.members.chart(&principal, &chapter, days).await?))
}

async fn chart_csv(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    query: ChartQueryResult,
) -> Result<impl IntoResponse, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let days = unionhall_members::chart::window(query.days)?;
    let chapter = state.members.chapter(&handle).await?;
    let text = state.members.chart_csv(&principal, &chapter, days).await?;
    let disposition = format!("attachment; filename=\"{}-chart.csv\"", chapter.handle);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberQuery {
    member: i64,
}

async fn relationships(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    query: Result<Query<MemberQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<LinkedRelationship>>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    // The role first: a stranger learns nothing from a bad query.
    principal.require(
        &chapter,
        unionhall_domain::Permission::ViewRoster,
        "see relationships",
    )?;
    let Query(query) = query.map_err(super::bad_query)?;
    Ok(Json(
        state
            .members
            .relationships(&principal, &chapter, query.member)
            .await?,
    ))
}

async fn relate(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(relationship): ApiJson<Relationship>,
) -> Result<(StatusCode, Json<LinkedRelationship>), AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let linked = state
        .members
        .relate(&principal, &chapter, relationship)
        .await?;
    Ok((StatusCode::CREATED, Json(linked)))
}

async fn unrelate(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    state.members.unrelate(&principal, &chapter, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn assignments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let map = state.members.assignments(&principal, &chapter).await?;
    let list: Vec<_> = map
        .into_iter()
        .map(|(member, assignee)| serde_json::json!({"member": member, "assignee": assignee}))
        .collect();
    Ok(Json(serde_json::Value::Array(list)))
}

/// Which records to assign: `members` (ids), or every record of a
/// `department` and/or `shift`; `assignee` null to unassign.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    #[serde(default)]
    members: Option<Vec<i64>>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    shift: Option<String>,
    assignee: Option<i64>,
}

async fn assign(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let selection = match (body.members, body.department, body.shift) {
        (Some(ids), None, None) => Selection::Ids(ids),
        (None, department, shift) if department.is_some() || shift.is_some() => {
            Selection::Matching(Filter {
                department,
                shift,
                ..Default::default()
            })
        }
        _ => {
            return Err(AppError::Invalid {
                field: "members".into(),
                message: "give either members (ids) or a department and/or shift".into(),
            })
        }
    };
    let changed = state
        .members
        .assign(&principal, &chapter, selection, body.assignee)
        .await?;
    Ok(Json(serde_json::json!({ "changed": changed })))
}

async fn own_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<OwnList>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(state.members.own_list(&principal, &chapter).await?))
}

async fn tests(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Json<Vec<SavedTest>>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(state.members.tests(&principal, &chapter).await?))
}

async fn create_test(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(test): ApiJson<StructureTest>,
) -> Result<(StatusCode, Json<SavedTest>), AppError> {
    let chapter = state.members.chapter(&handle).await?;
    let saved = state
        .members
        .create_test(&principal, &chapter, test)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn test(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Json<TestDetail>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(state.members.test(&principal, &chapter, id).await?))
}

async fn delete_test(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    state.members.delete_test(&principal, &chapter, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipationBody {
    members: Vec<i64>,
    #[serde(default = "yes")]
    took_part: bool,
}

fn yes() -> bool {
    true
}

async fn participation(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<ParticipationBody>,
) -> Result<Json<SavedTest>, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    Ok(Json(
        state
            .members
            .record_participation(&principal, &chapter, id, &body.members, body.took_part)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    member: i64,
    assessment: u8,
}

async fn confirm(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((handle, id)): Path<(String, i64)>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<StatusCode, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    state
        .members
        .confirm_suggestion(&principal, &chapter, id, body.member, body.assessment)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
