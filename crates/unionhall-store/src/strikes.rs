//! Strikes, ours and those received from the chapters we follow.

use crate::rows::{self, corrupt, flag, url, After, Arg};
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use unionhall_domain::StrikeStatus;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrikeRow {
    pub id: i64,
    pub ap_id: Url,
    pub author: Url,
    /// The strike as JSON (the domain's `Strike`).
    pub record: String,
    pub status: StrikeStatus,
    pub outcome: String,
    /// The updates followers have seen, as a JSON list.
    pub history: String,
    pub is_local: bool,
    pub published_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

const COLUMNS: &str = "id, ap_id, author, record, status, outcome, history, is_local, \
    published_at, updated_at, deleted_at";

fn from_row(row: &AnyRow) -> Result<StrikeRow> {
    Ok(StrikeRow {
        id: row.try_get("id")?,
        ap_id: url(row, "ap_id")?,
        author: url(row, "author")?,
        record: row.try_get("record")?,
        status: StrikeStatus::parse(&row.try_get::<String, _>("status")?).map_err(corrupt)?,
        outcome: row.try_get("outcome")?,
        history: row.try_get("history")?,
        is_local: flag(row, "is_local")?,
        published_at: row.try_get("published_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrikeWrite<'a> {
    pub ap_id: &'a Url,
    pub author: &'a Url,
    pub record: &'a str,
    pub status: StrikeStatus,
    pub outcome: &'a str,
    pub history: &'a str,
    pub is_local: bool,
    /// Ours: now. Received: the sender's `updated` (older versions are ignored).
    pub updated_at: i64,
}

/// Inserts a strike, or replaces the one with this id if `author` wrote it and
/// this version is not older. Returns the local id; None if nothing was written.
pub async fn upsert(conn: &mut AnyConnection, strike: &StrikeWrite<'_>) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO strikes (ap_id, author, record, status, outcome, history, is_local, \
         published_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (ap_id) DO UPDATE SET record = excluded.record, status = excluded.status, \
         outcome = excluded.outcome, history = excluded.history, updated_at = excluded.updated_at \
         WHERE strikes.author = excluded.author AND strikes.is_local = excluded.is_local \
         AND strikes.deleted_at IS NULL \
         AND strikes.updated_at <= excluded.updated_at RETURNING id",
    )
    .bind(strike.ap_id.as_str())
    .bind(strike.author.as_str())
    .bind(strike.record)
    .bind(strike.status.as_str())
    .bind(strike.outcome)
    .bind(strike.history)
    .bind(i64::from(strike.is_local))
    .bind(strike.updated_at)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(r.try_get("id")?)).transpose()
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<StrikeRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM strikes WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<StrikeRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM strikes WHERE ap_id = $1"))
        .bind(ap_id.as_str())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The strikes not deleted that match `condition`, newest first.
async fn newest_where(store: &Store, condition: &str, arg: Arg<'_>) -> Result<Vec<StrikeRow>> {
    let live = format!("deleted_at IS NULL AND ({condition})");
    rows::newest_where(store, ("strikes", COLUMNS), &live, arg, from_row).await
}

/// The strikes published after `since`, not deleted, newest first: news.
pub async fn published_since(store: &Store, since: i64) -> Result<Vec<StrikeRow>> {
    newest_where(store, "published_at > $1", Arg::Time(since)).await
}

/// The strikes of one chapter, not deleted, newest first (through the
/// author index: a chapter's feed does not read everyone's strikes).
pub async fn by_author(store: &Store, author: &Url) -> Result<Vec<StrikeRow>> {
    newest_where(store, "author = $1", Arg::Text(author.as_str())).await
}

/// The strikes not settled or ended (nor deleted), newest first: what boards
/// show, not every strike ever held.
pub async fn standing(store: &Store) -> Result<Vec<StrikeRow>> {
    newest_where(store, "status NOT IN ('settled', 'ended')", Arg::None).await
}

/// A page of the strikes not deleted, newest first: at most `limit`, after
/// `after` (the API's listing).
pub async fn page(store: &Store, after: Option<After>, limit: u32) -> Result<Vec<StrikeRow>> {
    let condition = ("deleted_at IS NULL", Arg::None);
    rows::newest_page(
        store,
        ("strikes", COLUMNS),
        condition,
        after,
        limit,
        from_row,
    )
    .await
}
