//! Local actors' private keys at rest: sealed with the member-data key ring
//! (given by unionhall-members as a `Sealer`), opened only where something is
//! signed. A stolen database or backup holds ciphertext where the keys were,
//! so it cannot speak as any chapter (ARCHITECTURE.md, "Keys at rest").

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use unionhall_store::actors::{self as store_actors, keys_context, ActorRow};
use unionhall_store::members::{Sealed, Sealer};
use unionhall_store::Store;
use url::Url;

/// Both private keys of a local actor, as sealed together.
#[derive(Serialize, Deserialize)]
struct PrivateKeys {
    /// RSA, PKCS#8 PEM: HTTP signatures.
    rsa_pem: String,
    /// Ed25519, PKCS#8 base64: integrity proofs.
    ed25519: String,
}

#[derive(Clone)]
pub struct KeyVault(Arc<dyn Sealer>);

impl KeyVault {
    pub fn new(sealer: Arc<dyn Sealer>) -> Self {
        Self(sealer)
    }

    /// Seals an actor's two private keys for its row.
    pub fn seal(&self, ap_id: &Url, rsa_pem: &str, ed25519: &str) -> Result<Sealed> {
        let keys = PrivateKeys {
            rsa_pem: rsa_pem.to_owned(),
            ed25519: ed25519.to_owned(),
        };
        let json = serde_json::to_vec(&keys)
            .map_err(|err| Error::Internal(format!("serialising keys: {err}")))?;
        self.0
            .seal(&keys_context(ap_id), &json)
            .map_err(|err| Error::Internal(format!("sealing the keys of {ap_id}: {err}")))
    }

    /// `actor` with its private keys opened, for signing. A row of an older
    /// release, not sealed yet, has them in plain text already.
    pub fn open(&self, actor: &ActorRow) -> Result<ActorRow> {
        let Some(sealed) = &actor.sealed_keys else {
            return Ok(actor.clone());
        };
        let plain = self
            .0
            .open(&keys_context(&actor.ap_id), sealed)
            .map_err(|err| Error::Internal(format!("the keys of {}: {err}", actor.ap_id)))?;
        let keys: PrivateKeys = serde_json::from_slice(&plain)
            .map_err(|err| Error::Internal(format!("the keys of {}: {err}", actor.ap_id)))?;
        Ok(ActorRow {
            private_key_pem: Some(keys.rsa_pem),
            assertion_private_key: Some(keys.ed25519),
            sealed_keys: None,
            ..actor.clone()
        })
    }

    /// Seals the keys of every local actor an older release left in plain
    /// text, giving an Ed25519 key to those made before integrity proofs; run
    /// at start-up, a no-op once done.
    pub async fn seal_plain_keys(&self, store: &Store) -> Result<usize> {
        let mut sealed = 0;
        for actor in store_actors::local_with_plain_keys(store).await? {
            let rsa = actor.private_key_pem.as_deref().ok_or_else(|| {
                Error::Internal(format!("{} has no private key at all", actor.ap_id))
            })?;
            let (key_id, public, private) = match (
                &actor.assertion_key_id,
                &actor.assertion_public_key,
                &actor.assertion_private_key,
            ) {
                (Some(id), Some(public), Some(private)) => {
                    (id.clone(), public.clone(), private.clone())
                }
                _ => {
                    let (public, private) = crate::integrity::generate_key()?;
                    (
                        crate::actors::assertion_key_id(&actor.ap_id),
                        public,
                        private,
                    )
                }
            };
            let keys = self.seal(&actor.ap_id, rsa, &private)?;
            if store_actors::seal_plain_keys(store, &actor.ap_id, &key_id, &public, &keys).await? {
                sealed += 1;
            }
        }
        Ok(sealed)
    }
}
