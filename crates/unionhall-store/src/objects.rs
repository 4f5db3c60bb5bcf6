//! What the objects a group publishes share in the store, whatever their kind:
//! who owns one, and deleting it (marked, not removed, so that a late copy
//! cannot bring it back).

use crate::database::now_millis;
use crate::rows::{flag, url};
use crate::Result;
use sqlx::{AnyConnection, Row};
use url::Url;

/// The kinds of object a group publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Call,
    Strike,
    Post,
    Action,
    Campaign,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Self::Call,
        Self::Strike,
        Self::Post,
        Self::Action,
        Self::Campaign,
    ];

    fn table(self) -> &'static str {
        match self {
            Self::Call => "calls",
            Self::Strike => "strikes",
            Self::Post => "posts",
            Self::Action => "actions",
            Self::Campaign => "campaigns",
        }
    }

    /// Whether its author can delete it (actions are called off, campaigns
    /// stay).
    pub fn deletable(self) -> bool {
        matches!(self, Self::Call | Self::Strike | Self::Post)
    }

    fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.table() == name)
    }
}

/// Whose an object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: Kind,
    pub author: Url,
    pub is_local: bool,
}

/// The owner of the object `ap_id`, whatever its kind (one query).
pub async fn owner_of(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<Owner>> {
    let row = sqlx::query(
        "SELECT 'calls' AS kind, author, is_local FROM calls WHERE ap_id = $1 \
         UNION ALL SELECT 'strikes', author, is_local FROM strikes WHERE ap_id = $1 \
         UNION ALL SELECT 'posts', author, is_local FROM posts WHERE ap_id = $1 \
         UNION ALL SELECT 'actions', author, is_local FROM actions WHERE ap_id = $1 \
         UNION ALL SELECT 'campaigns', author, is_local FROM campaigns WHERE ap_id = $1",
    )
    .bind(ap_id.as_str())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    let Some(kind) = Kind::of(&kind) else {
        return Ok(None);
    };
    Ok(Some(Owner {
        kind,
        author: url(&row, "author")?,
        is_local: flag(&row, "is_local")?,
    }))
}

/// Marks `ap_id` of `author` deleted (a post's content is dropped with it).
/// False if there was nothing of theirs left to delete.
pub async fn delete(
    conn: &mut AnyConnection,
    kind: Kind,
    ap_id: &Url,
    author: &Url,
) -> Result<bool> {
    let content = if kind == Kind::Post {
        ", content = ''"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "UPDATE {} SET deleted_at = $3{content} \
         WHERE ap_id = $1 AND author = $2 AND deleted_at IS NULL",
        kind.table()
    ))
    .bind(ap_id.as_str())
    .bind(author.as_str())
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
