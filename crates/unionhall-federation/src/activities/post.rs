//! Notes: a chapter publishes a campaign update (Create), and notes from the
//! chapters this instance follows arrive (Create, Update, Delete).

use super::{same_actor, wake};
use crate::delivery::enqueue;
use crate::protocol::note::{plain_text_to_html, NOTE_TYPES};
use crate::protocol::{ActivityObject, Create, NoteJson, PUBLIC};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::CreateType;
use activitypub_federation::protocol::verification::verify_domains_match;
use unionhall_store::posts::{self, Post};
use unionhall_store::received_notes::{Outcome, ReceivedNote};
use unionhall_store::{actors as store_actors, follows, now_millis};
use url::Url;

/// Largest note accepted, in bytes of HTML.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// A chapter or body publishes a public note to its followers.
pub async fn publish_note(data: &Data, handle: &str, text: &str) -> Result<Post> {
    publish(data, handle, text, None).await
}

/// Publishes a note, a campaign update if `campaign` is given.
pub(crate) async fn publish(
    data: &Data,
    handle: &str,
    text: &str,
    campaign: Option<&Url>,
) -> Result<Post> {
    let author = store_actors::local_by_handle(&data.store, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no chapter or body @{handle} here")))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::BadRequest("the note is empty".into()));
    }
    let content = plain_text_to_html(text);
    if content.len() > MAX_CONTENT_BYTES {
        return Err(Error::BadRequest(format!(
            "the note is longer than {MAX_CONTENT_BYTES} bytes"
        )));
    }
    let post = Post {
        ap_id: data.urls.new_post_id(),
        author: author.ap_id.clone(),
        content,
        public: true,
        is_local: true,
        published_at: now_millis(),
        updated_at: None,
        deleted_at: None,
        campaign: campaign.cloned(),
    };
    let mut note = note_of(&post);
    note.cc = author.followers_url.iter().cloned().collect();
    let create = Create {
        kind: CreateType::Create,
        id: data.urls.new_activity_id(),
        actor: author.ap_id.clone(),
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: ActivityObject::Note(note),
    };
    let mut tx = data.store.begin_write().await?;
    posts::upsert(&mut tx, &post).await?;
    let inboxes = follows::follower_inboxes(&mut tx, &author.ap_id).await?;
    enqueue(&mut tx, data, &author, &create.id, &create, &inboxes, true).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(post)
}

/// The Note we publish for one of our posts.
pub fn note_of(post: &Post) -> NoteJson {
    let public = post
        .public
        .then(|| Url::parse(PUBLIC).ok())
        .flatten()
        .into_iter()
        .collect();
    NoteJson {
        kind: "Note".into(),
        id: post.ap_id.clone(),
        attributed_to: post.author.clone(),
        name: None,
        content: Some(post.content.clone()),
        // To the millisecond, as our other objects: updates posted in one
        // second keep their order where they are backfilled.
        published: super::rfc3339(post.published_at),
        to: public,
        cc: Vec::new(),
        in_reply_to: None,
        audience: None,
        campaign: post.campaign.clone(),
    }
}

/// Checks common to Create and Update: the sender wrote the note, the note lives
/// on the sender's server, and it is of a type we keep.
fn check_note(note: &NoteJson, actor: &Url) -> Result<()> {
    same_actor(&note.attributed_to, actor, "publish")?;
    verify_domains_match(&note.id, actor)?;
    if !NOTE_TYPES.contains(&note.kind.as_str()) {
        return Err(Error::BadRequest(format!(
            "{:?} objects are not accepted; send one of {}",
            note.kind,
            NOTE_TYPES.join(", ")
        )));
    }
    let content = note.content.as_deref().unwrap_or_default();
    if content.len() > MAX_CONTENT_BYTES {
        return Err(Error::BadRequest(format!(
            "content longer than {MAX_CONTENT_BYTES} bytes"
        )));
    }
    Ok(())
}

fn is_public(note: &NoteJson) -> bool {
    note.to.iter().chain(&note.cc).any(|u| u.as_str() == PUBLIC)
}

/// A note arrives (Create or Update): kept if this instance follows its author.
pub(crate) async fn receive_note(data: &Data, id: &Url, actor: &Url, note: NoteJson) -> Result<()> {
    check_note(&note, actor)?;
    if let Some(target) = &note.in_reply_to {
        if let Some(object) = super::reply::thread_of(data, target).await? {
            return super::reply::receive(data, id, actor, note, &object).await;
        }
    }
    // Only what this instance asked for: posts of actors it follows.
    let followed = is_following(data, actor).await?;
    if !followed {
        refuse_posts_in_our_groups(data, &note).await?;
    }
    // A campaign link counts only to a campaign on the author's own server.
    let campaign = note
        .campaign
        .clone()
        .filter(|c| verify_domains_match(c, actor).is_ok());
    let note_id = note.id.clone();
    let post = followed.then(|| Post {
        campaign,
        public: is_public(&note),
        ap_id: note.id,
        author: actor.clone(),
        content: note.content.unwrap_or_default(),
        is_local: false,
        published_at: super::published_or_now(&note.published),
        updated_at: None,
        deleted_at: None,
    });
    let note = ReceivedNote {
        activity: id.clone(),
        actor: actor.clone(),
        post,
    };
    match data.inbox_writes.write(note).await? {
        Outcome::Stored | Outcome::Seen => Ok(()),
        Outcome::NotTheirs => Err(Error::Forbidden(format!(
            "{actor} cannot change {}: it is not theirs",
            note_id
        ))),
    }
}

/// A post made in one of our groups from outside (a Lemmy user posting in
/// what Lemmy shows as a community) is refused, and says why: a chapter's
/// group carries what its organizers publish, and its actor says so
/// (`postingRestrictedToMods`). Replies to what it published are taken.
async fn refuse_posts_in_our_groups(data: &Data, note: &NoteJson) -> Result<()> {
    let addressed = note.to.iter().chain(&note.cc).chain(&note.audience);
    for address in addressed.filter(|a| data.urls.is_local(a)) {
        if let Some(group) = store_actors::by_ap_id(&data.store, address).await? {
            if group.is_local && group.handle.is_some() {
                return Err(Error::Forbidden(format!(
                    "only the organizers of {} post in it: it carries what the chapter \
                     publishes; reply to one of its posts instead",
                    group.name
                )));
            }
        }
    }
    Ok(())
}

async fn is_following(data: &Data, actor: &Url) -> Result<bool> {
    if data.recent.following.get(actor).is_some() {
        return Ok(true);
    }
    let following = follows::is_following(&data.store, actor).await?;
    if following {
        data.recent.following.put(actor.clone(), ());
    }
    Ok(following)
}
