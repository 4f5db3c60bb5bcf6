//! The instance's federation policy at each point where it meets another: the
//! inbox, delivery (queued and new), follows, fetches; the block list from the
//! CLI on a running instance, and allow-list mode.

use super::bad_input::{post, Signed};
use super::{acct, create_chapter, follow_and_wait, post_count, wait_for_posts};
use crate::cli::{run_beside_servers, unionhall};
use crate::helpers::{fresh_database, host_name, respawn_instance_at, spawn_instance_on, wait_for};
use serde_json::json;
use unionhall_federation::policy;
use unionhall_store::{deliveries, follows};

#[tokio::test]
async fn a_blocked_instance_is_refused_sent_nothing_and_unfollowed() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let millers = create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    follow_and_wait(&b, &a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;
    follow_and_wait(&a, &b, "millers").await;
    let b_domain = host_name(b.addr.ip());
    // B's chapter is a member of a union body on A.
    let body = crate::solidarity::create_body(&a, "foodunion").await;
    unionhall_federation::activities::union::apply(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "millers",
        &acct(&a, "foodunion"),
    )
    .await
    .unwrap();
    let a_data = a.data.clone();
    let body_id = body.clone();
    wait_for("B's application to arrive", 10, || {
        let (a_data, body_id) = (a_data.clone(), body_id.clone());
        async move {
            let mut conn = a_data.store.acquire().await.unwrap();
            !unionhall_store::unions::members_of(&mut conn, &body_id)
                .await
                .unwrap()
                .is_empty()
        }
    })
    .await;
    unionhall_federation::activities::union::decide(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "foodunion",
        &millers.ap_id,
        true,
    )
    .await
    .unwrap();
    let b_store = b.store.clone();
    let millers_id = millers.ap_id.clone();
    wait_for("B to learn it was admitted", 10, || {
        let (b_store, millers_id) = (b_store.clone(), millers_id.clone());
        async move {
            unionhall_store::unions::bodies_of(&b_store, &millers_id)
                .await
                .unwrap()
                .iter()
                .any(|m| m.accepted_at.is_some())
        }
    })
    .await;

    // B goes down; what A publishes waits for it in the queue.
    let b_addr = b.addr;
    let b_db = b.stop().await;
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "Before the block")
        .await
        .unwrap();
    wait_for_posts(&c, &bakers.ap_id, 1).await;

    // The admin blocks B with the CLI, on the running instance.
    let dir = tempfile::tempdir().unwrap();
    let mut block = unionhall(dir.path());
    block
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
        .env("UNIONHALL_INSTANCE__PUBLIC_URL", a.url.as_str())
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args([
            "federation",
            "block",
            &b_domain,
            "--reason",
            "employer's consultants",
        ]);
    let (output, stderr) = run_beside_servers(block).await;
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("1 queued deliveries dropped, 1 followers and 1 follows removed"),
        "{stdout}"
    );
    let stats = deliveries::stats(&a.store).await.unwrap();
    assert_eq!((stats.pending, stats.dropped), (0, 1), "{stats:?}");
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert!(followers
        .iter()
        .all(|f| f.follower.host_str() != Some(b_domain.as_str())));
    assert!(!follows::is_following(&a.store, &millers.ap_id)
        .await
        .unwrap());
    // A bad domain is refused in one line.
    let mut bad = unionhall(dir.path());
    bad.env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
        .env("UNIONHALL_INSTANCE__PUBLIC_URL", a.url.as_str())
        .args(["federation", "block", "https://example.org/x"]);
    let (output, stderr) = run_beside_servers(bad).await;
    crate::cli::assert_one_line_failure(&output, &stderr, "domain");

    // The running server reads the policy again within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // B comes back: its signed requests are refused before anything is done.
    let b = respawn_instance_at(b_addr, b_db).await;
    let follow = json!({"type": "Follow", "id": format!("{}/again", millers.ap_id), "actor": millers.ap_id,
                        "object": bakers.ap_id});
    let (status, body) = post(
        &a,
        follow.to_string().as_bytes(),
        Some(Signed::by(&millers)),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not federate"),
        "{body}"
    );
    // Nothing more goes to it, and nothing is fetched from it.
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "After the block")
        .await
        .unwrap();
    wait_for_posts(&c, &bakers.ap_id, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(post_count(&b, &bakers.ap_id).await, 0);
    let err =
        unionhall_federation::activities::follow::follow_remote(&a.data, &acct(&b, "millers"))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("does not federate"), "{err}");

    // Allow-list mode: only the listed are taken.
    policy::unblock(&a.data, &b_domain).await.unwrap();
    policy::set_mode(&a.data, unionhall_domain::FederationMode::Allowlist)
        .await
        .unwrap();
    policy::allow(&a.data, &host_name(c.addr.ip()))
        .await
        .unwrap();
    let (status, body) = post(
        &a,
        follow.to_string().as_bytes(),
        Some(Signed::by(&millers)),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allow list"),
        "{body}"
    );
    let brewers = unionhall_store::actors::local_by_handle(&c.store, "brewers")
        .await
        .unwrap()
        .unwrap();
    let brewers = c.data.vault.open(&brewers).unwrap();
    let from_c = json!({"type": "Follow", "id": format!("{}/f", brewers.ap_id), "actor": brewers.ap_id,
                        "object": bakers.ap_id});
    let (status, body) = post(
        &a,
        from_c.to_string().as_bytes(),
        Some(Signed::by(&brewers)),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let store = a.store.clone();
    let bakers_id = bakers.ap_id.clone();
    wait_for("C's chapter to follow", 10, || {
        let (store, bakers_id) = (store.clone(), bakers_id.clone());
        async move {
            follows::followers_of(&store, &bakers_id)
                .await
                .unwrap()
                .iter()
                .any(|f| f.follower.as_str().contains("brewers"))
        }
    })
    .await;

    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_report_from_another_server_lands_in_the_moderation_queue() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let note = unionhall_federation::activities::post::publish_note(&a.data, "bakers", "A post")
        .await
        .unwrap();
    // B's instance actor reports, as Mastodon does.
    let reporter =
        unionhall_federation::actors::ensure_instance_actor(&b.store, &b.data.urls, &b.data.vault)
            .await
            .unwrap()
            .0;
    let flag = |n: u32, objects: serde_json::Value| {
        json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Flag",
               "id": format!("{}/flags/{n}", b.url), "actor": reporter.ap_id,
               "content": "harassment of our members", "object": objects})
    };
    let (status, body) = post(
        &a,
        flag(1, json!([bakers.ap_id, note.ap_id]))
            .to_string()
            .as_bytes(),
        Some(Signed::by(&reporter)),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = post(
        &a,
        flag(2, json!("https://elsewhere.example/users/x"))
            .to_string()
            .as_bytes(),
        Some(Signed::by(&reporter)),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let mut cmd = unionhall(dir.path());
        cmd.env("UNIONHALL_DATABASE__URL", &a.db.url)
            .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
            .env("UNIONHALL_INSTANCE__PUBLIC_URL", a.url.as_str())
            .env("UNIONHALL_LOG__LEVEL", "error")
            .args(args);
        run_beside_servers(cmd)
    };
    let (output, stderr) = cli(&["federation", "reports"]).await;
    assert!(output.status.success(), "{stderr}");
    let listed = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(
        listed.contains("open")
            && listed.contains("harassment of our members")
            && listed.contains(note.ap_id.as_str()),
        "{listed}"
    );
    let id = listed.split_whitespace().next().unwrap().to_owned();
    let (output, stderr) = cli(&["federation", "resolve", &id]).await;
    assert!(output.status.success(), "{stderr}");
    let (output, _) = cli(&["federation", "reports"]).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("resolved"));
    for instance in [a, b] {
        instance.stop().await;
    }
}
