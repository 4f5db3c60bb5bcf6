//! The home board as JSON (the read model is `board.rs`, shared with the page):
//! open calls for support (nearest deadline first), strikes still on,
//! coordinated actions a chapter of theirs has yet to answer, and the updates
//! of the campaigns they follow.
//! `?kind=` narrows calls by kind, `?body=` to calls and actions of one union
//! body (its id).

use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use unionhall_domain::Permission;
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/board", get(board))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    kind: Option<String>,
    body: Option<Url>,
}

#[derive(Serialize)]
struct Board {
    calls: Vec<Value>,
    strikes: Vec<Value>,
    actions: Vec<Value>,
    campaign_updates: Vec<super::campaigns::UpdateView>,
}

async fn board(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<BoardQuery>,
) -> Result<Json<Board>, AppError> {
    // The chapters the caller answers actions for.
    let mut chapters = Vec::new();
    for (chapter, _) in &principal.roles {
        let Ok(group) = state.members.group_by_id(chapter).await else {
            continue;
        };
        if principal
            .require(&group, Permission::PostForGroup, "answer")
            .is_ok()
        {
            chapters.push(chapter.clone());
        }
    }
    let filter = crate::board::Filter {
        kind: query.kind,
        body: query.body,
    };
    let board = crate::board::load(&state.store, &principal, &chapters, &filter).await?;
    let open_calls = board.calls.iter().map(|(row, record)| json!({
        "id": row.id, "chapter": row.author, "title": record.title, "kind": record.kind.as_str(),
        "deadline": record.deadline, "starts_at": record.starts_at, "goal": record.goal,
        "pledged": {"people": row.pledged.people, "amount": row.pledged.amount, "actions": row.pledged.actions},
    }));
    let active = board.strikes.iter().map(|(row, record)| {
        json!({"id": row.id, "chapter": row.author, "employer": record.employer, "status": row.status})
    });
    let to_answer = board.actions.iter().map(|(row, record, chapter)| {
        json!({
            "id": row.id, "body": row.author, "title": record.title,
            "decision_deadline": record.decision_deadline, "chapter": chapter,
        })
    });
    Ok(Json(Board {
        calls: open_calls.collect(),
        strikes: active.collect(),
        actions: to_answer.collect(),
        campaign_updates: board.campaign_updates.into_iter().map(Into::into).collect(),
    }))
}
