//! What group-aware servers (Lemmy and its kin) read from our groups: the
//! form of FEP-1b12 they take, for the followers on such servers only
//! (`software.rs` tells which those are; everyone else gets what a group
//! sends as it is).
//!
//! A group-aware server shows a chapter as a community and its calls,
//! strikes and updates as posts, if each reaches it as the group's
//! `Announce` of a `Create` or `Update` whose actor is a person-like actor
//! (never a `Group`) named among the community's moderators, addressed `to`
//! the group (and the public), with `audience` set to the group; a post needs
//! a `name`, and a `Note` without `inReplyTo` is not one. So each group has a
//! voice: a `Service` at `{group}/voice`, its only moderator, standing for
//! the group and never for a member. It signs nothing itself: the group
//! signs the `Announce`, and the voice's key is the group's.

use crate::protocol::{ActorJson, Endpoints, PUBLIC};
use serde_json::{json, Value};
use unionhall_domain::ActorKind;
use unionhall_store::actors::ActorRow;
use url::Url;

/// NodeInfo software names of the servers that read groups this way.
pub const GROUP_AWARE: &[&str] = &["lemmy", "mbin", "kbin", "piefed", "lotide"];

/// Object types a group-aware server shows as posts.
const POST_TYPES: &[&str] = &["Event", "Page", "Article", "Note"];

/// Longest post title derived from a note's text, in characters.
const TITLE_CHARS: usize = 80;

/// The voice of `group`: the `Service` that is the author of what the group
/// publishes, for group-aware servers.
pub fn voice_of(group: &Url) -> Url {
    under(group, "voice")
}

/// The moderators collection of `group`, naming its voice.
pub fn moderators_of(group: &Url) -> Url {
    under(group, "moderators")
}

fn under(parent: &Url, segment: &str) -> Url {
    let mut url = parent.clone();
    url.set_path(&format!(
        "{}/{segment}",
        parent.path().trim_end_matches('/')
    ));
    url
}

/// The voice of one of our groups, as published.
pub fn voice_json(group: &crate::actors::DbActor, urls: &crate::urls::Urls) -> ActorJson {
    let published = group.to_json(urls);
    let row = &group.0;
    let voice = voice_of(&row.ap_id);
    let mut public_key = published.public_key;
    public_key.id = format!("{voice}#main-key");
    public_key.owner = voice.clone();
    ActorJson {
        kind: "Service".into(),
        id: voice.clone(),
        preferred_username: published.preferred_username,
        name: Some(row.name.clone()),
        summary: Some(format!(
            "What {} publishes, posted by its organizers.",
            row.name
        )),
        inbox: published.inbox,
        outbox: published.outbox,
        followers: None,
        endpoints: Some(Endpoints {
            shared_inbox: row.shared_inbox.clone(),
        }),
        public_key,
        assertion_method: None,
        manually_approves_followers: None,
        attributed_to: None,
        posting_restricted_to_mods: None,
        url: Some(row.ap_id.clone()),
    }
}

/// What a group-aware server is sent in place of `activity`.
#[derive(Debug, PartialEq)]
pub enum Form {
    /// What it is: not a post (a Follow's answer, a pledge total).
    AsIs,
    /// The group's `Announce` of the post, by its voice.
    Announce(Value),
    /// Nothing: a post it would refuse in any form we have (a body passing
    /// on a member chapter's post, whose author is no moderator of the body).
    Nothing,
}

/// How the group's form of an activity is stored in the outbox: apart from
/// the `Announce`s a union body relays, which are sent again to a member
/// chapter that joins (`activities/union.rs`).
pub const STORED_AS: &str = "Announce/group-aware";

/// `activity` (as `group` sends it, enveloped or not) in the form a
/// group-aware server reads. The new activities' ids are the activity's own
/// with `/announce` and `/voiced` added: the same activity always has the
/// same form, whether delivered or read from the outbox.
pub fn form_of(group: &ActorRow, activity: &Value) -> Form {
    if !matches!(group.kind, ActorKind::Chapter | ActorKind::Union) {
        return Form::AsIs;
    }
    let Some(id) = activity
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| Url::parse(id).ok())
    else {
        return Form::AsIs;
    };
    let ids = (under(&id, "announce"), under(&id, "voiced"));
    let kind = activity.get("type").and_then(Value::as_str).unwrap_or("");
    let object = activity.get("object");
    let object_type = object
        .and_then(|o| o.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let is_post = |o: &Value| {
        POST_TYPES.contains(&object_type) && o.get("inReplyTo").is_none_or(Value::is_null)
    };
    let group_id = group.ap_id.as_str();
    let by_group = activity.get("actor").and_then(Value::as_str) == Some(group_id);
    match (kind, object) {
        ("Create" | "Update", Some(o)) if is_post(o) => {
            let authored = o.get("attributedTo").and_then(Value::as_str) == Some(group_id);
            if !(by_group && authored) {
                return Form::Nothing;
            }
            // Lemmy shows a group that approves its followers as a private
            // community, and refuses what such a community addresses to the
            // public: its posts go to the group (its followers) alone. In any
            // other it refuses what is not public, and has no followers-only
            // post: such a post is not sent to it.
            let private = group.manually_approves_followers;
            let public = is_public(activity) || is_public(o);
            if !private && !public {
                return Form::Nothing;
            }
            let public = !private;
            let post = post_of(group, o, public);
            let inner = voiced(group, kind, ids.1, post, public);
            Form::Announce(announce(group, ids.0, inner, public))
        }
        ("Delete", Some(o)) if by_group => {
            let target = o.as_str().or_else(|| o.get("id").and_then(Value::as_str));
            match target {
                Some(target) => {
                    let public = !group.manually_approves_followers;
                    let inner = voiced(group, "Delete", ids.1, json!(target), public);
                    Form::Announce(announce(group, ids.0, inner, public))
                }
                None => Form::AsIs,
            }
        }
        _ => Form::AsIs,
    }
}

/// One of the group's Creates as its outbox lists it: as the group's
/// Announce, of the post by its voice where it is a post (what group-aware
/// servers read on first sight of the group; Unionhall's backfill reads the
/// object's id from either), of the Create itself otherwise, so that every
/// item has one shape.
pub fn outbox_item(group: &ActorRow, create: &Value) -> Value {
    match form_of(group, create) {
        Form::Announce(announce) => announce,
        Form::AsIs | Form::Nothing => {
            let id = create
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| Url::parse(id).ok())
                .map(|id| under(&id, "announce"));
            let public = !group.manually_approves_followers && is_public(create);
            let mut json = self::announce(
                group,
                id.unwrap_or_else(|| group.ap_id.clone()),
                create.clone(),
                public,
            );
            if let Some(create) = json["object"].as_object_mut() {
                create.remove("@context");
            }
            json
        }
    }
}

fn is_public(value: &Value) -> bool {
    ["to", "cc"].iter().any(|field| match value.get(*field) {
        Some(Value::String(s)) => s == PUBLIC,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(PUBLIC)),
        _ => false,
    })
}

/// The addressees of a post in the group: the group, and the public if it is
/// public (a followers-only post goes to the group, which is its followers).
fn addressed(group: &ActorRow, public: bool) -> Value {
    let mut to = vec![json!(group.ap_id)];
    if public {
        to.push(json!(PUBLIC));
    }
    Value::Array(to)
}

/// The object as a post by the group's voice, in the group.
fn post_of(group: &ActorRow, object: &Value, public: bool) -> Value {
    let mut post = object.clone();
    let Some(fields) = post.as_object_mut() else {
        return post;
    };
    fields.remove("proof");
    fields.remove("@context");
    fields.insert("attributedTo".into(), json!(voice_of(&group.ap_id)));
    fields.insert("to".into(), addressed(group, public));
    fields.insert("cc".into(), json!([]));
    fields.insert("audience".into(), json!(group.ap_id));
    if fields.get("type").and_then(Value::as_str) == Some("Note") {
        fields.insert("type".into(), json!("Page"));
    }
    if fields.get("name").is_none_or(Value::is_null) {
        let text = fields
            .get("content")
            .and_then(Value::as_str)
            .map(title_of)
            .unwrap_or_default();
        let name = if text.is_empty() {
            format!("Update from {}", group.name)
        } else {
            text
        };
        fields.insert("name".into(), json!(name));
    }
    post
}

/// A title from a note's HTML: its first line of text, cut short.
fn title_of(html: &str) -> String {
    let line = unionhall_domain::text::first_line_of(html);
    if line.chars().count() <= TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(TITLE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// `kind` of `object` by the group's voice, in the group.
fn voiced(group: &ActorRow, kind: &str, id: Url, object: Value, public: bool) -> Value {
    json!({
        "type": kind,
        "id": id,
        "actor": voice_of(&group.ap_id),
        "to": addressed(group, public),
        "cc": [],
        "audience": group.ap_id,
        "object": object,
    })
}

/// The group's Announce of `inner` to its followers.
fn announce(group: &ActorRow, id: Url, inner: Value, public: bool) -> Value {
    let followers: Vec<Value> = group.followers_url.iter().map(|f| json!(f)).collect();
    let (to, cc) = if public {
        (json!([PUBLIC]), Value::Array(followers))
    } else {
        (Value::Array(followers), json!([]))
    };
    json!({
        "type": "Announce",
        "id": id,
        "actor": group.ap_id,
        "to": to,
        "cc": cc,
        "audience": group.ap_id,
        "object": inner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_the_first_line_of_text_cut_short() {
        assert_eq!(
            title_of("<p>Picket &amp; rally<br>Saturday</p>"),
            "Picket & rally"
        );
        let long = format!("<p>{}</p>", "word ".repeat(40));
        let title = title_of(&long);
        assert!(title.ends_with('…') && title.chars().count() <= TITLE_CHARS);
    }

    #[test]
    fn the_voice_and_moderators_live_under_the_group() {
        let group = Url::parse("https://a.example/actors/bakers").unwrap();
        assert_eq!(
            voice_of(&group).as_str(),
            "https://a.example/actors/bakers/voice"
        );
        assert_eq!(
            moderators_of(&group).as_str(),
            "https://a.example/actors/bakers/moderators"
        );
    }
}
