//! The moderation queue: reports (Flag) received from other servers.

use crate::database::now_millis;
use crate::rows::url;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    pub ap_id: Url,
    pub reporter: Url,
    pub content: String,
    pub objects: Vec<Url>,
    pub received_at: i64,
    pub resolved_at: Option<i64>,
}

/// Files a report; a report id seen before changes nothing, and so does a
/// repeat of an open report (same reporter, objects and words): the queue
/// holds it once. False if nothing was filed.
pub async fn insert(
    conn: &mut AnyConnection,
    ap_id: &Url,
    reporter: &Url,
    content: &str,
    objects: &[Url],
) -> Result<bool> {
    let mut objects: Vec<&str> = objects.iter().map(Url::as_str).collect();
    objects.sort_unstable();
    objects.dedup();
    let objects = objects.join("\n");
    let repeats: i64 = sqlx::query(
        "SELECT COUNT(*) FROM reports WHERE reporter = $1 AND objects = $2 AND content = $3 \
         AND resolved_at IS NULL",
    )
    .bind(reporter.as_str())
    .bind(&objects)
    .bind(content)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    if repeats > 0 {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO reports (ap_id, reporter, content, objects, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ap_id) DO NOTHING",
    )
    .bind(ap_id.as_str())
    .bind(reporter.as_str())
    .bind(content)
    .bind(objects)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Open reports first, newest first.
pub async fn list(store: &Store, limit: i64) -> Result<Vec<Report>> {
    sqlx::query(
        "SELECT id, ap_id, reporter, content, objects, received_at, resolved_at FROM reports \
         ORDER BY resolved_at IS NOT NULL, received_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        let objects: String = row.try_get("objects")?;
        Ok(Report {
            id: row.try_get("id")?,
            ap_id: url(row, "ap_id")?,
            reporter: url(row, "reporter")?,
            content: row.try_get("content")?,
            objects: objects.lines().filter_map(|l| Url::parse(l).ok()).collect(),
            received_at: row.try_get("received_at")?,
            resolved_at: row.try_get("resolved_at")?,
        })
    })
    .collect()
}

pub async fn resolve(store: &Store, id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE reports SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL")
            .bind(id)
            .bind(now_millis())
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}

/// A report this instance sent about a remote object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReport {
    pub id: i64,
    pub ap_id: Url,
    pub object: Url,
    pub content: String,
    pub sent_at: i64,
}

pub async fn insert_sent(
    conn: &mut AnyConnection,
    ap_id: &Url,
    object: &Url,
    content: &str,
) -> Result<SentReport> {
    let sent_at = now_millis();
    let id: i64 = sqlx::query(
        "INSERT INTO sent_reports (ap_id, object, content, sent_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(ap_id.as_str())
    .bind(object.as_str())
    .bind(content)
    .bind(sent_at)
    .fetch_one(conn)
    .await?
    .try_get(0)?;
    Ok(SentReport {
        id,
        ap_id: ap_id.clone(),
        object: object.clone(),
        content: content.to_owned(),
        sent_at,
    })
}

/// Newest first.
pub async fn sent(store: &Store, limit: i64) -> Result<Vec<SentReport>> {
    sqlx::query(
        "SELECT id, ap_id, object, content, sent_at FROM sent_reports \
         ORDER BY sent_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(SentReport {
            id: row.try_get("id")?,
            ap_id: url(row, "ap_id")?,
            object: url(row, "object")?,
            content: row.try_get("content")?,
            sent_at: row.try_get("sent_at")?,
        })
    })
    .collect()
}
