//! A remote actor that rotates its key is refetched when its signature stops
//! verifying, but only once the cached copy has aged: a forged signature must not
//! make us fetch on every request.

use super::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on, TestInstance};
use serde_json::json;
use std::time::SystemTime;
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use unionhall_store::actors::{self, ActorRow};

async fn send_follow(
    a: &TestInstance,
    chapter: &ActorRow,
    sender: &ActorRow,
    pem: &str,
    n: u32,
) -> u16 {
    let url = a.at("/inbox");
    let body = json!({"type": "Follow", "id": format!("{}#follow-{n}", sender.ap_id), "actor": sender.ap_id, "object": chapter.ap_id})
        .to_string();
    let key = Signer::default()
        .key(&format!("{}#{n}", sender.ap_id), pem)
        .unwrap();
    let headers = signed_post_headers_at(
        &key,
        &sender.public_key_id,
        &url,
        body.as_bytes(),
        SystemTime::now(),
    )
    .unwrap();
    a.client
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Ages A's cached copy of `actor` by an hour, as if fetched long ago.
async fn age_cached_copy(a: &TestInstance, actor: &ActorRow) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&a.db.url).await.unwrap();
    sqlx::query("UPDATE actors SET fetched_at = fetched_at - 3600000 WHERE ap_id = $1")
        .bind(actor.ap_id.as_str())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_rotated_key_is_refetched_once_the_cached_one_has_aged() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let chapter = create_chapter(&a, "bakers").await;
    let sender = create_chapter(&b, "movers").await;
    let old_pem = sender.private_key_pem.clone().unwrap();
    assert_eq!(
        send_follow(&a, &chapter, &sender, &old_pem, 1).await,
        202,
        "A caches the sender's key"
    );

    let rotated = unionhall_federation::actors::rotate_key(&b.data, "movers")
        .await
        .unwrap();
    let fresh_pem = b
        .data
        .vault
        .open(&rotated)
        .unwrap()
        .private_key_pem
        .unwrap();
    assert_ne!(fresh_pem, old_pem);
    assert_eq!(
        send_follow(&a, &chapter, &sender, &fresh_pem, 2).await,
        401,
        "a key cached a moment ago is not refetched"
    );
    age_cached_copy(&a, &sender).await;
    assert_eq!(
        send_follow(&a, &chapter, &sender, &fresh_pem, 3).await,
        202,
        "the new key is fetched"
    );
    assert_eq!(
        send_follow(&a, &chapter, &sender, &old_pem, 4).await,
        401,
        "the old key no longer works"
    );
    a.stop().await;
    b.stop().await;
}

/// `unionhall chapter rotate-key` on a running instance: its next deliveries are
/// signed with the new key, a peer holding the old one refuses them (401) until
/// its copy has aged, and the refused delivery is retried, not given up.
#[tokio::test]
async fn a_chapter_rotates_its_key_with_the_cli_and_nothing_is_lost() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    create_chapter(&b, "movers").await;
    super::follow_and_wait(&b, &a, "bakers").await;
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "Old key")
        .await
        .unwrap();
    super::wait_for_posts(&b, &bakers.ap_id, 1).await;

    let dir = tempfile::tempdir().unwrap();
    let mut rotate = crate::cli::unionhall(dir.path());
    rotate
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
        .env("UNIONHALL_INSTANCE__PUBLIC_URL", a.url.as_str())
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args(["chapter", "rotate-key", "bakers"]);
    let (output, stderr) = crate::cli::run_beside_servers(rotate).await;
    assert!(output.status.success(), "{stderr}");
    let rotated = actors::local_by_handle(&a.store, "bakers")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(rotated.public_key_pem, bakers.public_key_pem);
    assert_ne!(rotated.assertion_public_key, bakers.assertion_public_key);
    assert!(rotated.assertion_public_key.is_some());

    // B cached the old key a moment ago: the next delivery is refused, and
    // waits for another try rather than being given up.
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "New key")
        .await
        .unwrap();
    crate::helpers::wait_for("a refused attempt", 10, || async {
        let health = unionhall_store::deliveries::health(&a.store).await.unwrap();
        let pool = sqlx::AnyPool::connect(&a.db.url).await.unwrap();
        let attempts: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(attempts), 0) FROM deliveries WHERE delivered_at IS NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        health.pending == 1 && attempts >= 1
    })
    .await;
    assert_eq!(
        unionhall_store::deliveries::stats(&a.store)
            .await
            .unwrap()
            .dead,
        0
    );
    // Once B's copy has aged, the retry verifies with the new key.
    age_cached_copy(&b, &bakers).await;
    super::wait_for_posts(&b, &bakers.ap_id, 2).await;
    a.stop().await;
    b.stop().await;
}
