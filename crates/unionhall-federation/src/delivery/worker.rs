//! Delivery workers: claim due deliveries, sign and send them with bounded
//! concurrency (overall and per peer), record outcomes in batches.
//!
//! A peer that fails is backed off as a whole, by rounds (store's `peers.rs`):
//! everything in flight that fails together counts once, the peer is probed
//! with one delivery every `retry_base` for its first rounds, then ever less
//! often up to `retry_max`, and a delivery it takes releases its whole queue.
//! A server rebooting for a minute gets everything within a `retry_base` of
//! coming back; one down for days costs one request per wait, not one per
//! queued activity. A delivery the peer itself puts off (425) waits on its own,
//! doubling from `retry_base`. A peer that is slow (requests time out) is not
//! down: it gets fewer requests at once (`peer_limit.rs`), and its timed-out
//! deliveries are tried again after `request_timeout`. Deliveries expire after
//! `delivery_expiry`.

use super::knock::Scheme;
use super::peer_limit::{without_holding_up_others, PeerLimits};
use super::signing::{Job, SenderKeys, Signatures};
use crate::outbound_guard::Refused;
use crate::signatures::Signer;
use crate::{Error, FederationData, Result};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Mutex, Semaphore, SemaphorePermit};
use tokio::task::JoinHandle;
use unionhall_store::deliveries::{self, Claimed, Outcome};
use unionhall_store::peers;
use unionhall_store::{actors, now_millis, outbox};
use url::Url;

/// Failed rounds after which a peer is probed less often than every
/// `retry_base`: a quarter of an hour's worth at the default of a minute.
const ROUNDS_PROBED_AT_BASE: i64 = 15;
/// Outcomes recorded per transaction at most.
const RECORD_BATCH: usize = 512;

/// An activity ready to send: the sender's keys and the exact bytes.
struct Outgoing {
    keys: Arc<SenderKeys>,
    body: Bytes,
}

struct Shared {
    data: FederationData,
    client: reqwest::Client,
    signer: Signer,
    signatures: Signatures,
    /// Activity bodies and signers, by activity id.
    bodies: Mutex<HashMap<String, Arc<Outgoing>>>,
    per_peer: PeerLimits,
    /// Who this worker is in `deliveries.claimed_by`.
    worker: String,
    /// Rows claimed and not finished: the heartbeat renews their claims.
    held: std::sync::Mutex<HashSet<i64>>,
}

impl Shared {
    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// This process among the instance's workers: host name, process id and start
/// time, so that `unionhall status` says where a claim is held.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{host}:{}:{}", std::process::id(), now_millis())
}

/// Renews the claims of what this worker holds, three times a lease, so that
/// they run out only when this process stops (or freezes): another process
/// takes over a dead one's work within a lease.
async fn heartbeat(shared: Arc<Shared>, lease: Duration) {
    let mut beat = tokio::time::interval(lease / 3);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beat.tick().await;
        let ids: Vec<i64> = shared.held().iter().copied().collect();
        let lease_ms = lease.as_millis() as i64;
        if let Err(err) =
            deliveries::renew(&shared.data.store, &shared.worker, &ids, lease_ms).await
        {
            tracing::warn!("renewing {} delivery claims failed: {err}", ids.len());
        }
    }
}

/// Starts the worker loop; it stops claiming when `shutdown` turns true and
/// returns once in-flight deliveries are recorded.
pub fn spawn(data: FederationData, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(err) = run(data, shutdown).await {
            tracing::error!("delivery worker stopped: {err}");
        }
    })
}

async fn run(data: FederationData, mut shutdown: watch::Receiver<bool>) -> Result<()> {
    let settings = data.settings.clone();
    let shared = Arc::new(Shared {
        // An inbox that redirects is misconfigured; following it would also let a
        // peer point our signed POSTs elsewhere.
        client: crate::http_client::build(&settings, &data.guard, false)?,
        data,
        signer: Signer::default(),
        signatures: Signatures::start(),
        bodies: Mutex::new(HashMap::new()),
        per_peer: PeerLimits::new(settings.per_peer_concurrency),
        worker: worker_name(),
        held: std::sync::Mutex::new(HashSet::new()),
    });
    if let Err(err) = shared.data.knocks.load(&shared.data.store).await {
        tracing::warn!("reading how peers take our signatures failed: {err}");
    }
    let in_flight = settings.delivery_concurrency.max(1);
    // Requests on the wire at once, over all peers.
    let slots = Arc::new(Semaphore::new(in_flight));
    // Rows claimed and not yet finished: a few times the slots, so that claims
    // (each a write transaction) come in batches, not one row per free slot.
    let budget_size = in_flight * 4;
    let budget = Arc::new(Semaphore::new(budget_size));
    let (results, outcomes) = mpsc::channel::<(Claimed, Outcome)>(RECORD_BATCH * 4);
    let recorder = tokio::spawn(record_outcomes(shared.clone(), outcomes));
    // Claims are short and renewed while held, however long a row waits for
    // its peer's turn: a crashed process's claims are free again within one.
    let lease_ms = settings.claim_lease.as_millis() as i64;
    let beating = tokio::spawn(heartbeat(shared.clone(), settings.claim_lease));
    let wakeup = shared.data.delivery_wakeup.clone();
    let quarter = (budget_size / 4).max(1) as u32;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Wait until a quarter of the budget is free before claiming more.
        tokio::select! {
            permits = budget.acquire_many(quarter) => drop(permits),
            _ = shutdown.changed() => continue,
        }
        let free = budget.available_permits().min(RECORD_BATCH);
        let claimed = match deliveries::claim(
            &shared.data.store,
            free as i64,
            lease_ms,
            &shared.worker,
        )
        .await
        {
            Ok(rows) => {
                shared.held().extend(rows.iter().map(|row| row.id));
                rows
            }
            Err(err) => {
                tracing::warn!("claiming deliveries failed: {err}");
                Vec::new()
            }
        };
        // Fewer than asked for: nothing more is due now. Start what was claimed,
        // then sleep until woken, polled or stopped.
        let drained = claimed.len() < free;
        if !claimed.is_empty() {
            tracing::debug!(count = claimed.len(), "claimed deliveries");
        }
        let outgoing = outgoing_of(&shared, &claimed).await;
        for (row, outgoing) in claimed.into_iter().zip(outgoing) {
            let held = budget
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| Error::Internal("delivery budget closed".into()))?;
            let (shared, results, slots) = (shared.clone(), results.clone(), slots.clone());
            tokio::spawn(async move {
                let outcome = deliver(&shared, &row, outgoing, &slots).await;
                // Done: no longer renewed. If its outcome cannot be written,
                // the claim runs out and the row is tried again.
                shared.held().remove(&row.id);
                drop(held);
                let _ = results.send((row, outcome)).await;
            });
        }
        if drained {
            tokio::select! {
                () = wakeup.notified() => {}
                () = tokio::time::sleep(settings.queue_poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
    // Wait for deliveries in flight, then for their outcomes to be written.
    let _ = budget.acquire_many(budget_size as u32).await;
    drop(results);
    let _ = recorder.await;
    beating.abort();
    Ok(())
}

/// The activity to send for each claimed row, loaded once per activity and
/// kept: a fan-out claims the same activity batch after batch. `None` where it
/// could not be loaded (a database hiccup): that delivery is tried again later.
async fn outgoing_of(shared: &Shared, claimed: &[Claimed]) -> Vec<Option<Arc<Outgoing>>> {
    if claimed.is_empty() {
        return Vec::new();
    }
    let mut cache = shared.bodies.lock().await;
    if let Err(err) = load_bodies(shared, &mut cache, claimed).await {
        tracing::warn!("loading activities to deliver failed: {err}");
    }
    claimed
        .iter()
        .map(|row| cache.get(&row.activity).cloned())
        .collect()
}

async fn load_bodies(
    shared: &Shared,
    cache: &mut HashMap<String, Arc<Outgoing>>,
    claimed: &[Claimed],
) -> Result<()> {
    if cache.len() > 1000 {
        cache.clear();
    }
    let missing: Vec<String> = claimed
        .iter()
        .map(|c| c.activity.clone())
        .filter(|id| !cache.contains_key(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut senders = HashMap::new();
    for (id, actor, body) in outbox::bodies(&shared.data.store, &missing).await? {
        if !senders.contains_key(&actor) {
            let key = sender_key(shared, &actor).await?;
            senders.insert(actor.clone(), key);
        }
        let keys = senders[&actor].clone();
        let body = Bytes::from(body.into_bytes());
        cache.insert(id, Arc::new(Outgoing { keys, body }));
    }
    Ok(())
}

/// The parsed private keys of a local sender, with their ids.
async fn sender_key(shared: &Shared, actor_id: &str) -> Result<Arc<SenderKeys>> {
    let url =
        Url::parse(actor_id).map_err(|err| Error::Internal(format!("sender {actor_id}: {err}")))?;
    let actor = actors::by_ap_id(&shared.data.store, &url)
        .await?
        .ok_or_else(|| Error::Internal(format!("sender {actor_id} is gone")))?;
    let actor = shared.data.vault.open(&actor)?;
    let pem = actor
        .private_key_pem
        .as_deref()
        .ok_or_else(|| Error::Internal(format!("{actor_id} has no private key")))?;
    // Named by its key document, where servers that read HTTP signature keys
    // only from `publicKey` or the keyid (Fedify) find it too.
    let ed25519 = match (&actor.assertion_key_id, &actor.assertion_private_key) {
        (Some(_), Some(private)) => Some((
            crate::actors::ed25519_key_document(&actor.ap_id),
            Arc::new(crate::integrity::signing_key(private)?),
        )),
        _ => None,
    };
    Ok(Arc::new(SenderKeys {
        rsa_key_id: actor.public_key_id.clone(),
        rsa: shared.signer.key(actor_id, pem)?,
        ed25519,
    }))
}

/// One attempt at one delivery: first the peer's turn, then a slot on the wire,
/// so that rows waiting for a slow peer hold no slot others could use.
async fn deliver(
    shared: &Shared,
    row: &Claimed,
    outgoing: Option<Arc<Outgoing>>,
    slots: &Semaphore,
) -> Outcome {
    // Blocked since it was queued (or not allowed): never sent, counted apart.
    match crate::policy::refusal(&shared.data, &row.host).await {
        Ok(Some(_)) => return Outcome::Dropped,
        Ok(None) => {}
        Err(err) => {
            return retry_later(
                shared,
                row,
                format!("reading the federation policy: {err}"),
                // Our database, not the peer: it is not counted as failing.
                Wait::PutOff,
            );
        }
    }
    let peer = shared.per_peer.of(&row.host);
    let (Some(_turn), Ok(slot)) = (peer.turn().await, slots.acquire().await) else {
        return retry_later(shared, row, "delivery slots closed".into(), Wait::PeerDown);
    };
    match attempt(shared, row, outgoing, slot, slots).await {
        Ok(()) => {
            peer.answered();
            Outcome::Delivered
        }
        Err(Attempt::Refused(error)) => Outcome::Dead { error },
        Err(Attempt::Failed(error)) => retry_later(shared, row, error, Wait::PeerDown),
        Err(Attempt::NotYet(error)) => retry_later(shared, row, error, Wait::PutOff),
        Err(Attempt::Slow(error)) => {
            peer.timed_out();
            tracing::debug!(peer = %row.host, limit = peer.limit(), "slow peer: fewer requests at once");
            retry_later(shared, row, error, Wait::Slow)
        }
    }
}

enum Attempt {
    /// The peer answered that it will never take this (4xx other than 401/408/425/429).
    Refused(String),
    /// Worth trying again: network errors, timeouts, 5xx, 401, 408, 429.
    Failed(String),
    /// The peer is up and asks for it later (425: a union body's relay that
    /// overtook its Accept): tried again, the peer not counted as failing.
    NotYet(String),
    /// The peer took the connection but did not answer in time: slow, not
    /// down.
    Slow(String),
}

async fn attempt(
    shared: &Shared,
    row: &Claimed,
    entry: Option<Arc<Outgoing>>,
    slot: SemaphorePermit<'_>,
    slots: &Semaphore,
) -> Result<(), Attempt> {
    // Not loaded (a database hiccup): try again later rather than give up.
    let Some(entry) = entry else {
        return Err(Attempt::Failed(format!(
            "activity {} could not be loaded",
            row.activity
        )));
    };
    let inbox =
        Url::parse(&row.inbox).map_err(|err| Attempt::Refused(format!("bad inbox: {err}")))?;
    // An inbox on a private address will never be allowed: given up at once.
    shared
        .data
        .guard
        .check_url(&inbox)
        .map_err(|refused| Attempt::Refused(refused.to_string()))?;
    let knocks = &shared.data.knocks;
    let schemes = knocks.order(&row.host, entry.keys.ed25519.is_some());
    let remembered = schemes.len() == 1;
    let mut slot = Some(slot);
    let mut refused = None;
    for (n, &scheme) in schemes.iter().enumerate() {
        let slot = match slot.take() {
            Some(slot) => slot,
            None => slots
                .acquire()
                .await
                .map_err(|_| Attempt::Failed("delivery slots closed".into()))?,
        };
        match knock(shared, &entry, &inbox, scheme, slot).await {
            Ok(()) => {
                if knocks.learned(&row.host, scheme) {
                    knocks.write(&shared.data.store, &row.host, scheme).await;
                }
                return Ok(());
            }
            // Refused for its signature, perhaps: the next scheme, if any.
            Err((Attempt::Refused(error) | Attempt::Failed(error), Some(status)))
                if matches!(status, 400 | 401) && n + 1 < schemes.len() =>
            {
                tracing::debug!(peer = %row.host, scheme = scheme.as_str(), status, "knocked again with another signature: {error}");
                refused = Some(error);
            }
            Err((error, status)) => {
                // The one it took before no longer does: knock afresh next time.
                if remembered && status == Some(401) {
                    knocks.forget(&row.host);
                }
                return Err(error);
            }
        }
    }
    Err(Attempt::Failed(
        refused.unwrap_or_else(|| "no signature scheme to try".into()),
    ))
}

/// One request of a delivery, signed with `scheme`: the error and the status
/// it came with, if the peer answered.
async fn knock(
    shared: &Shared,
    entry: &Outgoing,
    inbox: &Url,
    scheme: Scheme,
    slot: SemaphorePermit<'_>,
) -> Result<(), (Attempt, Option<u16>)> {
    let headers = shared
        .signatures
        .sign(Job {
            keys: entry.keys.clone(),
            scheme,
            inbox: inbox.clone(),
            body: entry.body.clone(),
        })
        .await
        .ok_or_else(|| (Attempt::Failed("no signing thread took it".into()), None))?
        .map_err(|err| (Attempt::Refused(err.to_string()), None))?;
    let request = shared
        .client
        .post(inbox.clone())
        .headers(headers)
        .body(entry.body.clone())
        .send();
    let response = without_holding_up_others(request, slot)
        .await
        .map_err(|err| {
            let attempt = match Refused::find_in(&err) {
                // A name that resolves to a private address: given up, like a literal one.
                Some(refused) => Attempt::Refused(refused.to_string()),
                None if err.is_timeout() && !err.is_connect() => Attempt::Slow(format!("{err}")),
                None => Attempt::Failed(format!("{err}")),
            };
            (attempt, None)
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // Only the start of an error answer is kept, and only that much is read: a
    // peer cannot make us buffer a body of any size.
    let mut start = Vec::new();
    let mut response = response;
    while start.len() < 800 {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text: String = String::from_utf8_lossy(&start).chars().take(200).collect();
    let error = format!("{status}: {text}");
    // 401 is retried too: the peer may hold our old key after a rotation, and
    // fetches the new one when its copy has aged.
    let attempt = if status == reqwest::StatusCode::TOO_EARLY {
        Attempt::NotYet(error)
    } else if status.is_client_error() && !matches!(status.as_u16(), 401 | 408 | 429) {
        Attempt::Refused(error)
    } else {
        Attempt::Failed(error)
    };
    Err((attempt, Some(status.as_u16())))
}

/// Exponential back-off from `retry_base`, capped at `retry_max`.
fn backoff(base: Duration, max: Duration, failures: i64) -> Duration {
    let factor = 2u32.saturating_pow(failures.clamp(0, 30) as u32);
    base.saturating_mul(factor).min(max)
}

/// How long a peer is left alone after its `round`-th failed round in a row,
/// before it is probed: `retry_base` at first, so that a server that restarts
/// gets its queue within a `retry_base` of coming back, then doubling up to
/// `retry_max` for one that stays down.
fn probe_wait(base: Duration, max: Duration, round: i64) -> Duration {
    if round <= ROUNDS_PROBED_AT_BASE {
        base.min(max)
    } else {
        backoff(base, max, round - ROUNDS_PROBED_AT_BASE)
    }
}

/// Why a delivery is tried again, which sets when.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The peer is down or erroring: it is waited for as a whole (its probe
    /// decides when).
    PeerDown,
    /// The peer asked for this one later: it waits on its own, doubling.
    PutOff,
    /// The peer did not answer in time: again after `request_timeout`, with
    /// fewer requests at once.
    Slow,
}

fn retry_later(shared: &Shared, row: &Claimed, error: String, why: Wait) -> Outcome {
    let settings = &shared.data.settings;
    let now = now_millis();
    if now - row.created_at > settings.delivery_expiry.as_millis() as i64 {
        return Outcome::Dead {
            error: format!(
                "expired after {} attempts; last error: {error}",
                row.attempts + 1
            ),
        };
    }
    let wait = match why {
        Wait::PeerDown => settings.retry_base,
        Wait::PutOff => backoff(settings.retry_base, settings.retry_max, row.attempts),
        Wait::Slow => settings.request_timeout,
    };
    Outcome::Retry {
        retry_at: now + wait.as_millis() as i64,
        error,
        peer_failed: why == Wait::PeerDown,
    }
}

/// Peers get their own metrics label up to this many; the rest are "other", so
/// that a flood of new hosts cannot grow the metrics without bound.
const LABELLED_PEERS: usize = 50;

fn peer_label(host: &str) -> String {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.iter().any(|h| h == host) {
        return host.to_owned();
    }
    if seen.len() < LABELLED_PEERS {
        seen.push(host.to_owned());
        return host.to_owned();
    }
    "other".to_owned()
}

/// Writes outcomes in batches, and keeps per-peer health.
async fn record_outcomes(shared: Arc<Shared>, mut outcomes: mpsc::Receiver<(Claimed, Outcome)>) {
    let store = &shared.data.store;
    let settings = &shared.data.settings;
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while outcomes.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        let rows: Vec<(i64, Outcome)> = batch.iter().map(|(c, o)| (c.id, o.clone())).collect();
        // Hosts repeat here; `record` marks each once.
        let healthy: Vec<String> = batch
            .iter()
            .filter(|(_, outcome)| *outcome == Outcome::Delivered)
            .map(|(claimed, _)| claimed.host.clone())
            .collect();
        match deliveries::record(store, &rows, &healthy).await {
            // A peer came back: its queue is due now, not at the next poll.
            Ok(recovered) if recovered > 0 => shared.data.wake_delivery(),
            Ok(_) => {}
            // The leases run out and these rows are tried again: nothing is lost.
            Err(err) => {
                tracing::error!("recording {} delivery outcomes failed: {err}", rows.len())
            }
        }
        for (claimed, outcome) in &batch {
            let label = match outcome {
                Outcome::Delivered => "delivered",
                Outcome::Retry { .. } => "failed",
                Outcome::Dead { .. } => "dead",
                Outcome::Dropped => "dropped",
            };
            metrics::counter!("unionhall_deliveries_total",
                "peer" => peer_label(&claimed.host), "outcome" => label)
            .increment(1);
            match outcome {
                Outcome::Delivered => {}
                // A peer that answered "not yet" is up and well.
                Outcome::Retry {
                    peer_failed: false, ..
                } => {}
                Outcome::Retry { error, .. } => {
                    tracing::debug!(inbox = %claimed.inbox, "delivery failed, will retry: {error}");
                    let wait = |round| {
                        probe_wait(settings.retry_base, settings.retry_max, round).as_millis()
                            as i64
                    };
                    match peers::failed(store, &claimed.host, error, now_millis(), wait).await {
                        Ok(Some(round)) => tracing::info!(
                            peer = %claimed.host, round, "peer failing, backed off: {error}"
                        ),
                        Ok(None) => {}
                        Err(err) => tracing::warn!("recording peer failure failed: {err}"),
                    }
                }
                Outcome::Dead { error } => {
                    tracing::warn!(inbox = %claimed.inbox, activity = %claimed.activity, "delivery given up: {error}");
                }
                Outcome::Dropped => {
                    tracing::info!(inbox = %claimed.inbox, "delivery dropped: the peer is blocked");
                }
            }
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (base, max) = (Duration::from_secs(60), Duration::from_secs(86_400));
        assert_eq!(backoff(base, max, 0), Duration::from_secs(60));
        assert_eq!(backoff(base, max, 1), Duration::from_secs(120));
        assert_eq!(backoff(base, max, 5), Duration::from_secs(1920));
        assert_eq!(backoff(base, max, 40), max);
    }

    #[test]
    fn a_failing_peer_is_probed_every_base_at_first_then_less_often() {
        let (base, max) = (Duration::from_secs(60), Duration::from_secs(86_400));
        assert_eq!(probe_wait(base, max, 1), base);
        assert_eq!(probe_wait(base, max, ROUNDS_PROBED_AT_BASE), base);
        assert_eq!(probe_wait(base, max, ROUNDS_PROBED_AT_BASE + 1), base * 2);
        assert_eq!(probe_wait(base, max, 100), max);
    }
}
