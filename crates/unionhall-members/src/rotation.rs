//! Key rotation: re-sealing everything (records, second-factor secrets,
//! account links and email addresses, actors' private keys, queued mail)
//! still sealed with an old key under the current one, in batches, each
//! batch one transaction. Safe to stop and run again: the key id on each row
//! says what is left.

use crate::{Error, Members, Result};
use unionhall_store::members::{self as rows, SealedTable};

const BATCH: i64 = 200;

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotated {
    pub members: u64,
    pub one_on_ones: u64,
    pub second_factors: u64,
    /// Which record an account is, and accounts' email addresses.
    pub account_links: u64,
    /// The private keys of chapters, bodies and the instance actor.
    pub actor_keys: u64,
    /// Relationships, assignment maps and structure tests.
    pub chart_rows: u64,
    /// Messages in the mail queue, waiting or sent and not yet pruned.
    pub mails: u64,
}

impl Members {
    /// Re-seals everything not sealed with the current key. Rows are opened with
    /// whichever configured key sealed them; a row no configured key opens stops
    /// the rotation with an error (and changes nothing in its batch).
    pub async fn rotate_key(&self) -> Result<Rotated> {
        let mut done = Rotated::default();
        for table in [
            SealedTable::Members,
            SealedTable::OneOnOnes,
            SealedTable::Totp,
            SealedTable::Relationships,
            SealedTable::Assignments,
            SealedTable::StructureTests,
            SealedTable::AccountLinks,
            SealedTable::ActorKeys,
            SealedTable::AccountEmails,
        ] {
            loop {
                let mut tx = self.store.begin_write().await?;
                let batch =
                    rows::sealed_with_other_keys(&mut tx, table, self.keyring.current_id(), BATCH)
                        .await?;
                if batch.is_empty() {
                    break;
                }
                for (id, sealed) in &batch {
                    let context = match table {
                        SealedTable::Members => format!("member:{id}"),
                        SealedTable::OneOnOnes => {
                            let member_id = rows::member_of_one_on_one(&mut tx, *id).await?;
                            format!("one_on_one:{member_id}:{id}")
                        }
                        SealedTable::Totp => crate::second_factor::context(*id),
                        SealedTable::Relationships => crate::relationships::context(*id),
                        SealedTable::Assignments => crate::assignments::context(*id),
                        SealedTable::StructureTests => crate::structure_tests::context(*id),
                        SealedTable::AccountLinks => crate::links::context(*id),
                        SealedTable::ActorKeys => unionhall_store::actors::keys_context(
                            &unionhall_store::actors::actor_of_keys(&mut tx, *id).await?,
                        ),
                        SealedTable::AccountEmails => crate::email::address_context(*id),
                    };
                    let plain = self
                        .keyring
                        .open(&context, sealed)
                        .map_err(|err| Error::Crypto(format!("cannot rotate: {err}")))?;
                    let resealed = self.keyring.seal(&context, &plain)?;
                    rows::reseal(&mut tx, table, *id, &resealed).await?;
                    if table == SealedTable::AccountEmails {
                        // Its lookup tag is keyed too: renewed with the seal.
                        let address = String::from_utf8_lossy(&plain);
                        let tag = self.address_tag(&address);
                        unionhall_store::account_emails::set_lookup(&mut tx, *id, &tag).await?;
                    }
                }
                unionhall_store::commit(tx).await?;
                let count = batch.len() as u64;
                match table {
                    SealedTable::Members => done.members += count,
                    SealedTable::OneOnOnes => done.one_on_ones += count,
                    SealedTable::Totp => done.second_factors += count,
                    SealedTable::AccountLinks | SealedTable::AccountEmails => {
                        done.account_links += count
                    }
                    SealedTable::ActorKeys => done.actor_keys += count,
                    SealedTable::Relationships
                    | SealedTable::Assignments
                    | SealedTable::StructureTests => done.chart_rows += count,
                }
            }
        }
        done.mails = self.rotate_mail().await?;
        Ok(done)
    }

    /// Re-seals the mail queue's messages (their ids are text, not a row
    /// number as `SealedTable`'s are): a message waiting through a rotation
    /// is still sent once the old key is gone.
    async fn rotate_mail(&self) -> Result<u64> {
        let mut count = 0;
        loop {
            let mut tx = self.store.begin_write().await?;
            let batch = unionhall_store::mail_queue::sealed_with_other_keys(
                &mut tx,
                self.keyring.current_id(),
                BATCH,
            )
            .await?;
            if batch.is_empty() {
                return Ok(count);
            }
            for (id, sealed) in &batch {
                let context = crate::email::mail_context(id);
                let plain = self
                    .keyring
                    .open(&context, sealed)
                    .map_err(|err| Error::Crypto(format!("cannot rotate: {err}")))?;
                let resealed = self.keyring.seal(&context, &plain)?;
                unionhall_store::mail_queue::reseal(&mut tx, id, &resealed).await?;
            }
            unionhall_store::commit(tx).await?;
            count += batch.len() as u64;
        }
    }
}
