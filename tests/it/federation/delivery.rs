use super::{create_chapter, follow_and_wait, post_count, wait_for_posts, wait_until_queue_empty};
use crate::helpers::{fresh_database, respawn_instance_at, spawn_instance_on, TestDb};
use unionhall_federation::activities::post;
use unionhall_store::{deliveries, inbox_seen};

#[tokio::test]
async fn a_peer_that_was_down_receives_everything_exactly_once() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;

    // C goes down; A publishes three updates while it is away.
    let c_addr = c.addr;
    let c_db = c.stop().await;
    for text in ["Strike vote Monday", "Vote passed", "Picket from 6am"] {
        post::publish_note(&a.data, "bakers", text).await.unwrap();
    }
    let store = a.store.clone();
    crate::helpers::wait_for("A to fail delivering to C", 20, || {
        let store = store.clone();
        async move {
            let rows = deliveries::stats(&store).await.unwrap();
            rows.pending == 3
        }
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // C comes back on the same address and database and gets all three, once.
    let c = respawn_instance_at(c_addr, c_db).await;
    wait_for_posts(&c, &bakers.ap_id, 3).await;
    wait_until_queue_empty(&a).await;
    assert_eq!(post_count(&c, &bakers.ap_id).await, 3);
    let stats = deliveries::stats(&a.store).await.unwrap();
    assert_eq!(
        (stats.delivered, stats.dead),
        (4, 0),
        "the Accept and three Creates: {stats:?}"
    );
    a.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn deliveries_queued_before_a_restart_of_the_sender_are_sent_after_it() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;
    let (c_addr, c_db) = (c.addr, c.stop().await);

    // A publishes while C is down, then A itself stops with the delivery pending.
    post::publish_note(&a.data, "bakers", "Strike fund link inside")
        .await
        .unwrap();
    let (a_addr, a_db) = (a.addr, a.stop().await);
    assert_eq!(
        pending(&a_db).await,
        1,
        "the delivery is durable across A's stop"
    );

    // Both come back; A's worker resumes from its database.
    let c = respawn_instance_at(c_addr, c_db).await;
    let a = respawn_instance_at(a_addr, a_db).await;
    wait_for_posts(&c, &bakers.ap_id, 1).await;
    wait_until_queue_empty(&a).await;
    assert_eq!(
        inbox_seen_count(&c).await,
        2,
        "the Accept and the Create, once each"
    );
    a.stop().await;
    c.stop().await;
}

async fn pending(db: &TestDb) -> i64 {
    let store = crate::helpers::open_store(db).await;
    let stats = deliveries::stats(&store).await.unwrap();
    store.close().await;
    stats.pending
}

async fn inbox_seen_count(instance: &crate::helpers::TestInstance) -> i64 {
    inbox_seen::count(&instance.store).await.unwrap()
}

type Counts = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>;

/// A receiver that only counts what it gets, per inbox path.
async fn counting_receiver(ip: &str) -> (std::net::SocketAddr, Counts) {
    use axum::extract::{Path, State};
    let counts: Counts = Default::default();
    async fn count(State(counts): State<Counts>, Path(n): Path<String>) -> axum::http::StatusCode {
        *counts.lock().unwrap().entry(n).or_default() += 1;
        axum::http::StatusCode::ACCEPTED
    }
    let app = axum::Router::new()
        .route("/inbox/{n}", axum::routing::post(count))
        .with_state(counts.clone());
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, counts)
}

#[tokio::test]
async fn two_server_processes_on_one_database_deliver_each_activity_once() {
    let first = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let second = crate::helpers::spawn_second_process(&first).await;
    let chapter = create_chapter(&first, "bakers").await;
    let (receiver, counts) = counting_receiver("127.0.0.6").await;
    let inboxes = inboxes_at(receiver, 300);

    // Three activities to 300 inboxes each, queued at once, with both processes'
    // workers polling the same queue.
    queue_activities(&first, &chapter, &inboxes, 0..3).await;
    first.data.wake_delivery();
    second.data.wake_delivery();
    wait_until_queue_empty(&first).await;
    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts.len(), 300, "every inbox was reached");
    assert!(
        counts.values().all(|&n| n == 3),
        "each inbox got each of the 3 activities once: {counts:?}"
    );
    let stats = deliveries::stats(&first.store).await.unwrap();
    assert_eq!((stats.delivered, stats.dead), (900, 0));
    second.stop().await;
    first.stop().await;
}

/// A peer that answers only as many requests as it has been allowed to; the
/// others wait, as on a slow server, so that a test can restart processes with
/// deliveries in flight. Counts each (inbox, activity) it answers.
struct GatedPeer {
    addr: std::net::SocketAddr,
    counts: Counts,
    arrived: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    allowed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl GatedPeer {
    async fn start(ip: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let counts: Counts = Default::default();
        let arrived = Arc::new(AtomicUsize::new(0));
        let allowed = Arc::new(AtomicUsize::new(0));
        let (c, a, g) = (counts.clone(), arrived.clone(), allowed.clone());
        let app = axum::Router::new().route(
            "/inbox/{n}",
            axum::routing::post(
                move |axum::extract::Path(n): axum::extract::Path<String>, body: String| {
                    let (counts, arrived, allowed) = (c.clone(), a.clone(), g.clone());
                    async move {
                        let turn = arrived.fetch_add(1, Ordering::SeqCst);
                        while turn >= allowed.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                        let activity: serde_json::Value =
                            serde_json::from_str(&body).unwrap_or_default();
                        let key = format!("{n}/{}", activity["n"]);
                        *counts.lock().unwrap().entry(key).or_default() += 1;
                        axum::http::StatusCode::ACCEPTED
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            counts,
            arrived,
            allowed,
        }
    }

    fn arrived(&self) -> usize {
        self.arrived.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lets the first `n` requests (in order of arrival) be answered.
    fn allow(&self, n: usize) {
        self.allowed.store(n, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_rolling_restart_of_two_processes_loses_no_delivery() {
    let first = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let second = crate::helpers::spawn_second_process(&first).await;
    let chapter = create_chapter(&first, "bakers").await;
    let peer = GatedPeer::start("127.0.0.6").await;
    let inboxes = inboxes_at(peer.addr, 1000);

    // Restart one process, then the other, as an upgrade would, each time with
    // deliveries in flight (the peer holds them) and most still queued: each
    // round queues its own activities, since the previous round's may all be
    // delivered while a process stops.
    let pending = |store: unionhall_store::Store| async move {
        deliveries::stats(&store).await.unwrap().pending
    };
    let mut running = vec![first, second];
    // The database stays: the other processes work on it.
    let mut databases = Vec::new();
    for round in 0..2 {
        // Hold every request from now on, until some are waiting.
        let seen = peer.arrived();
        peer.allow(seen);
        queue_activities(&running[0], &chapter, &inboxes, round * 2..round * 2 + 2).await;
        for instance in &running {
            instance.data.wake_delivery();
        }
        crate::helpers::wait_for("deliveries in flight", 10, || async {
            peer.arrived() > seen
        })
        .await;
        assert!(
            pending(running[0].store.clone()).await > 0,
            "restarted mid-queue"
        );
        let old = running.remove(0);
        let replacement = crate::helpers::spawn_second_process(&running[0]).await;
        let stopping = tokio::spawn(old.stop());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        // The stopping process finishes what it holds, then exits.
        peer.allow(usize::MAX);
        databases.push(stopping.await.unwrap());
        replacement.data.wake_delivery();
        running.push(replacement);
    }
    wait_until_queue_empty(&running[0]).await;

    let counts = peer.counts.lock().unwrap().clone();
    assert_eq!(counts.len(), 4000, "every inbox got every activity");
    let repeated = counts.values().filter(|&&n| n > 1).count();
    eprintln!("deliveries repeated across the restarts: {repeated} of 4000");
    let stats = deliveries::stats(&running[0].store).await.unwrap();
    assert_eq!((stats.pending, stats.delivered, stats.dead), (0, 4000, 0));
    for instance in running {
        instance.stop().await;
    }
    drop(databases);
}

/// `count` inbox URLs on one receiver, by the name the test instances know it.
fn inboxes_at(receiver: std::net::SocketAddr, count: usize) -> Vec<url::Url> {
    let host = crate::helpers::host_name(receiver.ip());
    (0..count)
        .map(|n| {
            format!("http://{host}:{}/inbox/{n}", receiver.port())
                .parse()
                .unwrap()
        })
        .collect()
}

/// Queues activities of `chapter` numbered `numbers` (in `n`) to every inbox.
async fn queue_activities(
    instance: &crate::helpers::TestInstance,
    chapter: &unionhall_store::actors::ActorRow,
    inboxes: &[url::Url],
    numbers: std::ops::Range<u32>,
) {
    for n in numbers {
        let id = instance.data.urls.new_activity_id();
        let activity =
            serde_json::json!({"type": "Create", "id": id, "actor": chapter.ap_id, "n": n});
        let mut tx = instance.store.begin_write().await.unwrap();
        unionhall_federation::delivery::enqueue(
            &mut tx,
            &instance.data,
            chapter,
            &id,
            &activity,
            inboxes,
            true,
        )
        .await
        .unwrap();
        unionhall_store::commit(tx).await.unwrap();
    }
}

/// A peer that takes every request and answers after `delay_ms` (settable),
/// counting the requests that arrive and the activities it answered.
struct SlowPeer {
    addr: std::net::SocketAddr,
    arrived: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    answered: Counts,
    delay_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SlowPeer {
    async fn start(ip: &str, delay_ms: u64) -> Self {
        use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
        use std::sync::Arc;
        let arrived = Arc::new(AtomicUsize::new(0));
        let answered: Counts = Default::default();
        let delay = Arc::new(AtomicU64::new(delay_ms));
        let (a, c, d) = (arrived.clone(), answered.clone(), delay.clone());
        let app = axum::Router::new().route(
            "/inbox/{n}",
            axum::routing::post(move |body: String| {
                let (arrived, answered, delay) = (a.clone(), c.clone(), d.clone());
                async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let wait = delay.load(Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    let activity: serde_json::Value =
                        serde_json::from_str(&body).unwrap_or_default();
                    *answered
                        .lock()
                        .unwrap()
                        .entry(activity["n"].to_string())
                        .or_default() += 1;
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            arrived,
            answered,
            delay_ms: delay,
        }
    }

    fn arrived(&self) -> usize {
        self.arrived.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A peer whose answers come later than the request timeout is slow, not
/// down: it gets fewer requests at once, keeps getting them, is not backed
/// off, and once it answers in time its queue flows within seconds.
#[tokio::test]
async fn a_slow_peer_is_slowed_not_silenced() {
    let a = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[
            ("UNIONHALL_FEDERATION__REQUEST_TIMEOUT_SECONDS", "1"),
            ("UNIONHALL_FEDERATION__PER_PEER_CONCURRENCY", "8"),
            ("UNIONHALL_FEDERATION__RETRY_BASE_SECONDS", "60"),
        ],
    )
    .await;
    let chapter = create_chapter(&a, "bakers").await;
    let peer = SlowPeer::start("127.0.0.6", 3000).await;
    let inboxes = inboxes_at(peer.addr, 1);
    queue_activities(&a, &chapter, &inboxes, 0..20).await;
    a.data.wake_delivery();

    // The first requests time out; from then on it gets far fewer at once
    // (one, after a few halvings) than the eight it started with, but some.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let before = peer.arrived();
    assert!(before >= 8, "it started with eight at once: {before}");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let meanwhile = peer.arrived() - before;
    assert!(
        (1..=6).contains(&meanwhile),
        "slowed but still tried: {meanwhile} requests in 3 s"
    );
    let host = format!(
        "{}:{}",
        crate::helpers::host_name(peer.addr.ip()),
        peer.addr.port()
    );
    assert_eq!(
        unionhall_store::peers::failed_rounds(&a.store, &host)
            .await
            .unwrap(),
        0,
        "a slow peer is not backed off as if it were down"
    );

    // It answers in time again: its whole queue is there within seconds, far
    // sooner than the minute a peer that is down would wait.
    peer.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    let store = a.store.clone();
    crate::helpers::wait_for("the slow peer's whole queue", 15, || {
        let store = store.clone();
        async move { deliveries::stats(&store).await.unwrap().pending == 0 }
    })
    .await;
    let stats = deliveries::stats(&a.store).await.unwrap();
    assert_eq!((stats.delivered, stats.dead), (20, 0));
    assert_eq!(peer.answered.lock().unwrap().len(), 20);
    a.stop().await;
}
