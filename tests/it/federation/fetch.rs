//! Non-public objects are served only to signed requests from their audience
//! (DESIGN.md invariant 5); public ones to anyone.

use super::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on, TestInstance};
use activitypub_federation::fetch::fetch_object_http;
use serde_json::Value;

async fn outbox_id(instance: &TestInstance, ap_type: &str) -> url::Url {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&instance.db.url).await.unwrap();
    let id: String = sqlx::query_scalar("SELECT ap_id FROM outbox WHERE ap_type = $1")
        .bind(ap_type)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    id.parse().unwrap()
}

#[tokio::test]
async fn a_follow_answer_is_served_only_to_the_server_it_answers() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let accept = outbox_id(&a, "Accept").await;

    let unsigned = a
        .client
        .get(accept.clone())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let fetched = fetch_object_http::<_, Value>(&accept, &b.data)
        .await
        .expect("B may fetch it");
    assert_eq!(fetched.object["type"], "Accept");
    assert_eq!(
        fetched.object["object"]["actor"],
        b.data.urls.instance_actor().as_str()
    );
    if let Ok(leaked) = fetch_object_http::<_, Value>(&accept, &c.data).await {
        panic!("C is not in its audience but got {}", leaked.object);
    }

    // A public post is for everyone, signed or not.
    let post = unionhall_federation::activities::post::publish_note(
        &a.data,
        "bakers",
        "Open meeting Tuesday",
    )
    .await
    .unwrap();
    let create = outbox_id(&a, "Create").await;
    for url in [&post.ap_id, &create] {
        let anyone = a
            .client
            .get(url.clone())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(anyone.status(), 200, "{url}");
    }
    for instance in [a, b, c] {
        instance.stop().await;
    }
}
