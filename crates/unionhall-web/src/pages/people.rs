//! Bringing people in from the browser: importing a roster from a spreadsheet
//! (CSV pasted in; nothing is uploaded anywhere else), and inviting someone to
//! a chapter or body with a role, optionally as the owner of a member record.

use super::layout::{render, Layout};
use super::shown_once;
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{Language, Permission, Role};
use unionhall_members::{Group, Principal};

#[derive(Template)]
#[template(path = "roster_import.html")]
struct ImportPage {
    layout: Layout,
    handle: String,
    text: String,
    problem: Option<String>,
}

/// What the last import did, carried by the redirect after it.
#[derive(Deserialize)]
pub(crate) struct Imported {
    added: Option<u64>,
    updated: Option<u64>,
}

pub(crate) async fn import_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(imported): Query<Imported>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::EditRoster, "import into this roster")?;
    let flash = match (imported.added, imported.updated) {
        (Some(added), Some(updated)) => {
            Some(format!("Imported: {added} added, {updated} updated."))
        }
        _ => None,
    };
    let page = ImportPage {
        layout: Layout::member(&state, &principal).with_flash(flash),
        handle,
        text: String::new(),
        problem: None,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct ImportForm {
    csrf: String,
    #[serde(default)]
    text: String,
}

pub(crate) async fn import(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<ImportForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    match state
        .members
        .import_csv(&principal, &chapter, &form.text)
        .await
    {
        // Redirected, so that reloading the page imports nothing again.
        Ok(summary) => Ok(Redirect::to(&format!(
            "/chapters/{handle}/import?added={}&updated={}",
            summary.created, summary.updated
        ))
        .into_response()),
        Err(err) => {
            let err = AppError::from(err);
            if matches!(err, AppError::Forbidden(_)) {
                return Err(err);
            }
            // Nothing was imported: the text stays so the line can be fixed.
            let page = ImportPage {
                layout: Layout::member(&state, &principal),
                handle,
                problem: Some(err.to_string()),
                text: form.text,
            };
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "invite_form.html")]
struct InvitePage {
    layout: Layout,
    handle: String,
    roles: Vec<(&'static str, &'static str)>,
    member_id: String,
    link: Option<String>,
    problem: Option<String>,
    /// This server sends mail: the form offers to mail the invitation.
    email_on: bool,
    /// Invitations the caller mailed this week that the mail server refused:
    /// (address, its words, when).
    refused: Vec<(String, String, String)>,
    /// The server's language, and the choices for the mail, (code, name).
    server_language: &'static str,
    languages: Vec<(&'static str, &'static str)>,
}

/// The roles the caller may hand out in `group`, as (value, label).
fn grantable(principal: &Principal, group: &Group) -> Vec<(&'static str, &'static str)> {
    let Some(mine) = principal.role_in(group) else {
        return Vec::new();
    };
    Role::ALL
        .into_iter()
        .filter(|role| mine.may_grant(*role, group.kind).is_ok())
        .map(|role| (role.as_str(), label(role)))
        .collect()
}

fn label(role: Role) -> &'static str {
    match role {
        Role::Member => "Member: reads the board, pledges, sees their own record",
        Role::Organizer => "Organizer: keeps the roster, posts for the chapter",
        Role::Admin => "Admin: everything, plus roles and the audit log",
        Role::Officer => "Officer: admits chapters, proposes actions",
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ForMember {
    member: Option<i64>,
    /// "made" after the form made an invitation (its link rides in a
    /// cookie, shown_once.rs); "mailed" when it was mailed too.
    done: Option<String>,
}

async fn invite_page(
    state: &AppState,
    principal: &Principal,
    handle: String,
    member_id: Option<i64>,
    link: Option<String>,
    problem: Option<String>,
) -> Result<InvitePage, AppError> {
    let group = state.members.group(&handle).await?;
    let roles = grantable(principal, &group);
    if roles.is_empty() {
        return Err(AppError::Forbidden(format!(
            "you may not invite people to {handle}"
        )));
    }
    let zone = super::zones::of_reader(state, Some(principal)).await?;
    let refused = match state.members.email_on() {
        true => state.members.refused_invitations(principal).await?,
        false => Vec::new(),
    };
    let server_language = state.members.language_choice(principal).await?.server;
    Ok(InvitePage {
        server_language: server_language.name(),
        languages: Language::ALL.iter().map(|l| (l.code(), l.name())).collect(),
        layout: Layout::member(state, principal),
        handle,
        roles,
        member_id: member_id.map(|id| id.to_string()).unwrap_or_default(),
        link,
        problem,
        email_on: state.members.email_on(),
        refused: refused
            .into_iter()
            .map(|r| (r.address, r.reason, zone.show(r.refused_at)))
            .collect(),
    })
}

pub(crate) async fn invite_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
    Query(for_member): Query<ForMember>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let mailed = for_member.done.as_deref() == Some("mailed");
    let made = mailed || for_member.done.as_deref() == Some("made");
    let link = match shown_once::token(&headers).filter(|_| made) {
        Some(token) => Some(crate::api::invite_url(&state, &token)?.to_string()),
        None => None,
    };
    let mut page = invite_page(&state, &principal, handle, for_member.member, None, None).await?;
    if made && link.is_none() {
        page.layout = page.layout.with_flash(Some(
            "The invitation was made; its link is shown only once. If it was lost, make another."
                .into(),
        ));
    }
    if mailed {
        page.layout = page.layout.with_flash(Some(
            "Done: the invitation is on its way to the address you gave.".into(),
        ));
    }
    page.link = link;
    Ok(shown_once::shown(&state, render(StatusCode::OK, &page)?))
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    csrf: String,
    role: String,
    #[serde(default)]
    member_id: String,
    /// Mail the invitation here (optional).
    #[serde(default)]
    email: String,
    /// The language of that mail; "": the server's.
    #[serde(default)]
    language: String,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let group = state.members.group(&handle).await?;
    let member_id = match form.member_id.trim() {
        "" => Ok(None),
        n => n
            .parse::<i64>()
            .map(Some)
            .map_err(|_| "Member record: its number, or nothing.".to_owned()),
    };
    let address = form.email.trim();
    let language = crate::api::mail::language_choice(&form.language).map_err(|e| e.to_string());
    let made = match (Role::parse(&form.role), member_id, language) {
        (Ok(role), Ok(member_id), Ok(language)) => {
            let invite = match address {
                "" => {
                    state
                        .members
                        .create_invite(Some(&principal), &group, role, member_id)
                        .await
                }
                address => {
                    state
                        .members
                        .invite_by_mail(
                            Some(&principal),
                            &group,
                            role,
                            member_id,
                            (address, language),
                        )
                        .await
                }
            };
            invite.map(|invite| (invite, member_id)).map_err(|err| {
                let err = AppError::from(err);
                (err.status(), err.to_string())
            })
        }
        (Err(err), _, _) => Err((StatusCode::BAD_REQUEST, AppError::from(err).to_string())),
        (_, Err(problem), _) | (_, _, Err(problem)) => Err((StatusCode::BAD_REQUEST, problem)),
    };
    match made {
        Ok((invite, member_id)) => {
            let member = member_id
                .map(|id| format!("&member={id}"))
                .unwrap_or_default();
            let done = if address.is_empty() { "made" } else { "mailed" };
            let to = format!("/groups/{handle}/invites?done={done}{member}");
            Ok(shown_once::redirect(&state, &to, &invite.token))
        }
        Err((status, problem)) => {
            let page = invite_page(&state, &principal, handle, None, None, Some(problem)).await?;
            render(status, &page)
        }
    }
}
