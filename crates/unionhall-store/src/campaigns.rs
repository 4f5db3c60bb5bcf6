//! Campaigns, ours and those of chapters we follow, and which local accounts
//! follow them.

use crate::database::now_millis;
use crate::rows::{self, flag, url, After, Arg};
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: i64,
    pub ap_id: Url,
    pub author: Url,
    pub record: String,
    pub is_local: bool,
    pub published_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, ap_id, author, record, is_local, published_at, updated_at";

fn from_row(row: &AnyRow) -> Result<CampaignRow> {
    Ok(CampaignRow {
        id: row.try_get("id")?,
        ap_id: url(row, "ap_id")?,
        author: url(row, "author")?,
        record: row.try_get("record")?,
        is_local: flag(row, "is_local")?,
        published_at: row.try_get("published_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a campaign published at `published_at` (Unix ms), or replaces the
/// one with this id if `author` wrote it (its publication time stays).
/// Returns the local id; None if the id belongs to another author.
pub async fn upsert(
    conn: &mut AnyConnection,
    ap_id: &Url,
    author: &Url,
    record: &str,
    is_local: bool,
    published_at: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO campaigns (ap_id, author, record, is_local, published_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ap_id) DO UPDATE SET \
         record = excluded.record, updated_at = excluded.updated_at \
         WHERE campaigns.author = excluded.author \
         AND campaigns.is_local = excluded.is_local RETURNING id",
    )
    .bind(ap_id.as_str())
    .bind(author.as_str())
    .bind(record)
    .bind(i64::from(is_local))
    .bind(published_at)
    .bind(now_millis())
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(r.try_get("id")?)).transpose()
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<CampaignRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<CampaignRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM campaigns WHERE ap_id = $1"))
        .bind(ap_id.as_str())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A page of every campaign, newest first: at most `limit`, after `after`
/// (the API's listing).
pub async fn page(store: &Store, after: Option<After>, limit: u32) -> Result<Vec<CampaignRow>> {
    let every = ("1 = 1", Arg::None);
    rows::newest_page(store, ("campaigns", COLUMNS), every, after, limit, from_row).await
}

/// One chapter's campaigns, newest first: its public page.
pub async fn by_author(store: &Store, author: &Url) -> Result<Vec<CampaignRow>> {
    let by = Arg::Text(author.as_str());
    rows::newest_where(store, ("campaigns", COLUMNS), "author = $1", by, from_row).await
}

pub async fn follow(store: &Store, account_id: i64, campaign_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO campaign_follows (account_id, campaign_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(campaign_id)
    .bind(now_millis())
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn unfollow(store: &Store, account_id: i64, campaign_id: i64) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM campaign_follows WHERE account_id = $1 AND campaign_id = $2")
            .bind(account_id)
            .bind(campaign_id)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}

/// The campaigns an account follows.
pub async fn followed_by(store: &Store, account_id: i64) -> Result<Vec<CampaignRow>> {
    sqlx::query(
        "SELECT campaigns.id, campaigns.ap_id, campaigns.author, campaigns.record, \
         campaigns.is_local, campaigns.published_at, campaigns.updated_at FROM campaigns \
         JOIN campaign_follows ON campaign_follows.campaign_id = campaigns.id \
         WHERE campaign_follows.account_id = $1 ORDER BY campaigns.id",
    )
    .bind(account_id)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}
