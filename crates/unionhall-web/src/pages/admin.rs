//! `/admin`, for whoever runs the instance (ManageFederation in any group):
//! follow a chapter elsewhere by its handle, create chapters (with an invitation
//! for their first admin), block servers, see the deliveries given up.

use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{ActorKind, Handle, Permission, Role};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_federation::{activities::follow, policy};
use unionhall_members::Principal;
use unionhall_store::{actors, deliveries, follows};

const WHAT: &str = "run this instance";

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    problem: Option<String>,
    invite: Option<String>,
    target: String,
    following: Vec<(String, &'static str)>,
    groups: Vec<(String, String)>,
    mode: String,
    blocked: Vec<(String, String)>,
    pending: i64,
    dead: i64,
    dead_deliveries: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(shown): Query<Shown>,
) -> Result<Response, AppError> {
    principal.require_anywhere(Permission::ManageFederation, WHAT)?;
    let flash = match shown.done.as_deref() {
        Some("follow") => Some("Follow sent: it counts once the other server accepts.".into()),
        Some("block") => Some("Blocked, at once.".into()),
        _ => None,
    };
    let page = admin_page(&state, &principal, flash, None, String::new(), None).await?;
    render(StatusCode::OK, &page)
}

async fn admin_page(
    state: &AppState,
    principal: &Principal,
    flash: Option<String>,
    problem: Option<String>,
    target: String,
    invite: Option<String>,
) -> Result<AdminPage, AppError> {
    let store = &state.store;
    let following = follows::following(store)
        .await?
        .into_iter()
        .map(|f| {
            let state = if f.accepted {
                "following"
            } else {
                "waiting for their answer"
            };
            (f.target.to_string(), state)
        })
        .collect();
    let groups = actors::list_local_groups(store)
        .await?
        .into_iter()
        .map(|g| (g.handle.unwrap_or_default(), g.name))
        .collect();
    let (mode, blocked, _) = unionhall_store::policy::load(store).await?;
    let health = deliveries::health(store).await?;
    let dead_deliveries = deliveries::dead(store, 20)
        .await?
        .into_iter()
        .map(|(_, inbox, error)| (inbox, error))
        .collect();
    Ok(AdminPage {
        layout: Layout::member(state, principal).with_flash(flash),
        problem,
        invite,
        target,
        following,
        groups,
        mode: mode.unwrap_or_else(|| "open".into()),
        blocked: blocked.into_iter().map(|b| (b.domain, b.reason)).collect(),
        pending: health.pending,
        dead: health.dead,
        dead_deliveries,
    })
}

#[derive(Deserialize)]
pub(crate) struct FollowForm {
    csrf: String,
    target: String,
}

pub(crate) async fn follow(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<FollowForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    principal.require_anywhere(Permission::ManageFederation, WHAT)?;
    match follow::follow_remote(&state.federation_data(), &form.target).await {
        Ok(_) => Ok(Redirect::to("/admin?done=follow").into_response()),
        // Shown on the page, with what was typed, rather than as an error page.
        Err(err) => {
            let problem = format!("Could not follow {}: {err}", form.target.trim());
            let page =
                admin_page(&state, &principal, None, Some(problem), form.target, None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ChapterForm {
    csrf: String,
    handle: String,
    name: String,
}

pub(crate) async fn create_chapter(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ChapterForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    principal.require_anywhere(Permission::ManageFederation, WHAT)?;
    let handle = Handle::parse(form.handle.trim())?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: "name".into(),
            message: "name: the chapter needs a name".into(),
        });
    }
    let data = state.federation_data();
    create_group(
        &state.store,
        &data.urls,
        NewGroup {
            kind: ActorKind::Chapter,
            handle: handle.clone(),
            name: name.to_owned(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await?;
    // Its first admin comes in by invitation, as at the command line.
    let group = state.members.chapter(handle.as_str()).await?;
    let invite = state
        .members
        .create_invite(None, &group, Role::Admin, None)
        .await?;
    // Shown in this answer only (not in an address a browser's history keeps).
    let link = crate::api::invite_url(&state, &invite.token)?.to_string();
    let flash = Some(format!("Chapter @{} created.", handle.as_str()));
    let page = admin_page(&state, &principal, flash, None, String::new(), Some(link)).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct BlockForm {
    csrf: String,
    domain: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn block(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<BlockForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    principal.require_anywhere(Permission::ManageFederation, WHAT)?;
    policy::block(&state.federation_data(), &form.domain, &form.reason).await?;
    Ok(Redirect::to("/admin?done=block").into_response())
}
