//! Ids of activities already received: the inbox acknowledges and ignores a
//! redelivery, across restarts.

use crate::database::now_millis;
use crate::rows::{opt_url, params};
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use url::Url;

/// What the inbox asks before it does any work for an activity.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Before {
    /// The id was received before.
    pub seen: bool,
    /// The local chapters and bodies that have blocked the sender.
    pub blockers: Vec<Url>,
}

/// Whether `ap_id` was seen, and who blocked `sender`, in one round trip.
pub async fn before(store: &Store, ap_id: &Url, sender: &Url) -> Result<Before> {
    let mut answers = before_each(store, &[(ap_id, sender)]).await?;
    Ok(answers.pop().unwrap_or_default())
}

/// [`before`] for each of many (activity id, sender) pairs, in one query (the
/// inbox asks for every activity, and gathers the questions of requests that
/// arrive together).
pub async fn before_each(store: &Store, asked: &[(&Url, &Url)]) -> Result<Vec<Before>> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<&str> = asked.iter().map(|(id, _)| id.as_str()).collect();
    let mut senders: Vec<&str> = asked.iter().map(|(_, sender)| sender.as_str()).collect();
    senders.sort_unstable();
    senders.dedup();
    // Lists padded to a power of two by repeating their last entry (harmless in
    // IN): a handful of statement shapes, each prepared once, instead of one
    // per batch size.
    for list in [&mut ids, &mut senders] {
        let last = list[list.len() - 1];
        list.resize(list.len().next_power_of_two(), last);
    }
    // A seen id is a row without a blocker.
    let sql = format!(
        "SELECT ap_id AS subject, NULL AS local_actor FROM inbox_seen WHERE ap_id IN ({}) \
         UNION ALL SELECT blocked, local_actor FROM actor_blocks WHERE blocked IN ({})",
        params(1, ids.len()),
        params(ids.len() + 1, senders.len())
    );
    let mut query = sqlx::query(&sql);
    for value in ids.iter().chain(&senders) {
        query = query.bind(*value);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let mut seen = HashSet::new();
    let mut blockers: HashMap<String, Vec<Url>> = HashMap::new();
    for row in &rows {
        let subject: String = row.try_get("subject")?;
        match opt_url(row, "local_actor")? {
            None => {
                seen.insert(subject);
            }
            Some(blocker) => blockers.entry(subject).or_default().push(blocker),
        }
    }
    Ok(asked
        .iter()
        .map(|(id, sender)| Before {
            seen: seen.contains(id.as_str()),
            blockers: blockers.get(sender.as_str()).cloned().unwrap_or_default(),
        })
        .collect())
}

/// Records the id inside the transaction that applies the activity; false if it
/// was recorded already (a concurrent redelivery won the race: roll back).
pub async fn record(conn: &mut AnyConnection, ap_id: &Url, actor: &Url) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbox_seen (ap_id, actor, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (ap_id) DO NOTHING",
    )
    .bind(ap_id.as_str())
    .bind(actor.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn count(store: &Store) -> Result<i64> {
    use sqlx::Row;
    Ok(sqlx::query("SELECT COUNT(*) FROM inbox_seen")
        .fetch_one(store.pool())
        .await?
        .try_get(0)?)
}
