//! Notes published by our chapters and received from the ones we follow.

use crate::database::now_millis;
use crate::rows::{flag, url};
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub ap_id: Url,
    pub author: Url,
    pub content: String,
    pub public: bool,
    pub is_local: bool,
    pub published_at: i64,
    pub updated_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// A campaign update: the campaign it belongs to.
    pub campaign: Option<Url>,
}

const COLUMNS: &str =
    "ap_id, author, content, public, is_local, published_at, updated_at, deleted_at, campaign";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Post> {
    Ok(Post {
        ap_id: url(row, "ap_id")?,
        author: url(row, "author")?,
        content: row.try_get("content")?,
        public: flag(row, "public")?,
        is_local: flag(row, "is_local")?,
        published_at: row.try_get("published_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
        campaign: crate::rows::opt_url(row, "campaign")?,
    })
}

/// Inserts a post, or updates the content of one by the same author. A post id
/// owned by another author is left alone: false is returned.
pub async fn upsert(conn: &mut AnyConnection, post: &Post) -> Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO posts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $8) \
         ON CONFLICT (ap_id) DO UPDATE SET content = excluded.content, updated_at = $7 \
         WHERE posts.author = excluded.author AND posts.is_local = excluded.is_local \
         AND posts.deleted_at IS NULL"
    ))
    .bind(post.ap_id.as_str())
    .bind(post.author.as_str())
    .bind(&post.content)
    .bind(i64::from(post.public))
    .bind(i64::from(post.is_local))
    .bind(post.published_at)
    .bind(now_millis())
    .bind(post.campaign.as_ref().map(Url::as_str))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_ap_id(store: &Store, ap_id: &Url) -> Result<Option<Post>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM posts WHERE ap_id = $1"))
        .bind(ap_id.as_str())
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// An author's posts, newest first, deleted ones left out.
pub async fn by_author(store: &Store, author: &Url) -> Result<Vec<Post>> {
    newest_by_author(store, author, false, Newest::Published, i64::MAX).await
}

/// Which time "newest" goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newest {
    /// When it was published: the order pages list posts in.
    Published,
    /// When it last changed (published, or edited since): a feed's order.
    Changed,
}

/// The newest `limit` posts of one author, not deleted (only the public ones
/// if `public_only`), through the author index: a chapter's page and feed,
/// and a community's posts on the board, read the latest, not every post it
/// has made over the years.
pub async fn newest_by_author(
    store: &Store,
    author: &Url,
    public_only: bool,
    newest: Newest,
    limit: i64,
) -> Result<Vec<Post>> {
    let public = if public_only { "AND public = 1" } else { "" };
    let time = match newest {
        Newest::Published => "published_at",
        Newest::Changed => "COALESCE(updated_at, published_at)",
    };
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE author = $1 AND deleted_at IS NULL {public} \
         ORDER BY {time} DESC LIMIT $2"
    ))
    .bind(author.as_str())
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The newest posts received from other instances, for the admin's feed.
pub async fn recent_remote(store: &Store, limit: i64) -> Result<Vec<Post>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE is_local = 0 AND deleted_at IS NULL \
         ORDER BY published_at DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A campaign's updates, newest first.
/// The newest updates of every campaign `account_id` follows, at most `limit`
/// (one query, for the home board).
pub async fn of_campaigns_followed_by(
    store: &Store,
    account_id: i64,
    limit: i64,
) -> Result<Vec<Post>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM posts WHERE deleted_at IS NULL AND campaign IN \
         (SELECT campaigns.ap_id FROM campaigns JOIN campaign_follows \
          ON campaign_follows.campaign_id = campaigns.id WHERE campaign_follows.account_id = $1) \
         ORDER BY published_at DESC LIMIT $2"
    ))
    .bind(account_id)
    .bind(limit)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Where a page of posts ends: the last one's publication time and id
/// (posts have no number; their id breaks ties of time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCursor {
    pub published_at: i64,
    pub ap_id: String,
}

impl PostCursor {
    pub fn of(post: &Post) -> Self {
        Self {
            published_at: post.published_at,
            ap_id: post.ap_id.to_string(),
        }
    }
}

/// A page of a campaign's updates, newest first: at most `limit`, after
/// `after` if given.
pub async fn of_campaign(
    store: &Store,
    campaign: &Url,
    after: Option<&PostCursor>,
    limit: u32,
) -> Result<Vec<Post>> {
    let page = match after {
        Some(_) => {
            "AND (published_at < $2 OR (published_at = $2 AND ap_id < $3)) \
                    ORDER BY published_at DESC, ap_id DESC LIMIT $4"
        }
        None => "ORDER BY published_at DESC, ap_id DESC LIMIT $2",
    };
    let sql =
        format!("SELECT {COLUMNS} FROM posts WHERE campaign = $1 AND deleted_at IS NULL {page}");
    let mut query = sqlx::query(&sql).bind(campaign.as_str());
    if let Some(after) = after {
        query = query.bind(after.published_at).bind(after.ap_id.as_str());
    }
    query
        .bind(i64::from(limit))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// How many updates a campaign has.
pub async fn count_of_campaign(store: &Store, campaign: &Url) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE campaign = $1 AND deleted_at IS NULL")
            .bind(campaign.as_str())
            .fetch_one(store.pool())
            .await?,
    )
}
