//! A chapter's (or union body's) public page: who they are, how to follow them,
//! their open calls for support, strikes with picket lines and shifts, and what
//! they posted. What a visitor, or a Mastodon user clicking through, sees.

use super::layout::{render, Layout};
use super::views::{call_view, strike_view, CallView, Names, StrikeView};
use crate::{AppError, AppState};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use unionhall_store::actors::ActorRow;
use unionhall_store::posts::Newest;
use unionhall_store::{calls, campaigns, posts, strikes};

#[derive(Template)]
#[template(path = "chapter.html")]
struct ChapterPage {
    layout: Layout,
    name: String,
    summary: String,
    handle: String,
    domain: String,
    calls: Vec<CallView>,
    strikes: Vec<StrikeView>,
    /// (title, goal, address to follow it by).
    campaigns: Vec<(String, String, String)>,
    /// (text, its page).
    updates: Vec<(String, String)>,
}

pub(crate) async fn chapter_page(state: &AppState, actor: ActorRow) -> Result<Response, AppError> {
    let store = &state.store;
    let mut names = Names::default();
    // Visitors read each time on the clocks where it happens.
    let zone = None;
    let now = unionhall_store::now_millis();
    let mut open = Vec::new();
    for row in calls::open_by(store, &actor.ap_id, now).await? {
        // Only what the chapter made public is shown to anyone who asks.
        if !row.audience.is_public() {
            continue;
        }
        open.push(call_view(store, &mut names, &row, &[], zone).await?);
    }
    let mut on = Vec::new();
    for row in strikes::by_author(store, &actor.ap_id).await? {
        if !row.status.is_final() {
            on.push(strike_view(store, &mut names, &row, zone).await?);
        }
    }
    let mut shown = Vec::new();
    for row in campaigns::by_author(store, &actor.ap_id).await? {
        if row.is_local {
            let record = unionhall_federation::activities::campaign::record_of(&row)?;
            shown.push((record.title, record.goal, row.ap_id.to_string()));
        }
    }
    let updates = posts::newest_by_author(store, &actor.ap_id, true, Newest::Published, 20)
        .await?
        .iter()
        .map(|p| {
            let page = super::post_page::page_of(p).unwrap_or_default();
            (crate::html::text_of(&p.content), page)
        })
        .collect();
    render(
        StatusCode::OK,
        &ChapterPage {
            layout: Layout::visitor(state),
            name: actor.name,
            summary: actor.summary,
            handle: actor.handle.unwrap_or_default(),
            domain: state.urls.domain(),
            calls: open,
            strikes: on,
            campaigns: shown,
            updates,
        },
    )
}
