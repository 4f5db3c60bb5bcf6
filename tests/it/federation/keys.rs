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

    let fresh = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    assert!(actors::replace_local_key(
        &b.store,
        &sender.ap_id,
        &fresh.public_key,
        &fresh.private_key
    )
    .await
    .unwrap());
    assert_eq!(
        send_follow(&a, &chapter, &sender, &fresh.private_key, 2).await,
        401,
        "a key cached a moment ago is not refetched"
    );
    age_cached_copy(&a, &sender).await;
    assert_eq!(
        send_follow(&a, &chapter, &sender, &fresh.private_key, 3).await,
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
