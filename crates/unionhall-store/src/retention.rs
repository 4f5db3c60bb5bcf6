//! Pruning what is only kept for a while: finished deliveries, the ids of
//! activities already received, expired or revoked logins, tokens and
//! recovery links, report and follow allowances whose hour is over, mail sent
//! or given up, year-old unsubscribe links, who pledged to calls long over,
//! and the activities we sent but for Creates and Follows once none of their
//! deliveries is left. Undelivered deliveries and everything else are never
//! touched.
//!
//! Rows go in small batches so that a large backlog never holds a long write
//! lock (SQLite has one writer); several processes pruning at once is harmless.

use crate::database::now_millis;
use crate::{Result, Store};
use sqlx::Row;

/// How long finished rows are kept, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Ages {
    /// Delivered deliveries: only `status` counts read them.
    pub delivered_ms: i64,
    /// Dead deliveries: kept so that an operator can still retry them.
    pub dead_ms: i64,
    /// Received activity ids: a redelivery within this is acknowledged and
    /// ignored; it must outlast how long peers keep retrying.
    pub seen_ms: i64,
    /// Who pledged to a call, after its time is over (or it is withdrawn,
    /// closed or deleted): only its totals are kept longer.
    pub pledges_ms: i64,
    /// Activities we sent, but for Creates and Follows (what a new follower
    /// backfills, the relationships in force), once no delivery of theirs
    /// is left: above all the Updates each pledge sends.
    pub outbox_ms: i64,
}

/// How many rows each kind lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub delivered: u64,
    pub dead: u64,
    pub seen_ids: u64,
    pub sessions: u64,
    pub api_tokens: u64,
    pub recovery_links: u64,
    /// Report and follow allowances whose hour is over.
    pub flood_counters: u64,
    /// Mail sent (after `delivered_ms`) or given up (after `dead_ms`).
    pub mail: u64,
    /// One-click unsubscribe links older than a year.
    pub unsubscribe_links: u64,
    /// Pledges forgotten (`pledges_ms`), with the rows of what their
    /// accounts were mailed about those calls.
    pub pledges: u64,
    /// Joins, likes and shares of those calls, and likes, dislikes and
    /// shares of anything older than `pledges_ms`, from the fediverse, whose
    /// actors were forgotten (the counts stay).
    pub fediverse_actors: u64,
    /// Activities we sent (`outbox_ms`).
    pub outbox: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.delivered
            + self.dead
            + self.seen_ids
            + self.sessions
            + self.api_tokens
            + self.recovery_links
            + self.flood_counters
            + self.mail
            + self.unsubscribe_links
            + self.pledges
            + self.fediverse_actors
            + self.outbox
    }
}

const BATCH: i64 = 1000;

/// How long the one-click link in a mail keeps working.
const UNSUBSCRIBE_LINK_MS: i64 = 365 * 24 * 3_600_000;

/// Deletes what has outlived `ages` (or expired) as of now.
pub async fn prune(store: &Store, ages: &Ages) -> Result<Pruned> {
    prune_at(store, ages, now_millis()).await
}

/// [`prune`] as of `now` (Unix ms): the retention benchmark simulates a
/// month with it.
pub async fn prune_at(store: &Store, ages: &Ages, now: i64) -> Result<Pruned> {
    Ok(Pruned {
        delivered: in_batches(
            store,
            "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
             WHERE delivered_at < $1 LIMIT $2)",
            now - ages.delivered_ms,
        )
        .await?,
        dead: in_batches(
            store,
            "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
             WHERE dead_at < $1 LIMIT $2)",
            now - ages.dead_ms,
        )
        .await?,
        seen_ids: in_batches(
            store,
            "DELETE FROM inbox_seen WHERE ap_id IN (SELECT ap_id FROM inbox_seen \
             WHERE received_at < $1 LIMIT $2)",
            now - ages.seen_ms,
        )
        .await?,
        sessions: in_batches(
            store,
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
             WHERE expires_at < $1 OR revoked_at IS NOT NULL LIMIT $2)",
            now,
        )
        .await?,
        api_tokens: in_batches(
            store,
            "DELETE FROM api_tokens WHERE id IN (SELECT id FROM api_tokens \
             WHERE expires_at < $1 OR revoked_at IS NOT NULL LIMIT $2)",
            now,
        )
        .await?,
        recovery_links: in_batches(
            store,
            "DELETE FROM account_resets WHERE token_hash IN (SELECT token_hash \
             FROM account_resets WHERE expires_at < $1 LIMIT $2)",
            now,
        )
        .await?,
        flood_counters: in_batches(
            store,
            "DELETE FROM flood_counts WHERE (kind, key) IN (SELECT kind, key FROM flood_counts \
             WHERE window_start < $1 LIMIT $2)",
            now - 3_600_000,
        )
        .await?,
        mail: in_batches(
            store,
            "DELETE FROM mail_queue WHERE id IN (SELECT id FROM mail_queue \
             WHERE sent_at < $1 LIMIT $2)",
            now - ages.delivered_ms,
        )
        .await?
            + in_batches(
                store,
                "DELETE FROM mail_queue WHERE id IN (SELECT id FROM mail_queue \
                 WHERE failed_at < $1 LIMIT $2)",
                now - ages.dead_ms,
            )
            .await?,
        unsubscribe_links: in_batches(
            store,
            "DELETE FROM unsubscribe_links WHERE token_hash IN (SELECT token_hash \
             FROM unsubscribe_links WHERE created_at < $1 LIMIT $2)",
            now - UNSUBSCRIBE_LINK_MS,
        )
        .await?,
        pledges: forget_pledges(store, now - ages.pledges_ms).await?,
        fediverse_actors: forget_fediverse_actors(store, now - ages.pledges_ms, now).await?,
        // Never one a delivery still needs: deliveries go with their activity.
        outbox: in_batches(
            store,
            "DELETE FROM outbox WHERE ap_id IN (SELECT ap_id FROM outbox o \
             WHERE created_at < $1 AND ap_type NOT IN ('Create', 'Follow') \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity = o.ap_id) \
             ORDER BY created_at LIMIT $2)",
            now - ages.outbox_ms,
        )
        .await?,
    })
}

/// The calls done with before `before`: over by their time, or withdrawn,
/// closed or deleted (SQL, `$1` bound to `before`).
const DONE_WITH: &str = "SELECT id FROM calls WHERE (over_at IS NOT NULL AND over_at < $1) \
     OR (status IN ('withdrawn', 'closed') AND updated_at < $1) OR deleted_at < $1";

/// Deletes who pledged to the calls done with before `before`, and what was
/// mailed to them (and to organizers) about those calls; the calls' totals
/// are not touched (they are kept apart from the pledges).
async fn forget_pledges(store: &Store, before: i64) -> Result<u64> {
    let mut total = 0;
    for (table, key) in [
        ("pledges", "call_id, chapter, account_id"),
        ("mail_reminders", "account_id, call_id, kind"),
        ("mail_call_states", "account_id, call_id"),
        ("mail_pledges_told", "account_id, call_id"),
    ] {
        let sql = format!(
            "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} \
             WHERE call_id IN ({DONE_WITH}) LIMIT $2)"
        );
        total += in_batches(store, &sql, before).await?;
    }
    Ok(total)
}

/// The prefix of what stands for an actor forgotten.
const FORGOTTEN: &str = "forgotten:";

/// Forgets who on the fediverse joined, liked or shared the calls done with
/// before `before`, and who liked, disliked or shared anything else (a
/// strike, a post, an action, a campaign) before `before`: each one's actor
/// and activity ids become a token that names no one
/// (`forgotten:{now}:{random}:{n}`, unique however many processes prune at
/// once), so that every count, and the running total the joins are part of,
/// stays as it was. Joins (and maybes) of calls still in play are kept: the
/// joiners get the call's Updates. An Undo of a reaction forgotten finds
/// nothing to take back, so the count keeps it.
async fn forget_fediverse_actors(store: &Store, before: i64, now: i64) -> Result<u64> {
    // A number no other process picks: std's hasher keys are random.
    let this_run =
        std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), now);
    let sql = format!(
        "SELECT object, kind, actor FROM interactions WHERE actor NOT LIKE '{FORGOTTEN}%' \
         AND (object IN (SELECT ap_id FROM calls WHERE id IN ({DONE_WITH})) \
         OR (kind NOT IN ('join', 'maybe') AND created_at < $1)) LIMIT $2"
    );
    let mut total = 0;
    loop {
        let mut tx = store.begin_write().await?;
        let rows = sqlx::query(&sql)
            .bind(before)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let (object, kind, actor): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let token = format!("{FORGOTTEN}{now}:{this_run:x}:{total}");
            sqlx::query(
                "UPDATE interactions SET actor = $1, activity = $1 \
                 WHERE object = $2 AND kind = $3 AND actor = $4",
            )
            .bind(&token)
            .bind(&object)
            .bind(&kind)
            .bind(&actor)
            .execute(&mut *tx)
            .await?;
            total += 1;
        }
        tx.commit().await?;
        if rows.len() < BATCH as usize {
            return Ok(total);
        }
    }
}

async fn in_batches(store: &Store, sql: &str, before: i64) -> Result<u64> {
    let mut total = 0;
    loop {
        let mut conn = store.begin_write().await?;
        let done = sqlx::query(sql)
            .bind(before)
            .bind(BATCH)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        total += done;
        if done < BATCH as u64 {
            return Ok(total);
        }
    }
}
