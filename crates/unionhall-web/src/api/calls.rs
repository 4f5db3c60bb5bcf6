//! Calls for support and pledges. Posting, editing and changing the status of a
//! call needs `PostForGroup` in its chapter; pledging needs `Pledge` in the
//! chapter pledged through. Any logged-in account reads the calls this instance
//! has (its own and those received).

use super::paging::Paging;
use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unionhall_domain::{CallForSupport, CallStatus, Pledge};
use unionhall_federation::activities::call as calls_fed;
use unionhall_federation::activities::Audience;
use unionhall_members::Principal;
use unionhall_store::calls::{self, CallRow, Totals};
use url::Url;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/chapters/{handle}/calls", post(create))
        .route("/api/v1/calls", get(list))
        .route("/api/v1/calls/{id}", get(show).put(edit))
        .route("/api/v1/calls/{id}/status", post(set_status))
        .route(
            "/api/v1/calls/{id}/pledges/{handle}",
            put(pledge).delete(withdraw_pledge),
        )
}

#[derive(Serialize)]
struct TotalsView {
    people: i64,
    amount: i64,
    actions: i64,
}

impl From<Totals> for TotalsView {
    fn from(t: Totals) -> Self {
        Self {
            people: t.people,
            amount: t.amount,
            actions: t.actions,
        }
    }
}

#[derive(Serialize)]
struct ChapterTotals {
    chapter: Url,
    #[serde(flatten)]
    totals: TotalsView,
}

#[derive(Serialize)]
struct CallView {
    id: i64,
    ap_id: Url,
    chapter: Url,
    local: bool,
    status: CallStatus,
    /// Its time is over (FEDERATION.md, "Calls whose time is over"): it takes
    /// no pledges, whatever its status says.
    over: bool,
    audience: &'static str,
    call: CallForSupport,
    pledged: TotalsView,
    published_at: i64,
    updated_at: i64,
    /// Our own calls: each pledging chapter's totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    breakdown: Option<Vec<ChapterTotals>>,
    /// Our own calls: what the rest of the fediverse did with it, counts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    reach: Option<ReachView>,
}

/// Counts, never who: people who joined from elsewhere on the fediverse
/// (included in `pledged.people`), boosts and likes.
#[derive(Serialize)]
struct ReachView {
    from_the_fediverse: i64,
    /// Said they might come (Friendica's "maybe"): not in `pledged.people`.
    maybe_from_the_fediverse: i64,
    shared: i64,
    liked: i64,
    /// Lemmy's downvotes.
    disliked: i64,
    /// Replies from the fediverse (shown to the chapter's members on the
    /// call's page).
    replies: i64,
}

fn view(
    row: CallRow,
    breakdown: Option<Vec<(Url, Totals)>>,
    reach: Option<(unionhall_store::interactions::Counts, i64)>,
) -> Result<CallView, AppError> {
    let call = calls_fed::record_of(&row)?;
    Ok(CallView {
        over: call.is_over(unionhall_store::now_millis()),
        call,
        id: row.id,
        ap_id: row.ap_id,
        chapter: row.author,
        local: row.is_local,
        status: row.status,
        audience: row.audience.as_str(),
        pledged: row.pledged.into(),
        published_at: row.published_at,
        updated_at: row.updated_at,
        breakdown: breakdown.map(|b| {
            b.into_iter()
                .map(|(chapter, totals)| ChapterTotals {
                    chapter,
                    totals: totals.into(),
                })
                .collect()
        }),
        reach: reach.map(|(counts, replies)| ReachView {
            from_the_fediverse: counts.joins,
            maybe_from_the_fediverse: counts.maybes,
            shared: counts.shares,
            liked: counts.likes,
            disliked: counts.dislikes,
            replies,
        }),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCall {
    call: CallForSupport,
    /// public, followers or chapters (with `chapters`).
    #[serde(default = "default_audience")]
    audience: String,
    #[serde(default)]
    chapters: Vec<Url>,
    /// With audience `union`: the id of a body the chapter belongs to.
    #[serde(default)]
    union: Option<Url>,
}

fn default_audience() -> String {
    "public".into()
}

fn audience(name: &str, chapters: Vec<Url>, union: Option<Url>) -> Result<Audience, AppError> {
    if let Some(body) = union {
        return match (name, chapters.is_empty()) {
            ("union", true) => Ok(Audience::Union(body)),
            _ => Err(AppError::Invalid {
                field: "union".into(),
                message: "union goes with audience union, alone".into(),
            }),
        };
    }
    match (name, chapters.is_empty()) {
        ("public", true) => Ok(Audience::Public),
        ("followers", true) => Ok(Audience::Followers),
        ("chapters", false) => Ok(Audience::Chapters(chapters)),
        ("chapters", true) => Err(AppError::Invalid {
            field: "chapters".into(),
            message: "chapters lists the chapters (their ids) the call is for".into(),
        }),
        _ => Err(AppError::Invalid {
            field: "audience".into(),
            message:
                "audience is public, followers, chapters (with chapters) or union (with union)"
                    .into(),
        }),
    }
}

async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    ApiJson(body): ApiJson<NewCall>,
) -> Result<(StatusCode, Json<CallView>), AppError> {
    let audience = audience(&body.audience, body.chapters, body.union)?;
    let row = calls_fed::publish_call(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        body.call,
        audience,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(row, Some(Vec::new()), None)?),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    limit: Option<u32>,
    before: Option<String>,
}

/// A page of the calls meant for the caller (`paging.rs`), read through the
/// status and time indexes; those not meant for them and those of another
/// kind are left out of the page, so a page may hold fewer than `limit`.
async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<CallView>>), AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let status = query.status.as_deref().map(CallStatus::parse).transpose()?;
    let paging = Paging::of(query.limit, query.before.as_deref())?;
    let readers = crate::board::Readers::of(&state.store, &principal).await?;
    // The next page starts after the last call the reader may read, so that
    // its address names no call they may not (its time and number); a page
    // read with none such is followed by the next until one comes or the
    // calls end.
    let (mut after, mut out, mut last) = (paging.after, Vec::new(), None);
    let read = loop {
        let rows = calls::page(&state.store, status, after, paging.limit).await?;
        let read = rows.len();
        after = rows.last().map(|r| unionhall_store::After {
            published_at: r.published_at,
            id: r.id,
        });
        for row in rows {
            if !readers.may_read(&row) {
                continue;
            }
            last = Some((row.published_at, row.id));
            let view = view(row, None, None)?;
            if query
                .kind
                .as_deref()
                .is_some_and(|k| k != view.call.kind.as_str())
            {
                continue;
            }
            out.push(view);
        }
        if last.is_some() || read < paging.limit as usize {
            break read;
        }
    };
    let params = [
        ("status", query.status.as_deref()),
        ("kind", query.kind.as_deref()),
    ];
    let next = paging.next(&state, "/api/v1/calls", &params, read, last);
    Ok((next, Json(out)))
}

async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Json<CallView>, AppError> {
    let row = readable_call(&state, &principal, id).await?;
    let (breakdown, reach) = if row.is_local {
        let counts = unionhall_store::interactions::counts_of(&state.store, &row.ap_id).await?;
        let replies = unionhall_store::replies::to(&state.store, &row.ap_id, 0)
            .await?
            .0;
        (
            Some(calls_fed::breakdown(&state.federation_data(), id).await?),
            Some((counts, replies)),
        )
    } else {
        (None, None)
    };
    Ok(Json(view(row, breakdown, reach)?))
}

async fn edit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(call): ApiJson<CallForSupport>,
) -> Result<Json<CallView>, AppError> {
    let row =
        calls_fed::edit_call(&state.federation_data(), &principal.authority(), id, call).await?;
    Ok(Json(view(row, None, None)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewStatus>,
) -> Result<Json<CallView>, AppError> {
    let status = CallStatus::parse(&body.status)?;
    let row =
        calls_fed::set_status(&state.federation_data(), &principal.authority(), id, status).await?;
    Ok(Json(view(row, None, None)?))
}

/// The caller pledges through one of their chapters; the answer is that
/// chapter's new totals for the call.
async fn pledge(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, handle)): Path<(i64, String)>,
    ApiJson(pledge): ApiJson<Pledge>,
) -> Result<Json<unionhall_domain::PledgeTotals>, AppError> {
    pledge_as(&state, &principal, id, &handle, Some(pledge))
        .await
        .map(Json)
}

async fn withdraw_pledge(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path((id, handle)): Path<(i64, String)>,
) -> Result<Json<unionhall_domain::PledgeTotals>, AppError> {
    pledge_as(&state, &principal, id, &handle, None)
        .await
        .map(Json)
}

/// A call the caller may read; one meant for others is as if it did not exist.
pub(super) async fn readable_call(
    state: &AppState,
    principal: &Principal,
    id: i64,
) -> Result<CallRow, AppError> {
    let readers = crate::board::Readers::of(&state.store, principal).await?;
    calls::by_id(&state.store, id)
        .await?
        .filter(|c| c.deleted_at.is_none() && readers.may_read(c))
        .ok_or_else(|| AppError::NotFound(format!("no call {id}")))
}

pub(crate) async fn pledge_as(
    state: &AppState,
    principal: &Principal,
    id: i64,
    handle: &str,
    pledge: Option<Pledge>,
) -> Result<unionhall_domain::PledgeTotals, AppError> {
    readable_call(state, principal, id).await?;
    let chapter = state.members.chapter(handle).await?;
    let data = state.federation_data();
    let actor = unionhall_store::actors::by_ap_id(&state.store, &chapter.ap_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no chapter {handle}")))?;
    Ok(calls_fed::pledge(
        &data,
        &principal.authority(),
        id,
        &actor,
        principal.account_id,
        pledge,
    )
    .await?)
}
