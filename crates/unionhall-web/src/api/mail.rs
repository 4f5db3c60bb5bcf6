//! `/api/v1/me/mail`: the caller's own address and what is mailed to them,
//! as on the account page.

use super::ApiJson;
use crate::auth::Caller;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use unionhall_domain::Language;
use unionhall_members::email::EmailState;
use unionhall_members::news::NewsChoice;
use unionhall_members::Principal;
use unionhall_store::mail_reminders::Preference;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me/mail", get(show).put(change))
}

#[derive(Serialize)]
struct MailView {
    /// Whether this server sends mail at all.
    email_on: bool,
    /// The address, if any: `unconfirmed`, `confirmed` or `bouncing`.
    email: Option<AddressView>,
    reminders: bool,
    pledges: bool,
    /// off, at_once or daily.
    news: &'static str,
    /// The hour of the daily digest, 0 to 23, on the caller's own clock.
    digest_hour: u32,
    /// The language mail is written in, as chosen (en, es, fr), or null
    /// for the server's, `server_language`.
    language: Option<&'static str>,
    server_language: &'static str,
}

#[derive(Serialize)]
struct AddressView {
    address: String,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused_because: Option<String>,
}

async fn view(state: &AppState, principal: &Principal) -> Result<MailView, AppError> {
    let members = &state.members;
    let email = match members.email_of(principal).await? {
        EmailState::None => None,
        EmailState::Unconfirmed(address) => Some(AddressView {
            address,
            state: "unconfirmed",
            refused_because: None,
        }),
        EmailState::Confirmed(address) => Some(AddressView {
            address,
            state: "confirmed",
            refused_because: None,
        }),
        EmailState::Bouncing { address, reason } => Some(AddressView {
            address,
            state: "bouncing",
            refused_because: Some(reason),
        }),
    };
    let language = members.language_choice(principal).await?;
    Ok(MailView {
        email_on: members.email_on(),
        email,
        reminders: members
            .mail_wanted(principal, Preference::Reminders)
            .await?,
        pledges: members.mail_wanted(principal, Preference::Pledges).await?,
        news: members.news_choice(principal).await?.as_str(),
        digest_hour: members.digest_hour(principal).await?,
        language: language.chosen.map(Language::code),
        server_language: language.server.code(),
    })
}

async fn show(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<MailView>, AppError> {
    Ok(Json(view(&state, &principal).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailChange {
    /// A new address (a confirmation link is mailed to it); "" removes it.
    email: Option<String>,
    reminders: Option<bool>,
    pledges: Option<bool>,
    news: Option<String>,
    digest_hour: Option<u32>,
    /// en, es or fr; "": back to the server's.
    language: Option<String>,
}

async fn change(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(change): ApiJson<MailChange>,
) -> Result<Json<MailView>, AppError> {
    // Everything is checked before anything changes.
    let news = change.news.as_deref().map(news_choice).transpose()?;
    let language = change
        .language
        .as_deref()
        .map(language_choice)
        .transpose()?;
    if let Some(hour) = change.digest_hour {
        unionhall_members::news::check_digest_hour(hour)?;
    }
    if let Some(address) = &change.email {
        state.members.set_email(&principal, address).await?;
    }
    for (what, on) in [
        (Preference::Reminders, change.reminders),
        (Preference::Pledges, change.pledges),
    ] {
        if let Some(on) = on {
            state.members.set_mail_wanted(&principal, what, on).await?;
        }
    }
    if let Some(news) = news {
        state.members.set_news_choice(&principal, news).await?;
    }
    if let Some(language) = language {
        state.members.set_language(&principal, language).await?;
    }
    if let Some(hour) = change.digest_hour {
        state.members.set_digest_hour(&principal, hour).await?;
    }
    Ok(Json(view(&state, &principal).await?))
}

/// How often news is wanted, as the API and the account page's form say it.
pub(crate) fn news_choice(word: &str) -> Result<NewsChoice, AppError> {
    NewsChoice::parse(word).ok_or_else(|| AppError::Invalid {
        field: "news".into(),
        message: "news: off, at_once or daily".into(),
    })
}

/// A language as the API and the account page's form say it: a code, or ""
/// for the server's.
pub(crate) fn language_choice(code: &str) -> Result<Option<Language>, AppError> {
    if code.trim().is_empty() {
        return Ok(None);
    }
    Language::parse(code)
        .map(Some)
        .map_err(|_| AppError::Invalid {
            field: "language".into(),
            message: "language: en, es or fr, or \"\" for the server's".into(),
        })
}

/// The hour of the daily digest as the account page's form sends it.
pub(crate) fn digest_hour(text: &str) -> Result<u32, AppError> {
    text.parse::<u32>()
        .ok()
        .filter(|hour| unionhall_members::news::check_digest_hour(*hour).is_ok())
        .ok_or_else(|| AppError::Invalid {
            field: "digest_hour".into(),
            message: "digest_hour: an hour of the day, from 0 to 23".into(),
        })
}
