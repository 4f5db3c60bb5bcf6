//! Moderation between real instances: a chapter blocks one remote actor, an
//! organizer reports a remote actor and post to their server (as the instance,
//! naming no one), and an admin removes a local post everywhere.

use super::bad_input::{post, Signed};
use super::{create_chapter, follow_and_wait, wait_for_posts};
use crate::cli::{run_beside_servers, unionhall};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use crate::members::{join, join_instance_admin};
use reqwest::Method;
use serde_json::json;
use unionhall_domain::Role;
use unionhall_federation::activities::post::publish_note;
use unionhall_store::{follows, posts, reports};

#[tokio::test]
async fn a_chapter_blocks_one_remote_actor_and_only_that_one() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let millers = create_chapter(&a, "millers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let friend = create_chapter(&b, "friend").await;
    let organizer = join(&a, "bakers", Role::Organizer, "rosa").await;

    let follow = |actor: &url::Url, object: &url::Url, n: &str| {
        json!({"type": "Follow", "id": format!("{actor}/follows/{n}"), "actor": actor,
            "object": object})
        .to_string()
        .into_bytes()
    };
    for (who, n) in [(&mallory, "1"), (&friend, "1")] {
        let (status, body) = post(
            &a,
            &follow(&who.ap_id, &bakers.ap_id, n),
            Some(Signed::by(who)),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    assert_eq!(
        follows::followers_of(&a.store, &bakers.ap_id)
            .await
            .unwrap()
            .len(),
        2
    );

    // Not an organizer of bakers: refused. The organizer: done, follow removed.
    let member = join(&a, "bakers", Role::Member, "sam").await;
    let (status, _) = member
        .post(
            "/api/v1/groups/bakers/blocks",
            json!({"actor": mallory.ap_id}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, done) = organizer
        .post(
            "/api/v1/groups/bakers/blocks",
            json!({"actor": mallory.ap_id, "reason": "harassing the committee"}),
        )
        .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["follow_removed"], true);
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 1);
    assert_eq!(followers[0].follower, friend.ap_id);

    // Mallory can no longer follow or write to bakers...
    let (status, body) = post(
        &a,
        &follow(&mallory.ap_id, &bakers.ap_id, "2"),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("blocked"), "{body}");
    let note = json!({"type": "Create", "id": format!("{}/notes/1/activity", mallory.ap_id),
        "actor": mallory.ap_id, "to": [bakers.ap_id],
        "object": {"type": "Note", "id": format!("{}/notes/1", mallory.ap_id),
            "attributedTo": mallory.ap_id, "to": [bakers.ap_id], "content": "we know where you work"}});
    let (status, _) = post(&a, note.to_string().as_bytes(), Some(Signed::by(&mallory))).await;
    assert_eq!(status, 403);
    // ... nor by padding it with more of A's URLs than are looked up, read
    // (in key order) before the one that names bakers.
    let padding: Vec<String> = (0..100)
        .map(|n| a.at(&format!("/posts/{n}")).to_string())
        .collect();
    let padded = json!({"type": "Create", "id": format!("{}/notes/3/activity", mallory.ap_id),
        "actor": mallory.ap_id, "tag": padding, "to": [bakers.ap_id],
        "object": {"type": "Note", "id": format!("{}/notes/3", mallory.ap_id),
            "attributedTo": mallory.ap_id, "content": "padded"}});
    let (status, body) = post(
        &a,
        padded.to_string().as_bytes(),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.to_string().contains("more of this instance's URLs"),
        "{body}"
    );
    // ... nor through bakers' own inbox.
    let public = json!({"type": "Create", "id": format!("{}/notes/2/activity", mallory.ap_id),
        "actor": mallory.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "id": format!("{}/notes/2", mallory.ap_id),
            "attributedTo": mallory.ap_id, "content": "hello"}})
    .to_string();
    let status = post_to(&a, "/actors/bakers/inbox", &public, &mallory).await;
    assert_eq!(status, 403);
    let status = post_to(&a, "/actors/millers/inbox", &public, &mallory).await;
    assert_eq!(status, 202, "a public note to millers' inbox is taken");
    // ... but follows millers, which did not block it, and friend is unaffected.
    let (status, _) = post(
        &a,
        &follow(&mallory.ap_id, &millers.ap_id, "4"),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 202);
    let (status, _) = post(
        &a,
        &follow(&friend.ap_id, &bakers.ap_id, "5"),
        Some(Signed::by(&friend)),
    )
    .await;
    assert_eq!(status, 202);

    let (status, list) = organizer.get("/api/v1/groups/bakers/blocks").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["actor"], mallory.ap_id.as_str());
    assert_eq!(list[0]["reason"], "harassing the committee");

    // Lifted: mallory may follow again.
    let path = format!("/api/v1/groups/bakers/blocks?actor={}", mallory.ap_id);
    let (status, _) = organizer.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, _) = post(
        &a,
        &follow(&mallory.ap_id, &bakers.ap_id, "6"),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 202);
    // The same from the command line, on the running instance.
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let mut command = unionhall(dir.path());
        command
            .env("UNIONHALL_DATABASE__URL", &a.db.url)
            .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
            .env("UNIONHALL_INSTANCE__PUBLIC_URL", a.url.as_str())
            .env("UNIONHALL_LOG__LEVEL", "error")
            .args(args);
        run_beside_servers(command)
    };
    let block = [
        "federation",
        "block-actor",
        "bakers",
        mallory.ap_id.as_str(),
        "--reason",
        "again",
    ];
    let (output, stderr) = cli(&block).await;
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("follow removed: yes"));
    let (output, _) = cli(&["federation", "actor-blocks", "bakers"]).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains(mallory.ap_id.as_str()));
    let (status, _) = post(
        &a,
        &follow(&mallory.ap_id, &bakers.ap_id, "7"),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 403);
    let (output, stderr) = cli(&[
        "federation",
        "block-actor",
        "nobody",
        mallory.ap_id.as_str(),
    ])
    .await;
    crate::cli::assert_one_line_failure(&output, &stderr, "nobody");
    let (output, stderr) = cli(&["federation", "unblock-actor", "bakers", "not a url"]).await;
    crate::cli::assert_one_line_failure(&output, &stderr, "URL");
}

/// A block written by another process (the CLI) reaches the running inbox's
/// copy of the blocks within a second; a Follow is refused at once all the
/// same, since it checks the block where it is written.
#[tokio::test]
async fn a_block_from_another_process_holds_for_follows_at_once_and_for_all_within_a_second() {
    use unionhall_store::actor_blocks;
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let follow = |n: &str| {
        json!({"type": "Follow", "id": format!("{}/follows/{n}", mallory.ap_id),
            "actor": mallory.ap_id, "object": bakers.ap_id})
        .to_string()
        .into_bytes()
    };
    // The inbox reads the blocks (none) for this request and keeps them.
    let (status, body) = post(&a, &follow("1"), Some(Signed::by(&mallory))).await;
    assert_eq!(status, 202, "{body}");
    // Blocked straight in the database, as another process does: this
    // process's copy is not told.
    let mut tx = a.store.begin_write().await.unwrap();
    actor_blocks::insert(&mut tx, &bakers.ap_id, &mallory.ap_id, "from the CLI")
        .await
        .unwrap();
    follows::remove_follower(&mut tx, &bakers.ap_id, &mallory.ap_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, body) = post(&a, &follow("2"), Some(Signed::by(&mallory))).await;
    assert_eq!(status, 403, "{body}");
    assert!(follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap()
        .is_empty());
    // Anything else aimed at bakers is refused once the copy is read again.
    let mut n = 0;
    wait_for("the inbox to refuse mallory's notes to bakers", 5, || {
        n += 1;
        let note = json!({"type": "Create", "id": format!("{}/notes/{n}/activity", mallory.ap_id),
            "actor": mallory.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"type": "Note", "id": format!("{}/notes/{n}", mallory.ap_id),
                "attributedTo": mallory.ap_id, "content": "hello"}})
        .to_string();
        let (a, mallory) = (&a, &mallory);
        async move { post_to(a, "/actors/bakers/inbox", &note, mallory).await == 403 }
    })
    .await;
}

/// Posts `body` signed by `actor` to `path` of `a`; the status.
async fn post_to(
    a: &crate::helpers::TestInstance,
    path: &str,
    body: &str,
    actor: &unionhall_store::actors::ActorRow,
) -> u16 {
    use unionhall_federation::signatures::{signed_post_headers_at, Signer};
    let url = a.at(path);
    let key = Signer::default()
        .key(
            actor.ap_id.as_str(),
            actor.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let headers = signed_post_headers_at(
        &key,
        &actor.public_key_id,
        &url,
        body.as_bytes(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let response = a
        .client
        .post(url)
        .headers(headers)
        .body(body.to_owned())
        .send();
    response.await.unwrap().status().as_u16()
}

#[tokio::test]
async fn an_organizer_reports_a_remote_actor_and_post_as_the_instance() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let organizer = join(&a, "bakers", Role::Organizer, "rosa-reporter").await;
    let smear = publish_note(&b.data, "mallory", "A smear").await.unwrap();

    let (status, sent) = organizer
        .post(
            "/api/v1/groups/bakers/reports",
            json!({"object": smear.ap_id, "comment": "a smear against our steward"}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");

    wait_for("B to receive the report", 10, || async {
        !reports::list(&b.store, 10).await.unwrap().is_empty()
    })
    .await;
    let received = reports::list(&b.store, 10).await.unwrap().remove(0);
    assert_eq!(received.reporter, a.data.urls.instance_actor());
    assert!(received.objects.contains(&mallory.ap_id));
    assert!(received.objects.contains(&smear.ap_id));
    assert_eq!(received.content, "a smear against our steward");
    // The report names no account: not the organizer, not the chapter.
    let (status, _) = organizer.get("/api/v1/admin/reports").await;
    assert_eq!(status, 403, "an organizer does not read the queue");
    let flag_id = url::Url::parse(sent["activity"].as_str().unwrap()).unwrap();
    let outgoing = unionhall_store::outbox::get(&a.store, &flag_id)
        .await
        .unwrap()
        .expect("the Flag is in the outbox");
    assert!(
        !outgoing.body.contains("rosa-reporter"),
        "{}",
        outgoing.body
    );
    assert!(!outgoing.body.contains("bakers"), "{}", outgoing.body);

    // A local object cannot be reported to itself; a bad URL is a 400.
    let (status, _) = organizer
        .post(
            "/api/v1/groups/bakers/reports",
            json!({"object": a.at("/actors/bakers")}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = organizer
        .post(
            "/api/v1/groups/bakers/reports",
            json!({"object": "not a url"}),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_instance_admin_removes_a_local_post_and_its_followers_are_told() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    create_chapter(&a, "millers").await;
    let admin = join_instance_admin(&a, "millers", Role::Admin, "ada").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    // A chapter's admin does not run the instance.
    let chapter_admin = join(&a, "bakers", Role::Admin, "bea").await;
    follow_and_wait(&b, &a, "bakers").await;
    let slip = publish_note(&a.data, "bakers", "A post that names a member by mistake")
        .await
        .unwrap();
    wait_for_posts(&b, &bakers.ap_id, 1).await;

    for refused in [&organizer, &chapter_admin] {
        let (status, _) = refused
            .post("/api/v1/admin/posts/remove", json!({"url": slip.ap_id}))
            .await;
        assert_eq!(status, 403);
    }
    let (status, body) = admin
        .post("/api/v1/admin/posts/remove", json!({"url": slip.ap_id}))
        .await;
    assert_eq!(status, 204, "{body}");
    wait_for("B to delete its copy", 10, || async {
        posts::by_ap_id(&b.store, &slip.ap_id)
            .await
            .unwrap()
            .is_some_and(|p| p.deleted_at.is_some() && p.content.is_empty())
    })
    .await;
    let served = a
        .client
        .get(slip.ap_id.clone())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(served.status().as_u16(), 404 | 410),
        "{}",
        served.status()
    );
    // Removing it again, or something that is not ours, is a 404.
    let (status, _) = admin
        .post("/api/v1/admin/posts/remove", json!({"url": slip.ap_id}))
        .await;
    assert_eq!(status, 404);
}
