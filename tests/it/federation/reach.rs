//! Reach: servers that are not Unionhall, each speaking its own dialect, work
//! with a chapter (FEDERATION.md, "Other servers").

use super::create_chapter;
use super::stand_in::{Fetching, StandIn};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use serde_json::json;
use unionhall_store::follows;

#[tokio::test]
async fn a_server_that_requires_signed_fetches_follows_a_chapter_and_is_followed_back() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let strict = StandIn::start("127.0.0.7", "dockers", "Group", Fetching::SignedOnly).await;

    // It insists: an unsigned GET of its actor is refused.
    let unsigned = a.client.get(strict.actor.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);

    // It follows the chapter: our server must fetch its actor, signed, to
    // check the Follow's signature, and answers with an Accept.
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#follows/1", strict.actor), "type": "Follow",
        "actor": strict.actor, "object": bakers.ap_id});
    let (status, body) = strict.send(&a.at("/inbox"), &follow).await;
    assert_eq!(status, 202, "{body}");
    wait_for("the Accept of its follow", 20, || {
        let strict = strict.clone();
        async move { !strict.received_of_type("Accept").is_empty() }
    })
    .await;
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 1);

    // And the instance follows it back: WebFinger, a signed fetch, a Follow,
    // its Accept verified with the key fetched (signed) from it.
    let followed = unionhall_federation::activities::follow::follow_remote(&a.data, &strict.acct())
        .await
        .unwrap();
    assert_eq!(followed.ap_id, strict.actor);
    let store = a.store.clone();
    let target = strict.actor.clone();
    wait_for("its Accept of our follow", 20, || {
        let (store, target) = (store.clone(), target.clone());
        async move { follows::is_following(&store, &target).await.unwrap() }
    })
    .await;
    let fetches = strict.fetches();
    assert!(
        fetches.iter().filter(|(status, _)| *status == 200).count() >= 1
            && fetches
                .iter()
                .all(|(status, _)| *status == 200 || *status == 401),
        "{fetches:?}"
    );
    // Only the test's own unsigned GET was refused.
    assert_eq!(
        fetches.iter().filter(|(status, _)| *status == 401).count(),
        1,
        "{fetches:?}"
    );
    a.stop().await;
}

#[tokio::test]
async fn a_refused_fetch_is_reported_as_refused_with_its_status() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let closed = StandIn::start("127.0.0.7", "closed", "Group", Fetching::Refused).await;
    let refused = unionhall_federation::activities::follow::follow_remote(&a.data, &closed.acct())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("refused our signed fetch (401"),
        "{refused}"
    );
    a.stop().await;
}
