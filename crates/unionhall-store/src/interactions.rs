//! Likes, dislikes, shares and joins of our objects by anyone on the fediverse (the
//! federation crate's `activities/interaction.rs`): one row per actor, object
//! and kind, so that a repeat changes nothing and an Undo takes back exactly
//! what its actor did. Only counts leave this module for pages and the wire.

use crate::rows::url;
use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

/// What was done with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Like,
    /// A downvote (Lemmy's `Dislike`).
    Dislike,
    Share,
    /// "I'll be there": a Join or Accept of a call's event.
    Join,
    /// "I might come": a TentativeAccept of a call's event (Friendica's
    /// "maybe"). Not counted among the people coming; told of the call's
    /// changes as those who joined are.
    Maybe,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Dislike => "dislike",
            Self::Share => "share",
            Self::Join => "join",
            Self::Maybe => "maybe",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        match word {
            "like" => Some(Self::Like),
            "dislike" => Some(Self::Dislike),
            "share" => Some(Self::Share),
            "join" => Some(Self::Join),
            "maybe" => Some(Self::Maybe),
            _ => None,
        }
    }
}

/// How many of each an object has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub likes: i64,
    pub dislikes: i64,
    pub shares: i64,
    pub joins: i64,
    pub maybes: i64,
}

/// Records that `actor` did `kind` with `object` by `activity`. False if it
/// had already (a repeat, or the same done again by another activity).
pub async fn add(
    conn: &mut AnyConnection,
    object: &Url,
    kind: Kind,
    actor: &Url,
    activity: &Url,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO interactions (object, kind, actor, activity, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object, kind, actor) DO NOTHING",
    )
    .bind(object.as_str())
    .bind(kind.as_str())
    .bind(actor.as_str())
    .bind(activity.as_str())
    .bind(crate::now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes back `actor`'s `kind` of `object`. True if there was one.
pub async fn remove(
    conn: &mut AnyConnection,
    object: &Url,
    kind: Kind,
    actor: &Url,
) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM interactions WHERE object = $1 AND kind = $2 AND actor = $3")
            .bind(object.as_str())
            .bind(kind.as_str())
            .bind(actor.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes back what `actor` did by `activity` (an Undo names the activity):
/// the object and kind it was, if any.
pub async fn remove_by_activity(
    conn: &mut AnyConnection,
    activity: &Url,
    actor: &Url,
) -> Result<Option<(Url, Kind)>> {
    let row = sqlx::query(
        "DELETE FROM interactions WHERE activity = $1 AND actor = $2 RETURNING object, kind",
    )
    .bind(activity.as_str())
    .bind(actor.as_str())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    let object = url(&row, "object")?;
    Ok(Kind::parse(&kind).map(|kind| (object, kind)))
}

pub async fn count(conn: &mut AnyConnection, object: &Url, kind: Kind) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM interactions WHERE object = $1 AND kind = $2",
    )
    .bind(object.as_str())
    .bind(kind.as_str())
    .fetch_one(conn)
    .await?)
}

/// The counts of one object (zero each if it has none).
pub async fn counts_of(store: &Store, object: &Url) -> Result<Counts> {
    let rows =
        sqlx::query("SELECT kind, COUNT(*) AS n FROM interactions WHERE object = $1 GROUP BY kind")
            .bind(object.as_str())
            .fetch_all(store.pool())
            .await?;
    let mut counts = Counts::default();
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let n: i64 = row.try_get("n")?;
        match Kind::parse(&kind) {
            Some(Kind::Like) => counts.likes = n,
            Some(Kind::Dislike) => counts.dislikes = n,
            Some(Kind::Share) => counts.shares = n,
            Some(Kind::Join) => counts.joins = n,
            Some(Kind::Maybe) => counts.maybes = n,
            None => {}
        }
    }
    Ok(counts)
}

/// The inboxes of those who joined `object` or said they might come (shared
/// inboxes once each), for the call's later Updates: the actors as cached,
/// those unknown left out.
pub async fn joined_inboxes(conn: &mut AnyConnection, object: &Url) -> Result<Vec<Url>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) AS inbox FROM interactions i \
         JOIN actors a ON a.ap_id = i.actor WHERE i.object = $1 AND i.kind IN ('join', 'maybe')",
    )
    .bind(object.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| url(row, "inbox")).collect()
}
