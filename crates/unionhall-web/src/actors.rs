//! Chapters, bodies and the instance actor: ActivityPub JSON for servers, a page
//! for people; their outbox and followers collections.

use crate::activity_json::{wants_activity_json, ActivityJson};
use crate::html::{escape, page};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use unionhall_federation::actors::DbActor;
use unionhall_federation::group_posts;
use unionhall_store::actors::{self as store_actors, ActorRow};
use unionhall_store::{follows, outbox};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actor", get(instance_actor))
        .route("/actor/ed25519-key", get(instance_ed25519_key))
        .route("/actor/reader", get(reader_actor))
        .route("/actor/reader/ed25519-key", get(reader_ed25519_key))
        .route("/actor/reader/outbox", get(reader_outbox))
        .route("/actors/{handle}", get(actor))
        .route("/actors/{handle}/ed25519-key", get(group_ed25519_key))
        .route("/actors/{handle}/outbox", get(outbox_collection))
        .route("/actors/{handle}/followers", get(followers_collection))
        .route("/actors/{handle}/members", get(members_collection))
        .route("/actors/{handle}/voice", get(voice))
        .route("/actors/{handle}/moderators", get(moderators_collection))
}

/// Items shown in an outbox: the newest ones, enough for a server to backfill.
const OUTBOX_ITEMS: i64 = 20;

pub(crate) async fn local_actor(state: &AppState, handle: &str) -> Result<ActorRow, AppError> {
    store_actors::local_by_handle(&state.store, handle)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no chapter or union body @{handle} here")))
}

fn actor_json(state: &AppState, row: ActorRow) -> ActivityJson {
    let actor = DbActor(row).to_json(&state.urls);
    ActivityJson::with_context(&actor).unwrap_or(ActivityJson(serde_json::Value::Null))
}

async fn instance_actor(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let row = store_actors::instance_actor(&state.store)
        .await?
        .ok_or_else(|| AppError::NotFound("no instance actor yet".into()))?;
    if wants_activity_json(&headers) {
        return Ok(actor_json(&state, row).into_response());
    }
    Ok(page(
        &state.config.instance_name,
        &format!(
            "<h1>{}</h1><p>This is the Unionhall instance at {}.</p>",
            escape(&state.config.instance_name),
            escape(state.config.public_url.as_str())
        ),
    )
    .into_response())
}

/// The reader (`Service`), once the instance has followed a community on a
/// group-aware server through it.
async fn reader_actor(State(state): State<AppState>) -> Result<ActivityJson, AppError> {
    let row = store_actors::by_ap_id(&state.store, &state.urls.reader_actor())
        .await?
        .ok_or_else(|| AppError::NotFound("this instance follows no community".into()))?;
    Ok(actor_json(&state, row))
}

async fn instance_ed25519_key(State(state): State<AppState>) -> Result<ActivityJson, AppError> {
    ed25519_key(&state, &state.urls.instance_actor()).await
}

async fn reader_ed25519_key(State(state): State<AppState>) -> Result<ActivityJson, AppError> {
    ed25519_key(&state, &state.urls.reader_actor()).await
}

async fn group_ed25519_key(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<ActivityJson, AppError> {
    ed25519_key(&state, &local_actor(&state, &handle).await?.ap_id).await
}

/// A local actor's Ed25519 key on its own, as a `CryptographicKey` with its
/// `owner` (`actors::ed25519_key_document`): the keyid of our Ed25519 HTTP
/// signatures. Served to anyone, unsigned: it is public, and the servers that
/// fetch it to check a signature do not sign that fetch.
async fn ed25519_key(state: &AppState, actor: &url::Url) -> Result<ActivityJson, AppError> {
    let row = store_actors::by_ap_id(&state.store, actor)
        .await?
        .filter(|row| row.is_local)
        .ok_or_else(|| AppError::NotFound(format!("no actor {actor} here")))?;
    let pem = row
        .assertion_public_key
        .as_deref()
        .and_then(unionhall_federation::integrity::multibase_key_as_pem)
        .ok_or_else(|| AppError::NotFound(format!("{actor} has no Ed25519 key")))?;
    Ok(ActivityJson(json!({
        "@context": "https://w3id.org/security/v1",
        "id": unionhall_federation::actors::ed25519_key_document(actor),
        "type": "CryptographicKey",
        "owner": actor,
        "publicKeyPem": pem,
    })))
}

/// The reader publishes nothing; Lemmy requires a person-like actor to have
/// an outbox all the same.
async fn reader_outbox(State(state): State<AppState>) -> ActivityJson {
    ActivityJson(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": state.urls.reader_outbox(),
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }))
}

async fn actor(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let row = local_actor(&state, &handle).await?;
    if wants_activity_json(&headers) {
        return Ok(actor_json(&state, row).into_response());
    }
    crate::pages::chapter_page(&state, row).await
}

async fn outbox_collection(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<ActivityJson, AppError> {
    let row = local_actor(&state, &handle).await?;
    let (total, bodies) =
        outbox::recent_public(&state.store, &row.ap_id, "Create", OUTBOX_ITEMS).await?;
    // Each Create as the group's Announce of it: the one shape Lemmy reads
    // (group_posts.rs), and Unionhall's backfill takes it too.
    let items: Vec<serde_json::Value> = bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .map(|create| group_posts::outbox_item(&row, &create))
        .collect();
    let urls = &state.urls;
    Ok(ActivityJson(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": urls.outbox(&handle),
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": items,
    })))
}

/// The group's voice (`group_posts.rs`): the author of what it publishes,
/// for servers that read groups as Lemmy does. A browser gets the group's page.
async fn voice(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let row = local_actor(&state, &handle).await?;
    if !wants_activity_json(&headers) {
        return Ok(axum::response::Redirect::to(row.ap_id.as_str()).into_response());
    }
    let voice = group_posts::voice_json(&DbActor(row), &state.urls);
    Ok(ActivityJson::with_context(&voice)
        .unwrap_or(ActivityJson(serde_json::Value::Null))
        .into_response())
}

/// A group's moderators, as Lemmy reads them: its voice alone. The people
/// who organize it are never named.
async fn moderators_collection(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<ActivityJson, AppError> {
    let row = local_actor(&state, &handle).await?;
    Ok(ActivityJson(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": group_posts::moderators_of(&row.ap_id),
        "type": "OrderedCollection",
        "totalItems": 1,
        "orderedItems": [group_posts::voice_of(&row.ap_id)],
    })))
}

/// Only the count: which instances follow a chapter is nobody else's business.
async fn followers_collection(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<ActivityJson, AppError> {
    let row = local_actor(&state, &handle).await?;
    let total = follows::count_accepted(&state.store, &row.ap_id).await?;
    let urls = &state.urls;
    Ok(ActivityJson(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": urls.followers(&handle),
        "type": "OrderedCollection",
        "totalItems": total,
    })))
}

/// A union body's member chapters: only for signed requests from a member's
/// server (a body's membership is its members' business).
async fn members_collection(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    request: crate::objects::RequestHead,
) -> Result<ActivityJson, AppError> {
    let row = local_actor(&state, &handle).await?;
    if row.kind != unionhall_domain::ActorKind::Union {
        return Err(AppError::NotFound(format!("@{handle} is not a union body")));
    }
    let data = state.federation_data();
    let members = unionhall_federation::activities::union::members(&data, &row.ap_id).await?;
    crate::objects::authorize(&state, &request, &members).await?;
    Ok(ActivityJson(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": unionhall_federation::activities::relay::members_url(&row.ap_id),
        "type": "OrderedCollection",
        "totalItems": members.len(),
        "orderedItems": members,
    })))
}
