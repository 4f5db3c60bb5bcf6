use super::{create_chapter, follow_and_wait, post_count, wait_for_posts, wait_until_queue_empty};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use unionhall_federation::activities::{follow, post};
use unionhall_store::{deliveries, follows, posts};

#[tokio::test]
async fn two_instances_follow_a_chapter_receive_its_updates_and_can_unfollow() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;

    // B and C find the chapter through WebFinger and follow it.
    follow_and_wait(&b, &a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    let mut who: Vec<_> = followers.iter().map(|f| f.follower.to_string()).collect();
    who.sort();
    assert_eq!(
        who,
        vec![
            b.data.urls.instance_actor().to_string(),
            c.data.urls.instance_actor().to_string()
        ],
        "instances follow, through their instance actors"
    );

    // A publishes; both receive it, verified and stored.
    let update = post::publish_note(&a.data, "bakers", "Picket at gate 3, Saturday 6am")
        .await
        .unwrap();
    wait_for_posts(&b, &bakers.ap_id, 1).await;
    wait_for_posts(&c, &bakers.ap_id, 1).await;
    let on_b = posts::by_ap_id(&b.store, &update.ap_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_b.content, "<p>Picket at gate 3, Saturday 6am</p>");
    assert!(!on_b.is_local);

    // B stops following; the next update reaches C only.
    follow::unfollow_remote(&b.data, &super::acct(&a, "bakers"))
        .await
        .unwrap();
    let store = a.store.clone();
    let chapter = bakers.ap_id.clone();
    wait_for("A to drop B as a follower", 20, || {
        let (store, chapter) = (store.clone(), chapter.clone());
        async move { follows::count_accepted(&store, &chapter).await.unwrap() == 1 }
    })
    .await;
    post::publish_note(&a.data, "bakers", "Thank you all for coming")
        .await
        .unwrap();
    wait_for_posts(&c, &bakers.ap_id, 2).await;
    wait_until_queue_empty(&a).await;
    assert_eq!(
        post_count(&b, &bakers.ap_id).await,
        1,
        "B no longer receives updates"
    );
    let stats = deliveries::stats(&a.store).await.unwrap();
    assert_eq!((stats.pending, stats.dead), (0, 0));

    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_chapter_that_approves_followers_by_hand_accepts_and_rejects_when_told() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let row = unionhall_federation::actors::create_group(
        &a.data,
        unionhall_federation::actors::NewGroup {
            kind: unionhall_domain::ActorKind::Chapter,
            handle: unionhall_domain::Handle::parse("quiet").unwrap(),
            name: "Quiet Committee".into(),
            summary: String::new(),
            manually_approves_followers: true,
        },
    )
    .await
    .unwrap();
    let target = follow::follow_remote(&b.data, &super::acct(&a, "quiet"))
        .await
        .unwrap();
    let store = a.store.clone();
    let chapter = row.ap_id.clone();
    wait_for("the follow request to arrive", 20, || {
        let (store, chapter) = (store.clone(), chapter.clone());
        async move {
            !follows::followers_of(&store, &chapter)
                .await
                .unwrap()
                .is_empty()
        }
    })
    .await;
    assert!(!follows::followers_of(&a.store, &row.ap_id).await.unwrap()[0].accepted);
    assert!(!follows::is_following(&b.store, &target.ap_id)
        .await
        .unwrap());

    follow::answer_follower(
        &a.data,
        "quiet",
        &b.data.urls.instance_actor(),
        follow::Decision::Accept,
    )
    .await
    .unwrap();
    let store = b.store.clone();
    wait_for("the Accept to reach B", 20, || {
        let (store, id) = (store.clone(), target.ap_id.clone());
        async move { follows::is_following(&store, &id).await.unwrap() }
    })
    .await;

    // The organizers change their mind: B is removed and told so with a Reject.
    follow::answer_follower(
        &a.data,
        "quiet",
        &b.data.urls.instance_actor(),
        follow::Decision::Reject,
    )
    .await
    .unwrap();
    assert!(follows::followers_of(&a.store, &row.ap_id)
        .await
        .unwrap()
        .is_empty());
    wait_for("the Reject to reach B", 20, || {
        let store = store.clone();
        async move { follows::following(&store).await.unwrap().is_empty() }
    })
    .await;
    let again = follow::answer_follower(
        &a.data,
        "quiet",
        &b.data.urls.instance_actor(),
        follow::Decision::Reject,
    )
    .await;
    assert!(
        matches!(again, Err(unionhall_federation::Error::NotFound(_))),
        "{again:?}"
    );
    a.stop().await;
    b.stop().await;
}
