//! Against an independent implementation: a Fedify peer (tests/interop/fedify,
//! Node 22 from npm) follows a Unionhall chapter, receives and verifies its Create,
//! is followed back, and sends a Create that Unionhall verifies.
//!
//! Needs `npm ci` in tests/interop/fedify. Without it the test says so and passes,
//! unless UNIONHALL_TEST_FEDIFY=1 (as in CI), where a missing peer is a failure.

use crate::helpers::{spawn_localhost_instance, wait_for};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use unionhall_federation::activities::{follow, post};
use unionhall_store::{follows, posts};

struct Peer {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<Value>,
    /// Every event read so far, in order.
    seen: Vec<Value>,
    actor: String,
}

impl Peer {
    fn start(dir: &std::path::Path, node: &std::path::Path) -> Peer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(node)
            .arg("peer.mjs")
            .arg(port.to_string())
            .current_dir(dir)
            // Fedify's documented Accept embeds the whole follower actor.
            .env("FEDIFY_PEER_ACCEPT_STYLE", "tutorial")
            // Its actor only to signed GETs, as Mastodon's authorized fetch.
            .env("FEDIFY_PEER_AUTHORIZED_FETCH", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Fedify peer");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(event);
                }
            }
        });
        let mut peer = Peer {
            child,
            stdin,
            events,
            seen: Vec::new(),
            actor: String::new(),
        };
        let ready = peer.expect("ready");
        peer.actor = ready["actor"].as_str().unwrap().to_owned();
        peer
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next event called `name`; an `error` event or 30 s without it fails.
    fn expect(&mut self, name: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the Fedify peer never said {name:?}"));
            self.seen.push(event.clone());
            match event["event"].as_str() {
                Some(e) if e == name => return event,
                Some("error") => panic!("the Fedify peer failed: {event}"),
                _ => {}
            }
        }
    }
}

impl Peer {
    /// Every event called `name` said so far.
    fn all(&mut self, name: &str) -> Vec<Value> {
        while let Ok(event) = self.events.try_recv() {
            self.seen.push(event);
        }
        self.seen
            .iter()
            .filter(|e| e["event"] == name)
            .cloned()
            .collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        std::thread::sleep(Duration::from_millis(200));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// Multi-threaded: the peer's events are awaited on blocking sections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_peer_and_a_chapter_follow_and_verify_each_other() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/fedify");
    let node = dir.join("node_modules/.bin/node");
    if !node.exists() {
        if std::env::var("UNIONHALL_TEST_FEDIFY").as_deref() == Ok("1") {
            panic!("the Fedify peer is not installed: run `npm ci` in tests/interop/fedify");
        }
        eprintln!("skipped: run `npm ci` in tests/interop/fedify to test against Fedify");
        return;
    }
    let uh = spawn_localhost_instance().await;
    let chapter = super::create_chapter(&uh, "bakers").await;
    let mut peer = tokio::task::block_in_place(|| Peer::start(&dir, &node));

    // The peer follows the chapter; Unionhall accepts; Fedify verifies the Accept.
    peer.send(&format!("follow {}", chapter.ap_id));
    tokio::task::block_in_place(|| {
        peer.expect("follow-sent");
        let accepted = peer.expect("accepted");
        assert_eq!(accepted["actor"], chapter.ap_id.as_str());
    });

    // The chapter publishes; Fedify receives and verifies the Create.
    post::publish_note(&uh.data, "bakers", "Strike vote Friday")
        .await
        .unwrap();
    let create = tokio::task::block_in_place(|| peer.expect("create"));
    assert_eq!(create["actor"], chapter.ap_id.as_str());
    assert!(
        create["content"]
            .as_str()
            .unwrap()
            .contains("Strike vote Friday"),
        "{create}"
    );

    // Fedify checks the integrity proof on the Create as sent (FEP-8b32, the
    // Ed25519 key from the sender's assertionMethod), a chapter's and a union
    // body's, and refuses the same Create with its content changed.
    let (_, sent) = unionhall_store::outbox::recent_public(&uh.store, &chapter.ap_id, "Create", 1)
        .await
        .unwrap();
    let signed: Value = serde_json::from_str(&sent[0]).unwrap();
    // A union body's proof too, on what it sends.
    let body = crate::solidarity::create_body(&uh, "fwiu").await;
    post::publish_note(&uh.data, "fwiu", "Solidarity across the industry")
        .await
        .unwrap();
    let (_, sent) = unionhall_store::outbox::recent_public(&uh.store, &body, "Create", 1)
        .await
        .unwrap();
    let by_body: Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(signed["proof"]["cryptosuite"], "eddsa-jcs-2022", "{signed}");
    let mut forged = signed.clone();
    forged["object"]["content"] = "<p>Strike called off</p>".into();
    let files = tempfile::tempdir().unwrap();
    for (name, activity, verified) in [
        ("signed", &signed, true),
        ("forged", &forged, false),
        ("by a body", &by_body, true),
    ] {
        let path = files.path().join(format!("{name}.json"));
        std::fs::write(&path, activity.to_string()).unwrap();
        peer.send(&format!("verify-proof {}", path.display()));
        let checked = tokio::task::block_in_place(|| peer.expect("proof-checked"));
        assert_eq!(checked["verified"], verified, "{name}: {checked}");
    }

    // Unionhall follows the peer; Fedify accepts with the follower embedded whole.
    let peer_actor: url::Url = peer.actor.parse().unwrap();
    follow::follow_remote(&uh.data, peer_actor.as_str())
        .await
        .unwrap();
    tokio::task::block_in_place(|| peer.expect("followed-by"));
    let store = uh.store.clone();
    wait_for("Unionhall's follow of the peer to be accepted", 30, || {
        let (store, actor) = (store.clone(), peer_actor.clone());
        async move { follows::is_following(&store, &actor).await.unwrap() }
    })
    .await;

    // The peer posts; Unionhall verifies Fedify's signature and keeps the note.
    peer.send("post Solidarity from the Fedify side");
    tokio::task::block_in_place(|| peer.expect("post-sent"));
    let received = posts::by_author(&uh.store, &peer_actor).await.unwrap();
    assert_eq!(received.len(), 1);
    assert!(received[0]
        .content
        .contains("Solidarity from the Fedify side"));

    // Both ways over RFC 9421, each first knock taken: Fedify's (RSA) by
    // Unionhall, Unionhall's (the chapter's Ed25519 key) by Fedify, which
    // verifies the HTTP signature itself (not only the integrity proof) with
    // the key document the keyid names.
    let ours = uh.url.as_str().trim_end_matches('/').to_owned();
    let sent: Vec<Value> = peer
        .all("sent")
        .into_iter()
        .filter(|e| e["url"].as_str().unwrap_or_default().starts_with(&ours))
        .collect();
    assert!(!sent.is_empty());
    for event in &sent {
        assert_eq!(event["signed"], "RFC 9421", "{event}");
        assert!(
            event["status"].as_u64().unwrap() < 300,
            "a fallback: {event}"
        );
    }
    let knocked = peer.all("knocked");
    assert!(knocked.len() >= 3, "{knocked:?}");
    for event in &knocked {
        assert_eq!(event["signed"], "RFC 9421", "{event}");
        assert_eq!(event["alg"], "ed25519", "{event}");
        assert!(
            event["status"].as_u64().unwrap() < 300,
            "a fallback: {event}"
        );
        let key = event["httpKey"].as_str().unwrap_or_default();
        assert!(
            key.starts_with(&ours) && key.ends_with("/ed25519-key"),
            "Fedify did not verify the HTTP signature itself: {event}"
        );
    }
    // It serves its actor only to signed GETs, and verified every one of
    // ours the first time, Ed25519 RFC 9421 ones (once deliveries learned
    // that Fedify takes them, as for this one) as well as draft-cavage ones.
    activitypub_federation::fetch::fetch_object_http::<_, Value>(&peer_actor, &uh.data)
        .await
        .unwrap();
    let fetched = peer.all("fetched");
    assert!(!fetched.is_empty());
    for event in &fetched {
        assert_eq!(event["status"], 200, "{fetched:?}");
        assert_ne!(event["signed"], "unsigned", "{event}");
    }
    assert!(
        fetched.iter().any(|e| e["signed"] == "RFC 9421"),
        "no Ed25519 fetch was tried: {fetched:?}"
    );

    drop(peer);
    uh.stop().await;
}
