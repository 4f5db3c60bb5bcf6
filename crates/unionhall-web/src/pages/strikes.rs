//! Strikes from the browser: announcing one (with a picket line and a shift,
//! which becomes a call people pledge to), and moving it through its statuses
//! with a word to followers each time.

use super::confirm;
use super::form::{self, Field};
use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{Permission, PicketLine, Place, Shift, Strike, StrikeStatus, Zone};
use unionhall_federation::activities::strike::{self as strikes_fed, record_of};
use unionhall_members::Principal;

#[derive(Template)]
#[template(path = "strike_form.html")]
struct StrikeForm {
    layout: Layout,
    handle: String,
    /// The zone the chapter posts in: the form's times are read there.
    zone: &'static str,
    fields: Vec<Field>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    employer: String,
    #[serde(default)]
    workplace: String,
    #[serde(default)]
    demands: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    fund_url: String,
    #[serde(default)]
    picket_address: String,
    #[serde(default)]
    shift_starts: String,
    #[serde(default)]
    shift_ends: String,
    #[serde(default)]
    shift_needed: String,
}

fn strike_form(
    layout: Layout,
    handle: String,
    zone: Zone,
    f: &Fields,
    problem: Option<(String, String)>,
) -> StrikeForm {
    let field =
        |name, label, kind, value: &str| form::field(problem.as_ref(), name, label, kind, value);
    StrikeForm {
        layout,
        handle,
        zone: zone.name(),
        fields: vec![
            field("employer", "Employer", "text", &f.employer),
            field("workplace", "Workplace", "text", &f.workplace),
            field("demands", "Demands (one per line)", "textarea", &f.demands),
            field("starts", "Strike starts (date)", "date", &f.starts),
            field(
                "fund_url",
                "Strike fund page (its address)",
                "url",
                &f.fund_url,
            ),
            field(
                "picket_address",
                "Picket line: where",
                "text",
                &f.picket_address,
            ),
            field(
                "shift_starts",
                "First shift starts",
                "datetime-local",
                &f.shift_starts,
            ),
            field(
                "shift_ends",
                "First shift ends",
                "datetime-local",
                &f.shift_ends,
            ),
            field(
                "shift_needed",
                "People needed on that shift",
                "text",
                &f.shift_needed,
            ),
        ],
        problem: problem.map(|(_, m)| m),
    }
}

pub(crate) async fn form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::PostForGroup, "post for this chapter")?;
    let zone = super::zones::of_group(&state, &chapter.ap_id).await?;
    let page = strike_form(
        Layout::member(&state, &principal),
        handle,
        zone,
        &Fields::default(),
        None,
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn announce(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&fields.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let zone = super::zones::of_group(&state, &chapter.ap_id).await?;
    let announced = match strike_of(&fields, zone) {
        Ok(strike) => strikes_fed::announce_strike(
            &state.federation_data(),
            &principal.authority(),
            &handle,
            strike,
        )
        .await
        .map_err(AppError::from),
        Err(err) => Err(err),
    };
    match announced {
        Ok(row) => Ok(Redirect::to(&format!("/strikes/{}/manage", row.id)).into_response()),
        Err(AppError::Invalid { field, message }) => {
            // The domain names picket fields by their place in the list.
            let field = if field.starts_with("picket") || field.starts_with("shift") {
                "picket_address".to_owned()
            } else {
                field
            };
            let layout = Layout::member(&state, &principal);
            let page = strike_form(layout, handle, zone, &fields, Some((field, message)));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(other),
    }
}

/// The strike the form describes, its times read on the clocks of `zone`.
fn strike_of(f: &Fields, zone: Zone) -> Result<Strike, AppError> {
    let invalid = |field: &str, message: &str| AppError::Invalid {
        field: field.into(),
        message: format!("{field}: {message}"),
    };
    let day = |field: &'static str, text: &str| -> Result<Option<i64>, AppError> {
        match text.trim() {
            "" => Ok(None),
            d => {
                if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    return Err(invalid(field, "a date such as 2026-12-01"));
                }
                Ok(Some(zone.local_to_millis(field, &format!("{d}T00:00"))?))
            }
        }
    };
    let moment = |field, text: &str| form::date_time(zone, field, text);
    let mut picket_lines = Vec::new();
    let address = f.picket_address.trim();
    if !address.is_empty() {
        let mut shifts = Vec::new();
        let starts = moment("shift_starts", &f.shift_starts)?;
        let ends = moment("shift_ends", &f.shift_ends)?;
        if let (Some(starts_at), Some(ends_at)) = (starts, ends) {
            let needed = f
                .shift_needed
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("shift_needed", "a whole number, 1 or more"))?;
            shifts.push(Shift {
                starts_at,
                ends_at,
                needed,
            });
        }
        picket_lines.push(PicketLine {
            place: Place {
                address: address.to_owned(),
                latitude: None,
                longitude: None,
            },
            shifts,
        });
    }
    Ok(Strike {
        employer: f.employer.clone(),
        workplace: f.workplace.clone(),
        demands: f.demands.lines().map(str::to_owned).collect(),
        details: String::new(),
        starts_at: day("starts", &f.starts)?,
        picket_lines,
        fund_url: f.fund_url.trim().to_owned(),
        time_zone: Some(zone),
    })
}

#[derive(Template)]
#[template(path = "strike_manage.html")]
struct ManagePage {
    layout: Layout,
    id: i64,
    employer: String,
    status: &'static str,
    /// (value, button label) of the statuses it may move to.
    next: Vec<(&'static str, &'static str)>,
    history: Vec<String>,
    picket_lines: Vec<super::views::PicketLineView>,
    /// The zone new shifts are read in.
    zone: &'static str,
    problem: Option<String>,
}

async fn manage_page(
    state: &AppState,
    principal: &Principal,
    id: i64,
    problem: Option<String>,
    flash: Option<String>,
) -> Result<ManagePage, AppError> {
    let (row, _) = strikes_fed::local_strike(&state.federation_data(), id).await?;
    let group = state.members.group_by_id(&row.author).await?;
    principal.require(&group, Permission::PostForGroup, "post for this chapter")?;
    let status = row.status;
    let zone = zone_of_strike(state, &row).await?;
    let next = StrikeStatus::ALL
        .into_iter()
        .filter(|n| status.move_to(*n, "outcome").is_ok())
        .map(|n| (n.as_str(), button(n)))
        .collect();
    let history = super::views::history_lines(&row, zone)?;
    let mut names = super::views::Names::default();
    let view = super::views::strike_view(&state.store, &mut names, &row, Some(zone)).await?;
    Ok(ManagePage {
        layout: Layout::member(state, principal).with_flash(flash),
        id,
        employer: record_of(&row)?.employer,
        picket_lines: view.picket_lines,
        zone: zone.name(),
        status: status.label(),
        next,
        history,
        problem,
    })
}

fn button(status: StrikeStatus) -> &'static str {
    match status {
        StrikeStatus::Announced => "Announced",
        StrikeStatus::OnStrike => "We are on strike",
        StrikeStatus::Suspended => "Suspend the strike",
        StrikeStatus::Settled => "Settled",
        StrikeStatus::Ended => "End the strike",
    }
}

/// What the form before the redirect to the manage page did.
#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

pub(crate) async fn manage(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let flash = match done.done.as_deref() {
        Some("status") => Some("Done: followers are told.".to_owned()),
        Some("shift") => {
            Some("Added: followers see the new shift and can pledge to it.".to_owned())
        }
        _ => None,
    };
    let page = manage_page(&state, &principal, id, None, flash).await?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    text: String,
    /// "yes" when sent from the confirmation page.
    #[serde(default)]
    confirmed: String,
}

pub(crate) async fn set_status(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    // The role is checked before anything changes.
    manage_page(&state, &principal, id, None, None).await?;
    let next = match form.status.as_str() {
        "" => None,
        s => Some(StrikeStatus::parse(s)?),
    };
    // Settling or ending cannot be undone and tells every follower: asked
    // first, once the move itself would be accepted.
    if let Some(last) = next.filter(|n| n.is_final()) {
        let (row, _) = strikes_fed::local_strike(&state.federation_data(), id).await?;
        if let Err(err) = row.status.move_to(last, &form.text) {
            let problem = Some(AppError::from(err).to_string());
            let page = manage_page(&state, &principal, id, problem, None).await?;
            return render(StatusCode::BAD_REQUEST, &page);
        }
        if !confirm::confirmed(&form.confirmed) {
            let employer = record_of(&row)?.employer;
            let act = match last {
                StrikeStatus::Settled => "Settle the strike",
                _ => "End the strike",
            };
            return confirm::ask(&confirm::Confirm {
                layout: Layout::member(&state, &principal),
                question: format!("{act} at {employer}?"),
                consequence: "Every chapter following yours is told at once, and a strike that \
                    is over cannot be reopened: announce a new one if it starts again.",
                quoted: form.text.clone(),
                action: format!("/strikes/{id}/status"),
                fields: vec![("status", form.status.clone()), ("text", form.text.clone())],
                yes: format!("Yes, {}", act.to_lowercase()),
                back: format!("/strikes/{id}/manage"),
            });
        }
    }
    match strikes_fed::advance(
        &state.federation_data(),
        &principal.authority(),
        id,
        next,
        &form.text,
    )
    .await
    {
        // Redirected, so that reloading tells no one twice.
        Ok(_) => Ok(Redirect::to(&format!("/strikes/{id}/manage?done=status")).into_response()),
        Err(err) => {
            let problem = Some(AppError::from(err).to_string());
            let page = manage_page(&state, &principal, id, problem, None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ShiftForm {
    csrf: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    needed: String,
}

/// Another picket shift, on a line the strike has or a new one.
pub(crate) async fn add_shift(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(form): Form<ShiftForm>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&form.csrf)?.clone();
    manage_page(&state, &principal, id, None, None).await?;
    let (row, _) = strikes_fed::local_strike(&state.federation_data(), id).await?;
    let zone = zone_of_strike(&state, &row).await?;
    let moment = |field, text: &str| form::date_time(zone, field, text);
    let shift = match (
        form.address.trim().is_empty(),
        moment("starts", &form.starts),
        moment("ends", &form.ends),
        form.needed.trim().parse::<u32>().ok().filter(|n| *n > 0),
    ) {
        (true, ..) => Err("Where: the picket line's address.".to_owned()),
        (_, Err(err), ..) | (_, _, Err(err), _) => Err(err.to_string()),
        (_, Ok(None), ..) | (_, _, Ok(None), _) => {
            Err("When: a start and an end, such as 2026-12-01T06:00.".to_owned())
        }
        (_, _, _, None) => Err("People needed: a whole number, 1 or more.".to_owned()),
        (false, Ok(Some(starts_at)), Ok(Some(ends_at)), Some(needed)) => Ok(Shift {
            starts_at,
            ends_at,
            needed,
        }),
    };
    let added = match shift {
        Ok(shift) => strikes_fed::add_shift(
            &state.federation_data(),
            &principal.authority(),
            id,
            &form.address,
            shift,
        )
        .await
        .map_err(|err| AppError::from(err).to_string()),
        Err(problem) => Err(problem),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/strikes/{id}/manage?done=shift")).into_response()),
        Err(problem) => {
            let page = manage_page(&state, &principal, id, Some(problem), None).await?;
            render(StatusCode::BAD_REQUEST, &page)
        }
    }
}

/// The zone a strike's times are read in: the one it was announced in, else
/// its chapter's now.
async fn zone_of_strike(
    state: &AppState,
    row: &unionhall_store::strikes::StrikeRow,
) -> Result<Zone, AppError> {
    match record_of(row)?.time_zone {
        Some(zone) => Ok(zone),
        None => super::zones::of_group(state, &row.author).await,
    }
}
