//! `/`: the board for members (open calls with one-tap pledges, strikes,
//! actions waiting for an answer, followed campaigns), or, for visitors, the
//! chapters of this instance.

use super::form::Done;
use super::layout::{render, Layout};
use super::views::{call_view, strike_view, CallView, Names, StrikeView};
use crate::auth::{FormCaller, MaybeCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{ActorKind, Permission, Pledge};
use unionhall_members::Principal;
use unionhall_store::posts::Newest;
use unionhall_store::{actors, follows, posts};
use url::Url;

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    layout: Layout,
    groups: Vec<GroupLink>,
    domain: String,
}

struct GroupLink {
    handle: String,
    name: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct Board {
    layout: Layout,
    /// Chapters the member may post calls for.
    compose_for: Vec<String>,
    /// Chapters whose roster the member keeps.
    roster_for: Vec<String>,
    /// Chapters whose union bodies the member decides.
    unions_for: Vec<String>,
    /// Union bodies the member has a role in.
    bodies: Vec<String>,
    /// Chapters that keep this account's own member record: its list of the
    /// coworkers it talks to (committee members have one).
    own_list_in: Vec<String>,
    /// The member pledges for more than one chapter: buttons say which.
    compose_many: bool,
    calls: Vec<CallView>,
    strikes: Vec<StrikeView>,
    actions: Vec<ActionView>,
    updates: Vec<String>,
    /// Posts of the communities this server follows on Lemmy and other
    /// group-aware servers: (community's address, when, text), newest first.
    community_posts: Vec<(String, String, String)>,
}

struct ActionView {
    id: i64,
    title: String,
    body: String,
    chapter: String,
}

/// Confirmations by a fixed key: nothing from the address is shown as is.
fn flash(done: Option<&str>) -> Option<String> {
    match done? {
        "pledged" => Some(
            "Thank you: your pledge is counted, and your chapter's total is on its way.".into(),
        ),
        "joined" => Some("Joined: the invitation's role is added to your account.".into()),
        "withdrawn" => Some("Taken back: your chapter's total is told without it.".into()),
        "closed" => Some("Done: every chapter following yours is told.".into()),
        "posted" => {
            Some("Posted: the call is on its way to everyone who follows the chapter.".into())
        }
        _ => None,
    }
}

pub(crate) async fn home(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    match caller {
        Some(principal) => board(&state, &principal, flash(done.done.as_deref())).await,
        None => landing(&state).await,
    }
}

async fn landing(state: &AppState) -> Result<Response, AppError> {
    let groups = actors::list_local_groups(&state.store)
        .await?
        .into_iter()
        .filter(|a| matches!(a.kind, ActorKind::Chapter | ActorKind::Union))
        .map(|a| GroupLink {
            handle: a.handle.unwrap_or_default(),
            name: a.name,
        })
        .collect();
    render(
        StatusCode::OK,
        &Landing {
            layout: Layout::visitor(state),
            groups,
            domain: state.urls.domain(),
        },
    )
}

/// The handles of the caller's chapters whose role allows `permission`.
pub(crate) async fn chapters_allowing(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, role) in &principal.roles {
        if !role.allows(permission) {
            continue;
        }
        if let Ok(group) = state.members.group_by_id(id).await {
            if group.kind == ActorKind::Chapter {
                out.push(group.handle);
            }
        }
    }
    out.sort();
    out
}

/// Whether the caller may publish for `group` (post, close its calls).
pub(crate) async fn may_post_for(state: &AppState, principal: &Principal, group: &Url) -> bool {
    match state.members.group_by_id(group).await {
        Ok(group) => principal
            .role_in(&group)
            .is_some_and(|r| r.allows(Permission::PostForGroup)),
        Err(_) => false,
    }
}

/// Whether the caller has any role in `group` (a member at least).
pub(crate) async fn is_member_of(state: &AppState, principal: &Principal, group: &Url) -> bool {
    match state.members.group_by_id(group).await {
        Ok(group) => principal.role_in(&group).is_some(),
        Err(_) => false,
    }
}

/// Whether `chapter`'s roster holds the caller's own member record (and so
/// a list of coworkers they talk to).
pub(crate) async fn has_own_record(
    state: &AppState,
    principal: &Principal,
    chapter: &Url,
) -> Result<bool, AppError> {
    Ok(match principal.member_id {
        Some(me) => unionhall_store::members::get(&state.store, chapter, me)
            .await?
            .is_some(),
        None => false,
    })
}

/// The chapters whose roster holds the caller's own member record.
async fn own_record_in(state: &AppState, principal: &Principal) -> Result<Vec<String>, AppError> {
    if principal.member_id.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (id, _) in &principal.roles {
        let Ok(group) = state.members.group_by_id(id).await else {
            continue;
        };
        if group.kind == ActorKind::Chapter
            && has_own_record(state, principal, &group.ap_id).await?
        {
            out.push(group.handle);
        }
    }
    out.sort();
    Ok(out)
}

/// The handles of the union bodies the caller has a role in.
async fn bodies_of(state: &AppState, principal: &Principal) -> Vec<String> {
    let mut out = Vec::new();
    for (id, _) in &principal.roles {
        if let Ok(group) = state.members.group_by_id(id).await {
            if group.kind == ActorKind::Union {
                out.push(group.handle);
            }
        }
    }
    out.sort();
    out
}

async fn board(
    state: &AppState,
    principal: &Principal,
    flash: Option<String>,
) -> Result<Response, AppError> {
    let store = &state.store;
    let mut names = Names::default();
    let zone = super::zones::of_reader(state, Some(principal)).await?;
    let pledge_as = chapters_allowing(state, principal, Permission::Pledge).await;
    let compose_for = chapters_allowing(state, principal, Permission::PostForGroup).await;

    let chapters: Vec<Url> = compose_for.iter().map(|h| state.urls.actor(h)).collect();
    let filter = crate::board::Filter::default();
    let board = crate::board::load(store, principal, &chapters, &filter).await?;
    let mut open = Vec::new();
    for (row, _) in &board.calls {
        let mut view = call_view(store, &mut names, row, &pledge_as, Some(zone)).await?;
        view.set_mine(own_pledges(state, principal, row).await?);
        view.manage = row.is_local
            && compose_for
                .iter()
                .any(|handle| state.urls.actor(handle) == row.author);
        open.push(view);
    }
    let mut on = Vec::new();
    for (row, _) in &board.strikes {
        let mut view = strike_view(store, &mut names, row, Some(zone)).await?;
        view.manage = row.is_local
            && compose_for
                .iter()
                .any(|handle| state.urls.actor(handle) == row.author);
        on.push(view);
    }
    let mut to_answer = Vec::new();
    for (row, record, chapter) in &board.actions {
        to_answer.push(ActionView {
            id: row.id,
            title: record.title.clone(),
            body: names.of(store, &row.author).await?,
            chapter: compose_for
                .iter()
                .find(|h| &state.urls.actor(h) == chapter)
                .cloned()
                .unwrap_or_default(),
        });
    }
    let updates = board.campaign_updates;
    let community_posts = community_posts(state, zone).await?;

    render(
        StatusCode::OK,
        &Board {
            layout: Layout::member(state, principal).with_flash(flash),
            compose_many: pledge_as.len() > 1,
            roster_for: chapters_allowing(state, principal, Permission::ViewRoster).await,
            unions_for: chapters_allowing(state, principal, Permission::ManageRoles).await,
            bodies: bodies_of(state, principal).await,
            own_list_in: own_record_in(state, principal).await?,
            compose_for,
            calls: open,
            strikes: on,
            actions: to_answer,
            updates: updates
                .iter()
                .map(|p| crate::html::text_of(&p.content))
                .collect(),
            community_posts,
        },
    )
}

/// Most posts shown of each followed community.
const MOST_COMMUNITY_POSTS: i64 = 10;

/// The newest posts of the communities this server follows (through its
/// reader) on Lemmy and other group-aware servers.
async fn community_posts(
    state: &AppState,
    zone: unionhall_domain::Zone,
) -> Result<Vec<(String, String, String)>, AppError> {
    let store = &state.store;
    let mut out = Vec::new();
    for community in follows::followed_by(store, &state.urls.reader_actor()).await? {
        let address = match unionhall_store::actors::by_ap_id(store, &community).await? {
            Some(actor) => format!(
                "!{}@{}",
                actor.preferred_username,
                community.host_str().unwrap_or_default()
            ),
            None => community.to_string(),
        };
        for post in posts::newest_by_author(
            store,
            &community,
            false,
            Newest::Published,
            MOST_COMMUNITY_POSTS,
        )
        .await?
        {
            out.push((
                post.published_at,
                (
                    address.clone(),
                    zone.show(post.published_at),
                    crate::html::text_of(&post.content),
                ),
            ));
        }
    }
    out.sort_by_key(|post| std::cmp::Reverse(post.0));
    Ok(out.into_iter().map(|(_, shown)| shown).collect())
}

/// What the viewer pledged to `call`, through which chapter: the card says
/// so, and offers to take it back.
pub(crate) async fn own_pledges(
    state: &AppState,
    principal: &Principal,
    call: &unionhall_store::calls::CallRow,
) -> Result<Vec<(String, String)>, AppError> {
    let mut out = Vec::new();
    let record = unionhall_federation::activities::call::record_of(call)?;
    for (chapter, pledge) in
        unionhall_store::calls::pledges_of_account(&state.store, call.id, principal.account_id)
            .await?
    {
        let Some(handle) = unionhall_store::actors::by_ap_id(&state.store, &chapter)
            .await?
            .and_then(|a| a.handle)
        else {
            continue;
        };
        let what = match pledge.kind.as_str() {
            "attend" => "I'll be there".to_owned(),
            "give" => format!(
                "give {}",
                super::views::money(pledge.amount, &record.goal.currency)
            ),
            _ => "I did it".to_owned(),
        };
        out.push((handle, what));
    }
    Ok(out)
}

#[derive(Deserialize)]
pub(crate) struct PledgeForm {
    csrf: String,
    chapter: String,
    kind: String,
    #[serde(default)]
    amount: String,
    /// "call" when the form is on the call's own page: back there after.
    #[serde(default)]
    back: String,
}

/// One tap: the member's pledge through one of their chapters, then back to
/// the board.
pub(crate) async fn pledge(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<PledgeForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?;
    let pledge = match form.kind.as_str() {
        "attend" => Pledge::Attend,
        "act" => Pledge::Act,
        "give" => Pledge::Give {
            amount: cents(&form.amount)?,
        },
        "withdraw" => {
            crate::api::pledge_as(&state, principal, id, &form.chapter, None).await?;
            return Ok(Redirect::to(&back_to(&form.back, id, "withdrawn")).into_response());
        }
        _ => {
            return Err(AppError::Invalid {
                field: "kind".into(),
                message: "kind: attend, give or act".into(),
            })
        }
    };
    crate::api::pledge_as(&state, principal, id, &form.chapter, Some(pledge)).await?;
    Ok(Redirect::to(&back_to(&form.back, id, "pledged")).into_response())
}

/// Where a pledge form goes back to: the call's page or the board.
fn back_to(back: &str, id: i64, done: &str) -> String {
    match back {
        "call" => format!("/call/{id}?done={done}"),
        _ => format!("/?done={done}"),
    }
}

/// The amount of a pledge, as its currency's smallest unit.
fn cents(text: &str) -> Result<u64, AppError> {
    super::form::cents(text).ok_or_else(|| AppError::Invalid {
        field: "amount".into(),
        message: "amount: a sum such as 20 or 20.50".into(),
    })
}

#[derive(Deserialize)]
pub(crate) struct CallStatusForm {
    csrf: String,
    status: String,
    #[serde(default)]
    confirmed: String,
}

/// Closes one of the chapter's calls (met, or withdrawn), once confirmed:
/// every follower is told and it takes no more pledges unless met.
pub(crate) async fn close_call(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<CallStatusForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let next = match form.status.as_str() {
        "met" => unionhall_domain::CallStatus::Met,
        "withdrawn" => unionhall_domain::CallStatus::Withdrawn,
        _ => {
            return Err(AppError::Invalid {
                field: "status".into(),
                message: "status: met or withdrawn".into(),
            })
        }
    };
    let data = state.federation_data();
    let (row, _) = unionhall_federation::activities::call::local_call(&data, id).await?;
    let chapter = state.members.group_by_id(&row.author).await?;
    principal.require(&chapter, Permission::PostForGroup, "post for this chapter")?;
    if !super::confirm::confirmed(&form.confirmed) {
        let title = unionhall_federation::activities::call::record_of(&row)?.title;
        let (question, consequence, yes) = match next {
            unionhall_domain::CallStatus::Met => (
                format!("Mark \u{201c}{title}\u{201d} as met?"),
                "Every chapter following yours is told the goal is reached; pledges still count.",
                "Yes, it is met",
            ),
            _ => (
                format!("Withdraw \u{201c}{title}\u{201d}?"),
                "Every chapter following yours is told it is withdrawn; it takes no more pledges, \
                 and this cannot be undone.",
                "Yes, withdraw it",
            ),
        };
        return super::confirm::ask(&super::confirm::Confirm {
            layout: Layout::member(&state, &principal),
            question,
            consequence,
            quoted: String::new(),
            action: format!("/calls/{id}/status"),
            fields: vec![("status", form.status.clone())],
            yes: yes.into(),
            back: "/".into(),
        });
    }
    unionhall_federation::activities::call::set_status(&data, &principal.authority(), id, next)
        .await?;
    Ok(Redirect::to("/?done=closed").into_response())
}
