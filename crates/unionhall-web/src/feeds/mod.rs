//! Feeds for people's own tools: Atom for a chapter's public posts (updates,
//! calls for support, strikes), iCalendar for its pickets and picket shifts
//! (anything public with a time), so members can subscribe in their feed reader
//! or add them to their calendar. Those are public things only: a feed is for
//! anyone. A member's own calendar (the calls with a time meant for them, and
//! the coordinated actions of the bodies their chapters belong to) needs the
//! calendar's own key, in the address since calendar apps send no headers; it
//! opens nothing else.

mod atom;

use unionhall_domain::ical;

use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use unionhall_domain::{ActionStatus, ActorKind};
use unionhall_federation::activities::{call, strike};
use unionhall_store::{calls, posts, strikes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actors/{handle}/feed.atom", get(atom_feed))
        .route("/actors/{handle}/calendar.ics", get(calendar))
        .route("/api/v1/me/calendar.ics", get(my_calendar))
}

async fn chapter(
    state: &AppState,
    handle: &str,
) -> Result<unionhall_store::actors::ActorRow, AppError> {
    crate::actors::local_actor(state, handle)
        .await
        .and_then(|row| match row.kind {
            ActorKind::Chapter | ActorKind::Union => Ok(row),
            _ => Err(AppError::NotFound(format!("no chapter @{handle}"))),
        })
}

/// The most entries a chapter's Atom feed holds.
const FEED_ENTRIES: i64 = 50;

async fn atom_feed(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let actor = chapter(&state, &handle).await?;
    let newest = posts::Newest::Changed;
    let posts = posts::newest_by_author(&state.store, &actor.ap_id, true, newest, FEED_ENTRIES);
    let mut entries = Vec::new();
    for post in posts.await? {
        entries.push(atom::Entry {
            id: post.ap_id.to_string(),
            link: post.ap_id.to_string(),
            title: format!("Update from {}", actor.name),
            updated: post.updated_at.unwrap_or(post.published_at),
            html: post.content,
        });
    }
    // Only the calls and strikes that can be among the feed's newest entries
    // are written out (a strike's needs a query).
    let mut public_calls: Vec<_> = calls::by_author(&state.store, &actor.ap_id)
        .await?
        .into_iter()
        .filter(|row| row.audience.is_public())
        .collect();
    public_calls.sort_by_key(|row| std::cmp::Reverse(row.updated_at));
    public_calls.truncate(FEED_ENTRIES as usize);
    for row in public_calls {
        let object = call::call_json(&row, &actor)?;
        entries.push(atom::Entry {
            id: row.ap_id.to_string(),
            link: page_url(&state, &format!("/call/{}", row.id)),
            title: object.name,
            updated: row.updated_at,
            html: object.content,
        });
    }
    let mut strikes = strikes::by_author(&state.store, &actor.ap_id).await?;
    strikes.sort_by_key(|row| std::cmp::Reverse(row.updated_at));
    strikes.truncate(FEED_ENTRIES as usize);
    for row in strikes {
        let mut conn = state.store.acquire().await?;
        let object = strike::strike_json(&mut conn, &row, &actor).await?;
        entries.push(atom::Entry {
            id: row.ap_id.to_string(),
            link: page_url(&state, &format!("/strike/{}", row.id)),
            title: object.name,
            updated: row.updated_at,
            html: object.content,
        });
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.updated));
    entries.truncate(FEED_ENTRIES as usize);
    let feed_url = state.urls.actor(&handle).to_string() + "/feed.atom";
    let body = atom::render(&atom::Feed {
        id: &feed_url,
        title: &actor.name,
        link: actor.ap_id.as_str(),
        entries: &entries,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    ))
}

async fn calendar(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let actor = chapter(&state, &handle).await?;
    let mut events = Vec::new();
    for row in calls::by_author(&state.store, &actor.ap_id).await? {
        if !row.audience.is_public() {
            continue;
        }
        let record = call::record_of(&row)?;
        let cancelled = record.called_off(row.status, row.updated_at);
        let Some(starts_at) = record.starts_at else {
            continue;
        };
        let object = call::call_json(&row, &actor)?;
        events.push(ical::Event {
            uid: row.ap_id.to_string(),
            stamp: row.updated_at,
            starts_at,
            ends_at: record.ends_at,
            summary: object.name,
            location: record.place.map(|p| p.address).unwrap_or_default(),
            description: strip_tags(&object.content),
            url: page_url(&state, &format!("/call/{}", row.id)),
            cancelled,
        });
    }
    let body = ical::render(
        &format!("{} ({})", actor.name, state.urls.domain()),
        &events,
    );
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    ))
}

/// How far back a member's calendar keeps calls that closed or were
/// withdrawn: a season of pickets, not every call the instance ever held.
const CALENDAR_PAST_MS: i64 = 90 * 24 * 3_600_000;

#[derive(serde::Deserialize)]
struct KeyQuery {
    #[serde(default)]
    key: String,
}

/// A member's calendar: `?key=uhc_…`, the calendar's own key (`POST
/// /api/v1/me/calendar` makes one), which opens nothing else: people paste
/// this address into calendar services. The calls in it are those meant for
/// the member (`board::Readers`) that still stand or closed in the last 90
/// days.
async fn my_calendar(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<KeyQuery>,
) -> Result<impl IntoResponse, AppError> {
    let principal = state
        .members
        .calendar_owner(&query.key)
        .await?
        .ok_or_else(|| {
            AppError::Unauthorized(
                "add ?key= with your calendar's key (POST /api/v1/me/calendar makes one)".into(),
            )
        })?;
    let readers = crate::board::Readers::of_roles(&state.store, &principal.roles).await?;
    let mut events = Vec::new();
    let since = unionhall_store::now_millis() - CALENDAR_PAST_MS;
    for row in calls::for_calendars(&state.store, since).await? {
        if !readers.may_read(&row) {
            continue;
        }
        let record = call::record_of(&row)?;
        let cancelled = record.called_off(row.status, row.updated_at);
        let Some(starts_at) = record.starts_at else {
            continue;
        };
        events.push(ical::Event {
            uid: row.ap_id.to_string(),
            stamp: row.updated_at,
            starts_at,
            ends_at: record.ends_at,
            summary: format!("{}: {}", record.kind.label(), record.title),
            location: record.place.map(|p| p.address).unwrap_or_default(),
            description: record.details,
            url: page_url(&state, &format!("/call/{}", row.id)),
            cancelled,
        });
    }
    // The actions of the bodies the member's chapters are admitted to, read
    // body by body (not every action of every body, each asked about).
    let mut bodies = std::collections::BTreeSet::new();
    for (group, _) in &principal.roles {
        for membership in unionhall_store::unions::bodies_of(&state.store, group).await? {
            if membership.accepted_at.is_some() {
                bodies.insert(membership.body);
            }
        }
    }
    let mut actions = Vec::new();
    for body in &bodies {
        actions.extend(unionhall_store::actions::by_author(&state.store, body).await?);
    }
    for row in actions {
        let record = unionhall_federation::activities::action::record_of(&row)?;
        // What happened before the calendar's season, as for calls.
        let Some(starts_at) = record.starts_at.filter(|at| *at >= since) else {
            continue;
        };
        events.push(ical::Event {
            uid: row.ap_id.to_string(),
            stamp: row.updated_at,
            starts_at,
            ends_at: None,
            summary: record.title,
            location: record.place.map(|p| p.address).unwrap_or_default(),
            description: record.commitment,
            url: page_url(&state, &format!("/actions/{}", row.id)),
            cancelled: row.status == ActionStatus::CalledOff,
        });
    }
    let body = ical::render(&format!("Unionhall: {}", principal.username), &events);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    ))
}

/// The text of our own simple HTML (paragraphs and line breaks).
fn strip_tags(html: &str) -> String {
    let text = html
        .replace("</p><p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<p>", "")
        .replace("</p>", "");
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The address of one of this server's pages: what feeds and calendars link
/// to, so that a person lands on a page and not on ActivityPub JSON.
fn page_url(state: &AppState, path: &str) -> String {
    let mut url = state.config.public_url.clone();
    url.set_path(path);
    url.to_string()
}
