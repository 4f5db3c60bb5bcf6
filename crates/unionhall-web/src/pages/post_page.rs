//! A post's own page: an update a chapter or body published (a campaign's
//! included), what a browser opening the post's ActivityPub id, or a link in
//! the chapter's Atom feed, is sent to; for the chapter's own members, the
//! replies it got from the fediverse (a Lemmy comment on it), as on a call's
//! page.

use super::event_pages::{chapter_link, replies_to};
use super::home::is_member_of;
use super::layout::{render, Layout};
use crate::auth::MaybeCaller;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use unionhall_store::posts;

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    layout: Layout,
    paragraphs: Vec<String>,
    when: String,
    chapter_page: Option<String>,
    chapter_address: String,
    /// The campaign it is an update of: (page, title).
    campaign: Option<(String, String)>,
    replies: (i64, Vec<(String, String, String)>),
}

/// The page of a post of ours (None for a post received from elsewhere).
pub(super) fn page_of(post: &posts::Post) -> Option<String> {
    post.is_local
        .then(|| {
            post.ap_id
                .path()
                .strip_prefix("/posts/")
                .map(|id| format!("/post/{id}"))
        })
        .flatten()
}

/// One of our posts: a public one to anyone, a followers-only one to the
/// members of its chapter; to anyone else it does not exist.
pub(crate) async fn post(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(format!("no post {id}"));
    let mut ap_id = state.config.public_url.clone();
    ap_id.set_path(&format!("/posts/{id}"));
    let post = posts::by_ap_id(&state.store, &ap_id)
        .await?
        .filter(|p| p.is_local)
        .ok_or_else(not_found)?;
    let member = match &caller {
        Some(principal) => is_member_of(&state, principal, &post.author).await,
        None => false,
    };
    if !post.public && !member {
        return Err(not_found());
    }
    if post.deleted_at.is_some() {
        return Err(AppError::Gone(format!("post {id} was deleted")));
    }
    let zone = super::zones::of_reader(&state, caller.as_ref()).await?;
    let replies = match member {
        true => replies_to(&state, &post.ap_id, zone).await?,
        false => (0, Vec::new()),
    };
    let campaign = match &post.campaign {
        Some(campaign) => {
            let mut conn = state.store.acquire().await?;
            match unionhall_store::campaigns::by_ap_id(&mut conn, campaign).await? {
                Some(row) => Some((
                    format!("/campaign/{}", row.id),
                    unionhall_federation::activities::campaign::record_of(&row)?.title,
                )),
                None => None,
            }
        }
        None => None,
    };
    let (chapter_page, chapter_address) = chapter_link(&state, &post.author).await?;
    render(
        StatusCode::OK,
        &PostPage {
            layout: Layout::of(&state, caller.as_ref()),
            paragraphs: unionhall_domain::text::paragraphs_of(&post.content),
            when: zone.show(post.published_at),
            chapter_page,
            chapter_address,
            campaign,
            replies,
        },
    )
}
