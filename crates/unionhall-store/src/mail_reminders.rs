//! Reminders before pickets (migration 29): which were queued, what each
//! account wants mailed, and the one-click unsubscribe links in the mail.

use crate::{Result, Store};
use sqlx::{AnyConnection, Row};
use url::Url;

/// A pledge to come to a call: what a reminder or a notice of a change is
/// about. `record` is the call as its chapter wrote it (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coming {
    pub account_id: i64,
    pub call_id: i64,
    /// The chapter the pledge was made through, whose reminder hours apply.
    pub chapter: Url,
    pub record: String,
    pub status: String,
    pub deleted: bool,
}

/// Every pledge to come to a call that still stands (open or met), or that
/// changed after `changed_since` (withdrawn, closed or deleted lately, to be
/// told): not the pledges of years past, which every scan would read again.
pub async fn coming(store: &Store, changed_since: i64) -> Result<Vec<Coming>> {
    sqlx::query(
        "SELECT p.account_id, c.id, c.record, c.status, \
         CASE WHEN c.deleted_at IS NULL THEN 0 ELSE 1 END AS deleted, MIN(p.chapter) AS chapter \
         FROM pledges p JOIN calls c ON c.id = p.call_id WHERE p.kind = 'attend' \
         AND ((c.status IN ('open', 'met') AND c.deleted_at IS NULL) \
              OR c.updated_at > $1 OR c.deleted_at > $1) \
         GROUP BY p.account_id, c.id, c.record, c.status, c.deleted_at",
    )
    .bind(changed_since)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(Coming {
            account_id: row.try_get(0)?,
            call_id: row.try_get(1)?,
            record: row.try_get(2)?,
            status: row.try_get(3)?,
            deleted: row.try_get::<i64, _>(4)? != 0,
            chapter: crate::rows::url(row, "chapter")?,
        })
    })
    .collect()
}

/// Records reminder `kind` for the account and call: false if it was already.
pub async fn record(
    conn: &mut AnyConnection,
    account_id: i64,
    call_id: i64,
    kind: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO mail_reminders (account_id, call_id, kind, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, call_id, kind) DO NOTHING",
    )
    .bind(account_id)
    .bind(call_id)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether reminder `kind` for the account and call was recorded already
/// (a read, so that a scan writes only what is new).
pub async fn reminded(
    conn: &mut AnyConnection,
    account_id: i64,
    call_id: i64,
    kind: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM mail_reminders WHERE account_id = $1 AND call_id = $2 AND kind = $3",
    )
    .bind(account_id)
    .bind(call_id)
    .bind(kind)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// What the account last knew of the call, if anything.
pub async fn seen(
    conn: &mut AnyConnection,
    account_id: i64,
    call_id: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT seen FROM mail_call_states WHERE account_id = $1 AND call_id = $2",
    )
    .bind(account_id)
    .bind(call_id)
    .fetch_optional(conn)
    .await?)
}

/// Records what the account now knows of the call. Returns what it knew
/// before if that was different (a change to tell it of), None on first
/// sight or no change; of two processes seeing one change, one gets it.
pub async fn swap_seen(
    conn: &mut AnyConnection,
    account_id: i64,
    call_id: i64,
    seen: &str,
) -> Result<Option<String>> {
    match self::seen(&mut *conn, account_id, call_id).await? {
        None => {
            sqlx::query(
                "INSERT INTO mail_call_states (account_id, call_id, seen) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, call_id) DO NOTHING",
            )
            .bind(account_id)
            .bind(call_id)
            .bind(seen)
            .execute(conn)
            .await?;
            Ok(None)
        }
        Some(old) if old == seen => Ok(None),
        Some(old) => {
            let done = sqlx::query(
                "UPDATE mail_call_states SET seen = $3 \
                 WHERE account_id = $1 AND call_id = $2 AND seen = $4",
            )
            .bind(account_id)
            .bind(call_id)
            .bind(seen)
            .bind(&old)
            .execute(conn)
            .await?;
            Ok((done.rows_affected() > 0).then_some(old))
        }
    }
}

/// A kind of mail each account may turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// Before, and changes to, what it pledged to come to.
    Reminders,
    /// New pledges to its chapters' calls (organizers).
    Pledges,
    /// News (`news_choice` says how often; off is 0).
    News,
}

impl Preference {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminders => "reminders",
            Self::Pledges => "pledges",
            Self::News => "news",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "reminders" => Some(Self::Reminders),
            "pledges" => Some(Self::Pledges),
            "news" => Some(Self::News),
            _ => None,
        }
    }
}

/// A chapter's reminder hours (first, second), if it set them.
pub async fn reminder_hours(store: &Store, group: &Url) -> Result<Option<(i64, i64)>> {
    sqlx::query("SELECT first_hours, second_hours FROM group_reminder_hours WHERE grp = $1")
        .bind(group.as_str())
        .fetch_optional(store.pool())
        .await?
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}

pub async fn set_reminder_hours(store: &Store, group: &Url, first: i64, second: i64) -> Result<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO group_reminder_hours (grp, first_hours, second_hours) VALUES ($1, $2, $3) \
         ON CONFLICT (grp) DO UPDATE SET first_hours = excluded.first_hours, \
         second_hours = excluded.second_hours",
    )
    .bind(group.as_str())
    .bind(first)
    .bind(second)
    .execute(&mut *tx)
    .await?;
    crate::commit(tx).await
}

/// Whether the account was told of action `action_id`'s deadline already.
pub async fn action_told(
    conn: &mut AnyConnection,
    account_id: i64,
    action_id: i64,
) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM mail_action_reminders WHERE account_id = $1 AND action_id = $2")
            .bind(account_id)
            .bind(action_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Records that the account was told of action `action_id`'s deadline:
/// false if it was already.
pub async fn record_action(
    conn: &mut AnyConnection,
    account_id: i64,
    action_id: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO mail_action_reminders (account_id, action_id, created_at) \
         VALUES ($1, $2, $3) ON CONFLICT (account_id, action_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(action_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether the account wants `what` (yes unless it said no).
pub async fn wants(conn: &mut AnyConnection, account_id: i64, what: Preference) -> Result<bool> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM mail_preferences WHERE account_id = $1",
        what.as_str()
    ))
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>(0)? != 0,
        None => true,
    })
}

/// How often the account wants news: 0 never, 1 at once, 2 a daily digest
/// (the default).
pub async fn news_choice(conn: &mut AnyConnection, account_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT news FROM mail_preferences WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => row.try_get(0)?,
        None => 2,
    })
}

pub async fn set_news_choice(
    conn: &mut AnyConnection,
    account_id: i64,
    choice: i64,
    now: i64,
) -> Result<()> {
    set(conn, account_id, Preference::News, choice != 0, now).await?;
    sqlx::query("UPDATE mail_preferences SET news = $2 WHERE account_id = $1")
        .bind(account_id)
        .bind(choice)
        .execute(conn)
        .await?;
    Ok(())
}

/// The hour its daily digest is mailed at, if the account chose one.
pub async fn digest_hour(conn: &mut AnyConnection, account_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT digest_hour FROM mail_preferences WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

pub async fn set_digest_hour(
    conn: &mut AnyConnection,
    account_id: i64,
    hour: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_preferences (account_id, reminders, pledges, news, updated_at) \
         VALUES ($1, 1, 1, 2, $2) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE mail_preferences SET digest_hour = $2, updated_at = $3 WHERE account_id = $1",
    )
    .bind(account_id)
    .bind(hour)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Up to when the account was told the news, and when it was last mailed.
pub async fn news_told(conn: &mut AnyConnection, account_id: i64) -> Result<Option<(i64, i64)>> {
    sqlx::query("SELECT told_until, told_at FROM mail_news WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}

/// Moves what an account was last told of news from `was` (None: nothing
/// yet) to `told_until` at `told_at`, unless another process moved it first:
/// false then, and the caller sends nothing (two processes scanning at once
/// mail it once).
pub async fn swap_news_told(
    conn: &mut AnyConnection,
    account_id: i64,
    was: Option<(i64, i64)>,
    told_until: i64,
    told_at: i64,
) -> Result<bool> {
    let done = match was {
        None => {
            sqlx::query(
                "INSERT INTO mail_news (account_id, told_until, told_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO NOTHING",
            )
            .bind(account_id)
            .bind(told_until)
            .bind(told_at)
            .execute(conn)
            .await?
        }
        Some((until_was, at_was)) => {
            sqlx::query(
                "UPDATE mail_news SET told_until = $2, told_at = $3 \
                 WHERE account_id = $1 AND told_until = $4 AND told_at = $5",
            )
            .bind(account_id)
            .bind(told_until)
            .bind(told_at)
            .bind(until_was)
            .bind(at_was)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Turns `what` on or off for the account (the other kinds keep theirs).
pub async fn set(
    conn: &mut AnyConnection,
    account_id: i64,
    what: Preference,
    on: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_preferences (account_id, reminders, pledges, news, updated_at) \
         VALUES ($1, 1, 1, 2, $2) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE mail_preferences SET {} = $2, updated_at = $3 WHERE account_id = $1",
        what.as_str()
    ))
    .bind(account_id)
    .bind(i64::from(on))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What an organizer was last told of a call's pledges (people, amount,
/// actions), and when.
pub async fn pledges_told(
    conn: &mut AnyConnection,
    account_id: i64,
    call_id: i64,
) -> Result<Option<([i64; 3], i64)>> {
    sqlx::query(
        "SELECT people, amount, actions, told_at FROM mail_pledges_told \
         WHERE account_id = $1 AND call_id = $2",
    )
    .bind(account_id)
    .bind(call_id)
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok((
            [row.try_get(0)?, row.try_get(1)?, row.try_get(2)?],
            row.try_get(3)?,
        ))
    })
    .transpose()
}

/// Moves what an organizer knows of a call's pledges from `was` (None:
/// nothing yet) to `totals`, told at `told_at`, unless another process moved
/// it first: false then, and the caller sends nothing.
pub async fn swap_pledges_told(
    conn: &mut AnyConnection,
    (account_id, call_id): (i64, i64),
    was: Option<([i64; 3], i64)>,
    totals: [i64; 3],
    told_at: i64,
) -> Result<bool> {
    let done = match was {
        None => {
            sqlx::query(
                "INSERT INTO mail_pledges_told \
                 (account_id, call_id, people, amount, actions, told_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, call_id) DO NOTHING",
            )
            .bind(account_id)
            .bind(call_id)
            .bind(totals[0])
            .bind(totals[1])
            .bind(totals[2])
            .bind(told_at)
            .execute(conn)
            .await?
        }
        Some((before, at_was)) => {
            sqlx::query(
                "UPDATE mail_pledges_told SET people = $3, amount = $4, actions = $5, \
                 told_at = $6 WHERE account_id = $1 AND call_id = $2 AND people = $7 \
                 AND amount = $8 AND actions = $9 AND told_at = $10",
            )
            .bind(account_id)
            .bind(call_id)
            .bind(totals[0])
            .bind(totals[1])
            .bind(totals[2])
            .bind(told_at)
            .bind(before[0])
            .bind(before[1])
            .bind(before[2])
            .bind(at_was)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Stores an unsubscribe link's secret hash for `account_id` and `what`.
pub async fn add_unsubscribe(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_id: i64,
    what: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO unsubscribe_links (token_hash, account_id, what, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(what)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whose link it is, and what it turns off.
pub async fn unsubscribe_of(store: &Store, token_hash: &str) -> Result<Option<(i64, String)>> {
    sqlx::query("SELECT account_id, what FROM unsubscribe_links WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(store.pool())
        .await?
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}
