//! Campaigns from the browser: a chapter starts one and posts updates; members
//! anywhere follow it from home and read its updates on their board.
//!
//! A campaign's page is `/campaign/{number}`: `/campaigns/{uuid}` is its
//! ActivityPub id, which a browser opening it is sent on from.

use super::form::{self, Field};
use super::layout::{render, Layout};
use super::views::Names;
use crate::auth::{Caller, FormCaller, MaybeCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{Campaign, Permission};
use unionhall_federation::activities::campaign as campaigns_fed;
use unionhall_members::Principal;
use unionhall_store::campaigns::{self, CampaignRow};
use unionhall_store::posts;
use url::Url;

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    layout: Layout,
    campaigns: Vec<Line>,
    /// The next page's address: older campaigns.
    older: Option<String>,
    /// Chapters the caller may start a campaign for.
    start_for: Vec<String>,
    url: String,
    problem: Option<String>,
}

struct Line {
    id: i64,
    title: String,
    chapter: String,
    following: bool,
}

fn flash(done: Option<&str>) -> Option<String> {
    match done? {
        "started" => Some("Started: followers of the chapter see it.".into()),
        "updated" => Some("Posted: the update is on its way to the campaign's followers.".into()),
        "followed" => Some("Followed: its updates come to your board.".into()),
        "unfollowed" => Some("Done: you no longer follow it.".into()),
        _ => None,
    }
}

/// The list's page starting after `after` (the first if None), with the
/// follow form holding `url` and `problem` if it was refused.
async fn list_page(
    state: &AppState,
    principal: &Principal,
    after: Option<unionhall_store::After>,
    (url, problem): (String, Option<String>),
    flash_text: Option<String>,
) -> Result<ListPage, AppError> {
    let (campaigns, older) = campaign_lines(state, principal, after).await?;
    let mut start_for = Vec::new();
    for (id, role) in &principal.roles {
        if role.allows(Permission::PostForGroup) {
            if let Ok(group) = state.members.group_by_id(id).await {
                if group.kind == unionhall_domain::ActorKind::Chapter {
                    start_for.push(group.handle);
                }
            }
        }
    }
    start_for.sort();
    Ok(ListPage {
        layout: Layout::member(state, principal).with_flash(flash_text),
        campaigns,
        older,
        start_for,
        url,
        problem,
    })
}

/// One page of the campaigns known here, newest first, after `after`; and
/// the next page's address if there may be more.
async fn campaign_lines(
    state: &AppState,
    principal: &Principal,
    after: Option<unionhall_store::After>,
) -> Result<(Vec<Line>, Option<String>), AppError> {
    let followed = campaigns::followed_by(&state.store, principal.account_id).await?;
    let rows = campaigns::page(&state.store, after, PER_PAGE).await?;
    let older = match rows.last() {
        Some(last) if rows.len() == PER_PAGE as usize => Some(format!(
            "/campaigns?before={}",
            crate::api::paging::cursor_of(last.published_at, last.id)
        )),
        _ => None,
    };
    let mut names = Names::default();
    let mut lines = Vec::new();
    for row in rows {
        lines.push(Line {
            id: row.id,
            title: campaigns_fed::record_of(&row)?.title,
            chapter: names.of(&state.store, &row.author).await?,
            following: followed.iter().any(|c| c.id == row.id),
        });
    }
    Ok((lines, older))
}

/// Campaigns listed on one page, newest first.
const PER_PAGE: u32 = 50;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    done: Option<String>,
    /// Where this page starts: after the last campaign of the page before.
    before: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let flash_text = flash(query.done.as_deref());
    let after = query
        .before
        .as_deref()
        .map(crate::api::paging::cursor)
        .transpose()?;
    let form = (String::new(), None);
    let page = list_page(&state, &principal, after, form, flash_text).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct FollowForm {
    csrf: String,
    #[serde(default)]
    url: String,
}

/// Follows a campaign by the address its chapter shared.
pub(crate) async fn follow_by_url(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let followed = match Url::parse(form.url.trim()) {
        Ok(url) => unionhall_federation::activities::follow::follow_campaign(
            &state.federation_data(),
            &url,
        )
        .await
        .map_err(|err| AppError::from(err).to_string()),
        Err(_) => Err("The campaign's address, starting with https://".to_owned()),
    };
    match followed {
        Ok(row) => {
            campaigns::follow(&state.store, principal.account_id, row.id).await?;
            Ok(Redirect::to(&format!("/campaign/{}?done=followed", row.id)).into_response())
        }
        Err(problem) => {
            let refused = (form.url, Some(problem));
            let page = list_page(&state, &principal, None, refused, None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    layout: Layout,
    id: i64,
    ap_id: String,
    title: String,
    goal: String,
    details: String,
    chapter: String,
    /// Logged in: may follow it.
    member: bool,
    following: bool,
    may_post: bool,
    /// (when, text, its page when it is ours), a page of them, newest first.
    updates: Vec<(String, String, String)>,
    /// The address of the page of older updates, if there may be more.
    older: Option<String>,
    problem: Option<String>,
}

/// A campaign's updates shown on one page, newest first.
const UPDATES_PER_PAGE: u32 = 50;

/// The page of a campaign, for a member (`principal`) or a visitor: campaigns
/// are public, like the chapter page that lists them.
async fn campaign_page(
    state: &AppState,
    principal: Option<&Principal>,
    (row, after): (CampaignRow, Option<posts::PostCursor>),
    problem: Option<String>,
    flash_text: Option<String>,
) -> Result<CampaignPage, AppError> {
    let record = campaigns_fed::record_of(&row)?;
    let following = match principal {
        Some(principal) => campaigns::followed_by(&state.store, principal.account_id)
            .await?
            .iter()
            .any(|c| c.id == row.id),
        None => false,
    };
    let may_post = match (principal, row.is_local) {
        (Some(principal), true) => super::home::may_post_for(state, principal, &row.author).await,
        _ => false,
    };
    let layout = Layout::of(state, principal);
    let zone = super::zones::of_reader(state, principal).await?;
    let page =
        posts::of_campaign(&state.store, &row.ap_id, after.as_ref(), UPDATES_PER_PAGE).await?;
    let older = match page.last() {
        Some(last) if page.len() == UPDATES_PER_PAGE as usize => {
            let cursor = crate::api::paging::post_cursor_of(&posts::PostCursor::of(last));
            let cursor: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
            Some(format!("/campaign/{}?before={cursor}", row.id))
        }
        _ => None,
    };
    let updates = page
        .iter()
        .map(|p| {
            let page = super::post_page::page_of(p).unwrap_or_default();
            (
                zone.show(p.published_at),
                crate::html::text_of(&p.content),
                page,
            )
        })
        .collect();
    Ok(CampaignPage {
        layout: layout.with_flash(flash_text),
        member: principal.is_some(),
        id: row.id,
        ap_id: row.ap_id.to_string(),
        title: record.title,
        goal: record.goal,
        details: record.details,
        chapter: Names::default().of(&state.store, &row.author).await?,
        following,
        may_post,
        updates,
        older,
        problem,
    })
}

async fn campaign(state: &AppState, id: i64) -> Result<CampaignRow, AppError> {
    campaigns::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no campaign {id}")))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    MaybeCaller(principal): MaybeCaller,
    Path(id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let row = campaign(&state, id).await?;
    let after = query
        .before
        .as_deref()
        .map(crate::api::paging::post_cursor)
        .transpose()?;
    let flash_text = flash(query.done.as_deref());
    let page = campaign_page(&state, principal.as_ref(), (row, after), None, flash_text).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct Csrf {
    csrf: String,
}

pub(crate) async fn follow(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<Csrf>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    let row = campaign(&state, id).await?;
    campaigns::follow(&state.store, principal.account_id, row.id).await?;
    Ok(Redirect::to(&format!("/campaign/{id}?done=followed")).into_response())
}

pub(crate) async fn unfollow(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<Csrf>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    campaigns::unfollow(&state.store, principal.account_id, id).await?;
    Ok(Redirect::to(&format!("/campaign/{id}?done=unfollowed")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct UpdateForm {
    csrf: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn post_update(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let row = campaign(&state, id).await?;
    if !row.is_local {
        return Err(AppError::NotFound(format!(
            "no campaign {id} of this instance"
        )));
    }
    match campaigns_fed::post_update(
        &state.federation_data(),
        &principal.authority(),
        id,
        &form.text,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/campaign/{id}?done=updated")).into_response()),
        Err(err) => {
            let problem = Some(super::on_the_form(AppError::from(err))?);
            let page = campaign_page(&state, Some(&principal), (row, None), problem, None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct StartForm {
    layout: Layout,
    handle: String,
    fields: Vec<Field>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    details: String,
}

fn start_form(
    layout: Layout,
    handle: String,
    f: &Fields,
    problem: Option<(String, String)>,
) -> StartForm {
    let field =
        |name, label, kind, value: &str| form::field(problem.as_ref(), name, label, kind, value);
    StartForm {
        layout,
        handle,
        fields: vec![
            field("title", "Name of the campaign", "text", &f.title),
            field(
                "goal",
                "What it is for (\"a first contract\")",
                "text",
                &f.goal,
            ),
            field("details", "Details", "textarea", &f.details),
        ],
        problem: problem.map(|(_, m)| m),
    }
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::PostForGroup, "post for this chapter")?;
    let layout = Layout::member(&state, &principal);
    render(
        StatusCode::OK,
        &start_form(layout, handle, &Fields::default(), None),
    )
}

pub(crate) async fn start(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&fields.csrf)?.clone();
    let campaign = Campaign {
        title: fields.title.clone(),
        goal: fields.goal.clone(),
        details: fields.details.clone(),
    };
    match campaigns_fed::start(
        &state.federation_data(),
        &principal.authority(),
        &handle,
        campaign,
    )
    .await
    {
        Ok(row) => Ok(Redirect::to(&format!("/campaign/{}?done=started", row.id)).into_response()),
        Err(err) => match AppError::from(err) {
            AppError::Invalid { field, message } => {
                let layout = Layout::member(&state, &principal);
                let page = start_form(layout, handle, &fields, Some((field, message)));
                render(StatusCode::BAD_REQUEST, &page)
            }
            other => Err(other),
        },
    }
}
