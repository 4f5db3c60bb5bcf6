//! Posting a call for support from the browser, and correcting one: a form
//! that keeps what was typed and puts the error next to the field it is
//! about. A correction goes to everyone the call went to (an Update).

use super::layout::{render, Layout};
use crate::auth::{Caller, FormCaller};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use unionhall_domain::{CallForSupport, CallKind, Goal, Permission, Place, Zone};
use unionhall_federation::activities::call as calls_fed;
use unionhall_federation::activities::Audience;

#[derive(Template)]
#[template(path = "call_form.html")]
struct CallForm {
    layout: Layout,
    handle: String,
    /// (heading, where the form goes, its button).
    purpose: (&'static str, String, &'static str),
    kinds: Vec<KindOption>,
    form: Fields,
    /// The zone the chapter posts in: the form's times are read there.
    zone: &'static str,
    problem: Option<Problem>,
    /// The field the problem is about ("" when none).
    field: String,
    field_message: String,
}

struct Problem {
    message: String,
}

impl CallForm {
    /// The form for `purpose` (posting or correcting), holding `form`, with
    /// `problem` (field, message) next to its field when the server refused it.
    fn new(
        layout: Layout,
        purpose: (&'static str, String, &'static str),
        handle: String,
        zone: Zone,
        form: Fields,
        problem: Option<(String, String)>,
    ) -> Self {
        let refused = problem.is_some();
        let (field, field_message) = problem.unwrap_or_default();
        Self {
            layout,
            purpose,
            handle,
            zone: zone.name(),
            kinds: kinds(&form.kind),
            form,
            problem: refused.then(|| Problem {
                message: field_message.clone(),
            }),
            field,
            field_message,
        }
    }
}

struct KindOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    people: String,
    /// Money asked for, as people write it ("500", "1250.50").
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    /// The chapter's own fund page: Unionhall takes no payments.
    #[serde(default)]
    fund_url: String,
    /// Wall-clock times in the chapter's zone, as `datetime-local` sends them.
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    deadline: String,
}

fn kinds(chosen: &str) -> Vec<KindOption> {
    CallKind::ALL
        .iter()
        .map(|k| KindOption {
            value: k.as_str(),
            label: k.label(),
            selected: k.as_str() == chosen,
        })
        .collect()
}

pub(crate) async fn form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let chapter = state.members.chapter(&handle).await?;
    principal.require(&chapter, Permission::PostForGroup, "post for this chapter")?;
    let zone = super::zones::of_group(&state, &chapter.ap_id).await?;
    let form = Fields {
        kind: "picket".into(),
        ..Fields::default()
    };
    let page = CallForm::new(
        Layout::member(&state, &principal),
        posting(&handle),
        handle,
        zone,
        form,
        None,
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(handle): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&fields.csrf)?.clone();
    let chapter = state.members.chapter(&handle).await?;
    let zone = super::zones::of_group(&state, &chapter.ap_id).await?;
    let posted = match call_of(&fields, zone) {
        Ok(call) => calls_fed::publish_call(
            &state.federation_data(),
            &principal.authority(),
            &handle,
            call,
            Audience::Public,
        )
        .await
        .map_err(AppError::from),
        Err(err) => Err(err),
    };
    match posted {
        Ok(_) => Ok(Redirect::to("/?done=posted").into_response()),
        Err(AppError::Invalid { field, message }) => {
            let page = CallForm::new(
                Layout::member(&state, &principal),
                posting(&handle),
                handle,
                zone,
                fields,
                Some((field, message)),
            );
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(other),
    }
}

fn posting(handle: &str) -> (&'static str, String, &'static str) {
    (
        "New call for support",
        format!("/chapters/{handle}/calls/new"),
        "Post the call",
    )
}

fn correcting(id: i64) -> (&'static str, String, &'static str) {
    (
        "Correct the call",
        format!("/calls/{id}/edit"),
        "Save and tell everyone",
    )
}

impl Fields {
    /// The form filled from a call, its times on the clocks of `zone`.
    fn of(call: &CallForSupport, zone: Zone) -> Self {
        let money = |cents: u64| {
            if cents.is_multiple_of(100) {
                (cents / 100).to_string()
            } else {
                format!("{}.{:02}", cents / 100, cents % 100)
            }
        };
        Self {
            csrf: String::new(),
            kind: call.kind.as_str().to_owned(),
            title: call.title.clone(),
            details: call.details.clone(),
            address: call
                .place
                .as_ref()
                .map(|p| p.address.clone())
                .unwrap_or_default(),
            people: call.goal.people.map(|n| n.to_string()).unwrap_or_default(),
            amount: call.goal.amount.map(money).unwrap_or_default(),
            currency: call.goal.currency.clone(),
            fund_url: call.goal.fund_url.clone(),
            starts_at: call
                .starts_at
                .map(|t| zone.form_value(t))
                .unwrap_or_default(),
            ends_at: call.ends_at.map(|t| zone.form_value(t)).unwrap_or_default(),
            deadline: call.deadline.map(|t| zone.form_date(t)).unwrap_or_default(),
        }
    }
}

/// A local call that can still be corrected, with its chapter's handle and
/// the zone its times are in; refused to anyone who may not post for it.
async fn correctable(
    state: &AppState,
    principal: &unionhall_members::Principal,
    id: i64,
) -> Result<(CallForSupport, String, Zone), AppError> {
    let (row, author) = calls_fed::local_call(&state.federation_data(), id).await?;
    let chapter = state.members.group_by_id(&author.ap_id).await?;
    principal.require(
        &chapter,
        Permission::PostForGroup,
        "correct this chapter's calls",
    )?;
    if !row.status.takes_pledges() {
        return Err(AppError::Conflict(format!(
            "this call is {}: it can no longer be corrected",
            row.status.label()
        )));
    }
    let call = calls_fed::record_of(&row)?;
    let zone = match call.time_zone {
        Some(zone) => zone,
        None => super::zones::of_group(state, &author.ap_id).await?,
    };
    Ok((call, chapter.handle.clone(), zone))
}

pub(crate) async fn edit_form(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (call, handle, zone) = correctable(&state, &principal, id).await?;
    let page = CallForm::new(
        Layout::member(&state, &principal),
        correcting(id),
        handle,
        zone,
        Fields::of(&call, zone),
        None,
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    caller: FormCaller,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Result<Response, AppError> {
    let principal = caller.check_form(&fields.csrf)?.clone();
    let (_, handle, zone) = correctable(&state, &principal, id).await?;
    let saved = match call_of(&fields, zone) {
        Ok(call) => {
            calls_fed::edit_call(&state.federation_data(), &principal.authority(), id, call)
                .await
                .map_err(AppError::from)
        }
        Err(err) => Err(err),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/call/{id}?done=corrected")).into_response()),
        Err(AppError::Invalid { field, message }) => {
            let page = CallForm::new(
                Layout::member(&state, &principal),
                correcting(id),
                handle,
                zone,
                fields,
                Some((field, message)),
            );
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(other),
    }
}

/// The call the form describes, its times read in the chapter's `zone`; what
/// cannot be read names its field.
fn call_of(fields: &Fields, zone: Zone) -> Result<CallForSupport, AppError> {
    // `field` places the message next to its input; the words name it as
    // the form does.
    let invalid = |field: &str, message: &str| AppError::Invalid {
        field: field.into(),
        message: message.to_owned(),
    };
    let kind = CallKind::ALL
        .into_iter()
        .find(|k| k.as_str() == fields.kind)
        .ok_or_else(|| invalid("kind", "What kind of support: choose one of those listed"))?;
    let people = match fields.people.trim() {
        "" => None,
        n => Some(
            n.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("goal", "People needed: a whole number, 1 or more"))?,
        ),
    };
    let moment = |field: &'static str, text: &str| match text.trim() {
        "" => Ok(None),
        text => zone.local_to_millis(field, text).map(Some),
    };
    let starts_at = moment("starts_at", &fields.starts_at)?;
    let ends_at = moment("ends_at", &fields.ends_at)?;
    let deadline = match fields.deadline.trim() {
        "" => None,
        day => Some(
            zone.end_of_day_millis("deadline", day)
                .map_err(|_| invalid("deadline", "Until: a date such as 2026-12-24"))?,
        ),
    };
    let amount = match fields.amount.trim() {
        "" => None,
        text => Some(
            super::form::cents(text)
                .ok_or_else(|| invalid("amount", "Amount: a sum such as 500 or 1250.50"))?,
        ),
    };
    let currency = fields.currency.trim().to_ascii_uppercase();
    // Pledges to a donation call are amounts: they need its currency.
    if (amount.is_some() || kind == CallKind::Donation)
        && (currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(invalid(
            "currency",
            "Currency: its three-letter code, such as USD, EUR or GBP",
        ));
    }
    let address = fields.address.trim();
    Ok(CallForSupport {
        kind,
        title: fields.title.clone(),
        details: fields.details.clone(),
        place: (!address.is_empty()).then(|| Place {
            address: address.to_owned(),
            latitude: None,
            longitude: None,
        }),
        starts_at,
        ends_at,
        deadline,
        goal: Goal {
            people,
            amount,
            currency,
            fund_url: fields.fund_url.trim().to_owned(),
        },
        time_zone: Some(zone),
    })
}
