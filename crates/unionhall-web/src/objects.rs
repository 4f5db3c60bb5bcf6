//! Dereferencing our notes, calls for support and activities by id. Public ones are served to
//! anyone; non-public ones only to signed requests from their audience
//! (DESIGN.md invariant 5).

use crate::activity_json::{ActivityJson, RawActivityJson};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use unionhall_federation::activities::audience_of;
use unionhall_federation::authentication::{authorize_fetch, SignedRequest};
use unionhall_store::{outbox, posts};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{id}", get(post))
        .route("/calls/{id}", get(call))
        .route("/strikes/{id}", get(strike))
        .route("/campaigns/{id}", get(campaign))
        .route("/activities/{id}", get(activity))
}

fn own_url(state: &AppState, path: &str) -> url::Url {
    let mut url = state.config.public_url.clone();
    url.set_path(path);
    url
}

async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    if crate::activity_json::is_browser(&headers) {
        // A person following a link (a feed, a post on Mastodon): the page,
        // which checks who may read it.
        let page = format!("/post/{id}");
        return Ok(axum::response::Redirect::to(&page).into_response());
    }
    let ap_id = own_url(&state, &format!("/posts/{id}"));
    let post = posts::by_ap_id(&state.store, &ap_id)
        .await?
        .filter(|p| p.is_local && p.public)
        .ok_or_else(|| AppError::NotFound(format!("no post {id}")))?;
    if post.deleted_at.is_some() {
        return Err(AppError::Gone(format!("{ap_id} was deleted")));
    }
    Ok(
        ActivityJson::with_context(&unionhall_federation::activities::post::note_of(&post))?
            .into_response(),
    )
}

/// A call for support: public ones to anyone, the others to signed requests
/// from servers in their audience.
async fn call(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: RequestHead,
) -> Result<axum::response::Response, AppError> {
    let ap_id = own_url(&state, &format!("/calls/{id}"));
    let not_found = || AppError::NotFound(format!("no call {id}"));
    let mut conn = state.store.acquire().await?;
    let row = unionhall_store::calls::by_ap_id(&mut conn, &ap_id)
        .await?
        .filter(|c| c.is_local)
        .ok_or_else(not_found)?;
    drop(conn);
    if crate::activity_json::is_browser(&request.headers) {
        // A person following a link (a feed, a post on Mastodon): the page,
        // which checks who may read it.
        let page = format!("/call/{}", row.id);
        return Ok(axum::response::Redirect::to(&page).into_response());
    }
    if row.deleted_at.is_some() {
        return Err(AppError::Gone(format!("{ap_id} was deleted")));
    }
    let author = unionhall_store::actors::by_ap_id(&state.store, &row.author)
        .await?
        .ok_or_else(not_found)?;
    let document = ActivityJson::with_context(&unionhall_federation::activities::call::call_json(
        &row, &author,
    )?)?;
    if !row.audience.is_public() {
        authorize(&state, &request, &audience_of(&document.0)).await?;
    }
    Ok(document.into_response())
}

/// A campaign: public. A browser is sent to its page.
async fn campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    let ap_id = own_url(&state, &format!("/campaigns/{id}"));
    let not_found = || AppError::NotFound(format!("no campaign {id}"));
    let mut conn = state.store.acquire().await?;
    let row = unionhall_store::campaigns::by_ap_id(&mut conn, &ap_id)
        .await?
        .filter(|c| c.is_local)
        .ok_or_else(not_found)?;
    drop(conn);
    if crate::activity_json::is_browser(&headers) {
        let page = format!("/campaign/{}", row.id);
        return Ok(axum::response::Redirect::to(&page).into_response());
    }
    let author = unionhall_store::actors::by_ap_id(&state.store, &row.author)
        .await?
        .ok_or_else(not_found)?;
    Ok(
        ActivityJson::with_context(&unionhall_federation::activities::campaign::campaign_json(
            &row, &author,
        )?)?
        .into_response(),
    )
}

/// A strike: public. A browser is sent to its page.
async fn strike(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    let ap_id = own_url(&state, &format!("/strikes/{id}"));
    let not_found = || AppError::NotFound(format!("no strike {id}"));
    let mut conn = state.store.acquire().await?;
    let row = unionhall_store::strikes::by_ap_id(&mut conn, &ap_id)
        .await?
        .filter(|s| s.is_local)
        .ok_or_else(not_found)?;
    if crate::activity_json::is_browser(&headers) {
        let page = format!("/strike/{}", row.id);
        return Ok(axum::response::Redirect::to(&page).into_response());
    }
    if row.deleted_at.is_some() {
        return Err(AppError::Gone(format!("{ap_id} was deleted")));
    }
    let author = unionhall_store::actors::by_ap_id(&state.store, &row.author)
        .await?
        .ok_or_else(not_found)?;
    Ok(ActivityJson::with_context(
        &unionhall_federation::activities::strike::strike_json(&mut conn, &row, &author).await?,
    )?
    .into_response())
}

/// Public activities to anyone; the others (follows and their answers) only to
/// signed requests from a server they were addressed to.
async fn activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: RequestHead,
) -> Result<RawActivityJson, AppError> {
    let ap_id = own_url(&state, &format!("/activities/{id}"));
    let not_found = || AppError::NotFound(format!("no activity {id}"));
    let activity = outbox::get(&state.store, &ap_id)
        .await?
        .ok_or_else(not_found)?;
    if !activity.public {
        let json: serde_json::Value = serde_json::from_str(&activity.body)
            .map_err(|err| AppError::Internal(err.to_string()))?;
        authorize(&state, &request, &audience_of(&json)).await?;
    }
    Ok(RawActivityJson(activity.body))
}

/// What a signature covers of a request (its body is not needed to check who
/// fetches).
pub(crate) struct RequestHead {
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestHead {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

/// Lets a non-public object through only to a signed request from a server in
/// its audience.
pub(crate) async fn authorize(
    state: &AppState,
    request: &RequestHead,
    audience: &[url::Url],
) -> Result<(), AppError> {
    let uri = &request.uri;
    let signed = SignedRequest {
        method: request.method.as_str(),
        path_and_query: uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_else(|| uri.path()),
        headers: &request.headers,
    };
    authorize_fetch(&state.federation_data(), &signed, audience).await?;
    Ok(())
}
