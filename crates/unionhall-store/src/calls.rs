//! Calls for support, the per-chapter pledge totals a calling chapter collects,
//! and members' own pledges.

use crate::database::now_millis;
use crate::rows::{self, corrupt, flag, url, After, Arg};
use crate::{Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use unionhall_domain::{Audience, CallStatus};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub id: i64,
    pub ap_id: Url,
    pub author: Url,
    /// The call as JSON (the domain's `CallForSupport`).
    pub record: String,
    pub status: CallStatus,
    /// Who it is for, with the chapters or body it names.
    pub audience: Audience,
    /// A picket shift: the strike it belongs to.
    pub strike: Option<Url>,
    pub pledged: Totals,
    pub is_local: bool,
    pub published_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// Pledge totals as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub people: i64,
    pub amount: i64,
    pub actions: i64,
}

const COLUMNS: &str =
    "id, ap_id, author, record, status, audience, addressees, strike, pledged_people, \
    pledged_amount, pledged_actions, is_local, published_at, updated_at, deleted_at";

fn from_row(row: &AnyRow) -> Result<CallRow> {
    let addressees: String = row.try_get("addressees")?;
    let addressees = addressees
        .lines()
        .filter_map(|l| Url::parse(l).ok())
        .collect();
    let audience: String = row.try_get("audience")?;
    let status: String = row.try_get("status")?;
    Ok(CallRow {
        id: row.try_get("id")?,
        ap_id: url(row, "ap_id")?,
        author: url(row, "author")?,
        record: row.try_get("record")?,
        status: CallStatus::parse(&status).map_err(corrupt)?,
        audience: Audience::from_parts(&audience, addressees).map_err(corrupt)?,
        strike: crate::rows::opt_url(row, "strike")?,
        pledged: Totals {
            people: row.try_get("pledged_people")?,
            amount: row.try_get("pledged_amount")?,
            actions: row.try_get("pledged_actions")?,
        },
        is_local: flag(row, "is_local")?,
        published_at: row.try_get("published_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// What a new or changed call holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallWrite<'a> {
    pub ap_id: &'a Url,
    pub author: &'a Url,
    pub record: &'a str,
    pub status: CallStatus,
    pub audience: &'a Audience,
    pub strike: Option<&'a Url>,
    pub pledged: Totals,
    pub is_local: bool,
    /// Ours: now. Received: the sender's `updated`, so that an older version
    /// delivered late changes nothing.
    pub updated_at: i64,
    /// When its time is over (`CallForSupport::over_at`); None: never.
    pub over_at: Option<i64>,
}

/// Inserts a call, or replaces the one with this id if `author` wrote it and
/// this version is not older than the stored one. Returns the local id; None if
/// nothing was written (another author's id, deleted, or an older version).
pub async fn upsert(conn: &mut AnyConnection, call: &CallWrite<'_>) -> Result<Option<i64>> {
    let now = call.updated_at;
    let addressees: Vec<&str> = call.audience.addressees().iter().map(Url::as_str).collect();
    let row = sqlx::query(
        "INSERT INTO calls (ap_id, author, record, status, audience, addressees, pledged_people, \
         pledged_amount, pledged_actions, is_local, published_at, updated_at, strike, over_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13) \
         ON CONFLICT (ap_id) DO UPDATE SET record = excluded.record, status = excluded.status, \
         over_at = excluded.over_at, \
         audience = excluded.audience, addressees = excluded.addressees, \
         pledged_people = excluded.pledged_people, pledged_amount = excluded.pledged_amount, \
         pledged_actions = excluded.pledged_actions, updated_at = excluded.updated_at \
         WHERE calls.author = excluded.author AND calls.is_local = excluded.is_local \
         AND calls.deleted_at IS NULL \
         AND calls.updated_at <= excluded.updated_at RETURNING id",
    )
    .bind(call.ap_id.as_str())
    .bind(call.author.as_str())
    .bind(call.record)
    .bind(call.status.as_str())
    .bind(call.audience.as_str())
    .bind(addressees.join("\n"))
    .bind(call.pledged.people)
    .bind(call.pledged.amount)
    .bind(call.pledged.actions)
    .bind(i64::from(call.is_local))
    .bind(now)
    .bind(call.strike.map(Url::as_str))
    .bind(call.over_at)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(r.try_get("id")?)).transpose()
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<CallRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM calls WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_ap_id(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<CallRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM calls WHERE ap_id = $1"))
        .bind(ap_id.as_str())
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The picket shifts of a strike, in order.
pub async fn shifts_of(conn: &mut AnyConnection, strike: &Url) -> Result<Vec<CallRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM calls WHERE strike = $1 AND deleted_at IS NULL ORDER BY id"
    ))
    .bind(strike.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Sets the status of a call (a strike's shifts close with it).
pub async fn set_status(conn: &mut AnyConnection, id: i64, status: CallStatus) -> Result<()> {
    sqlx::query("UPDATE calls SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(now_millis())
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a call to `to` only if it is still as `seen` was read (its status
/// and its last change): false if another process, or an organizer moving
/// its time, changed it first, so that what they wrote is not overwritten
/// with what was read before. The row stays locked to the caller's
/// transaction until it ends.
pub async fn move_status(conn: &mut AnyConnection, seen: &CallRow, to: CallStatus) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE calls SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 \
         AND updated_at = $5 AND deleted_at IS NULL",
    )
    .bind(seen.id)
    .bind(seen.status.as_str())
    .bind(to.as_str())
    .bind(now_millis())
    .bind(seen.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The calls not deleted that match `condition`, newest first.
async fn newest_where(store: &Store, condition: &str, arg: Arg<'_>) -> Result<Vec<CallRow>> {
    let live = format!("deleted_at IS NULL AND ({condition})");
    rows::newest_where(store, ("calls", COLUMNS), &live, arg, from_row).await
}

/// Every call not deleted, newest first.
pub async fn all(store: &Store) -> Result<Vec<CallRow>> {
    newest_where(store, "1 = 1", Arg::None).await
}

/// A page of the calls not deleted, with `status` if given, newest first:
/// at most `limit`, after `after` (the API's listing, through the status and
/// published-time indexes however many calls this instance has held).
pub async fn page(
    store: &Store,
    status: Option<CallStatus>,
    after: Option<After>,
    limit: u32,
) -> Result<Vec<CallRow>> {
    let condition = match status {
        Some(status) => (
            "deleted_at IS NULL AND status = $1",
            Arg::Text(status.as_str()),
        ),
        None => ("deleted_at IS NULL", Arg::None),
    };
    rows::newest_page(store, ("calls", COLUMNS), condition, after, limit, from_row).await
}

/// The calls a member's calendar lists: those still taking pledges, and
/// those that closed (or were withdrawn) after `since`: the recent past, not
/// every call ever held.
pub async fn for_calendars(store: &Store, since: i64) -> Result<Vec<CallRow>> {
    let condition = "status IN ('open', 'met') OR updated_at > $1";
    newest_where(store, condition, Arg::Time(since)).await
}

/// The calls published after `since`, not deleted, newest first: news.
pub async fn published_since(store: &Store, since: i64) -> Result<Vec<CallRow>> {
    newest_where(store, "published_at > $1", Arg::Time(since)).await
}

/// The calls of one chapter, not deleted, newest first (through the author
/// index: a chapter's feed and calendar do not read everyone's calls).
pub async fn by_author(store: &Store, author: &Url) -> Result<Vec<CallRow>> {
    newest_where(store, "author = $1", Arg::Text(author.as_str())).await
}

/// Every open call (not met, withdrawn or closed; not deleted) whose time is
/// not over at `now`, newest first: what boards show, read through the
/// status index however many calls this instance has held over the years,
/// and however many a server elsewhere never closed.
pub async fn open(store: &Store, now: i64) -> Result<Vec<CallRow>> {
    let condition = "status = 'open' AND (over_at IS NULL OR over_at > $1)";
    newest_where(store, condition, Arg::Time(now)).await
}

/// The open calls of one chapter whose time is not over at `now`, newest
/// first: its public page.
pub async fn open_by(store: &Store, author: &Url, now: i64) -> Result<Vec<CallRow>> {
    let condition = "author = $1 AND status = 'open' AND (over_at IS NULL OR over_at > $2)";
    newest_where(store, condition, Arg::TextAndTime(author.as_str(), now)).await
}

/// This instance's own calls that still take pledges (open or met), for the
/// job that closes those whose time is over.
pub async fn local_standing(store: &Store) -> Result<Vec<CallRow>> {
    let condition = "status IN ('open', 'met') AND is_local = 1";
    newest_where(store, condition, Arg::None).await
}

/// Records a chapter's totals for a call unless a newer report is stored.
/// True if it changed something.
pub async fn set_chapter_totals(
    conn: &mut AnyConnection,
    call_id: i64,
    chapter: &Url,
    totals: Totals,
    sent_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO call_totals (call_id, chapter, people, amount, actions, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_id, chapter) DO UPDATE SET \
         people = excluded.people, amount = excluded.amount, actions = excluded.actions, \
         sent_at = excluded.sent_at WHERE call_totals.sent_at < excluded.sent_at",
    )
    .bind(call_id)
    .bind(chapter.as_str())
    .bind(totals.people)
    .bind(totals.amount)
    .bind(totals.actions)
    .bind(sent_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Each pledging chapter's totals for a call, by chapter id.
pub async fn chapter_totals(conn: &mut AnyConnection, call_id: i64) -> Result<Vec<(Url, Totals)>> {
    sqlx::query(
        "SELECT chapter, people, amount, actions FROM call_totals WHERE call_id = $1 \
         ORDER BY chapter",
    )
    .bind(call_id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            url(row, "chapter")?,
            Totals {
                people: row.try_get("people")?,
                amount: row.try_get("amount")?,
                actions: row.try_get("actions")?,
            },
        ))
    })
    .collect()
}

/// Sets the running total shown on a call (after its chapter recomputed it).
pub async fn set_pledged(conn: &mut AnyConnection, call_id: i64, totals: Totals) -> Result<()> {
    sqlx::query(
        "UPDATE calls SET pledged_people = $2, pledged_amount = $3, pledged_actions = $4, \
         updated_at = $5 WHERE id = $1",
    )
    .bind(call_id)
    .bind(totals.people)
    .bind(totals.amount)
    .bind(totals.actions)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

/// A member's pledge: `kind` is attend, give or act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeRow {
    pub kind: String,
    pub amount: i64,
}

/// Sets (or replaces) an account's pledge for a call through a chapter.
pub async fn set_pledge(
    conn: &mut AnyConnection,
    call_id: i64,
    chapter: &Url,
    account_id: i64,
    pledge: &PledgeRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pledges (call_id, chapter, account_id, kind, amount, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (call_id, chapter, account_id) \
         DO UPDATE SET kind = excluded.kind, amount = excluded.amount",
    )
    .bind(call_id)
    .bind(chapter.as_str())
    .bind(account_id)
    .bind(&pledge.kind)
    .bind(pledge.amount)
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_pledge(
    conn: &mut AnyConnection,
    call_id: i64,
    chapter: &Url,
    account_id: i64,
) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM pledges WHERE call_id = $1 AND chapter = $2 AND account_id = $3")
            .bind(call_id)
            .bind(chapter.as_str())
            .bind(account_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// All pledges made through one chapter toward one call (to add up).
pub async fn pledges_of_chapter(
    conn: &mut AnyConnection,
    call_id: i64,
    chapter: &Url,
) -> Result<Vec<PledgeRow>> {
    sqlx::query("SELECT kind, amount FROM pledges WHERE call_id = $1 AND chapter = $2")
        .bind(call_id)
        .bind(chapter.as_str())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok(PledgeRow {
                kind: row.try_get("kind")?,
                amount: row.try_get("amount")?,
            })
        })
        .collect()
}

/// An account's own pledges toward a call: (chapter, pledge).
pub async fn pledges_of_account(
    store: &Store,
    call_id: i64,
    account_id: i64,
) -> Result<Vec<(Url, PledgeRow)>> {
    sqlx::query("SELECT chapter, kind, amount FROM pledges WHERE call_id = $1 AND account_id = $2")
        .bind(call_id)
        .bind(account_id)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                url(row, "chapter")?,
                PledgeRow {
                    kind: row.try_get("kind")?,
                    amount: row.try_get("amount")?,
                },
            ))
        })
        .collect()
}

/// Who pledged through one chapter toward one call: (account id, username,
/// pledge), oldest first. Local accounts only: pledges never leave the
/// instance by name.
pub async fn pledgers(
    store: &Store,
    call_id: i64,
    chapter: &Url,
) -> Result<Vec<(i64, String, PledgeRow)>> {
    sqlx::query(
        "SELECT p.account_id, a.username, p.kind, p.amount FROM pledges p \
         JOIN accounts a ON a.id = p.account_id \
         WHERE p.call_id = $1 AND p.chapter = $2 ORDER BY p.created_at, a.username",
    )
    .bind(call_id)
    .bind(chapter.as_str())
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("account_id")?,
            row.try_get("username")?,
            PledgeRow {
                kind: row.try_get("kind")?,
                amount: row.try_get("amount")?,
            },
        ))
    })
    .collect()
}
