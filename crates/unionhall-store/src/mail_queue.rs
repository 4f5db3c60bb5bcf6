//! The durable mail queue (migration 28): messages written in the transaction
//! of what caused them, sealed, claimed by the mail workers for a lease, and
//! marked sent, retried or given up (the unionhall-mail crate decides which).

use crate::members::Sealed;
use crate::{now_millis, Result, Store};
use sqlx::{AnyConnection, Row};

/// A message waiting to be sent, or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Also its Message-ID: the same on every attempt.
    pub id: String,
    pub account_id: Option<i64>,
    pub kind: String,
    pub sealed: Sealed,
    pub attempts: i64,
    pub created_at: i64,
}

/// Who a message is for and who caused it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parties {
    /// The account it is for; None for a stranger (an invitation).
    pub account_id: Option<i64>,
    /// The account whose action wrote it, when not its recipient.
    pub asked_by: Option<i64>,
}

/// Writes a message, due now, inside the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    id: &str,
    parties: Parties,
    kind: &str,
    sealed: &Sealed,
) -> Result<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO mail_queue (id, account_id, asked_by, kind, key_id, sealed, created_at, \
         next_attempt_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0)",
    )
    .bind(id)
    .bind(parties.account_id)
    .bind(parties.asked_by)
    .bind(kind)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Messages of `kind` account `asked_by` caused since `since`.
pub async fn count_asked_since(
    conn: &mut AnyConnection,
    asked_by: i64,
    kind: &str,
    since: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_queue WHERE asked_by = $1 AND kind = $2 AND created_at >= $3",
    )
    .bind(asked_by)
    .bind(kind)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Up to `limit` messages sealed with another key than `current_key`, for
/// the key rotation: (id, sealed). Sent ones too: they keep their text (and
/// one-time links) until retention prunes them.
pub async fn sealed_with_other_keys(
    conn: &mut AnyConnection,
    current_key: &str,
    limit: i64,
) -> Result<Vec<(String, Sealed)>> {
    sqlx::query("SELECT id, key_id, sealed FROM mail_queue WHERE key_id <> $1 LIMIT $2")
        .bind(current_key)
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                Sealed {
                    key_id: row.try_get("key_id")?,
                    bytes: row.try_get("sealed")?,
                },
            ))
        })
        .collect()
}

/// Stores a message sealed again (the key rotation).
pub async fn reseal(conn: &mut AnyConnection, id: &str, sealed: &Sealed) -> Result<()> {
    sqlx::query("UPDATE mail_queue SET key_id = $2, sealed = $3 WHERE id = $1")
        .bind(id)
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims up to `limit` due messages until `lease_until`: a worker that dies
/// with them leaves them to another once the lease runs out.
pub async fn claim(store: &Store, limit: i64, lease_until: i64) -> Result<Vec<QueuedMail>> {
    let now = now_millis();
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM mail_queue WHERE sent_at IS NULL AND failed_at IS NULL \
         AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut claimed = Vec::new();
    for id in due {
        let mut tx = store.begin_write().await?;
        let row = sqlx::query(
            "UPDATE mail_queue SET claimed_until = $2 WHERE id = $1 AND sent_at IS NULL \
             AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < $3) \
             RETURNING id, account_id, kind, key_id, sealed, attempts, created_at",
        )
        .bind(&id)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        crate::commit(tx).await?;
        if let Some(row) = row {
            claimed.push(queued_from(&row)?);
        }
    }
    Ok(claimed)
}

fn queued_from(row: &sqlx::any::AnyRow) -> Result<QueuedMail> {
    Ok(QueuedMail {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        kind: row.try_get("kind")?,
        sealed: Sealed {
            key_id: row.try_get("key_id")?,
            bytes: row.try_get("sealed")?,
        },
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A message the mail server refused for good: what it was, why, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedMail {
    pub mail: QueuedMail,
    pub failure: String,
    pub failed_at: i64,
}

/// The messages of `kind` that account `asked_by` caused and that were
/// given up since `since`, newest first.
pub async fn given_up_asked_by(
    store: &Store,
    asked_by: i64,
    kind: &str,
    since: i64,
) -> Result<Vec<RefusedMail>> {
    sqlx::query(
        "SELECT id, account_id, kind, key_id, sealed, attempts, created_at, failure, failed_at \
         FROM mail_queue WHERE asked_by = $1 AND kind = $2 AND failed_at >= $3 \
         ORDER BY failed_at DESC",
    )
    .bind(asked_by)
    .bind(kind)
    .bind(since)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(RefusedMail {
            mail: queued_from(row)?,
            failure: row
                .try_get::<Option<String>, _>("failure")?
                .unwrap_or_default(),
            failed_at: row.try_get("failed_at")?,
        })
    })
    .collect()
}

pub async fn mark_sent(store: &Store, id: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE mail_queue SET sent_at = $2, claimed_until = NULL WHERE id = $1")
        .bind(id)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
    crate::commit(tx).await
}

/// A temporary failure: tried again at `next_attempt_at`.
pub async fn retry_at(store: &Store, id: &str, next_attempt_at: i64, why: &str) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = $2, \
         claimed_until = NULL, failure = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(next_attempt_at)
    .bind(why)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await
}

/// Given up: a permanent refusal, or too long without success. If the
/// refusal was of the address, the account's address is marked as bouncing
/// in the same transaction.
pub async fn give_up(
    store: &Store,
    id: &str,
    why: &str,
    bounced_account: Option<i64>,
) -> Result<()> {
    let now = now_millis();
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, failed_at = $2, claimed_until = NULL, \
         failure = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(why)
    .execute(&mut *tx)
    .await?;
    if let Some(account_id) = bounced_account {
        crate::account_emails::bounced(&mut tx, account_id, why, now).await?;
    }
    crate::commit(tx).await
}

/// How many of `kind` were queued for `account_id` since `since`.
pub async fn count_since(
    conn: &mut AnyConnection,
    account_id: i64,
    kind: &str,
    since: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_queue WHERE account_id = $1 AND kind = $2 AND created_at >= $3",
    )
    .bind(account_id)
    .bind(kind)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Messages waiting, sent and given up, for `unionhall status` and /metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailStats {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
}

pub async fn stats(store: &Store) -> Result<MailStats> {
    let row = sqlx::query(
        "SELECT \
         COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
         COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
         COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
         FROM mail_queue",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(MailStats {
        waiting: row.try_get("waiting")?,
        sent: row.try_get("sent")?,
        failed: row.try_get("failed")?,
    })
}
