//! Backfill against a chapter's server whose outbox fails at first: the Accept
//! records the backfill as due, the failed attempt is tried again, and only the
//! chapter's own Creates, whose objects still exist, are stored.

use crate::helpers::{fresh_database, host_name, spawn_instance_on, wait_for};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;
use unionhall_federation::activities::follow::follow_remote;
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use unionhall_store::{follows, posts};
use url::Url;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A chapter on a server of its own: it accepts any follow by posting a signed
/// Accept to the follower's shared inbox, and its outbox answers 503 to the
/// first `failures` reads.
struct Chapter {
    base: Url,
    keys: activitypub_federation::http_signatures::Keypair,
    follower_inbox: Url,
    failures: usize,
    outbox_reads: AtomicUsize,
}

impl Chapter {
    fn id(&self) -> Url {
        self.base.join("chapter").unwrap()
    }

    fn at(&self, path: &str) -> String {
        self.base.join(path).unwrap().to_string()
    }
}

/// JSON as ActivityPub servers answer it (the fetcher insists on the type).
fn activity_json(doc: Value) -> Response {
    ([("content-type", "application/activity+json")], Json(doc)).into_response()
}

async fn actor(State(c): State<Arc<Chapter>>) -> Response {
    let id = c.id();
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Group", "preferredUsername": "dockers",
        "inbox": c.at("chapter/inbox"), "outbox": c.at("chapter/outbox"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": c.keys.public_key},
    });
    activity_json(doc)
}

async fn inbox(State(c): State<Arc<Chapter>>, Json(follow): Json<Value>) -> StatusCode {
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Accept", "id": c.at("accepts/1"), "actor": c.id(), "object": follow,
    })
    .to_string();
    tokio::spawn(async move {
        let key_id = format!("{}#main-key", c.id());
        let key = Signer::default().key(&key_id, &c.keys.private_key).unwrap();
        let headers = signed_post_headers_at(
            &key,
            &key_id,
            &c.follower_inbox,
            accept.as_bytes(),
            SystemTime::now(),
        )
        .unwrap();
        let sent = crate::helpers::test_client()
            .post(c.follower_inbox.clone())
            .headers(headers)
            .body(accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.status(),
            StatusCode::ACCEPTED,
            "the Accept was refused"
        );
    });
    StatusCode::ACCEPTED
}

/// The outbox points at its first page, where the items are.
async fn outbox(
    State(c): State<Arc<Chapter>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !query.contains_key("page") {
        if c.outbox_reads.fetch_add(1, Ordering::SeqCst) < c.failures {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        let collection = json!({"id": c.at("chapter/outbox"), "type": "OrderedCollection",
            "totalItems": 4, "first": c.at("chapter/outbox?page=1")});
        return activity_json(collection);
    }
    let create = |n: u32, actor: String, object: String| {
        json!({"type": "Create", "id": c.at(&format!("activities/{n}")), "actor": actor,
               "object": {"id": object, "type": "Note"}, "to": [PUBLIC]})
    };
    let me = c.id().to_string();
    let page = json!({"id": c.at("chapter/outbox?page=1"), "type": "OrderedCollectionPage",
    "orderedItems": [
        // Newest first: a note gone since, one of someone else's, a boost,
        // and the one to keep.
        create(4, me.clone(), c.at("notes/gone")),
        create(3, c.at("someone-else"), c.at("notes/theirs")),
        {"type": "Announce", "id": c.at("activities/2"), "actor": me, "object": "https://elsewhere.example/notes/1"},
        create(1, me.clone(), c.at("notes/1")),
    ]});
    activity_json(page)
}

async fn note(State(c): State<Arc<Chapter>>) -> Response {
    activity_json(
        json!({"id": c.at("notes/1"), "type": "Note", "attributedTo": c.id(),
        "content": "<p>Dock gates picketed from 5am</p>",
        "published": "2026-11-01T10:00:00Z", "to": [PUBLIC]}),
    )
}

async fn theirs(State(c): State<Arc<Chapter>>) -> Response {
    activity_json(
        json!({"id": c.at("notes/theirs"), "type": "Note", "attributedTo": c.at("someone-else"),
        "content": "<p>Not the chapter's</p>", "to": [PUBLIC]}),
    )
}

#[tokio::test]
async fn a_backfill_that_failed_is_tried_again_and_keeps_only_the_chapters_own() {
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let ip: std::net::IpAddr = [127, 0, 0, 6].into();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = Url::parse(&format!("http://{}:{port}/", host_name(ip))).unwrap();
    let chapter = Arc::new(Chapter {
        base,
        keys: activitypub_federation::http_signatures::generate_actor_keypair().unwrap(),
        follower_inbox: c.at("/inbox"),
        failures: 1,
        outbox_reads: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/chapter", get(actor))
        .route("/chapter/inbox", post(inbox))
        .route("/chapter/outbox", get(outbox))
        .route("/notes/1", get(note))
        .route("/notes/theirs", get(theirs))
        .with_state(chapter.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    follow_remote(&c.data, chapter.id().as_str()).await.unwrap();
    let note_id = Url::parse(&chapter.at("notes/1")).unwrap();
    let store = c.store.clone();
    wait_for("the note to be backfilled", 30, || {
        let (store, note_id) = (store.clone(), note_id.clone());
        async move { posts::by_ap_id(&store, &note_id).await.unwrap().is_some() }
    })
    .await;

    assert!(
        chapter.outbox_reads.load(Ordering::SeqCst) >= 2,
        "the first read failed, so the note came from a later one"
    );
    let kept = posts::by_ap_id(&c.store, &note_id).await.unwrap().unwrap();
    assert_eq!(kept.author, chapter.id());
    assert_eq!(
        kept.published_at, 1_793_527_200_000,
        "its own published time"
    );
    for other in ["notes/theirs", "notes/gone"] {
        let url = Url::parse(&chapter.at(other)).unwrap();
        assert!(
            posts::by_ap_id(&c.store, &url).await.unwrap().is_none(),
            "{other}"
        );
    }
    // Done: nothing is due any more.
    let due = follows::claim_due_backfills(&c.store, 10, i64::MAX).await;
    assert_eq!(due.unwrap(), Vec::new());
    c.stop().await;
}
