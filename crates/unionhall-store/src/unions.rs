//! Industrial union bodies and their member chapters: the body's side (who
//! applied, who is in) and the chapter's side (which bodies it belongs to).

use crate::database::now_millis;
use crate::rows::url;
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

/// A membership, seen from either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub body: Url,
    pub chapter: Url,
    pub join_id: Url,
    pub accepted_at: Option<i64>,
    pub created_at: i64,
}

fn from_row(row: &AnyRow) -> Result<Membership> {
    Ok(Membership {
        body: url(row, "body")?,
        chapter: url(row, "chapter")?,
        join_id: url(row, "join_id")?,
        accepted_at: row.try_get("accepted_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Which side's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The body's record of its members (`union_members`).
    Body,
    /// A chapter's record of its bodies (`union_memberships`).
    Chapter,
}

impl Side {
    fn table(self) -> &'static str {
        match self {
            Self::Body => "union_members",
            Self::Chapter => "union_memberships",
        }
    }
}

/// Records an application (again, if it was refused or left before).
pub async fn apply(
    conn: &mut AnyConnection,
    side: Side,
    body: &Url,
    chapter: &Url,
    join_id: &Url,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO {} (body, chapter, join_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
        side.table()
    ))
    .bind(body.as_str())
    .bind(chapter.as_str())
    .bind(join_id.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// Admits a chapter; false if it had not applied.
pub async fn accept(
    conn: &mut AnyConnection,
    side: Side,
    body: &Url,
    chapter: &Url,
) -> Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET accepted_at = $3 WHERE body = $1 AND chapter = $2",
        side.table()
    ))
    .bind(body.as_str())
    .bind(chapter.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends a membership or an application (refused, left); false if there was none.
pub async fn remove(
    conn: &mut AnyConnection,
    side: Side,
    body: &Url,
    chapter: &Url,
) -> Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM {} WHERE body = $1 AND chapter = $2",
        side.table()
    ))
    .bind(body.as_str())
    .bind(chapter.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn get(
    conn: &mut AnyConnection,
    side: Side,
    body: &Url,
    chapter: &Url,
) -> Result<Option<Membership>> {
    sqlx::query(&format!(
        "SELECT body, chapter, join_id, accepted_at, created_at FROM {} \
         WHERE body = $1 AND chapter = $2",
        side.table()
    ))
    .bind(body.as_str())
    .bind(chapter.as_str())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Whether `chapter` is an admitted member of `body`, as `side` records it.
pub async fn is_admitted(
    conn: &mut AnyConnection,
    side: Side,
    body: &Url,
    chapter: &Url,
) -> Result<bool> {
    Ok(get(conn, side, body, chapter)
        .await?
        .is_some_and(|m| m.accepted_at.is_some()))
}

/// The chapter that sent the Join `join_id` to `body`, on the chapter's side.
pub async fn by_join_id(
    conn: &mut AnyConnection,
    body: &Url,
    join_id: &Url,
) -> Result<Option<Membership>> {
    sqlx::query(
        "SELECT body, chapter, join_id, accepted_at, created_at FROM union_memberships \
         WHERE body = $1 AND join_id = $2",
    )
    .bind(body.as_str())
    .bind(join_id.as_str())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// A body's applicants and members, on the body's side.
pub async fn members_of(conn: &mut AnyConnection, body: &Url) -> Result<Vec<Membership>> {
    sqlx::query(
        "SELECT body, chapter, join_id, accepted_at, created_at FROM union_members \
         WHERE body = $1 ORDER BY created_at",
    )
    .bind(body.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The bodies a chapter of ours belongs or applied to.
pub async fn bodies_of(store: &Store, chapter: &Url) -> Result<Vec<Membership>> {
    bodies_of_in(&mut *store.acquire().await?, chapter).await
}

/// [`bodies_of`] inside a write transaction.
pub async fn bodies_of_in(conn: &mut AnyConnection, chapter: &Url) -> Result<Vec<Membership>> {
    sqlx::query(
        "SELECT body, chapter, join_id, accepted_at, created_at FROM union_memberships \
         WHERE chapter = $1 ORDER BY created_at",
    )
    .bind(chapter.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Where our chapters stand with a union body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// At least one chapter of ours is an admitted member.
    Admitted,
    /// Chapters of ours have applied; none is admitted yet.
    Applied,
    /// No chapter of ours has anything to do with it.
    Stranger,
}

pub async fn our_standing_with(store: &Store, body: &Url) -> Result<Standing> {
    let row =
        sqlx::query("SELECT COUNT(*), COUNT(accepted_at) FROM union_memberships WHERE body = $1")
            .bind(body.as_str())
            .fetch_one(store.pool())
            .await?;
    let (applied, admitted): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    Ok(match (applied, admitted) {
        (_, 1..) => Standing::Admitted,
        (1.., _) => Standing::Applied,
        _ => Standing::Stranger,
    })
}

/// Whether any chapter of ours is an admitted member of `body`.
pub async fn we_belong_to(store: &Store, body: &Url) -> Result<bool> {
    let count: i64 = sqlx::query(
        "SELECT COUNT(*) FROM union_memberships WHERE body = $1 AND accepted_at IS NOT NULL",
    )
    .bind(body.as_str())
    .fetch_one(store.pool())
    .await?
    .try_get(0)?;
    Ok(count > 0)
}
