//! Notes received from followed chapters, written many to a statement: the
//! inbox's writer (group commit) stores a batch of them in one transaction with
//! a handful of statements, not two per note.
//!
//! The outcome of each note is what it would have been written alone and in
//! order: an activity id seen before changes nothing; a note whose id belongs
//! to another author (or was deleted) is refused and its activity not recorded.

use crate::database::now_millis;
use crate::posts::Post;
use crate::rows::{json_param, json_rows, params};
use crate::Result;
use sqlx::{AnyConnection, Row};
use std::collections::{HashMap, HashSet};
use url::Url;

/// One received activity carrying a note.
#[derive(Debug, Clone)]
pub struct ReceivedNote {
    pub activity: Url,
    pub actor: Url,
    /// The note to keep; None when its author is not followed (the activity id
    /// is still recorded, so a redelivery is recognised).
    pub post: Option<Post>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The activity was received before: nothing changed.
    Seen,
    /// The note's id is another author's, or was deleted: nothing changed.
    NotTheirs,
}

/// Writes `notes` in order inside the caller's transaction.
pub async fn write(conn: &mut AnyConnection, notes: &[ReceivedNote]) -> Result<Vec<Outcome>> {
    let mut outcomes = vec![Outcome::Seen; notes.len()];
    // Of several deliveries of one activity in the batch, the first is written
    // and the others fare as a redelivery of it would.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut firsts = Vec::new();
    for (i, note) in notes.iter().enumerate() {
        if *first_of.entry(note.activity.as_str()).or_insert(i) == i {
            firsts.push(i);
        }
    }
    let recorded = record_ids(conn, notes, &firsts).await?;
    let mut pending = Vec::new();
    for i in firsts {
        if recorded.contains(notes[i].activity.as_str()) {
            match &notes[i].post {
                Some(post) => pending.push((i, post)),
                None => outcomes[i] = Outcome::Stored,
            }
        }
    }
    // One statement per round: a note id twice in the batch waits for the next
    // round, since one statement may not change a row twice.
    let mut refused = Vec::new();
    while !pending.is_empty() {
        let mut ids = HashSet::new();
        let (round, later): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(_, post)| ids.insert(post.ap_id.as_str()));
        let stored = upsert_posts(conn, &round).await?;
        for (i, post) in round {
            if stored.contains(post.ap_id.as_str()) {
                outcomes[i] = Outcome::Stored;
            } else {
                outcomes[i] = Outcome::NotTheirs;
                refused.push(notes[i].activity.as_str());
            }
        }
        pending = later;
    }
    forget_ids(conn, &refused).await?;
    for (i, note) in notes.iter().enumerate() {
        let first = first_of[note.activity.as_str()];
        if first != i && outcomes[first] == Outcome::NotTheirs {
            outcomes[i] = Outcome::NotTheirs;
        }
    }
    Ok(outcomes)
}

/// Records the activity ids; answers those that were new.
async fn record_ids(
    conn: &mut AnyConnection,
    notes: &[ReceivedNote],
    which: &[usize],
) -> Result<HashSet<String>> {
    if which.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "INSERT INTO inbox_seen (ap_id, actor, received_at) \
         SELECT value->>0, value->>1, $2 FROM {} WHERE true \
         ON CONFLICT (ap_id) DO NOTHING RETURNING ap_id",
        json_rows(conn, "$1")
    );
    let rows: Vec<(&str, &str)> = which
        .iter()
        .map(|&i| (notes[i].activity.as_str(), notes[i].actor.as_str()))
        .collect();
    let rows = sqlx::query(&sql)
        .bind(json_param(&rows)?)
        .bind(now_millis())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>("ap_id")?))
        .collect()
}

/// Inserts the posts, or updates those by the same author (a received post's
/// `published_at` is when it came, so an update's time is that); answers the
/// ids written.
async fn upsert_posts(
    conn: &mut AnyConnection,
    posts: &[(usize, &Post)],
) -> Result<HashSet<String>> {
    let sql = format!(
        "INSERT INTO posts (ap_id, author, content, public, is_local, published_at, \
         updated_at, campaign) \
         SELECT value->>0, value->>1, value->>2, CAST(value->>3 AS BIGINT), \
         CAST(value->>4 AS BIGINT), CAST(value->>5 AS BIGINT), NULL, value->>6 \
         FROM {} WHERE true \
         ON CONFLICT (ap_id) DO UPDATE SET content = excluded.content, \
         updated_at = excluded.published_at \
         WHERE posts.author = excluded.author AND posts.deleted_at IS NULL \
         RETURNING ap_id",
        json_rows(conn, "$1")
    );
    let rows: Vec<_> = posts
        .iter()
        .map(|(_, post)| {
            (
                post.ap_id.as_str(),
                post.author.as_str(),
                post.content.as_str(),
                i64::from(post.public),
                i64::from(post.is_local),
                post.published_at,
                post.campaign.as_ref().map(Url::as_str),
            )
        })
        .collect();
    let rows = sqlx::query(&sql)
        .bind(json_param(&rows)?)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>("ap_id")?))
        .collect()
}

/// Un-records the activities of refused notes, as if they had not come.
async fn forget_ids(conn: &mut AnyConnection, activities: &[&str]) -> Result<()> {
    if activities.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM inbox_seen WHERE ap_id IN ({})",
        params(1, activities.len())
    );
    let mut query = sqlx::query(&sql);
    for activity in activities {
        query = query.bind(*activity);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}
