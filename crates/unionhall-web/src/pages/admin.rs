//! `/admin`, for whoever runs the instance (its instance admins, ARCHITECTURE.md):
//! follow a chapter elsewhere by its handle, create chapters and bodies (with
//! an invitation for their first admin), each group's followers, accounts and
//! audit log, whom the server federates with (mode, blocks, allows), reports
//! from other servers, the deliveries given up, and the instance's settings.

use super::layout::{render, Layout};
use super::shown_once;
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{ActorKind, Handle, Permission, Role};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_federation::{activities::follow, policy};
use unionhall_members::Principal;
use unionhall_store::{actors, deliveries, follows};

const WHAT: &str = "run this instance";

/// Who sent a form of /admin: its CSRF token checked, and the right to run
/// the instance.
fn admin_form<'a>(caller: &'a FormCaller, csrf: &str) -> Result<&'a Principal, AppError> {
    let principal = caller.check_form(csrf)?;
    principal.require_instance_admin(WHAT)?;
    Ok(principal)
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    problem: Option<String>,
    invite: Option<String>,
    target: String,
    following: Vec<(String, &'static str)>,
    groups: Vec<GroupLine>,
    mode: String,
    blocked: Vec<(String, String)>,
    allowed: Vec<String>,
    reports: Vec<ReportLine>,
    settings: Vec<(&'static str, String)>,
    pending: i64,
    dead: i64,
    dead_deliveries: Vec<(String, String)>,
}

struct GroupLine {
    handle: String,
    name: String,
    union: bool,
    /// Servers following it (hosts), and how many accounts there are.
    followers: Vec<String>,
    /// Whether the viewer's role there opens its accounts page and audit log
    /// (running the instance does not: they are the group's own).
    manages_roles: bool,
    reads_audit: bool,
}

struct ReportLine {
    id: i64,
    from: String,
    content: String,
    objects: Vec<String>,
    at: String,
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
    /// After creating a group: its handle (its first invitation's link rides
    /// in a cookie, shown_once.rs).
    created: Option<String>,
    /// After an import of a block list: what it did.
    blocked: Option<usize>,
    already: Option<usize>,
    skipped: Option<usize>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(shown): Query<Shown>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    principal.require_instance_admin(WHAT)?;
    if let Some(handle) = &shown.created {
        return created(&state, &principal, handle, &headers).await;
    }
    let flash = match shown.done.as_deref() {
        Some("follow") => Some("Follow sent: it counts once the other server accepts.".into()),
        Some("block") => Some("Blocked, at once.".into()),
        Some("unblock") => Some("Unblocked.".into()),
        Some("allow") => Some("Done: the allow list is changed.".into()),
        Some("mode") => Some("Done: the federation mode is changed.".into()),
        Some("resolved") => Some("Marked as dealt with.".into()),
        Some("import") => Some(format!(
            "Blocked {} servers; {} were blocked already; {} rows skipped (silenced or \
             not blocked at their source, or names published obfuscated).",
            shown.blocked.unwrap_or(0),
            shown.already.unwrap_or(0),
            shown.skipped.unwrap_or(0)
        )),
        _ => None,
    };
    let page = admin_page(&state, &principal, flash, None, String::new(), None).await?;
    render(StatusCode::OK, &page)
}

/// The admin page after a group was made: its name, and once, the link
/// that lets its first admin in.
async fn created(
    state: &AppState,
    principal: &Principal,
    handle: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let group = state.members.group(handle).await?;
    let what = match group.kind {
        ActorKind::Union => "Union body",
        _ => "Chapter",
    };
    let link = match shown_once::token(headers) {
        Some(token) => Some(crate::api::invite_url(state, &token)?.to_string()),
        None => None,
    };
    let flash = if link.is_some() {
        format!("{what} @{handle} created.")
    } else {
        format!(
            "{what} @{handle} created. Its first invitation was shown once; make another from \
             its people page if it was lost."
        )
    };
    let page = admin_page(state, principal, Some(flash), None, String::new(), link).await?;
    Ok(shown_once::shown(state, render(StatusCode::OK, &page)?))
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
    let mut groups = Vec::new();
    for g in actors::list_local_groups(store).await? {
        if !matches!(g.kind, ActorKind::Chapter | ActorKind::Union) {
            continue;
        }
        let mut followers: Vec<String> = follows::followers_of(store, &g.ap_id)
            .await?
            .into_iter()
            .filter(|f| f.accepted)
            .map(|f| f.follower.to_string())
            .collect();
        followers.sort();
        let handle = g.handle.clone().unwrap_or_default();
        let (manages_roles, reads_audit) = match state.members.group(&handle).await {
            Ok(group) => (
                principal
                    .require(&group, Permission::ManageRoles, "")
                    .is_ok(),
                principal.require(&group, Permission::ViewAudit, "").is_ok(),
            ),
            Err(_) => (false, false),
        };
        groups.push(GroupLine {
            manages_roles,
            reads_audit,
            handle: g.handle.unwrap_or_default(),
            name: g.name,
            union: g.kind == ActorKind::Union,
            followers,
        });
    }
    let (mode, blocked, allowed) = unionhall_store::policy::load(store).await?;
    let zone = super::zones::of_reader(state, Some(principal)).await?;
    let reports = unionhall_store::reports::list(store, 50)
        .await?
        .into_iter()
        .filter(|r| r.resolved_at.is_none())
        .map(|r| ReportLine {
            id: r.id,
            from: r.reporter.host_str().unwrap_or_default().to_owned(),
            content: r.content,
            objects: r.objects.iter().map(ToString::to_string).collect(),
            at: zone.show(r.received_at),
        })
        .collect();
    let settings = vec![
        ("Name", state.config.instance_name.clone()),
        ("Address", state.config.public_url.to_string()),
        (
            "Largest request taken",
            format!("{} KB", state.config.body_limit_bytes / 1024),
        ),
        (
            "Metrics at /metrics",
            if state.config.metrics_token.is_empty() {
                "off".to_owned()
            } else {
                "on, with its token".to_owned()
            },
        ),
    ];
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
        allowed,
        reports,
        settings,
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
    let principal = admin_form(&caller, &form.csrf)?.clone();
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
    /// "chapter" (the default) or "union".
    #[serde(default)]
    kind: String,
}

pub(crate) async fn create_chapter(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ChapterForm>,
) -> Result<Response, AppError> {
    admin_form(&caller, &form.csrf)?;
    let handle = Handle::parse(form.handle.trim())?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: "name".into(),
            message: "name: the chapter needs a name".into(),
        });
    }
    let (kind, first_role) = match form.kind.as_str() {
        "union" => (ActorKind::Union, Role::Officer),
        _ => (ActorKind::Chapter, Role::Admin),
    };
    let data = state.federation_data();
    create_group(
        &data,
        NewGroup {
            kind,
            handle: handle.clone(),
            name: name.to_owned(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await?;
    // Its first admin comes in by invitation, as at the command line.
    let group = state.members.group(handle.as_str()).await?;
    let invite = state
        .members
        .create_invite(None, &group, first_role, None)
        .await?;
    let to = format!("/admin?created={}", handle.as_str());
    Ok(shown_once::redirect(&state, &to, &invite.token))
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
    admin_form(&caller, &form.csrf)?;
    policy::block(&state.federation_data(), &form.domain, &form.reason).await?;
    Ok(Redirect::to("/admin?done=block").into_response())
}

#[derive(Deserialize)]
pub(crate) struct ImportForm {
    csrf: String,
    list: String,
    #[serde(default)]
    include_silenced: Option<String>,
}

/// A block list pasted into the page: blocked, and what happened said on the
/// page; an unreadable row refuses the whole list and is named.
pub(crate) async fn import_blocks(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ImportForm>,
) -> Result<Response, AppError> {
    let principal = admin_form(&caller, &form.csrf)?.clone();
    // Refused whole, the line named.
    let listed = match unionhall_domain::blocklist::parse(&form.list) {
        Ok(listed) => listed,
        Err(err) => {
            let problem = format!("Could not import the block list: {err}; nothing was blocked.");
            let page =
                admin_page(&state, &principal, None, Some(problem), String::new(), None).await?;
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let include_silenced = form.include_silenced.is_some();
    let imported =
        policy::import_blocks(&state.federation_data(), listed, include_silenced).await?;
    // Redirected, so that reloading imports nothing again.
    Ok(Redirect::to(&format!(
        "/admin?done=import&blocked={}&already={}&skipped={}",
        imported.blocked.len(),
        imported.already,
        imported.skipped.len()
    ))
    .into_response())
}

#[derive(Deserialize)]
pub(crate) struct DomainForm {
    csrf: String,
    domain: String,
    /// For the allow list: "add" or "remove".
    #[serde(default)]
    change: String,
}

pub(crate) async fn unblock(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<DomainForm>,
) -> Result<Response, AppError> {
    admin_form(&caller, &form.csrf)?;
    policy::unblock(&state.federation_data(), &form.domain).await?;
    Ok(Redirect::to("/admin?done=unblock").into_response())
}

pub(crate) async fn allow(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<DomainForm>,
) -> Result<Response, AppError> {
    admin_form(&caller, &form.csrf)?;
    let data = state.federation_data();
    if form.change == "remove" {
        policy::disallow(&data, &form.domain).await?;
    } else {
        policy::allow(&data, &form.domain).await?;
    }
    Ok(Redirect::to("/admin?done=allow").into_response())
}

#[derive(Deserialize)]
pub(crate) struct ModeForm {
    csrf: String,
    mode: String,
}

pub(crate) async fn set_mode(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ModeForm>,
) -> Result<Response, AppError> {
    admin_form(&caller, &form.csrf)?;
    let mode = unionhall_domain::FederationMode::parse(&form.mode)?;
    policy::set_mode(&state.federation_data(), mode).await?;
    Ok(Redirect::to("/admin?done=mode").into_response())
}

#[derive(Deserialize)]
pub(crate) struct ResolveForm {
    csrf: String,
    id: i64,
}

pub(crate) async fn resolve_report(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ResolveForm>,
) -> Result<Response, AppError> {
    admin_form(&caller, &form.csrf)?;
    if !unionhall_store::reports::resolve(&state.store, form.id).await? {
        return Err(AppError::NotFound(format!("no open report {}", form.id)));
    }
    Ok(Redirect::to("/admin?done=resolved").into_response())
}
