//! The outbound-request guard as in production (private peers not allowed):
//! documents that point the instance at loopback, private or metadata addresses,
//! directly, through a name or through a redirect, never make it connect there.
//! Listeners on those addresses record every connection to prove it.

use super::create_chapter;
use crate::helpers::{
    fresh_database, host_name, spawn_guarded_instance_on, wait_for, TestInstance,
};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use unionhall_store::{deliveries, follows};
use url::Url;

/// Counts the connections made to an address; nothing else.
struct Recorder {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Recorder {
    async fn on(ip: &str) -> Option<Self> {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.ok()?;
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Some(Self { addr, connections })
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A hostile server on a pinned name: actor documents whose shared inbox and icon are
/// the given targets, redirects to them, a WebFinger answer naming the second
/// (a name that resolves to loopback).
struct Hostile {
    base: Url,
    targets: Vec<String>,
    public_key_pem: String,
}

async fn actor(State(h): State<Arc<Hostile>>, Path(n): Path<usize>) -> Response {
    let id = h.base.join(&format!("actors/{n}")).unwrap();
    let target = &h.targets[n];
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Group", "preferredUsername": format!("hostile{n}"),
        // The inbox and the shared inbox must be on the actor's own server
        // (that is checked); the icon may be anywhere.
        "inbox": format!("{id}/inbox"), "endpoints": {"sharedInbox": target},
        "icon": {"type": "Image", "url": target},
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": h.public_key_pem},
    });
    ([("content-type", "application/activity+json")], Json(doc)).into_response()
}

async fn redirect(State(h): State<Arc<Hostile>>, Path(n): Path<usize>) -> Redirect {
    Redirect::temporary(&h.targets[n])
}

async fn webfinger(State(h): State<Arc<Hostile>>) -> Json<serde_json::Value> {
    Json(json!({"subject": "acct:x", "links": [
        {"rel": "self", "type": "application/activity+json", "href": h.targets[1]}]}))
}

async fn start_hostile(targets: Vec<String>, public_key_pem: String) -> Url {
    let ip: std::net::IpAddr = [127, 0, 0, 5].into();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let base = Url::parse(&format!(
        "http://{}:{}/",
        host_name(ip),
        listener.local_addr().unwrap().port()
    ))
    .unwrap();
    let hostile = Arc::new(Hostile {
        base: base.clone(),
        targets,
        public_key_pem,
    });

    let app = Router::new()
        .route("/actors/{n}", get(actor))
        .route("/redirect/{n}", get(redirect))
        .route("/.well-known/webfinger", get(webfinger))
        .with_state(hostile);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Posts `body` to the instance's inbox signed with `pem` under `key_id`.
async fn post_signed(a: &TestInstance, pem: &str, key_id: &str, body: String) -> (u16, String) {
    let url = a.at("/inbox");
    let key = Signer::default().key(key_id, pem).unwrap();
    let headers =
        signed_post_headers_at(&key, key_id, &url, body.as_bytes(), SystemTime::now()).unwrap();
    let response = a.client.post(url).headers(headers).body(body).send().await;
    let response = response.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn documents_pointing_at_private_addresses_never_make_the_server_connect_there() {
    let a = spawn_guarded_instance_on("127.0.0.2", fresh_database().await).await;
    let chapter = create_chapter(&a, "bakers").await;
    let v4 = Recorder::on("127.0.0.1")
        .await
        .expect("listen on 127.0.0.1");
    let v6 = Recorder::on("::1").await;
    let p4 = v4.addr.port();

    let mut targets = vec![
        format!("https://127.0.0.1:{p4}/inbox"),
        format!("https://localhost:{p4}/inbox"),
        format!("http://127.0.0.1:{p4}/inbox"),
        format!("https://[::ffff:127.0.0.1]:{p4}/inbox"),
        "https://10.0.0.1/inbox".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
    ];
    if let Some(v6) = &v6 {
        targets.push(format!("https://[::1]:{}/inbox", v6.addr.port()));
    }
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let base = start_hostile(targets.clone(), keys.public_key.clone()).await;

    // Each hostile actor follows the chapter: the instance fetches its document
    // from the pinned name (allowed), and refuses it, since its shared inbox
    // (where the Accept would go) is not on its own server.
    for n in 0..targets.len() {
        let id = base.join(&format!("actors/{n}")).unwrap();
        let follow = json!({"type": "Follow", "id": format!("{id}/follows/1"),
            "actor": id, "object": chapter.ap_id});
        let status = post_signed(
            &a,
            &keys.private_key,
            &format!("{id}#main-key"),
            follow.to_string(),
        )
        .await;
        assert_eq!(status.0, 400, "follow from hostile actor {n}: {}", status.1);
        assert!(status.1.contains("not on its own server"), "{}", status.1);
    }
    let followers = follows::followers_of(&a.store, &chapter.ap_id)
        .await
        .unwrap();
    assert!(followers.is_empty(), "{followers:?}");
    assert_eq!(deliveries::stats(&a.store).await.unwrap().pending, 0);

    // A key on a literal loopback address, or on a name that resolves to one.
    for key_owner in [
        format!("https://127.0.0.1:{p4}/actors/k"),
        format!("https://localhost:{p4}/actors/k"),
    ] {
        let follow = json!({"type": "Follow", "id": format!("{key_owner}/follows/1"),
            "actor": key_owner, "object": chapter.ap_id});
        let status = post_signed(
            &a,
            &keys.private_key,
            &format!("{key_owner}#main-key"),
            follow.to_string(),
        )
        .await;
        assert!((400..500).contains(&status.0), "{key_owner}: {status:?}");
    }

    // Following by a URL that redirects to loopback, directly or by name, and
    // by a handle whose WebFinger answer names a loopback actor.
    let authority = format!("{}:{}", base.host_str().unwrap(), base.port().unwrap());
    for target in [
        base.join("redirect/0").unwrap().to_string(),
        base.join("redirect/1").unwrap().to_string(),
        format!("hostile@{authority}"),
    ] {
        let result =
            unionhall_federation::activities::follow::follow_remote(&a.data, &target).await;
        let error = result
            .err()
            .unwrap_or_else(|| panic!("{target} was followed"));
        assert!(
            matches!(error, unionhall_federation::Error::Forbidden(_))
                || error.to_string().contains("may not be requested"),
            "{target}: {error}"
        );
    }

    assert_eq!(v4.count(), 0, "a connection reached 127.0.0.1");
    if let Some(v6) = &v6 {
        assert_eq!(v6.count(), 0, "a connection reached ::1");
    }
    // The recorder does see a connection that is made.
    tokio::net::TcpStream::connect(v4.addr).await.unwrap();
    wait_for("the recorder to count a real connection", 5, || async {
        v4.count() == 1
    })
    .await;
}
