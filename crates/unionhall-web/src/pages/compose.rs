//! Posting a call for support from the browser: a form that keeps what was
//! typed and puts the error next to the field it is about.

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
    let page = CallForm {
        layout: Layout::member(&state, &principal),
        handle,
        zone: zone.name(),
        kinds: kinds("picket"),
        form: Fields {
            kind: "picket".into(),
            ..Fields::default()
        },
        problem: None,
        field: String::new(),
        field_message: String::new(),
    };
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
            let page = CallForm {
                layout: Layout::member(&state, &principal),
                handle,
                zone: zone.name(),
                kinds: kinds(&fields.kind),
                problem: Some(Problem {
                    message: message.clone(),
                }),
                field,
                field_message: message,
                form: fields,
            };
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
