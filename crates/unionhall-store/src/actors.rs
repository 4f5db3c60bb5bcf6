//! Actors: our chapters, bodies and instance actor, and the remote actors we fetched.

use crate::database::now_millis;
use crate::members::Sealed;
use crate::rows::{flag, opt_url, params, url};
use crate::{Error, Result, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use unionhall_domain::ActorKind;
use url::Url;

#[derive(Clone, PartialEq, Eq)]
pub struct ActorRow {
    pub ap_id: Url,
    pub kind: ActorKind,
    pub ap_type: String,
    pub handle: Option<String>,
    pub preferred_username: String,
    pub name: String,
    pub summary: String,
    pub inbox: Url,
    pub shared_inbox: Option<Url>,
    pub followers_url: Option<Url>,
    pub public_key_id: String,
    pub public_key_pem: String,
    /// Local actors only. Never served, never logged.
    pub private_key_pem: Option<String>,
    /// The Ed25519 key of integrity proofs (FEP-521a `assertionMethod`): its
    /// id and public key (multibase), local and remote actors alike.
    pub assertion_key_id: Option<String>,
    pub assertion_public_key: Option<String>,
    /// Local actors only: PKCS#8, base64. Never served, never logged.
    pub assertion_private_key: Option<String>,
    /// Local actors: both private keys, sealed (`actor_keys`, migration 20).
    /// The two fields above are then empty as read; unionhall-federation's
    /// key vault opens this. Never written by the `actors` queries.
    pub sealed_keys: Option<Sealed>,
    pub manually_approves_followers: bool,
    pub is_local: bool,
    pub fetched_at: i64,
    pub created_at: i64,
}

/// Written out by hand so that a private key never reaches a log line.
impl std::fmt::Debug for ActorRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorRow")
            .field("ap_id", &self.ap_id.as_str())
            .field("kind", &self.kind)
            .field("handle", &self.handle)
            .field("inbox", &self.inbox.as_str())
            .field("public_key_id", &self.public_key_id)
            .field(
                "private_key_pem",
                &self.private_key_pem.as_ref().map(|_| "[redacted]"),
            )
            .field("assertion_key_id", &self.assertion_key_id)
            .field(
                "assertion_private_key",
                &self.assertion_private_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "sealed_keys",
                &self.sealed_keys.as_ref().map(|_| "[sealed]"),
            )
            .field("is_local", &self.is_local)
            .finish_non_exhaustive()
    }
}

impl ActorRow {
    /// Where to deliver to this actor: its server's shared inbox when it has one,
    /// so one request reaches everyone there.
    pub fn delivery_inbox(&self) -> &Url {
        self.shared_inbox.as_ref().unwrap_or(&self.inbox)
    }
}

/// What a query reads: the columns of `actors`, and the sealed keys of a local
/// actor (`FROM actors LEFT JOIN actor_keys ON actor_keys.actor = actors.ap_id`).
const SELECTED: &str = "actors.ap_id, kind, ap_type, handle, preferred_username, name, summary, \
    inbox, shared_inbox, followers_url, public_key_id, public_key_pem, private_key_pem, \
    manually_approves_followers, is_local, fetched_at, created_at, assertion_key_id, \
    assertion_public_key, assertion_private_key, \
    actor_keys.key_id AS sealed_key_id, actor_keys.sealed AS sealed_keys";

const FROM: &str = "actors LEFT JOIN actor_keys ON actor_keys.actor = actors.ap_id";

const COLUMNS: &str = "ap_id, kind, ap_type, handle, preferred_username, name, summary, inbox, \
    shared_inbox, followers_url, public_key_id, public_key_pem, private_key_pem, \
    manually_approves_followers, is_local, fetched_at, created_at, assertion_key_id, \
    assertion_public_key, assertion_private_key";

fn from_row(row: &AnyRow) -> Result<ActorRow> {
    let kind: String = row.try_get("kind")?;
    Ok(ActorRow {
        ap_id: url(row, "ap_id")?,
        kind: ActorKind::parse(&kind).map_err(|err| Error::Corrupt(err.to_string()))?,
        ap_type: row.try_get("ap_type")?,
        handle: row.try_get("handle")?,
        preferred_username: row.try_get("preferred_username")?,
        name: row.try_get("name")?,
        summary: row.try_get("summary")?,
        inbox: url(row, "inbox")?,
        shared_inbox: opt_url(row, "shared_inbox")?,
        followers_url: opt_url(row, "followers_url")?,
        public_key_id: row.try_get("public_key_id")?,
        public_key_pem: row.try_get("public_key_pem")?,
        private_key_pem: row.try_get("private_key_pem")?,
        manually_approves_followers: flag(row, "manually_approves_followers")?,
        is_local: flag(row, "is_local")?,
        fetched_at: row.try_get("fetched_at")?,
        created_at: row.try_get("created_at")?,
        assertion_key_id: row.try_get("assertion_key_id")?,
        assertion_public_key: row.try_get("assertion_public_key")?,
        assertion_private_key: row.try_get("assertion_private_key")?,
        sealed_keys: match row.try_get::<Option<String>, _>("sealed_key_id")? {
            Some(key_id) => Some(Sealed {
                key_id,
                bytes: row.try_get("sealed_keys")?,
            }),
            None => None,
        },
    })
}

/// The context local actors' keys are sealed for (the actor's id), so that a
/// sealed blob moved to another actor's row does not open.
pub fn keys_context(ap_id: &Url) -> String {
    format!("actor_keys:{ap_id}")
}

/// Adds a local actor with its private keys, sealed (the plain-text fields
/// of `actor` are not written). A taken handle is [`Error::Conflict`].
#[tracing::instrument(skip_all, fields(ap_id = %actor.ap_id))]
pub async fn insert_local(store: &Store, actor: &ActorRow, keys: &Sealed) -> Result<()> {
    let local = ActorRow {
        is_local: true,
        private_key_pem: None,
        assertion_private_key: None,
        ..actor.clone()
    };
    let sql = insert_sql("");
    let mut tx = store.begin_write().await?;
    match bind_row(sqlx::query(&sql), &local).execute(&mut *tx).await {
        Ok(_) => {}
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
            return Err(Error::Conflict(format!(
                "{} is taken",
                actor.handle.as_deref().unwrap_or(actor.ap_id.as_str())
            )))
        }
        Err(err) => return Err(err.into()),
    }
    put_keys(&mut tx, &actor.ap_id, keys).await?;
    crate::commit(tx).await
}

/// Stores a local actor's sealed keys, replacing any, and clears the
/// plain-text columns older releases wrote.
async fn put_keys(conn: &mut AnyConnection, ap_id: &Url, keys: &Sealed) -> Result<()> {
    sqlx::query(
        "INSERT INTO actor_keys (actor, key_id, sealed) VALUES ($1, $2, $3) \
         ON CONFLICT (actor) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed",
    )
    .bind(ap_id.as_str())
    .bind(&keys.key_id)
    .bind(keys.bytes.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE actors SET private_key_pem = NULL, assertion_private_key = NULL \
         WHERE ap_id = $1",
    )
    .bind(ap_id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores or refreshes a remote actor. Never overwrites a local one: a remote
/// document claiming one of our ids changes nothing.
#[tracing::instrument(skip_all, fields(ap_id = %actor.ap_id))]
pub async fn upsert_remote(store: &Store, actor: &ActorRow) -> Result<()> {
    let now = now_millis();
    let remote = ActorRow {
        kind: ActorKind::Remote,
        handle: None,
        private_key_pem: None,
        assertion_private_key: None,
        sealed_keys: None,
        is_local: false,
        fetched_at: now,
        created_at: now,
        ..actor.clone()
    };
    let sql = insert_sql(
        " ON CONFLICT (ap_id) DO UPDATE SET ap_type = excluded.ap_type, \
           preferred_username = excluded.preferred_username, name = excluded.name, \
           summary = excluded.summary, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
           followers_url = excluded.followers_url, public_key_id = excluded.public_key_id, \
           public_key_pem = excluded.public_key_pem, \
           manually_approves_followers = excluded.manually_approves_followers, \
           fetched_at = excluded.fetched_at, assertion_key_id = excluded.assertion_key_id, \
           assertion_public_key = excluded.assertion_public_key \
         WHERE actors.is_local = 0",
    );
    bind_row(sqlx::query(&sql), &remote)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// `INSERT INTO actors` of every column, followed by `tail`.
fn insert_sql(tail: &str) -> String {
    format!(
        "INSERT INTO actors ({COLUMNS}) VALUES ({}){tail}",
        params(1, 20)
    )
}

/// Binds every column of `actor`, in the order of [`COLUMNS`].
fn bind_row<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    actor: &'q ActorRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(actor.ap_id.as_str())
        .bind(actor.kind.as_str())
        .bind(&actor.ap_type)
        .bind(&actor.handle)
        .bind(&actor.preferred_username)
        .bind(&actor.name)
        .bind(&actor.summary)
        .bind(actor.inbox.as_str())
        .bind(actor.shared_inbox.as_ref().map(Url::as_str))
        .bind(actor.followers_url.as_ref().map(Url::as_str))
        .bind(&actor.public_key_id)
        .bind(&actor.public_key_pem)
        .bind(&actor.private_key_pem)
        .bind(i64::from(actor.manually_approves_followers))
        .bind(i64::from(actor.is_local))
        .bind(actor.fetched_at)
        .bind(actor.created_at)
        .bind(&actor.assertion_key_id)
        .bind(&actor.assertion_public_key)
        .bind(&actor.assertion_private_key)
}

/// The one actor matching `condition` (a SQL condition on `actors` with at most
/// one parameter, `$1`), if any.
async fn one_where<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    condition: &str,
    param: Option<&str>,
) -> Result<Option<ActorRow>> {
    let sql = format!("SELECT {SELECTED} FROM {FROM} WHERE {condition}");
    let mut query = sqlx::query(&sql);
    if let Some(param) = param {
        query = query.bind(param);
    }
    query
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_ap_id(store: &Store, ap_id: &Url) -> Result<Option<ActorRow>> {
    one_where(store.pool(), "ap_id = $1", Some(ap_id.as_str())).await
}

/// [`by_ap_id`] inside a write transaction.
pub async fn by_ap_id_in(conn: &mut AnyConnection, ap_id: &Url) -> Result<Option<ActorRow>> {
    one_where(conn, "actors.ap_id = $1", Some(ap_id.as_str())).await
}

/// A local chapter or body by handle.
pub async fn local_by_handle(store: &Store, handle: &str) -> Result<Option<ActorRow>> {
    one_where(store.pool(), "handle = $1 AND is_local = 1", Some(handle)).await
}

/// The instance actor, if it has been created.
pub async fn instance_actor(store: &Store) -> Result<Option<ActorRow>> {
    one_where(store.pool(), "kind = 'instance' AND is_local = 1", None).await
}

/// Local chapters and bodies, by handle.
pub async fn list_local_groups(store: &Store) -> Result<Vec<ActorRow>> {
    sqlx::query(&format!(
        "SELECT {SELECTED} FROM {FROM} WHERE is_local = 1 AND kind IN ('chapter', 'union') ORDER BY handle"
    ))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub async fn count_local_groups(store: &Store) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM actors WHERE is_local = 1 AND kind IN ('chapter', 'union')",
    )
    .fetch_one(store.pool())
    .await?
    .try_get(0)?)
}

/// Gives a local actor new key pairs (key rotation): the public keys here,
/// the private ones sealed. Remote servers pick the new public key up when a
/// signature stops verifying with the one they cached.
pub async fn replace_local_keys(
    store: &Store,
    ap_id: &Url,
    public_key_pem: &str,
    assertion_public_key: &str,
    keys: &Sealed,
) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE actors SET public_key_pem = $2, assertion_public_key = $3 \
         WHERE ap_id = $1 AND is_local = 1",
    )
    .bind(ap_id.as_str())
    .bind(public_key_pem)
    .bind(assertion_public_key)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    put_keys(&mut tx, ap_id, keys).await?;
    crate::commit(tx).await?;
    Ok(true)
}

/// Local actors whose keys are not sealed yet (written by a release before
/// migration 20), with their plain-text keys.
pub async fn local_with_plain_keys(store: &Store) -> Result<Vec<ActorRow>> {
    sqlx::query(&format!(
        "SELECT {SELECTED} FROM {FROM} WHERE is_local = 1 AND actor_keys.actor IS NULL"
    ))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Seals the keys of a local actor of an older release: its Ed25519 key's id
/// and public key (given one now if it had none), and both private keys
/// sealed; the plain-text columns are cleared. False if another process
/// sealed them first.
pub async fn seal_plain_keys(
    store: &Store,
    ap_id: &Url,
    assertion_key_id: &str,
    assertion_public_key: &str,
    keys: &Sealed,
) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let sealed_already = sqlx::query("SELECT 1 FROM actor_keys WHERE actor = $1")
        .bind(ap_id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if sealed_already {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE actors SET assertion_key_id = $2, assertion_public_key = $3 \
         WHERE ap_id = $1 AND is_local = 1",
    )
    .bind(ap_id.as_str())
    .bind(assertion_key_id)
    .bind(assertion_public_key)
    .execute(&mut *tx)
    .await?;
    put_keys(&mut tx, ap_id, keys).await?;
    crate::commit(tx).await?;
    Ok(true)
}

/// The actor whose keys are in `actor_keys` row `id` (key rotation).
pub async fn actor_of_keys(conn: &mut AnyConnection, id: i64) -> Result<Url> {
    let row = sqlx::query("SELECT actor FROM actor_keys WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    url(&row, "actor")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_private_key() {
        let url = Url::parse("https://a.example/actors/x").unwrap();
        let row = ActorRow {
            ap_id: url.clone(),
            kind: ActorKind::Chapter,
            ap_type: "Group".into(),
            handle: Some("x".into()),
            preferred_username: "x".into(),
            name: "X".into(),
            summary: String::new(),
            inbox: url.clone(),
            shared_inbox: None,
            followers_url: None,
            public_key_id: "k".into(),
            public_key_pem: "PUBLIC".into(),
            private_key_pem: Some("-----BEGIN PRIVATE KEY----- secret".into()),
            assertion_key_id: Some("k2".into()),
            assertion_public_key: Some("z6Mk".into()),
            assertion_private_key: Some("secret too".into()),
            sealed_keys: None,
            manually_approves_followers: false,
            is_local: true,
            fetched_at: 0,
            created_at: 0,
        };
        let shown = format!("{row:?}");
        assert!(
            !shown.contains("secret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
