//! A Lemmy-shaped peer, built from what a real Lemmy 1.0.0-beta.1 sent and
//! took (fixtures/lemmy-1.0/): NodeInfo naming `lemmy`, users at `/u/{name}`,
//! communities at `/c/{name}`, posts at `/post/{n}`, a shared `/inbox`, and
//! every request signed as Lemmy signs (draft-cavage `rsa-sha256`).
//!
//! What it is sent by a community it follows is checked as Lemmy checks it,
//! and refused with 400 and the reason otherwise: an `Announce` by the
//! community, of a `Create`, `Update` or `Delete` whose actor is a `Person`
//! or `Service` (never a `Group`) named in the community's moderators
//! collection, addressed `to` the community, with `audience` the community;
//! a post is a `Page`, `Article` or `Event` with a `name`, never a `Note`
//! without `inReplyTo`. What passes is shown as a post ([`LemmyPeer::posts`]).

use crate::helpers::{host_name, test_client};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use url::Url;

/// The host the captured activities name for Lemmy, and for the chapter.
const CAPTURED_LEMMY: &str = "https://lemmy.test";
const CAPTURED_CHAPTER: &str = "https://uh.test/actors/bakers";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[derive(Clone)]
pub struct LemmyPeer(Arc<Shared>);

pub struct Shared {
    pub base: Url,
    private_pem: String,
    public_pem: String,
    client: reqwest::Client,
    /// Every activity its inboxes were sent, in order.
    received: Mutex<Vec<Value>>,
    /// Why it refused what it refused.
    refusals: Mutex<Vec<String>>,
    /// The posts it shows, by id, as last created or updated.
    posts: Mutex<BTreeMap<String, Value>>,
    /// Communities elsewhere whose Accept of its users' follows came.
    following: Mutex<Vec<Url>>,
    /// Those following its own communities: (community, their inbox).
    followers: Mutex<Vec<(Url, Url)>>,
    /// What it serves at `/post/{n}`.
    objects: Mutex<BTreeMap<String, Value>>,
}

impl std::ops::Deref for LemmyPeer {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl LemmyPeer {
    /// Starts one on `ip` (127.0.0.x) and a free port.
    pub async fn start(ip: &str) -> Self {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base =
            Url::parse(&format!("http://{}:{}", host_name(addr.ip()), addr.port())).expect("url");
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
        let peer = LemmyPeer(Arc::new(Shared {
            base,
            private_pem: keys.private_key,
            public_pem: keys.public_key,
            client: test_client(),
            received: Mutex::default(),
            refusals: Mutex::default(),
            posts: Mutex::default(),
            following: Mutex::default(),
            followers: Mutex::default(),
            objects: Mutex::default(),
        }));
        let app = Router::new()
            .route("/.well-known/nodeinfo", get(nodeinfo_links))
            .route("/nodeinfo/2.1", get(nodeinfo))
            .route("/.well-known/webfinger", get(webfinger))
            .route("/u/{name}", get(person))
            .route("/c/{name}", get(community))
            .route("/c/{name}/moderators", get(moderators))
            .route("/c/{name}/outbox", get(empty_collection))
            .route("/u/{name}/outbox", get(empty_collection))
            .route("/post/{n}", get(object))
            .route("/inbox", post(inbox))
            .route("/u/{name}/inbox", post(inbox))
            .route("/c/{name}/inbox", post(inbox))
            .with_state(peer.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        peer
    }

    pub fn user(&self, name: &str) -> Url {
        self.base.join(&format!("/u/{name}")).expect("url")
    }

    pub fn community(&self, name: &str) -> Url {
        self.base.join(&format!("/c/{name}")).expect("url")
    }

    /// `!name@host:port` of one of its communities, as Lemmy writes it.
    pub fn community_acct(&self, name: &str) -> String {
        format!(
            "!{name}@{}:{}",
            self.base.host_str().unwrap_or_default(),
            self.base.port().unwrap_or(80)
        )
    }

    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    pub fn refusals(&self) -> Vec<String> {
        self.refusals.lock().unwrap().clone()
    }

    /// The posts it shows, by id.
    pub fn posts(&self) -> BTreeMap<String, Value> {
        self.posts.lock().unwrap().clone()
    }

    /// A captured activity (fixtures/lemmy-1.0/`name`), with Lemmy's host
    /// made this peer's, the chapter made `chapter`, and its id made unique.
    pub fn captured(&self, name: &str, chapter: &Url) -> Value {
        let base = self.base.as_str().trim_end_matches('/');
        let text = crate::federation::fixtures::fixture(&format!("lemmy-1.0/{name}"))
            .replace(CAPTURED_CHAPTER, chapter.as_str())
            .replace(CAPTURED_LEMMY, base);
        let mut activity: Value = serde_json::from_str(&text).expect("fixture");
        if let Some(id) = activity["id"].as_str() {
            activity["id"] = json!(format!("{id}-{}", unique()));
        }
        activity
    }

    /// Its user `user` follows `group` (a chapter, as a community) as Lemmy
    /// does: the captured Follow, sent to the group's inbox.
    pub async fn follow(&self, user: &str, group: &Url, inbox: &Url) -> (u16, String) {
        let mut follow = self.captured("Follow-ref.json", group);
        follow["actor"] = json!(self.user(user));
        self.send(&self.user(user), inbox, &follow).await
    }

    /// Whether the Accept of a follow of `group` came.
    pub fn follows(&self, group: &Url) -> bool {
        self.following.lock().unwrap().contains(group)
    }

    /// POSTs `activity` to `inbox` as `actor` (any of its actors; they share
    /// one key), signed as Lemmy signs.
    pub async fn send(&self, actor: &Url, inbox: &Url, activity: &Value) -> (u16, String) {
        let body = serde_json::to_vec(activity).expect("json");
        let key = Signer::default()
            .key(actor.as_str(), &self.private_pem)
            .expect("key");
        let headers = signed_post_headers_at(
            &key,
            &format!("{actor}#main-key"),
            inbox,
            &body,
            SystemTime::now(),
        )
        .expect("sign");
        super::stand_in::deliver(&self.client, inbox, body, headers).await
    }

    /// Its user `user` posts `title` in its community `community`: the post
    /// is served at its id, and the community announces it to its followers
    /// twice, as Lemmy does (the `Create`, then the bare `Page`). The post's id.
    pub async fn post_in_community(&self, user: &str, community: &str, title: &str) -> Url {
        let group = self.community(community);
        let n = self.objects.lock().unwrap().len() + 1;
        let id = self.base.join(&format!("/post/{n}")).expect("url");
        let mut announce = self.captured("Announce-Create-Page.json", &group);
        let captured_group = format!("{}/c/workers", self.base.as_str().trim_end_matches('/'));
        let text = announce
            .to_string()
            .replace(&captured_group, group.as_str())
            .replace(
                &format!("{}/u/lemmyadmin", self.base_str()),
                self.user(user).as_str(),
            )
            .replace(&format!("{}/post/1", self.base_str()), id.as_str());
        announce = serde_json::from_str(&text).expect("json");
        announce["object"]["object"]["name"] = json!(title);
        announce["object"]["id"] = json!(format!(
            "{}/activities/create/{}",
            self.base_str(),
            unique()
        ));
        let page = announce["object"]["object"].clone();
        self.objects
            .lock()
            .unwrap()
            .insert(n.to_string(), page.clone());
        let mut bare = self.captured("Announce-Page.json", &group);
        bare["actor"] = json!(group);
        bare["to"] = json!([group, PUBLIC]);
        bare["cc"] = json!([format!("{group}/followers")]);
        bare["object"] = page;
        bare["object"]["actor"] = json!(self.user(user));
        self.announce(&group, &announce).await;
        self.announce(&group, &bare).await;
        id
    }

    /// Its user `user` edits post `id` in `community`, which announces the
    /// Update.
    pub async fn edit_post(&self, user: &str, community: &str, id: &Url, content: &str) {
        let n = id.path().rsplit('/').next().unwrap_or_default().to_owned();
        let page = {
            let mut objects = self.objects.lock().unwrap();
            let page = objects.get_mut(&n).expect("a post of this peer");
            page["content"] = json!(content);
            page.clone()
        };
        self.announce_activity(user, community, "Update", page)
            .await;
    }

    /// Its user `user` deletes post `id` (no longer served), and `community`
    /// announces the Delete.
    pub async fn delete_post(&self, user: &str, community: &str, id: &Url) {
        let n = id.path().rsplit('/').next().unwrap_or_default().to_owned();
        self.objects.lock().unwrap().remove(&n);
        self.announce_activity(user, community, "Delete", json!(id))
            .await;
    }

    async fn announce_activity(&self, user: &str, community: &str, kind: &str, object: Value) {
        let group = self.community(community);
        let inner = json!({"id": format!("{}/activities/{kind}/{}", self.base_str(), unique()),
            "type": kind, "actor": self.user(user), "to": [group, PUBLIC], "cc": [],
            "audience": group, "object": object});
        let announce = json!({"id": format!("{}/activities/announce/{}", self.base_str(), unique()),
            "type": "Announce", "actor": group, "to": [group, PUBLIC],
            "cc": [format!("{group}/followers")], "object": inner});
        self.announce(&group, &announce).await;
    }

    /// `community` sends `activity` to those following it.
    async fn announce(&self, community: &Url, activity: &Value) {
        let inboxes: Vec<Url> = self
            .followers
            .lock()
            .unwrap()
            .iter()
            .filter(|(followed, _)| followed == community)
            .map(|(_, inbox)| inbox.clone())
            .collect();
        for inbox in inboxes {
            let (status, body) = self.send(community, &inbox, activity).await;
            assert!(status < 300, "{inbox}: {status} {body}");
        }
    }

    fn base_str(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn actor_json(&self, kind: &str, path: &str, name: &str) -> Value {
        let id = self.base.join(path).expect("url");
        let mut actor = json!({
            "@context": ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"],
            "id": id,
            "type": kind,
            "preferredUsername": name,
            "name": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "endpoints": {"sharedInbox": self.base.join("/inbox").expect("url")},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.public_pem},
            "published": "2026-12-04T14:40:00Z",
        });
        if kind == "Group" {
            actor["followers"] = json!(format!("{id}/followers"));
            actor["attributedTo"] = json!(format!("{id}/moderators"));
            actor["postingRestrictedToMods"] = json!(false);
        }
        actor
    }

    /// Fetches `url` as Lemmy does (ActivityPub JSON).
    async fn fetch(&self, url: &str) -> Result<Value, String> {
        let response = self
            .client
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("fetching {url}: {}", response.status()));
        }
        response
            .json()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))
    }

    /// Checks an Announce from a community it follows as Lemmy does, and
    /// shows, changes or removes the post it carries.
    async fn take_announce(&self, announce: &Value) -> Result<(), String> {
        let group = announce["actor"].as_str().ok_or("no actor")?;
        let group_url = Url::parse(group).map_err(|e| e.to_string())?;
        if !self.follows(&group_url) {
            return Err(format!("{group} is not a community anyone here follows"));
        }
        let inner = &announce["object"];
        let kind = inner["type"]
            .as_str()
            .ok_or("the announced object is no activity")?;
        if !["Create", "Update", "Delete"].contains(&kind) {
            return Err(format!("cannot announce a {kind}"));
        }
        let author = inner["actor"].as_str().ok_or("the activity has no actor")?;
        let actor = self.fetch(author).await?;
        if !["Person", "Service"].contains(&actor["type"].as_str().unwrap_or("")) {
            return Err(format!(
                "the actor of a {kind} must be a Person or Service, not {}",
                actor["type"]
            ));
        }
        if actor["publicKey"]["publicKeyPem"].as_str().is_none() || actor["inbox"].is_null() {
            return Err(format!("{author} has no public key or inbox"));
        }
        let community = self.fetch(group).await?;
        let moderators_url = community["attributedTo"].as_str().ok_or("no moderators")?;
        let moderators = self.fetch(moderators_url).await?;
        let is_moderator = moderators["orderedItems"]
            .as_array()
            .is_some_and(|items| items.iter().any(|m| m.as_str() == Some(author)));
        // The shape the real Lemmy took from a group: an author among its
        // moderators (stricter than Lemmy, which checks it only in its own
        // communities).
        if !is_moderator {
            return Err(format!("{author} is not a moderator of {group}"));
        }
        let names_group = |v: &Value| {
            ["to", "cc"].iter().any(|f| match &v[*f] {
                Value::Array(items) => items.iter().any(|i| i.as_str() == Some(group)),
                Value::String(s) => s == group,
                _ => false,
            })
        };
        if !names_group(inner) {
            return Err("community not found in to or cc".into());
        }
        if inner["audience"].as_str() != Some(group) {
            return Err("audience is not the community".into());
        }
        // A private community (one that approves its followers) addresses
        // nothing to the public; any other, everything.
        let public = ["to", "cc"].iter().any(|f| {
            inner[*f]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i.as_str() == Some(PUBLIC)))
        });
        let private = community["manuallyApprovesFollowers"] == true;
        if public == private {
            return Err(format!(
                "visibility: public {public} in a community that is private {private}"
            ));
        }
        if kind == "Delete" {
            let target = inner["object"]
                .as_str()
                .or(inner["object"]["id"].as_str())
                .ok_or("a Delete of nothing")?;
            self.posts.lock().unwrap().remove(target);
            return Ok(());
        }
        let object = &inner["object"];
        let object_type = object["type"].as_str().unwrap_or("");
        match object_type {
            "Page" | "Article" | "Event" => {}
            "Note" if !object["inReplyTo"].is_null() => return Ok(()),
            "Note" => return Err("a Note without inReplyTo is not a post".into()),
            other => return Err(format!("{other} is not a post")),
        }
        if object["name"].as_str().is_none_or(str::is_empty) {
            return Err("a post needs a name".into());
        }
        if object["attributedTo"].as_str() != Some(author) {
            return Err("the post's author is not the activity's actor".into());
        }
        if !names_group(object) {
            return Err("the post is not addressed to the community".into());
        }
        let id = object["id"].as_str().ok_or("the post has no id")?;
        self.posts
            .lock()
            .unwrap()
            .insert(id.to_owned(), object.clone());
        Ok(())
    }

    /// What Lemmy does on first sight of a community: reads its outbox, a
    /// collection of the community's Announces (anything else in it and the
    /// whole collection is unreadable to Lemmy), and shows each post.
    async fn read_outbox(&self, group: &Url) -> Result<(), String> {
        let community = self.fetch(group.as_str()).await?;
        let outbox = community["outbox"]
            .as_str()
            .ok_or("a community without outbox")?;
        let outbox = self.fetch(outbox).await?;
        let items = outbox["orderedItems"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(other) = items.iter().find(|i| i["type"] != "Announce") {
            return Err(format!(
                "the outbox holds a {} (Lemmy reads only Announces)",
                other["type"]
            ));
        }
        for item in items.iter().rev() {
            if ["Create", "Update"].contains(&item["object"]["type"].as_str().unwrap_or("")) {
                self.take_announce(item).await?;
            }
        }
        Ok(())
    }

    /// Takes a Follow of one of its communities as Lemmy does: only from a
    /// person-like actor with an outbox (Lemmy refuses an `Application`),
    /// answered with an Accept; remembers where the follower takes
    /// deliveries (its shared inbox, if it has one).
    async fn take_follow(&self, follow: &Value) -> Result<(), String> {
        let follower = follow["actor"].as_str().ok_or("a Follow without actor")?;
        let actor = self.fetch(follower).await?;
        let kind = actor["type"].as_str().unwrap_or("");
        if !["Person", "Service", "Organization"].contains(&kind) {
            return Err(format!("a {kind} cannot follow a community"));
        }
        if actor["outbox"].as_str().is_none() || actor["preferredUsername"].as_str().is_none() {
            return Err(format!("{follower} has no outbox or preferredUsername"));
        }
        let inbox = actor["endpoints"]["sharedInbox"]
            .as_str()
            .or(actor["inbox"].as_str())
            .and_then(|i| Url::parse(i).ok())
            .ok_or("the follower has no inbox")?;
        let group = follow["object"]
            .as_str()
            .and_then(|g| Url::parse(g).ok())
            .ok_or("a Follow of nothing")?;
        self.followers
            .lock()
            .unwrap()
            .push((group.clone(), inbox.clone()));
        let (s, follow) = (self.clone(), follow.clone());
        tokio::spawn(async move { s.accept(follow, group, inbox).await });
        Ok(())
    }

    /// Answers a Follow of one of its communities with an Accept.
    async fn accept(&self, follow: Value, group: Url, inbox: Url) {
        let follower = follow["actor"].clone();
        let accept = json!({
            "@context": ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"],
            "id": format!("{}/activities/accept/{}", self.base_str(), unique()),
            "type": "Accept",
            "actor": group,
            "to": [follower],
            "object": follow,
        });
        self.send(&group, &inbox, &accept).await;
    }
}

fn unique() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

async fn nodeinfo_links(State(s): State<LemmyPeer>) -> Json<Value> {
    Json(json!({"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
        "href": s.base.join("/nodeinfo/2.1").expect("url"),
    }]}))
}

async fn nodeinfo() -> Json<Value> {
    Json(json!({
        "version": "2.1",
        "software": {"name": "lemmy", "version": "1.0.0-beta.1"},
        "protocols": ["activitypub"],
        "usage": {"users": {"total": 1}},
        "openRegistrations": true,
    }))
}

async fn webfinger(
    State(s): State<LemmyPeer>,
    axum::extract::Query(query): axum::extract::Query<BTreeMap<String, String>>,
) -> Json<Value> {
    let resource = query.get("resource").cloned().unwrap_or_default();
    let name = resource
        .trim_start_matches("acct:")
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    Json(json!({
        "subject": resource,
        "links": [{"rel": "self", "type": "application/activity+json", "href": s.community(&name)}],
    }))
}

fn activity_json(value: Value) -> impl IntoResponse {
    ([("content-type", "application/activity+json")], Json(value))
}

async fn person(State(s): State<LemmyPeer>, Path(name): Path<String>) -> impl IntoResponse {
    activity_json(s.actor_json("Person", &format!("/u/{name}"), &name))
}

async fn community(State(s): State<LemmyPeer>, Path(name): Path<String>) -> impl IntoResponse {
    activity_json(s.actor_json("Group", &format!("/c/{name}"), &name))
}

async fn moderators(State(s): State<LemmyPeer>, Path(name): Path<String>) -> impl IntoResponse {
    activity_json(json!({
        "id": s.base.join(&format!("/c/{name}/moderators")).expect("url"),
        "type": "OrderedCollection",
        "orderedItems": [s.user("lemmyadmin")],
    }))
}

async fn empty_collection() -> impl IntoResponse {
    activity_json(json!({"type": "OrderedCollection", "totalItems": 0, "orderedItems": []}))
}

async fn object(State(s): State<LemmyPeer>, Path(n): Path<String>) -> axum::response::Response {
    match s.objects.lock().unwrap().get(&n).cloned() {
        Some(object) => activity_json(object).into_response(),
        // As Lemmy answers for a deleted post.
        None => (
            StatusCode::GONE,
            activity_json(json!({"type": "Tombstone", "id": s.base.join(&format!("/post/{n}")).expect("url")})),
        )
            .into_response(),
    }
}

async fn inbox(
    State(s): State<LemmyPeer>,
    headers: HeaderMap,
    Json(activity): Json<Value>,
) -> (StatusCode, String) {
    if !headers.contains_key("signature") {
        return (StatusCode::UNAUTHORIZED, "not signed".into());
    }
    s.received.lock().unwrap().push(activity.clone());
    let verdict = match activity["type"].as_str().unwrap_or("") {
        "Follow" => s.take_follow(&activity).await,
        "Accept" => {
            if let Some(group) = activity["actor"].as_str().and_then(|g| Url::parse(g).ok()) {
                s.following.lock().unwrap().push(group.clone());
                s.read_outbox(&group).await
            } else {
                Ok(())
            }
        }
        "Announce" => s.take_announce(&activity).await,
        "Create" | "Update" => Err(format!(
            "a {} must come announced by its community, not from {}",
            activity["type"], activity["actor"]
        )),
        _ => Ok(()),
    };
    match verdict {
        Ok(()) => (StatusCode::OK, String::new()),
        Err(reason) => {
            s.refusals.lock().unwrap().push(reason.clone());
            (StatusCode::BAD_REQUEST, reason)
        }
    }
}
