//! Delivery that heals: a peer that was down counts one failed round however
//! much was queued for it, is probed when its wait ends, and gets its whole
//! queue as soon as it is back; the operator can try a peer, or dead
//! deliveries, again at once.

use super::{create_chapter, follow_and_wait, wait_for_posts};
use crate::helpers::{fresh_database, respawn_instance_at, spawn_configured_instance_on};
use crate::helpers::{spawn_instance_on, wait_for, TestInstance};
use crate::members::join_instance_admin;
use serde_json::json;
use unionhall_domain::Role;
use unionhall_federation::activities::post;
use unionhall_store::peers;

/// Deliveries not delivered yet that were tried at least once.
async fn tried_and_pending(instance: &TestInstance) -> i64 {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&instance.db.url)
        .await
        .unwrap();
    sqlx::query(
        "SELECT COUNT(*) FROM deliveries \
         WHERE attempts > 0 AND delivered_at IS NULL AND dead_at IS NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
    .get(0)
}

/// A sending instance whose waits grow far (an hour), as in production, so
/// that only the healing (not a short cap) brings a peer its queue back.
async fn sender(base_seconds: &str) -> TestInstance {
    spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[
            ("UNIONHALL_FEDERATION__RETRY_BASE_SECONDS", base_seconds),
            ("UNIONHALL_FEDERATION__RETRY_MAX_SECONDS", "3600"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_peer_down_while_ten_were_queued_counts_one_round_and_gets_all_when_back() {
    let a = sender("2").await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;
    let host = unionhall_store::outbox::host_of(&c.url);
    let (c_addr, c_db) = (c.addr, c.stop().await);

    for n in 0..10 {
        post::publish_note(&a.data, "bakers", &format!("Strike update {n}"))
            .await
            .unwrap();
    }
    wait_for("a first failure", 20, || async {
        peers::failed_rounds(&a.store, &host).await.unwrap() > 0
    })
    .await;
    // However many of the ten were in flight when it failed, that is one
    // step of back-off; the rest wait for the probe, untried.
    assert_eq!(peers::failed_rounds(&a.store, &host).await.unwrap(), 1);
    assert!(tried_and_pending(&a).await >= 1);

    // C comes back: the next probe finds it, and the queue follows at once
    // (with ten steps of back-off counted it would wait 2^7 x 2 s).
    let c = respawn_instance_at(c_addr, c_db).await;
    wait_for_posts(&c, &bakers.ap_id, 10).await;
    assert_eq!(peers::failed_rounds(&a.store, &host).await.unwrap(), 0);
    a.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn the_operator_tries_a_peer_and_dead_deliveries_again_at_once() {
    // A minute between probes: only the operator's lever brings C its post.
    let a = sender("60").await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let admin = join_instance_admin(&a, "bakers", Role::Admin, "ada").await;
    follow_and_wait(&c, &a, "bakers").await;
    let host = unionhall_store::outbox::host_of(&c.url);
    let (c_addr, c_db) = (c.addr, c.stop().await);
    post::publish_note(&a.data, "bakers", "Picket moved to gate 2")
        .await
        .unwrap();
    wait_for("the delivery to fail", 20, || async {
        tried_and_pending(&a).await == 1
    })
    .await;
    let c = respawn_instance_at(c_addr, c_db).await;
    let (status, body) = admin
        .post("/api/v1/admin/deliveries/retry", json!({"peer": host}))
        .await;
    assert_eq!(status, 204, "{body}");
    wait_for_posts(&c, &bakers.ap_id, 1).await;
    let (status, _) = admin
        .post(
            "/api/v1/admin/deliveries/retry",
            json!({"peer": "never.example"}),
        )
        .await;
    assert_eq!(status, 404);

    // A delivery given up while C was down again (here: marked dead, as its
    // expiry would) lives again, at once.
    let (c_addr, c_db) = (c.addr, c.stop().await);
    post::publish_note(&a.data, "bakers", "Strike fund total")
        .await
        .unwrap();
    wait_for("the delivery to fail", 20, || async {
        tried_and_pending(&a).await == 1
    })
    .await;
    crate::members::raw_sql(
        &a,
        "UPDATE deliveries SET dead_at = 1, last_error = 'expired' \
         WHERE delivered_at IS NULL AND dead_at IS NULL",
    )
    .await
    .unwrap();
    let c = respawn_instance_at(c_addr, c_db).await;
    let (status, body) = admin
        .post(
            "/api/v1/admin/deliveries/retry-dead",
            json!({"peer": "elsewhere.example"}),
        )
        .await;
    assert_eq!((status.as_u16(), &body["retried"]), (200, &json!(0)));
    let (status, body) = admin
        .post("/api/v1/admin/deliveries/retry-dead", json!({"peer": host}))
        .await;
    assert_eq!(
        (status.as_u16(), &body["retried"]),
        (200, &json!(1)),
        "{body}"
    );
    wait_for_posts(&c, &bakers.ap_id, 2).await;
    let organizer = crate::members::join(&a, "bakers", Role::Organizer, "olga").await;
    let (status, _) = organizer
        .post("/api/v1/admin/deliveries/retry-dead", json!({}))
        .await;
    assert_eq!(status, 403);
    a.stop().await;
    c.stop().await;
}
