//! The workplace chart's rows: relationships, a chapter's assignments and
//! structure tests, as sealed blobs (sealing and opening happen in
//! unionhall-members). Which member is linked to whom lives inside the blobs.

use crate::database::now_millis;
use crate::members::Sealed;
use crate::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

/// A sealed row of one of the chart's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    pub id: i64,
    pub sealed: Sealed,
    pub created_at: i64,
}

fn sealed_row(row: &AnyRow, created: &str) -> Result<SealedRow> {
    Ok(SealedRow {
        id: row.try_get("id")?,
        sealed: Sealed {
            key_id: row.try_get("key_id")?,
            bytes: row.try_get("sealed")?,
        },
        created_at: row.try_get(created)?,
    })
}

/// `FOR UPDATE` on PostgreSQL (a read that the same transaction will rewrite);
/// SQLite's write transactions hold the whole database already.
fn lock(conn: &AnyConnection) -> &'static str {
    if crate::rows::is_postgres(conn) {
        " FOR UPDATE"
    } else {
        ""
    }
}

/// The chart's tables with sealed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Relationships,
    StructureTests,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Relationships => "relationships",
            Self::StructureTests => "structure_tests",
        }
    }

    fn created(self) -> &'static str {
        "created_at"
    }
}

/// Inserts a row with an empty blob, then seals with its id (bound into the
/// ciphertext), in the caller's transaction.
async fn insert_sealed<F>(
    conn: &mut AnyConnection,
    table: Table,
    chapter: &Url,
    seal: F,
) -> Result<i64>
where
    F: FnOnce(i64) -> Sealed,
{
    let now = now_millis();
    let sql = match table {
        Table::Relationships => {
            "INSERT INTO relationships (chapter, key_id, sealed, created_at) \
             VALUES ($1, '', $2, $3) RETURNING id"
        }
        Table::StructureTests => {
            "INSERT INTO structure_tests (chapter, key_id, sealed, created_at, updated_at) \
             VALUES ($1, '', $2, $3, $3) RETURNING id"
        }
    };
    let id: i64 = sqlx::query(sql)
        .bind(chapter.as_str())
        .bind(Vec::<u8>::new())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?;
    let sealed = seal(id);
    sqlx::query(&format!(
        "UPDATE {} SET key_id = $2, sealed = $3 WHERE id = $1",
        table.name()
    ))
    .bind(id)
    .bind(&sealed.key_id)
    .bind(sealed.bytes)
    .execute(conn)
    .await?;
    Ok(id)
}

async fn of_chapter(
    conn: &mut AnyConnection,
    table: Table,
    chapter: &Url,
    for_update: bool,
) -> Result<Vec<SealedRow>> {
    let lock = if for_update { lock(conn) } else { "" };
    sqlx::query(&format!(
        "SELECT id, key_id, sealed, {created} FROM {table} WHERE chapter = $1 ORDER BY id{lock}",
        created = table.created(),
        table = table.name(),
    ))
    .bind(chapter.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| sealed_row(row, table.created()))
    .collect()
}

async fn delete(conn: &mut AnyConnection, table: Table, chapter: &Url, id: i64) -> Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM {} WHERE id = $1 AND chapter = $2",
        table.name()
    ))
    .bind(id)
    .bind(chapter.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

// Relationships.

pub async fn insert_relationship<F>(conn: &mut AnyConnection, chapter: &Url, seal: F) -> Result<i64>
where
    F: FnOnce(i64) -> Sealed,
{
    insert_sealed(conn, Table::Relationships, chapter, seal).await
}

/// Every relationship of a chapter, oldest first (filtering by member happens
/// after opening). `for_update` locks them for a rewrite in this transaction.
pub async fn relationships(
    conn: &mut AnyConnection,
    chapter: &Url,
    for_update: bool,
) -> Result<Vec<SealedRow>> {
    of_chapter(conn, Table::Relationships, chapter, for_update).await
}

/// False if there is no such relationship in `chapter`.
pub async fn delete_relationship(conn: &mut AnyConnection, chapter: &Url, id: i64) -> Result<bool> {
    delete(conn, Table::Relationships, chapter, id).await
}

// Assignments: one sealed row per chapter.

/// The chapter's sealed assignments, `(row id, sealed)`, locked for a rewrite
/// when `for_update`; `None` before the first assignment.
pub async fn assignments(
    conn: &mut AnyConnection,
    chapter: &Url,
    for_update: bool,
) -> Result<Option<(i64, Sealed)>> {
    let lock = if for_update { lock(conn) } else { "" };
    sqlx::query(&format!(
        "SELECT id, key_id, sealed FROM assignments WHERE chapter = $1{lock}"
    ))
    .bind(chapter.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok((
            row.try_get("id")?,
            Sealed {
                key_id: row.try_get("key_id")?,
                bytes: row.try_get("sealed")?,
            },
        ))
    })
    .transpose()
}

/// The id of the chapter's assignments row, made (empty) if there is none yet,
/// and locked for this transaction on PostgreSQL.
pub async fn assignments_row(conn: &mut AnyConnection, chapter: &Url) -> Result<i64> {
    sqlx::query(
        "INSERT INTO assignments (chapter, key_id, sealed, updated_at) VALUES ($1, '', $2, $3) \
         ON CONFLICT (chapter) DO NOTHING",
    )
    .bind(chapter.as_str())
    .bind(Vec::<u8>::new())
    .bind(now_millis())
    .execute(&mut *conn)
    .await?;
    let lock = lock(conn);
    Ok(sqlx::query(&format!(
        "SELECT id FROM assignments WHERE chapter = $1{lock}"
    ))
    .bind(chapter.as_str())
    .fetch_one(conn)
    .await?
    .try_get("id")?)
}

pub async fn store_assignments(conn: &mut AnyConnection, id: i64, sealed: &Sealed) -> Result<()> {
    sqlx::query("UPDATE assignments SET key_id = $2, sealed = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(&sealed.key_id)
        .bind(sealed.bytes.clone())
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

// Structure tests.

pub async fn insert_structure_test<F>(
    conn: &mut AnyConnection,
    chapter: &Url,
    seal: F,
) -> Result<i64>
where
    F: FnOnce(i64) -> Sealed,
{
    insert_sealed(conn, Table::StructureTests, chapter, seal).await
}

/// Every structure test of a chapter, oldest first.
pub async fn structure_tests(
    conn: &mut AnyConnection,
    chapter: &Url,
    for_update: bool,
) -> Result<Vec<SealedRow>> {
    of_chapter(conn, Table::StructureTests, chapter, for_update).await
}

/// One structure test, locked for a rewrite when `for_update`.
pub async fn structure_test(
    conn: &mut AnyConnection,
    chapter: &Url,
    id: i64,
    for_update: bool,
) -> Result<Option<SealedRow>> {
    let lock = if for_update { lock(conn) } else { "" };
    sqlx::query(&format!(
        "SELECT id, key_id, sealed, created_at FROM structure_tests \
         WHERE id = $1 AND chapter = $2{lock}"
    ))
    .bind(id)
    .bind(chapter.as_str())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(|row| sealed_row(row, "created_at"))
    .transpose()
}

pub async fn update_structure_test(
    conn: &mut AnyConnection,
    id: i64,
    sealed: &Sealed,
) -> Result<()> {
    sqlx::query(
        "UPDATE structure_tests SET key_id = $2, sealed = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(&sealed.key_id)
    .bind(sealed.bytes.clone())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_structure_test(
    conn: &mut AnyConnection,
    chapter: &Url,
    id: i64,
) -> Result<bool> {
    delete(conn, Table::StructureTests, chapter, id).await
}
