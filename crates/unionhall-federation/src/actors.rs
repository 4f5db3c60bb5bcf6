//! Actors as the library sees them: our chapters, bodies and instance actor, and
//! remote actors fetched and cached in the `actors` table.

use crate::protocol::actor::ACTOR_TYPES;
use crate::protocol::{ActorJson, Endpoints};
use crate::urls::Urls;
use crate::vault::KeyVault;
use crate::{Data, Error, FederationData, FederationShared, Result};
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use unionhall_domain::{ActorKind, Handle};
use unionhall_store::actors::{self as store_actors, ActorRow};
use unionhall_store::members::Sealed;
use unionhall_store::{now_millis, Store};
use url::Url;

/// A stored actor, local or remote.
#[derive(Debug, Clone)]
pub struct DbActor(pub ActorRow);

/// What a new chapter or body is made of.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub kind: ActorKind,
    pub handle: Handle,
    pub name: String,
    pub summary: String,
    pub manually_approves_followers: bool,
}

/// Creates a chapter or industrial union body with its own key pairs, sealed.
pub async fn create_group(data: &FederationShared, group: NewGroup) -> Result<ActorRow> {
    let (store, urls) = (&data.store, &data.urls);
    if !matches!(group.kind, ActorKind::Chapter | ActorKind::Union) {
        return Err(Error::BadRequest(
            "only chapters and union bodies are groups".into(),
        ));
    }
    let name = group.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::BadRequest(
            "a name of 1 to 200 characters is needed".into(),
        ));
    }
    let handle = group.handle.as_str();
    let ap_id = urls.actor(handle);
    let row = new_local_row(
        group.kind,
        ap_id.clone(),
        Some(handle.to_owned()),
        handle.to_owned(),
        name.to_owned(),
        group.summary,
        urls.inbox(handle),
        Some(urls.followers(handle)),
        group.manually_approves_followers,
        urls,
    )
    .await?;
    store_actors::insert_local(store, &row, &seal_keys(&data.vault, &row)?).await?;
    Ok(row)
}

/// The private keys of a new local row, sealed for storing.
fn seal_keys(vault: &KeyVault, row: &ActorRow) -> Result<Sealed> {
    match (&row.private_key_pem, &row.assertion_private_key) {
        (Some(rsa), Some(ed25519)) => vault.seal(&row.ap_id, rsa, ed25519),
        _ => Err(Error::Internal(format!(
            "{} has no keys to seal",
            row.ap_id
        ))),
    }
}

/// The instance actor (`Application` at `/actor`) signs our fetches; created on
/// first start. Returned with its private keys opened, for the library.
pub async fn ensure_instance_actor(
    store: &Store,
    urls: &Urls,
    vault: &KeyVault,
) -> Result<DbActor> {
    if let Some(row) = store_actors::instance_actor(store).await? {
        return Ok(DbActor(vault.open(&row)?));
    }
    let domain = urls.domain();
    let row = new_local_row(
        ActorKind::Instance,
        urls.instance_actor(),
        None,
        domain.clone(),
        domain,
        String::new(),
        urls.instance_inbox(),
        None,
        true,
        urls,
    )
    .await?;
    match store_actors::insert_local(store, &row, &seal_keys(vault, &row)?).await {
        Ok(()) => Ok(DbActor(row)),
        // Another process created it at the same moment: use theirs.
        Err(unionhall_store::Error::Conflict(_)) => {
            let theirs = store_actors::instance_actor(store)
                .await?
                .ok_or_else(|| Error::Internal("instance actor vanished".into()))?;
            Ok(DbActor(vault.open(&theirs)?))
        }
        Err(other) => Err(other.into()),
    }
}

/// The reader (`Service` at `/actor/reader`): follows communities on
/// group-aware servers for all of this instance's members, as the instance
/// actor follows chapters (Lemmy takes no follow from an `Application`, and
/// delivers only to servers with a person-like follower). It stands for no
/// one, and names no one. Created when first needed.
pub async fn ensure_reader_actor(store: &Store, urls: &Urls, vault: &KeyVault) -> Result<ActorRow> {
    let id = urls.reader_actor();
    if let Some(row) = store_actors::by_ap_id(store, &id).await? {
        return Ok(row);
    }
    let domain = urls.domain();
    let row = new_local_row(
        ActorKind::Reader,
        id.clone(),
        None,
        "reader".into(),
        format!("Readers at {domain}"),
        format!("Follows communities for the members of {domain}, as one: it names no one."),
        urls.shared_inbox(),
        None,
        true,
        urls,
    )
    .await?;
    match store_actors::insert_local(store, &row, &seal_keys(vault, &row)?).await {
        Ok(()) => Ok(row),
        // Another process created it at the same moment: use theirs.
        Err(unionhall_store::Error::Conflict(_)) => store_actors::by_ap_id(store, &id)
            .await?
            .ok_or_else(|| Error::Internal("the reader vanished".into())),
        Err(other) => Err(other.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn new_local_row(
    kind: ActorKind,
    ap_id: Url,
    handle: Option<String>,
    preferred_username: String,
    name: String,
    summary: String,
    inbox: Url,
    followers_url: Option<Url>,
    manually_approves_followers: bool,
    urls: &Urls,
) -> Result<ActorRow> {
    // RSA key generation takes a while: keep it off the async workers.
    let keys = tokio::task::spawn_blocking(generate_actor_keypair)
        .await
        .map_err(|err| Error::Internal(format!("key generation: {err}")))?
        .map_err(|err| Error::Internal(format!("key generation: {err}")))?;
    let (assertion_public_key, assertion_private_key) = crate::integrity::generate_key()?;
    let now = now_millis();
    Ok(ActorRow {
        public_key_id: format!("{ap_id}#main-key"),
        assertion_key_id: Some(assertion_key_id(&ap_id)),
        assertion_public_key: Some(assertion_public_key),
        assertion_private_key: Some(assertion_private_key),
        sealed_keys: None,
        ap_id,
        kind,
        ap_type: kind.ap_type().to_owned(),
        handle,
        preferred_username,
        name,
        summary,
        inbox,
        shared_inbox: Some(urls.shared_inbox()),
        followers_url,
        public_key_pem: keys.public_key,
        private_key_pem: Some(keys.private_key),
        manually_approves_followers,
        is_local: true,
        fetched_at: now,
        created_at: now,
    })
}

/// The id of a local actor's Ed25519 key.
pub(crate) fn assertion_key_id(ap_id: &Url) -> String {
    format!("{ap_id}#ed25519-key")
}

/// The last path segment of [`ed25519_key_document`].
const ED25519_KEY_DOCUMENT: &str = "ed25519-key";

/// Where an actor's Ed25519 key is served on its own, as a `CryptographicKey`
/// with an `owner`: the `keyid` of our Ed25519 HTTP signatures. Fedify (and
/// servers like it) look the key of an HTTP signature up in the actor's
/// `publicKey` or at the keyid itself, never in `assertionMethod`, and
/// `publicKey` stays the one RSA key that Mastodon and Lemmy read.
pub fn ed25519_key_document(ap_id: &Url) -> String {
    format!(
        "{}/{ED25519_KEY_DOCUMENT}",
        ap_id.as_str().trim_end_matches('/')
    )
}

/// The actor whose [`ed25519_key_document`] `key_id` is, if it is one (no
/// fragment, and the segment last).
pub fn owner_of_ed25519_key_document(key_id: &Url) -> Option<Url> {
    if key_id.fragment().is_some() || key_id.query().is_some() {
        return None;
    }
    let owner = key_id
        .as_str()
        .strip_suffix(ED25519_KEY_DOCUMENT)?
        .strip_suffix('/')?;
    Url::parse(owner).ok()
}

/// Whether `key_id` names `actor`'s Ed25519 key: as its `assertionMethod`
/// lists it, or as its key document ([`ed25519_key_document`]).
pub fn names_ed25519_key_of(actor: &ActorRow, key_id: &str) -> bool {
    actor.assertion_key_id.as_deref() == Some(key_id)
        || (actor.assertion_key_id.is_some() && ed25519_key_document(&actor.ap_id) == key_id)
}

impl DbActor {
    /// The JSON we publish for a local actor (never the private key).
    pub fn to_json(&self, urls: &Urls) -> ActorJson {
        let row = &self.0;
        let handle = row.handle.as_deref();
        let is_group = matches!(row.kind, ActorKind::Chapter | ActorKind::Union);
        ActorJson {
            kind: row.ap_type.clone(),
            id: row.ap_id.clone(),
            preferred_username: row.preferred_username.clone(),
            name: Some(row.name.clone()),
            summary: (!row.summary.is_empty()).then(|| row.summary.clone()),
            inbox: row.inbox.clone(),
            outbox: match row.kind {
                ActorKind::Reader => Some(urls.reader_outbox()),
                _ => handle.map(|h| urls.outbox(h)),
            },
            followers: row.followers_url.clone(),
            endpoints: Some(Endpoints {
                shared_inbox: row.shared_inbox.clone(),
            }),
            public_key: self.public_key(),
            assertion_method: match (&row.assertion_key_id, &row.assertion_public_key) {
                (Some(id), Some(key)) => Some(serde_json::Value::Array(vec![
                    crate::integrity::assertion_method(id, row.ap_id.as_str(), key),
                ])),
                _ => None,
            },
            manually_approves_followers: Some(row.manually_approves_followers),
            attributed_to: is_group
                .then(|| serde_json::json!(crate::group_posts::moderators_of(&row.ap_id))),
            posting_restricted_to_mods: is_group.then_some(true),
            url: Some(row.ap_id.clone()),
        }
    }
}

#[async_trait::async_trait]
impl Object for DbActor {
    type DataType = FederationData;
    type Kind = ActorJson;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.0.ap_id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.0.fetched_at)
    }

    async fn read_from_id(object_id: Url, data: &Data) -> Result<Option<Self>> {
        Ok(store_actors::by_ap_id(&data.store, &object_id)
            .await?
            .map(DbActor))
    }

    async fn into_json(self, data: &Data) -> Result<ActorJson> {
        Ok(self.to_json(&data.urls))
    }

    async fn verify(json: &ActorJson, expected_domain: &Url, _data: &Data) -> Result<()> {
        verify_domains_match(&json.id, expected_domain)?;
        verify_domains_match(&json.id, &json.inbox)?;
        if json.public_key.owner != json.id {
            return Err(Error::BadRequest(format!(
                "the key of {} is owned by {}",
                json.id, json.public_key.owner
            )));
        }
        if !ACTOR_TYPES.contains(&json.kind.as_str()) {
            return Err(Error::BadRequest(format!(
                "{:?} is not an actor type",
                json.kind
            )));
        }
        Ok(())
    }

    async fn from_json(json: ActorJson, data: &Data) -> Result<Self> {
        if data.urls.is_local(&json.id) {
            // Ours are never replaced by what someone else says about them.
            return store_actors::by_ap_id(&data.store, &json.id)
                .await?
                .map(DbActor)
                .ok_or_else(|| Error::NotFound(format!("no local actor {}", json.id)));
        }
        let public_key_pem = crate::keys::normalize_public_key_pem(&json.public_key.public_key_pem)
            .ok_or_else(|| {
                Error::BadRequest(format!("{} has no usable RSA public key", json.id))
            })?;
        let username = json.username();
        let shared_inbox = json.endpoints.and_then(|e| e.shared_inbox);
        if let Some(shared) = &shared_inbox {
            // Else one server could have us deliver everything for its actors
            // to another's inbox.
            verify_domains_match(shared, &json.id).map_err(|_| {
                Error::BadRequest(format!(
                    "the shared inbox of {} ({shared}) is not on its own server",
                    json.id
                ))
            })?;
        }
        let assertion =
            crate::integrity::find_assertion_key(json.assertion_method.as_ref(), json.id.as_str());
        let now = now_millis();
        let row = ActorRow {
            ap_id: json.id.clone(),
            kind: ActorKind::Remote,
            ap_type: json.kind,
            handle: None,
            name: json.name.unwrap_or_else(|| username.clone()),
            preferred_username: username,
            summary: json.summary.unwrap_or_default(),
            inbox: json.inbox,
            shared_inbox,
            followers_url: json.followers,
            // ActivityPods names no key id: the one draft-cavage signers use.
            public_key_id: match json.public_key.id {
                id if id.is_empty() => format!("{}#main-key", json.id),
                id => id,
            },
            public_key_pem,
            private_key_pem: None,
            assertion_key_id: assertion.as_ref().map(|(id, _)| id.clone()),
            assertion_public_key: assertion.map(|(_, key)| key),
            assertion_private_key: None,
            sealed_keys: None,
            manually_approves_followers: json.manually_approves_followers.unwrap_or(false),
            is_local: false,
            fetched_at: now,
            created_at: now,
        };
        store_actors::upsert_remote(&data.store, &row).await?;
        data.recent.actors.forget(&row.ap_id);
        Ok(DbActor(row))
    }
}

impl Actor for DbActor {
    fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.0.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        self.0.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.0.shared_inbox.clone()
    }

    fn public_key(&self) -> PublicKey {
        PublicKey {
            id: self.0.public_key_id.clone(),
            owner: self.0.ap_id.clone(),
            public_key_pem: self.0.public_key_pem.clone(),
        }
    }
}

/// Gives a local chapter or body new key pairs (HTTP signatures and proofs). Peers that cached the old
/// public key fetch the new one when a signature stops verifying (Unionhall
/// does once its copy is a minute old); deliveries refused meanwhile are
/// retried. Whoever had the old keys (a stolen backup of a release that kept
/// them in plain text) can no longer sign or prove anything as the group.
pub async fn rotate_key(data: &FederationShared, handle: &str) -> Result<ActorRow> {
    let store = &data.store;
    let actor = store_actors::local_by_handle(store, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no chapter or body @{handle} here")))?;
    let keys = tokio::task::spawn_blocking(generate_actor_keypair)
        .await
        .map_err(|err| Error::Internal(format!("key generation: {err}")))?
        .map_err(|err| Error::Internal(format!("key generation: {err}")))?;
    let (public, private) = crate::integrity::generate_key()?;
    let sealed = data.vault.seal(&actor.ap_id, &keys.private_key, &private)?;
    store_actors::replace_local_keys(store, &actor.ap_id, &keys.public_key, &public, &sealed)
        .await?;
    store_actors::local_by_handle(store, handle)
        .await?
        .ok_or_else(|| Error::Internal(format!("@{handle} vanished")))
}
