//! Activities we send, and the queue of their deliveries. Enqueuing happens inside
//! the caller's transaction, so an activity exists exactly when the change that
//! caused it does (DESIGN.md invariant 3).

use crate::database::now_millis;
use crate::rows::{flag, json_param, json_rows, params, url};
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundActivity {
    pub ap_id: Url,
    pub actor: Url,
    pub ap_type: String,
    /// The JSON exactly as it will be sent and signed.
    pub body: String,
    /// Addressed to the public collection: may be served to anyone.
    pub public: bool,
}

/// Stores the activity and one delivery per distinct inbox, all due now.
pub async fn enqueue(
    conn: &mut AnyConnection,
    activity: &OutboundActivity,
    inboxes: &[Url],
) -> Result<()> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO outbox (ap_id, actor, ap_type, body, public, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(activity.ap_id.as_str())
    .bind(activity.actor.as_str())
    .bind(&activity.ap_type)
    .bind(&activity.body)
    .bind(i64::from(activity.public))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(&str, String)> = interleaved_by_host(inboxes)
        .into_iter()
        .map(|inbox| (inbox.as_str(), host_of(inbox)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // One statement for any number of inboxes, in the order given (the order
    // of their ids, in which they are claimed).
    let sql = format!(
        "INSERT INTO deliveries (activity, inbox, host, next_attempt_at, created_at) \
         SELECT $1, value->>0, value->>1, $2, $2 FROM {} ORDER BY key",
        json_rows(conn, "$3")
    );
    sqlx::query(&sql)
        .bind(activity.ap_id.as_str())
        .bind(now)
        .bind(json_param(&rows)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Queues, for one more inbox, the `ap_type` activities `actor` sent since
/// `since` (Unix ms), at most `limit` of the newest, each exactly as it was
/// sent. Returns how many were queued (one already queued there is skipped).
pub async fn resend_to(
    conn: &mut AnyConnection,
    actor: &Url,
    ap_type: &str,
    since: i64,
    limit: i64,
    inbox: &Url,
) -> Result<u64> {
    let now = now_millis();
    let done = sqlx::query(
        "INSERT INTO deliveries (activity, inbox, host, next_attempt_at, created_at) \
         SELECT ap_id, $4, $5, $6, $6 FROM (SELECT ap_id, created_at FROM outbox \
         WHERE actor = $1 AND ap_type = $2 AND created_at >= $3 \
         ORDER BY created_at DESC LIMIT $7) AS newest WHERE true ORDER BY created_at \
         ON CONFLICT (activity, inbox) DO NOTHING",
    )
    .bind(actor.as_str())
    .bind(ap_type)
    .bind(since)
    .bind(inbox.as_str())
    .bind(host_of(inbox))
    .bind(now)
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The distinct inboxes, in the order their deliveries are claimed: one of each
/// host in turn. Sorted, the inboxes of one big server would come all in a row,
/// so that a batch of claims waited on that server's few slots (and opened as
/// many connections to it) while the other servers waited their turn.
fn interleaved_by_host(inboxes: &[Url]) -> Vec<&Url> {
    let mut unique: Vec<&Url> = inboxes.iter().collect();
    unique.sort();
    unique.dedup();
    let mut seen_of_host = std::collections::HashMap::new();
    let mut ranked: Vec<(usize, &Url)> = unique
        .into_iter()
        .map(|inbox| {
            let seen = seen_of_host.entry(host_of(inbox)).or_insert(0);
            *seen += 1;
            (*seen, inbox)
        })
        .collect();
    // Stable: within a round, hosts keep their sorted order.
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, inbox)| inbox).collect()
}

/// The host (with port) an inbox is on: the unit of per-peer back-off.
pub fn host_of(inbox: &Url) -> String {
    match (inbox.host_str(), inbox.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    }
}

pub async fn get(store: &Store, ap_id: &Url) -> Result<Option<OutboundActivity>> {
    let row =
        sqlx::query("SELECT ap_id, actor, ap_type, body, public FROM outbox WHERE ap_id = $1")
            .bind(ap_id.as_str())
            .fetch_optional(store.pool())
            .await?;
    row.map(|row| {
        Ok(OutboundActivity {
            ap_id: url(&row, "ap_id")?,
            actor: url(&row, "actor")?,
            ap_type: row.try_get("ap_type")?,
            body: row.try_get("body")?,
            public: flag(&row, "public")?,
        })
    })
    .transpose()
}

/// Bodies of several activities at once, for a batch of deliveries.
pub async fn bodies(store: &Store, ids: &[String]) -> Result<Vec<(String, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT ap_id, actor, body FROM outbox WHERE ap_id IN ({})",
        params(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("ap_id")?,
                row.try_get("actor")?,
                row.try_get("body")?,
            ))
        })
        .collect()
}

/// The newest public activities of one type sent by `actor`, for its outbox.
pub async fn recent_public(
    store: &Store,
    actor: &Url,
    ap_type: &str,
    limit: i64,
) -> Result<(i64, Vec<String>)> {
    let total: i64 =
        sqlx::query("SELECT COUNT(*) FROM outbox WHERE actor = $1 AND ap_type = $2 AND public = 1")
            .bind(actor.as_str())
            .bind(ap_type)
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
    let bodies = sqlx::query(
        "SELECT body FROM outbox WHERE actor = $1 AND ap_type = $2 AND public = 1 \
         ORDER BY created_at DESC LIMIT $3",
    )
    .bind(actor.as_str())
    .bind(ap_type)
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| row.try_get::<String, _>("body"))
    .collect::<Result<_, _>>()?;
    Ok((total, bodies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inboxes_take_turns_by_host() {
        let inboxes: Vec<Url> = [
            "https://big.example/users/b/inbox",
            "https://big.example/users/a/inbox",
            "https://small.example/inbox",
            "https://big.example/users/c/inbox",
            "https://big.example/users/a/inbox",
            "https://other.example:8443/inbox",
        ]
        .iter()
        .map(|u| u.parse().expect("url"))
        .collect();
        let order: Vec<&str> = interleaved_by_host(&inboxes)
            .into_iter()
            .map(Url::as_str)
            .collect();
        assert_eq!(
            order,
            [
                "https://big.example/users/a/inbox",
                "https://other.example:8443/inbox",
                "https://small.example/inbox",
                "https://big.example/users/b/inbox",
                "https://big.example/users/c/inbox",
            ]
        );
    }
}
