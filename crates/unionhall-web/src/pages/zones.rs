//! Which zone a page shows times in, and how an event's time reads: on the
//! clocks where it happens, with the reader's own time beside it when theirs
//! read differently. Setting a chapter's and an account's zone.

use crate::auth::FormCaller;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{Permission, Zone};
use unionhall_members::Principal;
use unionhall_store::time_zones;
use url::Url;

/// The zone times are shown in for this reader: theirs, else their chapter's,
/// else UTC (visitors too).
pub(crate) async fn of_reader(
    state: &AppState,
    principal: Option<&Principal>,
) -> Result<Zone, AppError> {
    Ok(of_account(state, principal).await?.unwrap_or_default())
}

/// A logged-in reader's zone (theirs, else their chapter's, else UTC); None
/// for a visitor, whose zone is not known.
pub(crate) async fn of_account(
    state: &AppState,
    principal: Option<&Principal>,
) -> Result<Option<Zone>, AppError> {
    let Some(principal) = principal else {
        return Ok(None);
    };
    Ok(Some(
        state.members.zone_of_account(principal.account_id).await?,
    ))
}

/// The zone a local chapter or body posts in (UTC until its admins set one).
pub(crate) async fn of_group(state: &AppState, group: &Url) -> Result<Zone, AppError> {
    Ok(
        unionhall_federation::activities::zone_of(&state.store, group)
            .await?
            .unwrap_or_default(),
    )
}

/// When something happens, on the clocks where it happens (`event`, if it
/// says), and in the reader's zone too when those clocks read differently.
/// A visitor (`reader` None) gets the event's clocks only (UTC if it names
/// none).
pub(crate) fn event_time(
    start: i64,
    end: Option<i64>,
    event: Option<Zone>,
    reader: Option<Zone>,
) -> String {
    let there = event.or(reader).unwrap_or_default();
    let mut text = there.show_span(start, end);
    if let Some(reader) = reader.filter(|r| !there.agrees_with(*r, start)) {
        text.push_str(&format!(" (your time: {})", reader.show_span(start, end)));
    }
    text
}

/// The names a zone field offers (a `datalist`, so typing narrows it).
pub(crate) fn names() -> Vec<&'static str> {
    Zone::names().collect()
}

#[derive(Deserialize)]
pub(crate) struct ZoneForm {
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

/// A group's admins set the zone its organizers post in.
pub(crate) async fn set_for_group(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(form): Form<ZoneForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let group = state.members.group(&handle).await?;
    principal.require(
        &group,
        Permission::ManageRoles,
        "set this group's time zone",
    )?;
    let zone = Zone::parse(&form.time_zone)?;
    time_zones::set_group(&state.store, &group.ap_id, zone.name()).await?;
    Ok(Redirect::to(&format!("/groups/{handle}/people?done=time-zone")).into_response())
}

/// An account chooses the zone it reads times in; empty goes back to its
/// chapter's.
pub(crate) async fn set_for_account(
    State(state): State<AppState>,
    caller: FormCaller,
    Form(form): Form<ZoneForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    let zone = match form.time_zone.trim() {
        "" => None,
        name => Some(Zone::parse(name)?),
    };
    time_zones::set_account(&state.store, principal.account_id, zone.map(Zone::name)).await?;
    Ok(Redirect::to("/account?done=time-zone").into_response())
}
