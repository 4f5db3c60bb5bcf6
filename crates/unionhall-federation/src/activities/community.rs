//! Communities on group-aware servers (a Lemmy community) this instance
//! follows for its members, through its reader (`actors.rs`). A community
//! announces its members' posts to its followers (FEP-1b12), twice for each
//! new one on Lemmy (the `Create`, then the bare object); Lemmy sends votes
//! and comments that way too.
//!
//! An Announce is a claim, not proof: the community says a post was made in
//! it. The post is therefore read from its own server (a signed GET by the
//! instance actor), and kept only if it lives on its author's server and
//! names the community among its addressees or as its `audience`. It is kept
//! as the community's post, shown on members' boards as coming from it. The
//! same post announced again changes nothing unless the announcement is an
//! Update (read again) or a Delete (taken away if its server says it is gone).

use super::first_time;
use super::post::MAX_CONTENT_BYTES;
use crate::protocol::note::NOTE_TYPES;
use crate::protocol::{Announce, PUBLIC};
use crate::{Data, Error, Result};
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::protocol::verification::verify_domains_match;
use serde_json::Value;
use unionhall_store::posts::{self, Post};
use unionhall_store::{follows, objects};
use url::Url;

/// Whether `actor` is a community on a group-aware server that this instance
/// follows: its Announces are its members' posts, not a union body's relay.
pub(crate) async fn is_followed(data: &Data, actor: &Url) -> Result<bool> {
    Ok(crate::software::known_group_aware(data, actor).await?
        && follows::is_following(&data.store, actor).await?)
}

/// What an Announce says happened to a post.
enum Announced {
    /// A new post, or one already held.
    Created(Url),
    /// A post changed: read again.
    Updated(Url),
    /// A post taken away: removed if its server says it is gone.
    Deleted(Url),
}

/// An Announce by `community`, which this instance follows (`is_followed`).
pub(crate) async fn receive_announce(announce: Announce, data: &Data) -> Result<()> {
    let community = &announce.actor;
    // Votes, comments and whatever else a community passes on are taken and
    // change nothing: members read posts here, not threads.
    let Some(announced) = announced(&announce.object) else {
        return Ok(());
    };
    let post = match &announced {
        Announced::Created(id) | Announced::Updated(id) | Announced::Deleted(id) => id,
    };
    let held = posts::by_ap_id(&data.store, post).await?;
    if let Some(held) = &held {
        if &held.author != community {
            return Err(Error::Forbidden(format!(
                "{post} came here from elsewhere: {community} does not change it"
            )));
        }
    }
    match announced {
        Announced::Created(_) if held.is_some() => Ok(()),
        Announced::Created(id) | Announced::Updated(id) => {
            take(data, community, &announce.id, &id).await.map(|_| ())
        }
        Announced::Deleted(id) => forget_if_gone(data, community, &announce.id, &id).await,
    }
}

/// The post an announced activity (or announced object) is about, if it is a
/// post: a Create, Update or Delete of one, or the object itself.
fn announced(object: &Value) -> Option<Announced> {
    let id_of = |value: &Value| -> Option<Url> {
        value
            .as_str()
            .or_else(|| value.get("id").and_then(Value::as_str))
            .and_then(|id| Url::parse(id).ok())
    };
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    let inner = object.get("object");
    let is_post = |o: &Value| {
        let kind = o.get("type").and_then(Value::as_str).unwrap_or("");
        NOTE_TYPES.contains(&kind) && o.get("inReplyTo").is_none_or(Value::is_null)
    };
    match (kind, inner) {
        ("Create", Some(o)) if is_post(o) => id_of(o).map(Announced::Created),
        ("Update", Some(o)) if is_post(o) => id_of(o).map(Announced::Updated),
        ("Delete", Some(o)) => id_of(o).map(Announced::Deleted),
        (kind, _) if NOTE_TYPES.contains(&kind) && is_post(object) => {
            id_of(object).map(Announced::Created)
        }
        _ => None,
    }
}

/// Reads `post` from its server and keeps it as `community`'s post; `activity`
/// is the announcement, recorded so that it is applied once. False if the
/// post is not one the community may pass on.
pub(crate) async fn take(data: &Data, community: &Url, activity: &Url, post: &Url) -> Result<bool> {
    if data.urls.is_local(post) {
        return Err(Error::Forbidden(format!(
            "{post} is of this instance: no community passes it on here"
        )));
    }
    crate::policy::check(data, post).await?;
    let data = data.reset_request_count();
    let object = fetch_object_http::<_, Value>(post, &data).await?.object;
    let read = read_post(&object, post, community)?;
    let mut tx = data.store.begin_write().await?;
    if !first_time(&mut tx, activity, community).await? {
        return Ok(unionhall_store::commit(tx).await.map(|()| false)?);
    }
    let kept = posts::upsert(&mut tx, &read).await?;
    unionhall_store::commit(tx).await?;
    if kept {
        tracing::debug!(%community, "a post of a followed community kept");
    }
    Ok(kept)
}

/// The post as read from its own server, checked: the id asked for, a type we
/// keep, its author on its server, the community named, a size we take.
fn read_post(object: &Value, post: &Url, community: &Url) -> Result<Post> {
    let field = |name: &str| object.get(name).and_then(Value::as_str);
    if field("id") != Some(post.as_str()) {
        return Err(Error::Remote(format!(
            "{post} answered with another object"
        )));
    }
    let kind = field("type").unwrap_or("");
    if !NOTE_TYPES.contains(&kind) {
        return Err(Error::BadRequest(format!(
            "{post} is a {kind:?}, not a post"
        )));
    }
    let author = field("attributedTo")
        .and_then(|a| Url::parse(a).ok())
        .ok_or_else(|| Error::BadRequest(format!("{post} names no author")))?;
    verify_domains_match(&author, post)?;
    let addressees = ["to", "cc", "audience"]
        .iter()
        .flat_map(|name| match object.get(*name) {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect::<Vec<_>>();
    if !addressees.iter().any(|a| a == community.as_str()) {
        return Err(Error::Forbidden(format!(
            "{post} was not posted in {community}"
        )));
    }
    let title = field("name").map(crate::protocol::note::plain_text_to_html);
    let content = title.unwrap_or_default() + field("content").unwrap_or_default();
    if content.len() > MAX_CONTENT_BYTES {
        return Err(Error::BadRequest(format!(
            "{post} is longer than {MAX_CONTENT_BYTES} bytes"
        )));
    }
    Ok(Post {
        ap_id: post.clone(),
        author: community.clone(),
        content,
        public: addressees.iter().any(|a| a == PUBLIC),
        is_local: false,
        published_at: super::published_or_now(&field("published").map(str::to_owned)),
        updated_at: None,
        deleted_at: None,
        campaign: None,
    })
}

/// A Delete announced by `community`: the post is taken away once its own
/// server no longer serves it (a community cannot take away what is there).
async fn forget_if_gone(data: &Data, community: &Url, activity: &Url, post: &Url) -> Result<()> {
    // Gone: 410, a Tombstone, or JSON that is not the post (an error).
    let gone = match fetch_object_http::<_, Value>(post, &data.reset_request_count()).await {
        Ok(answer) => {
            let object = answer.object;
            object.get("type").and_then(Value::as_str) == Some("Tombstone")
                || object.get("id").and_then(Value::as_str) != Some(post.as_str())
        }
        Err(activitypub_federation::error::Error::ObjectDeleted(_))
        | Err(activitypub_federation::error::Error::NotFound) => true,
        Err(err) => return Err(err.into()),
    };
    let mut tx = data.store.begin_write().await?;
    if first_time(&mut tx, activity, community).await? && gone {
        objects::delete(&mut tx, objects::Kind::Post, post, community).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}
