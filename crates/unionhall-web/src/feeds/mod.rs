//! Feeds for people's own tools: Atom for a chapter's public posts (updates,
//! calls for support, strikes), iCalendar for its pickets and picket shifts
//! (anything public with a time), so members can subscribe in their feed reader
//! or add them to their calendar. Only public things: a feed is for anyone.

mod atom;
mod ical;

use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use unionhall_domain::ActorKind;
use unionhall_federation::activities::{call, strike};
use unionhall_store::{calls, posts, strikes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actors/{handle}/feed.atom", get(atom_feed))
        .route("/actors/{handle}/calendar.ics", get(calendar))
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

async fn atom_feed(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let actor = chapter(&state, &handle).await?;
    let mut entries = Vec::new();
    for post in posts::by_author(&state.store, &actor.ap_id).await? {
        if post.public {
            entries.push(atom::Entry {
                id: post.ap_id.to_string(),
                title: format!("Update from {}", actor.name),
                updated: post.updated_at.unwrap_or(post.published_at),
                html: post.content,
            });
        }
    }
    for row in calls::all(&state.store).await? {
        if row.author == actor.ap_id && row.audience == "public" {
            let object = call::call_json(&row, &actor)?;
            entries.push(atom::Entry {
                id: row.ap_id.to_string(),
                title: object.name,
                updated: row.updated_at,
                html: object.content,
            });
        }
    }
    for row in strikes::all(&state.store).await? {
        if row.author == actor.ap_id {
            let mut conn = state.store.acquire().await?;
            let object = strike::strike_json(&mut conn, &row, &actor).await?;
            entries.push(atom::Entry {
                id: row.ap_id.to_string(),
                title: object.name,
                updated: row.updated_at,
                html: object.content,
            });
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.updated));
    entries.truncate(50);
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
    for row in calls::all(&state.store).await? {
        if row.author != actor.ap_id || row.audience != "public" {
            continue;
        }
        let record = call::record_of(&row)?;
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
            url: row.ap_id.to_string(),
            cancelled: matches!(row.status.as_str(), "withdrawn" | "closed"),
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
