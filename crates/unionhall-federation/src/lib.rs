//! Unionhall over ActivityPub, built on the `activitypub_federation` crate.
//!
//! - `protocol/`: the JSON that crosses the network, as serde structs, nothing else.
//! - `actors.rs`: our chapters, bodies and instance actor, and cached remote actors,
//!   as the library's `Object`/`Actor`.
//! - `activities/`: what happens when an activity is received or sent.
//! - `inbox.rs`: the one entry point for received activities (checks, dedupe,
//!   dispatch).
//! - `gathered.rs`: questions answered many at a time by one task.
//! - `group_commit.rs`: the inbox's writer, many received notes to a transaction.
//! - `fresh.rs`: what every request consults (the federation policy, the actors
//!   our groups block), read from the database at most once a second.
//! - `delivery/`: the durable outbound queue and the workers that sign and send.
//! - `signatures/`: HTTP Signatures, signing and verifying.
//! - `discovery.rs`: WebFinger and NodeInfo documents.
//!
//! Architecture invariant: an outbound activity is only ever enqueued
//! ([`delivery::enqueue`]) inside the transaction of the change that caused it,
//! and only Group or Application actors send (never a member).

pub mod activities;
pub mod actors;
pub mod authentication;
pub mod delivery;
pub mod discovery;
mod error;
pub mod flood;
pub mod fresh;
mod gathered;
pub mod group_commit;
pub mod group_posts;
mod http_client;
pub mod inbox;
mod inbox_gate;
pub mod integrity;
mod keys;
pub mod moderation;
pub mod outbound_guard;
pub mod policy;
pub mod protocol;
mod recent;
mod settings;
pub mod signatures;
mod signed_fetch;
mod software;
pub mod urls;
pub mod vault;
mod webfinger;

pub use error::{Error, Result};
pub use flood::{FloodGate, FloodLimits};
pub use inbox_gate::{InboxGate, InboxLimits};
pub use settings::{FederationSettings, PledgeBounds};

use activitypub_federation::config::FederationConfig;
use std::sync::Arc;
use tokio::sync::Notify;
use unionhall_store::Store;
use urls::Urls;

/// What every federation handler reaches through the library's `Data`. The
/// library clones it for every request, so it is one shared allocation.
#[derive(Clone)]
pub struct FederationData(Arc<FederationShared>);

impl std::ops::Deref for FederationData {
    type Target = FederationShared;
    fn deref(&self) -> &FederationShared {
        &self.0
    }
}

pub struct FederationShared {
    pub store: Store,
    pub settings: Arc<FederationSettings>,
    pub urls: Urls,
    /// Woken after a commit that enqueued deliveries, so workers start at once
    /// instead of at their next poll.
    pub delivery_wakeup: Arc<Notify>,
    /// Parsed public keys of senders, shared by all inbox requests.
    pub verifier: Arc<signatures::Verifier>,
    /// The federation policy in force (block list, allow-list mode).
    pub policy: Arc<policy::PolicyCache>,
    /// What outbound requests may reach (no loopback, private networks, ...).
    pub guard: Arc<outbound_guard::OutboundGuard>,
    /// The guarded client of fetches and WebFinger lookups (deliveries have
    /// their own, which follows no redirects).
    pub client: reqwest::Client,
    /// Rate limits and the bound on work in flight of the inbox.
    pub inbox_gate: Arc<InboxGate>,
    /// Reports and follows per remote actor and domain (`flood.rs`).
    pub floods: Arc<FloodGate>,
    /// One fetch per signer at a time; signers that failed are left alone.
    pub key_fetches: Arc<inbox_gate::KeyFetches>,
    /// The writer that stores received notes, many to a transaction.
    pub inbox_writes: group_commit::GroupCommit,
    /// The remote actors our groups block, for the inbox.
    pub actor_blocks: Arc<fresh::Fresh<moderation::BlockedActors>>,
    /// Follows and senders' keys, remembered for a moment.
    pub recent: recent::InboxCaches,
    /// Opens our actors' private keys, sealed at rest, where they sign.
    pub vault: vault::KeyVault,
    /// How each peer takes our signatures, learned by knocking
    /// (`delivery/knock.rs`).
    pub knocks: Arc<delivery::knock::Knocks>,
}

pub type Data = activitypub_federation::config::Data<FederationData>;
pub type Config = FederationConfig<FederationData>;

impl FederationData {
    pub fn wake_delivery(&self) {
        self.delivery_wakeup.notify_waiters();
        self.delivery_wakeup.notify_one();
    }
}

/// Builds the library configuration, creating the instance actor (whose key signs
/// our fetches, `signed_fetch.rs`) on first start. `sealer` (the member-data key ring) seals our
/// actors' private keys at rest; keys an older release left in plain text are
/// sealed here.
pub async fn configure(
    store: Store,
    settings: FederationSettings,
    sealer: Arc<dyn unionhall_store::members::Sealer>,
) -> Result<Config> {
    let urls = Urls::new(settings.public_url.clone());
    let vault = vault::KeyVault::new(sealer);
    let sealed = vault.seal_plain_keys(&store).await?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed the private keys of local actors");
    }
    let instance = actors::ensure_instance_actor(&store, &urls, &vault).await?;
    let domain = urls.domain();
    let guard = outbound_guard::OutboundGuard::new(&settings);
    let data = FederationData(Arc::new(FederationShared {
        inbox_writes: group_commit::GroupCommit::start(store.clone()),
        store,
        settings: Arc::new(settings.clone()),
        urls,
        delivery_wakeup: Arc::new(Notify::new()),
        verifier: Arc::new(signatures::Verifier::default()),
        policy: Arc::new(policy::PolicyCache::default()),
        actor_blocks: Arc::default(),
        client: http_client::build(&settings, &guard, true)?,
        inbox_gate: Arc::new(InboxGate::new(&settings.inbox)),
        floods: Arc::new(FloodGate::new(settings.floods)),
        key_fetches: Arc::default(),
        recent: recent::InboxCaches::default(),
        vault,
        guard,
        knocks: Arc::default(),
    }));
    let url_verifier = policy::PolicyVerifier { data: data.clone() };
    let key = signatures::Signer::default().key(
        instance.0.ap_id.as_str(),
        instance.0.private_key_pem.as_deref().unwrap_or_default(),
    )?;
    let ed25519 = match (
        &instance.0.assertion_key_id,
        &instance.0.assertion_private_key,
    ) {
        (Some(_), Some(private)) => Some((
            actors::ed25519_key_document(&instance.0.ap_id),
            Arc::new(integrity::signing_key(private)?),
        )),
        _ => None,
    };
    let client = reqwest_middleware::ClientBuilder::new(data.client.clone())
        .with(signed_fetch::SignedFetches::new(
            instance.0.public_key_id.clone(),
            key,
            ed25519,
            data.knocks.clone(),
        ))
        .build();
    // "debug" in the library means: http, explicit ports and private addresses
    // are allowed, which pinned peers need. Our own guard still checks every
    // request then (scheme, address, every redirect hop).
    let relaxed = settings.allow_private_peers || !settings.hosts.is_empty();
    FederationConfig::builder()
        .domain(domain)
        .app_data(data)
        .debug(relaxed)
        .allow_http_urls(relaxed)
        .request_timeout(settings.request_timeout)
        // Its GETs are signed by our own middleware, not by the library.
        .client(client)
        .http_fetch_limit(50)
        .url_verifier(Box::new(url_verifier))
        .build()
        .await
        .map_err(|err| Error::Config(err.to_string()))
}
