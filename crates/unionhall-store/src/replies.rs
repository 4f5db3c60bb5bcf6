//! Replies from anywhere on the fediverse to one of our objects (a Lemmy
//! comment on a call, a Mastodon reply): kept to be shown to the chapter's
//! own members and counted, never sent on.

use crate::rows::url;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

/// One reply, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ap_id: Url,
    pub author: Url,
    /// HTML as its author's server sent it: pages show only its text.
    pub content: String,
    pub published_at: i64,
}

/// Stores `reply` to `object`, or its newer text if its author edits it.
/// False if it was there with the same text already.
pub async fn upsert(conn: &mut AnyConnection, object: &Url, reply: &Reply) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO replies (ap_id, in_reply_to, author, content, published_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (ap_id) DO UPDATE SET content = excluded.content \
         WHERE replies.author = excluded.author AND replies.content <> excluded.content",
    )
    .bind(reply.ap_id.as_str())
    .bind(object.as_str())
    .bind(reply.author.as_str())
    .bind(&reply.content)
    .bind(reply.published_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes `ap_id` if `author` wrote it. True if there was one.
pub async fn delete(conn: &mut AnyConnection, ap_id: &Url, author: &Url) -> Result<bool> {
    let done = sqlx::query("DELETE FROM replies WHERE ap_id = $1 AND author = $2")
        .bind(ap_id.as_str())
        .bind(author.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The replies to `object`, oldest first, at most `limit`, and how many there
/// are in all.
pub async fn to(store: &Store, object: &Url, limit: i64) -> Result<(i64, Vec<Reply>)> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM replies WHERE in_reply_to = $1")
        .bind(object.as_str())
        .fetch_one(store.pool())
        .await?;
    let rows = sqlx::query(
        "SELECT ap_id, author, content, published_at FROM replies \
         WHERE in_reply_to = $1 ORDER BY published_at, ap_id LIMIT $2",
    )
    .bind(object.as_str())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let replies = rows
        .iter()
        .map(|row| {
            Ok(Reply {
                ap_id: url(row, "ap_id")?,
                author: url(row, "author")?,
                content: row.try_get("content")?,
                published_at: row.try_get("published_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((total, replies))
}

/// What `ap_id` replies to, if it is a reply we hold (a comment on a comment
/// belongs to the same thread).
pub async fn thread_of(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<Url>> {
    let row = sqlx::query("SELECT in_reply_to FROM replies WHERE ap_id = $1")
        .bind(ap_id.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|row| url(&row, "in_reply_to")).transpose()
}
