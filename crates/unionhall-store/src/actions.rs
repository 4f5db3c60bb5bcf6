//! Coordinated actions and the chapters' answers to them.

use crate::database::now_millis;
use crate::rows::{self, corrupt, flag, url, After, Arg};
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use unionhall_domain::ActionStatus;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    pub id: i64,
    pub ap_id: Url,
    pub author: Url,
    pub record: String,
    pub status: ActionStatus,
    /// Received copies: the tally as JSON, as the body last published it.
    pub tally: String,
    pub is_local: bool,
    pub published_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, ap_id, author, record, status, tally, is_local, published_at, updated_at";

fn from_row(row: &AnyRow) -> Result<ActionRow> {
    Ok(ActionRow {
        id: row.try_get("id")?,
        ap_id: url(row, "ap_id")?,
        author: url(row, "author")?,
        record: row.try_get("record")?,
        status: ActionStatus::parse(&row.try_get::<String, _>("status")?).map_err(corrupt)?,
        tally: row.try_get("tally")?,
        is_local: flag(row, "is_local")?,
        published_at: row.try_get("published_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// What a new or changed action holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionWrite<'a> {
    pub ap_id: &'a Url,
    pub author: &'a Url,
    pub record: &'a str,
    pub status: ActionStatus,
    pub tally: &'a str,
    pub is_local: bool,
    /// Ours: now. Received: the sender's `updated` (older versions are ignored).
    pub updated_at: i64,
}

/// Inserts an action, or replaces the one with this id if `author` proposed it
/// and this version is not older. Returns the local id; None if nothing was
/// written.
pub async fn upsert(conn: &mut AnyConnection, action: &ActionWrite<'_>) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO actions (ap_id, author, record, status, tally, is_local, published_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (ap_id) DO UPDATE SET record = excluded.record, status = excluded.status, \
         tally = excluded.tally, updated_at = excluded.updated_at \
         WHERE actions.author = excluded.author AND actions.is_local = excluded.is_local \
         AND actions.updated_at <= excluded.updated_at \
         RETURNING id",
    )
    .bind(action.ap_id.as_str())
    .bind(action.author.as_str())
    .bind(action.record)
    .bind(action.status.as_str())
    .bind(action.tally)
    .bind(i64::from(action.is_local))
    .bind(action.updated_at)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(r.try_get("id")?)).transpose()
}

/// Marks an action changed (its tally moved), so the next version sent is newer.
pub async fn touch(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE actions SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_status(conn: &mut AnyConnection, id: i64, status: ActionStatus) -> Result<()> {
    sqlx::query("UPDATE actions SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<ActionRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM actions WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<ActionRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM actions WHERE ap_id = $1"))
        .bind(ap_id.as_str())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The actions still being decided (proposed), newest first: what boards
/// show, not every action ever coordinated.
pub async fn proposed(store: &Store) -> Result<Vec<ActionRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM actions WHERE status = 'proposed' \
         ORDER BY published_at DESC, id DESC"
    ))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A page of every action, newest first: at most `limit`, after `after`
/// (the API's listing).
pub async fn page(store: &Store, after: Option<After>, limit: u32) -> Result<Vec<ActionRow>> {
    let every = ("1 = 1", Arg::None);
    rows::newest_page(store, ("actions", COLUMNS), every, after, limit, from_row).await
}

/// One body's actions, newest first: its page.
pub async fn by_author(store: &Store, author: &Url) -> Result<Vec<ActionRow>> {
    let by = Arg::Text(author.as_str());
    rows::newest_where(store, ("actions", COLUMNS), "author = $1", by, from_row).await
}

/// A body's actions that are not called off, oldest first: what a newly
/// admitted member is sent.
pub async fn standing_of(conn: &mut AnyConnection, body: &Url) -> Result<Vec<ActionRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM actions WHERE author = $1 AND is_local = 1 \
         AND status <> 'called_off' ORDER BY published_at, id"
    ))
    .bind(body.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A chapter's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    pub chapter: Url,
    pub answer: String,
    pub people: i64,
    pub sent_at: i64,
}

/// Records a chapter's answer unless a newer one is stored; true if it changed.
pub async fn set_answer(
    conn: &mut AnyConnection,
    action_id: i64,
    answer: &AnswerRow,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO action_answers (action_id, chapter, answer, people, sent_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (action_id, chapter) DO UPDATE SET \
         answer = excluded.answer, people = excluded.people, sent_at = excluded.sent_at \
         WHERE action_answers.sent_at < excluded.sent_at",
    )
    .bind(action_id)
    .bind(answer.chapter.as_str())
    .bind(&answer.answer)
    .bind(answer.people)
    .bind(answer.sent_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Which of `chapters` have answered which actions: (action id, chapter), in
/// one query.
pub async fn answered_by(store: &Store, chapters: &[Url]) -> Result<Vec<(i64, Url)>> {
    if chapters.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT action_id, chapter FROM action_answers WHERE chapter IN ({})",
        crate::rows::params(1, chapters.len())
    );
    let mut query = sqlx::query(&sql);
    for chapter in chapters {
        query = query.bind(chapter.as_str());
    }
    query
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("action_id")?, url(row, "chapter")?)))
        .collect()
}

pub async fn answers(conn: &mut AnyConnection, action_id: i64) -> Result<Vec<AnswerRow>> {
    sqlx::query(
        "SELECT chapter, answer, people, sent_at FROM action_answers WHERE action_id = $1 \
         ORDER BY chapter",
    )
    .bind(action_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(AnswerRow {
            chapter: url(row, "chapter")?,
            answer: row.try_get("answer")?,
            people: row.try_get("people")?,
            sent_at: row.try_get("sent_at")?,
        })
    })
    .collect()
}
