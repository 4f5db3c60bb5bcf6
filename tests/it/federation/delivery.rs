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

/// A receiver that only counts what it gets, per inbox path.
async fn counting_receiver(
    ip: &str,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>,
) {
    use axum::extract::{Path, State};
    type Counts = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>;
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
    let host = crate::helpers::host_name(receiver.ip());
    let inboxes: Vec<url::Url> = (0..300)
        .map(|n| {
            format!("http://{host}:{}/inbox/{n}", receiver.port())
                .parse()
                .unwrap()
        })
        .collect();

    // Three activities to 300 inboxes each, queued at once, with both processes'
    // workers polling the same queue.
    for n in 0..3 {
        let id = first.data.urls.new_activity_id();
        let activity =
            serde_json::json!({"type": "Create", "id": id, "actor": chapter.ap_id, "n": n});
        let mut tx = first.store.begin_write().await.unwrap();
        unionhall_federation::delivery::enqueue(
            &mut tx,
            &first.data.urls,
            &chapter,
            &id,
            &activity,
            &inboxes,
            true,
        )
        .await
        .unwrap();
        unionhall_store::commit(tx).await.unwrap();
        first.data.wake_delivery();
        second.data.wake_delivery();
    }
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
