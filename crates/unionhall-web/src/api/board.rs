//! The home board: what a member needs in front of them. Open calls for support
//! (nearest deadline first), strikes still on, coordinated actions a chapter of
//! theirs has yet to answer, and the updates of the campaigns they follow.
//! `?kind=` narrows calls by kind, `?body=` to calls and actions of one union
//! body (its id).

use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use unionhall_domain::{Audience, CallStatus, Permission};
use unionhall_federation::activities::{action, call, strike};
use unionhall_store::{actions, calls, campaigns, now_millis, posts, strikes, unions};
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
    let now = now_millis();
    let mut open_calls = Vec::new();
    for row in calls::all(&state.store).await? {
        if row.status != CallStatus::Open {
            continue;
        }
        let record = call::record_of(&row)?;
        if query
            .kind
            .as_deref()
            .is_some_and(|k| k != record.kind.as_str())
        {
            continue;
        }
        if let Some(body) = &query.body {
            if row.audience != Audience::Union(body.clone()) {
                continue;
            }
        }
        let deadline = record.deadline.unwrap_or(i64::MAX);
        open_calls.push((deadline, json!({
            "id": row.id, "chapter": row.author, "title": record.title, "kind": record.kind.as_str(),
            "deadline": record.deadline, "starts_at": record.starts_at, "goal": record.goal,
            "pledged": {"people": row.pledged.people, "amount": row.pledged.amount, "actions": row.pledged.actions},
        })));
    }
    open_calls.sort_by_key(|(deadline, _)| *deadline);

    let mut active = Vec::new();
    for row in strikes::all(&state.store).await? {
        let status = row.status;
        if status.is_final() {
            continue;
        }
        let record = strike::record_of(&row)?;
        active.push(json!({"id": row.id, "chapter": row.author, "employer": record.employer, "status": status}));
    }

    // Actions a chapter the caller answers for has not answered yet.
    let mut to_answer = Vec::new();
    for row in actions::all(&state.store).await? {
        let record = action::record_of(&row)?;
        if !row.status.takes_answers(record.decision_deadline, now) {
            continue;
        }
        if query.body.as_ref().is_some_and(|b| b != &row.author) {
            continue;
        }
        let mut conn = state.store.acquire().await?;
        let answered = actions::answers(&mut conn, row.id).await?;
        for (chapter, _) in &principal.roles {
            let Ok(group) = state.members.group_by_id(chapter).await else {
                continue;
            };
            if principal
                .require(&group, Permission::PostForGroup, "answer")
                .is_err()
            {
                continue;
            }
            let member =
                unions::is_admitted(&mut conn, unions::Side::Chapter, &row.author, chapter).await?;
            if member && !answered.iter().any(|a| &a.chapter == chapter) {
                to_answer.push(json!({
                    "id": row.id, "body": row.author, "title": record.title,
                    "decision_deadline": record.decision_deadline, "chapter": chapter,
                }));
            }
        }
    }

    let mut updates = Vec::new();
    for campaign in campaigns::followed_by(&state.store, principal.account_id).await? {
        updates.extend(posts::of_campaign(&state.store, &campaign.ap_id).await?);
    }
    updates.sort_by_key(|p| std::cmp::Reverse(p.published_at));
    updates.truncate(50);

    Ok(Json(Board {
        calls: open_calls.into_iter().map(|(_, v)| v).collect(),
        strikes: active,
        actions: to_answer,
        campaign_updates: updates.into_iter().map(Into::into).collect(),
    }))
}
