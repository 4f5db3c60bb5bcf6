//! Pages of the API's listings that grow with the years (calls, strikes,
//! actions, campaigns; the audit log has its own cursor, an entry's number,
//! and the same header):
//! `?limit=` (1 to [`MOST`], [`USUAL`] if not given) and `?before=` (where
//! the next page starts), with the next page's address in a
//! `Link: <...>; rel="next"` header, as Mastodon's API gives it; the last page
//! has none. Rows published meanwhile do not shift the pages.

use crate::{AppError, AppState};
use axum::http::{header, HeaderMap, HeaderValue};
use serde::Deserialize;
use unionhall_store::After;

/// The most rows one page holds.
pub(crate) const MOST: u32 = 200;
/// How many rows a page holds unless `?limit=` says otherwise.
pub(crate) const USUAL: u32 = 100;

/// The query of a listing that takes nothing but its page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    limit: Option<u32>,
    before: Option<String>,
}

impl PageQuery {
    pub(crate) fn paging(&self) -> Result<Paging, AppError> {
        Paging::of(self.limit, self.before.as_deref())
    }
}

/// The page a request asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub after: Option<After>,
    pub limit: u32,
}

impl Paging {
    /// Reads `?limit=` and `?before=`; a 400 naming the parameter if either
    /// is not what a client could have been given.
    pub(crate) fn of(limit: Option<u32>, before: Option<&str>) -> Result<Self, AppError> {
        let limit = limit.unwrap_or(USUAL);
        if !(1..=MOST).contains(&limit) {
            return Err(bad(format!("limit: must be from 1 to {MOST}")));
        }
        let after = before.map(cursor).transpose()?;
        Ok(Self { after, limit })
    }

    /// The `Link` header to the page after this one, whose rows (as read,
    /// before any were left out for the reader) numbered `read`, after
    /// `last` (published at, id: of a row the reader may read, so that the
    /// address names nothing else); none if this page was the last.
    /// `params` are the request's other parameters, kept on the next page.
    pub(crate) fn next(
        &self,
        state: &AppState,
        path: &str,
        params: &[(&str, Option<&str>)],
        read: usize,
        last: Option<(i64, i64)>,
    ) -> HeaderMap {
        match last.filter(|_| read >= self.limit as usize) {
            Some((published_at, id)) => {
                let mut params = params.to_vec();
                let (limit, before) = (self.limit.to_string(), cursor_of(published_at, id));
                params.extend([
                    ("limit", Some(limit.as_str())),
                    ("before", Some(before.as_str())),
                ]);
                link_to_next(state, path, &params)
            }
            None => HeaderMap::new(),
        }
    }
}

/// A `Link: <...>; rel="next"` header to `path` with `params` (those given),
/// at this instance's public address.
pub(crate) fn link_to_next(
    state: &AppState,
    path: &str,
    params: &[(&str, Option<&str>)],
) -> HeaderMap {
    let mut url = state.config.public_url.clone();
    url.set_path(path);
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
        headers.insert(header::LINK, value);
    }
    headers
}

/// `1700000000000.42`: published at, then id, as [`Paging::next`] writes it
/// (and [`cursor_of`]).
pub(crate) fn cursor(text: &str) -> Result<After, AppError> {
    let parsed = text
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.parse::<i64>().ok()?)));
    match parsed {
        Some((published_at, id)) if id > 0 => Ok(After { published_at, id }),
        _ => Err(bad(
            "before: must be where a page ends, as the Link header of the page before gives it \
             (such as 1700000000000.42)"
                .into(),
        )),
    }
}

/// `1700000000000.https://a.example/objects/1`: where a page of posts ends,
/// as [`post_cursor_of`] writes it (posts have no number: their id breaks
/// ties of time).
pub(crate) fn post_cursor(text: &str) -> Result<unionhall_store::posts::PostCursor, AppError> {
    let parsed = text.split_once('.').and_then(|(at, id)| {
        let id = url::Url::parse(id).ok()?;
        Some((at.parse::<i64>().ok()?, id.to_string()))
    });
    match parsed {
        Some((published_at, ap_id)) => Ok(unionhall_store::posts::PostCursor {
            published_at,
            ap_id,
        }),
        None => Err(bad(
            "before: must be where a page of updates ends, as the link to the next page gives it"
                .into(),
        )),
    }
}

/// Where the page after `cursor` starts, for a `before` parameter.
pub(crate) fn post_cursor_of(cursor: &unionhall_store::posts::PostCursor) -> String {
    format!("{}.{}", cursor.published_at, cursor.ap_id)
}

/// Where the page after the row published at `published_at` with `id` starts.
pub(crate) fn cursor_of(published_at: i64, id: i64) -> String {
    format!("{published_at}.{id}")
}

fn bad(message: String) -> AppError {
    AppError::BadRequest {
        code: "bad_query",
        message,
    }
}
