//! Reading typed values out of rows: URLs and timestamps are checked here, once,
//! so that the rest of the code never re-parses a string.

use crate::{Error, Result};
use sqlx::any::AnyRow;
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

pub(crate) fn url(row: &AnyRow, column: &str) -> Result<Url> {
    let text: String = row.try_get(column)?;
    Url::parse(&text).map_err(|err| Error::Corrupt(format!("{column} {text:?}: {err}")))
}

pub(crate) fn opt_url(row: &AnyRow, column: &str) -> Result<Option<Url>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| Url::parse(&t).map_err(|err| Error::Corrupt(format!("{column} {t:?}: {err}"))))
        .transpose()
}

pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}
