//! Signing deliveries: RSA on blocking threads, several at a time per
//! hand-over; Ed25519 (RFC 9421, `knock.rs`) where it is asked for, at once,
//! as it costs less than the hand-over would.
//!
//! An RSA-2048 signature per inbox is most of a fan-out's CPU. Each signature
//! handed to a blocking thread on its own cost a thread wake-up there and a
//! task wake-up back; handing them over in batches of up to [`BATCH`] spares
//! most of both, and the async side finds more to do per wake-up (a 10,000-inbox
//! fan-out went from about 76% of the signing ceiling to about 78%,
//! docs/benchmarks.md). A lone delivery is not held back: a batch is whatever
//! is waiting, one or more.

use super::knock::Scheme;
use crate::signatures::{add_activity_json_headers, rfc9421, signed_post_headers, unix_now};
use crate::{Error, Result};
use aws_lc_rs::signature::{Ed25519KeyPair, RsaKeyPair};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};
use url::Url;

/// Signatures handed to a blocking thread at once, at most.
const BATCH: usize = 8;

/// Blocking threads signing at once, per core. More than one per core, so that
/// a core always has another batch to go on with while a finished one is
/// handed back. Measured on a 10,000-inbox fan-out as a share of the signing
/// ceiling, one signature per hand-over (before batches): 2 per core 66 to 70%,
/// 3 71%, 4 71 to 73%, 8 70%; 16 gave 74% but added 15 MB to the fan-out's
/// memory against 11 MB.
const THREADS_PER_CORE: usize = 4;

/// A sender's keys, parsed once per activity.
pub struct SenderKeys {
    pub rsa_key_id: String,
    pub rsa: Arc<RsaKeyPair>,
    /// Its FEP-521a Ed25519 key (id, key): RFC 9421 signatures for peers that
    /// take them.
    pub ed25519: Option<(String, Arc<Ed25519KeyPair>)>,
}

/// What one delivery needs signed, and how.
pub struct Job {
    pub keys: Arc<SenderKeys>,
    pub scheme: Scheme,
    pub inbox: Url,
    pub body: Bytes,
}

impl Job {
    /// The headers that sign this delivery. CPU-bound: an RSA signature is
    /// about a third of a millisecond, an Ed25519 one a few microseconds.
    pub fn signed_headers(&self) -> Result<HeaderMap> {
        let created = unix_now();
        let rfc9421 = |key: rfc9421::SigningKey<'_>, key_id: &str| {
            let mut headers = rfc9421::signed_headers(
                key,
                key_id,
                "POST",
                &self.inbox,
                Some(&self.body),
                created,
            )?;
            add_activity_json_headers(&mut headers);
            Ok(headers)
        };
        match self.scheme {
            Scheme::Cavage => signed_post_headers(
                &self.keys.rsa,
                &self.keys.rsa_key_id,
                &self.inbox,
                &self.body,
            ),
            Scheme::Rfc9421Rsa => rfc9421(
                rfc9421::SigningKey::Rsa(&self.keys.rsa),
                &self.keys.rsa_key_id,
            ),
            Scheme::Rfc9421Ed25519 => {
                let (key_id, key) = self.keys.ed25519.as_ref().ok_or_else(|| {
                    Error::Internal("an Ed25519 signature without an Ed25519 key".into())
                })?;
                rfc9421(rfc9421::SigningKey::Ed25519(key), key_id)
            }
        }
    }
}

type Waiting = (Job, oneshot::Sender<Result<HeaderMap>>);

/// The way to the signing threads; the task handing batches over stops once
/// every clone is dropped.
#[derive(Clone)]
pub struct Signatures {
    /// Unbounded, but each delivery waits for its signature, and the worker
    /// keeps at most `delivery_concurrency` deliveries on their way at once.
    jobs: mpsc::UnboundedSender<Waiting>,
}

impl Signatures {
    /// Starts the task that hands batches of signatures to blocking threads.
    pub fn start() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let (jobs, waiting) = mpsc::unbounded_channel();
        tokio::spawn(hand_over(
            waiting,
            Arc::new(Semaphore::new(THREADS_PER_CORE * cores)),
        ));
        Self { jobs }
    }

    /// The signed headers for `job`; `None` if no thread could sign it (a
    /// panic, or shutting down), which is worth trying again later.
    pub async fn sign(&self, job: Job) -> Option<Result<HeaderMap>> {
        if job.scheme == Scheme::Rfc9421Ed25519 {
            return Some(job.signed_headers());
        }
        let (done, signed) = oneshot::channel();
        self.jobs.send((job, done)).ok()?;
        signed.await.ok()
    }
}

async fn hand_over(mut waiting: mpsc::UnboundedReceiver<Waiting>, threads: Arc<Semaphore>) {
    let mut batch = Vec::with_capacity(BATCH);
    while waiting.recv_many(&mut batch, BATCH).await > 0 {
        let Ok(thread) = threads.clone().acquire_owned().await else {
            return;
        };
        let jobs = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        tokio::task::spawn_blocking(move || {
            for (job, done) in jobs {
                // Its delivery was dropped (shutting down): nothing to sign for.
                if done.is_closed() {
                    continue;
                }
                let _ = done.send(job.signed_headers());
            }
            drop(thread);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signatures::{signed_post_headers_at, Signer};

    #[tokio::test]
    async fn each_delivery_gets_its_own_signature_however_they_are_batched() {
        let pem = activitypub_federation::http_signatures::generate_actor_keypair()
            .expect("key")
            .private_key;
        let key = Signer::default().key("tester", &pem).expect("parsed");
        let keys = Arc::new(SenderKeys {
            rsa_key_id: "https://a.example/actor#main-key".into(),
            rsa: key.clone(),
            ed25519: None,
        });
        let signatures = Signatures::start();
        let mut signing = tokio::task::JoinSet::new();
        // More than a batch, all at once.
        for n in 0..3 * BATCH {
            let (signatures, keys) = (signatures.clone(), keys.clone());
            signing.spawn(async move {
                let headers = signatures
                    .sign(Job {
                        keys,
                        scheme: Scheme::Cavage,
                        inbox: format!("https://b.example/inbox/{n}").parse().expect("url"),
                        body: Bytes::from_static(b"{}"),
                    })
                    .await
                    .expect("a thread")
                    .expect("signed");
                (n, headers)
            });
        }
        let mut seen = std::collections::HashSet::new();
        while let Some(signed) = signing.join_next().await {
            let (n, headers) = signed.expect("task");
            // Signed for its own inbox (the signed string names its path):
            // the same signature as signing it alone at the same Date.
            let inbox: Url = format!("https://b.example/inbox/{n}").parse().expect("url");
            let date = headers["date"].to_str().expect("ascii");
            let alone = signed_post_headers_at(
                &key,
                "https://a.example/actor#main-key",
                &inbox,
                b"{}",
                httpdate::parse_http_date(date).expect("a date"),
            )
            .expect("signed");
            assert_eq!(headers["signature"], alone["signature"]);
            assert_eq!(headers["digest"], alone["digest"]);
            let signature = headers["signature"].to_str().expect("ascii").to_owned();
            assert!(seen.insert(signature), "a signature came back twice");
        }
        assert_eq!(seen.len(), 3 * BATCH);
    }
}
