//! Reading typed values out of rows: URLs and timestamps are checked here, once,
//! so that the rest of the code never re-parses a string.

use crate::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use sqlx::Row;
use url::Url;

/// `$first, $first+1, ...`: `count` numbered parameters, for an IN list or a
/// row of VALUES (both backends take the `$n` form through sqlx's Any driver).
pub(crate) fn params(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `conn` is to PostgreSQL (else SQLite), for the few statements whose
/// text differs.
pub(crate) fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().to_lowercase().contains("postgres")
}

/// Rows sent as one parameter: `param` is bound to a JSON array of rows, each
/// row a JSON array of its columns ([`json_param`]), read as `value->>0`,
/// `value->>1`, ... (text; `CAST(value->>n AS BIGINT)` for numbers), and
/// `key`, which orders them as they were given.
///
/// For many rows written or matched at once: the statement is the same
/// whatever their number, so it is prepared once, and there is one parameter
/// to bind, where SQLite finds each of many numbered parameters by a scan of
/// all of them (queueing a 10,000-inbox fan-out with 4,000 numbered
/// parameters a statement took 0.19 s; with one JSON parameter, 0.04 s).
/// An `INSERT ... SELECT` from it with `ON CONFLICT` needs a `WHERE` (SQLite's
/// grammar), `WHERE true` at least.
pub(crate) fn json_rows(conn: &AnyConnection, param: &str) -> String {
    if is_postgres(conn) {
        format!("json_array_elements({param}::json) WITH ORDINALITY AS json_rows(value, key)")
    } else {
        format!("json_each({param})")
    }
}

/// The JSON text of rows for [`json_rows`]: tuples become arrays.
pub(crate) fn json_param<T: serde::Serialize>(rows: &[T]) -> Result<String> {
    serde_json::to_string(rows).map_err(|err| Error::Sql(sqlx::Error::Encode(Box::new(err))))
}

pub(crate) fn url(row: &AnyRow, column: &str) -> Result<Url> {
    let text: String = row.try_get(column)?;
    Url::parse(&text).map_err(|err| Error::Corrupt(format!("{column} {text:?}: {err}")))
}

pub(crate) fn opt_url(row: &AnyRow, column: &str) -> Result<Option<Url>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| Url::parse(&t).map_err(|err| Error::Corrupt(format!("{column} {t:?}: {err}"))))
        .transpose()
}

/// A stored word the domain does not take: the database holds what this
/// version never wrote.
pub(crate) fn corrupt(err: unionhall_domain::DomainError) -> crate::Error {
    crate::Error::Corrupt(err.to_string())
}

pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// What a listing's condition binds as `$1` (and `$2`), if anything.
pub(crate) enum Arg<'a> {
    None,
    Time(i64),
    Text(&'a str),
    TextAndTime(&'a str, i64),
}

impl<'a> Arg<'a> {
    /// How many parameters it binds.
    fn count(&self) -> usize {
        match self {
            Self::None => 0,
            Self::Time(_) | Self::Text(_) => 1,
            Self::TextAndTime(..) => 2,
        }
    }

    fn bind(
        self,
        query: sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>>,
    ) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>> {
        match self {
            Self::None => query,
            Self::Time(at) => query.bind(at),
            Self::Text(text) => query.bind(text),
            Self::TextAndTime(text, at) => query.bind(text).bind(at),
        }
    }
}

/// Where a page of a listing, newest published first, goes on from: just
/// after the row published at `published_at` with `id` (the last one of the
/// page before). Rows published meanwhile do not shift the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub published_at: i64,
    pub id: i64,
}

/// A page of the rows of `table` that match `condition` (SQL, `$1` bound to
/// `arg`; say `deleted_at IS NULL` where rows are deleted softly), newest
/// published first: at most `limit` rows, after `after` if given.
pub(crate) async fn newest_page<T>(
    store: &crate::Store,
    (table, columns): (&str, &str),
    (condition, arg): (&str, Arg<'_>),
    after: Option<After>,
    limit: u32,
    from_row: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    // The condition's own parameters come first; the page's next.
    let first = arg.count() + 1;
    let page = match after {
        Some(_) => format!(
            "AND (published_at < ${first} OR (published_at = ${first} AND id < ${})) \
             ORDER BY published_at DESC, id DESC LIMIT ${}",
            first + 1,
            first + 2
        ),
        None => format!("ORDER BY published_at DESC, id DESC LIMIT ${first}"),
    };
    let sql = format!("SELECT {columns} FROM {table} WHERE ({condition}) {page}");
    let query = arg.bind(sqlx::query(&sql));
    let query = match after {
        Some(after) => query.bind(after.published_at).bind(after.id),
        None => query,
    };
    query
        .bind(i64::from(limit))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The rows of `table` that match `condition` (SQL, `$1` bound to `arg`; say
/// `deleted_at IS NULL` where rows are deleted softly), newest published
/// first, read by `from_row`: the listings of calls, strikes, actions and
/// campaigns, each narrowed by an index.
pub(crate) async fn newest_where<T>(
    store: &crate::Store,
    (table, columns): (&str, &str),
    condition: &str,
    arg: Arg<'_>,
    from_row: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {condition} ORDER BY published_at DESC, id DESC"
    );
    arg.bind(sqlx::query(&sql))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}
