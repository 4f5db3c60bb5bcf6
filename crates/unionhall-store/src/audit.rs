//! The audit log: append-only (database triggers refuse UPDATE and DELETE), so
//! this module offers only `append` and reads.

use crate::database::now_millis;
use crate::rows::opt_url;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub username: String,
    pub group: Option<Url>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// What to write; `id` and `at` are given by the database and the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry<'a> {
    pub account_id: Option<i64>,
    pub username: &'a str,
    pub group: Option<&'a Url>,
    pub action: &'a str,
    pub subject: String,
    pub detail: String,
}

/// Appends inside the caller's transaction, so the change and its record commit
/// together or not at all.
pub async fn append(conn: &mut AnyConnection, entry: &NewAuditEntry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, account_id, username, grp, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_millis())
    .bind(entry.account_id)
    .bind(entry.username)
    .bind(entry.group.map(Url::as_str))
    .bind(entry.action)
    .bind(&entry.subject)
    .bind(&entry.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which entries about a group to read: those about one `subject` if given
/// ("member 12"), older than entry `before` if given, `limit` at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading<'a> {
    pub subject: Option<&'a str>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// Entries about one group, newest first, as `reading` says (through the
/// indexes of migration 37, however long the log has grown).
pub async fn of_group(
    store: &Store,
    group: &Url,
    reading: &Reading<'_>,
) -> Result<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT id, at, account_id, username, grp, action, subject, detail FROM audit_log \
         WHERE grp = $1",
    );
    let mut next = 2;
    if reading.subject.is_some() {
        sql.push_str(&format!(" AND subject = ${next}"));
        next += 1;
    }
    if reading.before.is_some() {
        sql.push_str(&format!(" AND id < ${next}"));
        next += 1;
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${next}"));
    let mut query = sqlx::query(&sql).bind(group.as_str());
    if let Some(subject) = reading.subject {
        query = query.bind(subject);
    }
    if let Some(before) = reading.before {
        query = query.bind(before);
    }
    query
        .bind(reading.limit)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                account_id: row.try_get("account_id")?,
                username: row.try_get("username")?,
                group: opt_url(row, "grp")?,
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
