//! Member records and their one-on-one logs, as sealed blobs. This module never
//! sees a name or a phone number: sealing and opening happen in unionhall-members,
//! so that no plaintext member data can reach a query, a log line or an index.

use crate::database::now_millis;
use crate::rows::url;
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use url::Url;

/// Ciphertext and the id of the key that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// Seals and opens data for the row named by `context`: the member-data key
/// ring of unionhall-members. The federation crate is given one to keep local
/// actors' private keys sealed (`actors::keys_context`).
pub trait Sealer: Send + Sync {
    fn seal(&self, context: &str, plaintext: &[u8]) -> std::result::Result<Sealed, String>;
    fn open(&self, context: &str, sealed: &Sealed) -> std::result::Result<Vec<u8>, String>;
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({}, {} bytes)", self.key_id, self.bytes.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub id: i64,
    pub chapter: Url,
    pub sealed: Sealed,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOnOneRow {
    pub id: i64,
    pub member_id: i64,
    pub sealed: Sealed,
    pub created_at: i64,
}

pub(crate) fn sealed(row: &AnyRow) -> Result<Sealed> {
    Ok(Sealed {
        key_id: row.try_get("key_id")?,
        bytes: row.try_get("sealed")?,
    })
}

fn member_from_row(row: &AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        id: row.try_get("id")?,
        chapter: url(row, "chapter")?,
        sealed: sealed(row)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn one_on_one_from_row(row: &AnyRow) -> Result<OneOnOneRow> {
    Ok(OneOnOneRow {
        id: row.try_get("id")?,
        member_id: row.try_get("member_id")?,
        sealed: sealed(row)?,
        created_at: row.try_get("created_at")?,
    })
}

const MEMBER_COLUMNS: &str = "id, chapter, key_id, sealed, created_at, updated_at";
const ONE_ON_ONE_COLUMNS: &str = "id, member_id, key_id, sealed, created_at";

/// Adds a record; `seal` gets the new row's id, because the id is bound into the
/// ciphertext (a blob moved to another row no longer opens).
pub async fn insert<F>(conn: &mut AnyConnection, chapter: &Url, seal: F) -> Result<i64>
where
    F: FnOnce(i64) -> Sealed,
{
    let now = now_millis();
    // Reserve the row with an empty blob, then seal with its id: one transaction.
    let id: i64 = sqlx::query(
        "INSERT INTO members (chapter, key_id, sealed, created_at, updated_at) \
         VALUES ($1, '', $2, $3, $3) RETURNING id",
    )
    .bind(chapter.as_str())
    .bind(Vec::<u8>::new())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let sealed = seal(id);
    sqlx::query("UPDATE members SET key_id = $2, sealed = $3 WHERE id = $1")
        .bind(id)
        .bind(&sealed.key_id)
        .bind(sealed.bytes)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Replaces a record's sealed data; false if there is no such record in `chapter`.
pub async fn update(
    conn: &mut AnyConnection,
    chapter: &Url,
    id: i64,
    sealed: &Sealed,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE members SET key_id = $3, sealed = $4, updated_at = $5 \
         WHERE id = $1 AND chapter = $2",
    )
    .bind(id)
    .bind(chapter.as_str())
    .bind(&sealed.key_id)
    .bind(sealed.bytes.clone())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a record and, by cascade, its one-on-ones and pending invites.
pub async fn erase(conn: &mut AnyConnection, chapter: &Url, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM members WHERE id = $1 AND chapter = $2")
        .bind(id)
        .bind(chapter.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn get(store: &Store, chapter: &Url, id: i64) -> Result<Option<MemberRow>> {
    sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 AND chapter = $2"
    ))
    .bind(id)
    .bind(chapter.as_str())
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(member_from_row)
    .transpose()
}

/// A record, locked (on PostgreSQL) for a rewrite in the caller's transaction,
/// so that a change made from what it holds loses no one else's.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    chapter: &Url,
    id: i64,
) -> Result<Option<MemberRow>> {
    let lock = if crate::rows::is_postgres(conn) {
        " FOR UPDATE"
    } else {
        ""
    };
    sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 AND chapter = $2{lock}"
    ))
    .bind(id)
    .bind(chapter.as_str())
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(member_from_row)
    .transpose()
}

/// A record by id alone, for its own member's account.
pub async fn by_id(store: &Store, id: i64) -> Result<Option<MemberRow>> {
    sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .as_ref()
    .map(member_from_row)
    .transpose()
}

/// A chapter's whole roster, oldest first. Filtering happens after opening: the
/// database cannot see the fields.
pub async fn of_chapter(store: &Store, chapter: &Url) -> Result<Vec<MemberRow>> {
    sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE chapter = $1 ORDER BY id"
    ))
    .bind(chapter.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(member_from_row)
    .collect()
}

pub async fn add_one_on_one<F>(conn: &mut AnyConnection, member_id: i64, seal: F) -> Result<i64>
where
    F: FnOnce(i64) -> Sealed,
{
    let id: i64 = sqlx::query(
        "INSERT INTO one_on_ones (member_id, key_id, sealed, created_at) \
         VALUES ($1, '', $2, $3) RETURNING id",
    )
    .bind(member_id)
    .bind(Vec::<u8>::new())
    .bind(now_millis())
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let sealed = seal(id);
    sqlx::query("UPDATE one_on_ones SET key_id = $2, sealed = $3 WHERE id = $1")
        .bind(id)
        .bind(&sealed.key_id)
        .bind(sealed.bytes)
        .execute(conn)
        .await?;
    Ok(id)
}

/// A member's one-on-one log, oldest first.
pub async fn one_on_ones(store: &Store, member_id: i64) -> Result<Vec<OneOnOneRow>> {
    sqlx::query(&format!(
        "SELECT {ONE_ON_ONE_COLUMNS} FROM one_on_ones WHERE member_id = $1 ORDER BY id"
    ))
    .bind(member_id)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(one_on_one_from_row)
    .collect()
}

/// The ids of the keys that sealed anything, to check at start that each is
/// still configured.
pub async fn key_ids_in_use(store: &Store) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT key_id FROM members WHERE key_id <> '' \
         UNION SELECT key_id FROM one_on_ones WHERE key_id <> '' \
         UNION SELECT key_id FROM totp \
         UNION SELECT key_id FROM relationships WHERE key_id <> '' \
         UNION SELECT key_id FROM assignments WHERE key_id <> '' \
         UNION SELECT key_id FROM structure_tests WHERE key_id <> '' \
         UNION SELECT key_id FROM account_links \
         UNION SELECT key_id FROM actor_keys",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>(0)?))
        .collect()
}

/// Which table a sealed row lives in, for key rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    Members,
    OneOnOnes,
    /// Second-factor secrets; the id is the account's.
    Totp,
    Relationships,
    /// A chapter's assignments (one row per chapter).
    Assignments,
    StructureTests,
    /// Which record an account is; the id is the account's.
    AccountLinks,
    /// The private keys of local actors.
    ActorKeys,
    /// Accounts' email addresses; the id is the account's.
    AccountEmails,
}

impl SealedTable {
    fn name(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::OneOnOnes => "one_on_ones",
            Self::Totp => "totp",
            Self::Relationships => "relationships",
            Self::Assignments => "assignments",
            Self::StructureTests => "structure_tests",
            Self::AccountLinks => "account_links",
            Self::ActorKeys => "actor_keys",
            Self::AccountEmails => "account_emails",
        }
    }

    fn id_column(self) -> &'static str {
        match self {
            Self::AccountEmails => "account_id",
            _ => "id",
        }
    }
}

/// Up to `limit` rows of `table` not sealed with `current_key`: (id, sealed).
pub async fn sealed_with_other_keys(
    conn: &mut AnyConnection,
    table: SealedTable,
    current_key: &str,
    limit: i64,
) -> Result<Vec<(i64, Sealed)>> {
    sqlx::query(&format!(
        "SELECT {id} AS id, key_id, sealed FROM {} WHERE key_id <> $1 ORDER BY {id} LIMIT $2",
        table.name(),
        id = table.id_column(),
    ))
    .bind(current_key)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("id")?, sealed(row)?)))
    .collect()
}

/// Stores a row's data sealed again under another key (rotation; no timestamp
/// changes, the content is the same).
pub async fn reseal(
    conn: &mut AnyConnection,
    table: SealedTable,
    id: i64,
    sealed: &Sealed,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE {} SET key_id = $2, sealed = $3 WHERE {} = $1",
        table.name(),
        table.id_column(),
    ))
    .bind(id)
    .bind(&sealed.key_id)
    .bind(sealed.bytes.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// The member a one-on-one belongs to (its sealing context names both).
pub async fn member_of_one_on_one(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    Ok(
        sqlx::query("SELECT member_id FROM one_on_ones WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?
            .try_get(0)?,
    )
}

/// How many one-on-ones a chapter's records have, and the newest's number:
/// it changes whenever one is logged or deleted (with its record), and they
/// are never edited, so the same pair means the same conversations.
pub async fn one_on_ones_fingerprint(store: &Store, chapter: &Url) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(MAX(o.id), 0) AS newest \
         FROM one_on_ones o JOIN members m ON m.id = o.member_id WHERE m.chapter = $1",
    )
    .bind(chapter.as_str())
    .fetch_one(store.pool())
    .await?;
    Ok((row.try_get("n")?, row.try_get("newest")?))
}

/// Every one-on-one of a chapter's members, for the roster's "last
/// conversation" order (the date is sealed, so they are opened to sort).
pub async fn one_on_ones_of_chapter(store: &Store, chapter: &Url) -> Result<Vec<OneOnOneRow>> {
    sqlx::query(
        "SELECT o.id, o.member_id, o.key_id, o.sealed, o.created_at \
         FROM one_on_ones o JOIN members m ON m.id = o.member_id \
         WHERE m.chapter = $1",
    )
    .bind(chapter.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(one_on_one_from_row)
    .collect()
}
