use crate::helpers::{fresh_database, open_store};
use unionhall_store::instance;

#[tokio::test]
async fn readiness_reports_pending_migrations_until_migrated() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    let before = store.readiness().await.unwrap();
    assert!(!before.is_ready());
    assert!(!before.pending_migrations.is_empty());
    store.migrate().await.unwrap();
    assert!(store.readiness().await.unwrap().is_ready());
    // Migrating again is a no-op, as at every start.
    store.migrate().await.unwrap();
    assert!(store.readiness().await.unwrap().is_ready());
}

#[tokio::test]
async fn instance_facts_are_set_once() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    assert_eq!(instance::get(&store, "public_url").await.unwrap(), None);
    let first = instance::remember_first_start(&store, "https://a.example/")
        .await
        .unwrap();
    assert_eq!(first, "https://a.example/");
    let second = instance::remember_first_start(&store, "https://b.example/")
        .await
        .unwrap();
    assert_eq!(second, "https://a.example/", "the first URL is kept");
}

#[tokio::test]
async fn a_rolled_back_write_leaves_nothing() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    {
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("INSERT INTO instance_meta (key, value, updated_at) VALUES ('k', 'v', 0)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
    }
    assert_eq!(instance::get(&store, "k").await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_writers_on_one_database_all_succeed() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { instance::get_or_set(&store, &format!("key{i}"), "v").await })
    });
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    for i in 0..16 {
        assert!(instance::get(&store, &format!("key{i}"))
            .await
            .unwrap()
            .is_some());
    }
}

/// The inbox's batch writer of received notes: each note fares as it would
/// have alone and in order.
#[tokio::test]
async fn a_batch_of_received_notes_fares_as_each_would_alone() {
    use unionhall_store::posts;
    use unionhall_store::received_notes::{write, Outcome};
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let ada = crate::federation::create_chapter(&a, "ada").await.ap_id;
    let bob = crate::federation::create_chapter(&a, "bob").await.ap_id;
    let (url, note) = (remote, received_note);
    let mut tx = a.store.begin_write().await.unwrap();
    let first = write(&mut tx, &[note("a0", &ada, Some(("n0", "before")))])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first, [Outcome::Stored]);

    let batch = [
        note("a0", &ada, Some(("n0", "again"))), // seen in an earlier batch
        note("a1", &ada, Some(("n1", "one"))),   // new
        note("a1", &ada, Some(("n1", "twice"))), // the same activity again
        note("a2", &bob, Some(("n0", "mine"))),  // ada's note, claimed by bob
        note("a2", &bob, Some(("n0", "mine"))),  // ... and sent again
        note("a3", &ada, Some(("n1", "edited"))), // n1 again: after a1
        note("a4", &bob, None),                  // not followed: id only
    ];
    let mut tx = a.store.begin_write().await.unwrap();
    let outcomes = write(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    use Outcome::*;
    assert_eq!(
        outcomes,
        [Seen, Stored, Seen, NotTheirs, NotTheirs, Stored, Stored]
    );
    let content = |id: &str| {
        let store = a.store.clone();
        let id = url(id);
        async move { posts::by_ap_id(&store, &id).await.unwrap().unwrap().content }
    };
    assert_eq!(content("n0").await, "before");
    assert_eq!(content("n1").await, "edited");
    let seen = |id: &str| {
        let store = a.store.clone();
        let id = url(id);
        async move {
            unionhall_store::inbox_seen::seen(&store, &id)
                .await
                .unwrap()
        }
    };
    assert!(
        !seen("a2").await,
        "a refused note's activity is not recorded"
    );
    for id in ["a0", "a1", "a3", "a4"] {
        assert!(seen(id).await, "{id} is recorded");
    }
}

/// All blocks at once (what the inbox keeps in memory), and one block read
/// inside a transaction (what a Follow or a Join checks where it writes).
#[tokio::test]
async fn blocks_are_read_all_at_once_and_one_at_a_time() {
    use unionhall_store::actor_blocks;
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let ada = crate::federation::create_chapter(&a, "ada").await.ap_id;
    let bob = crate::federation::create_chapter(&a, "bob").await.ap_id;
    let (mallory, carol) = (remote("mallory"), remote("carol"));
    let mut tx = a.store.begin_write().await.unwrap();
    for blocker in [&ada, &bob] {
        actor_blocks::insert(&mut tx, blocker, &mallory, "spam")
            .await
            .unwrap();
    }
    assert!(actor_blocks::blocks(&mut tx, &ada, &mallory).await.unwrap());
    assert!(!actor_blocks::blocks(&mut tx, &ada, &carol).await.unwrap());
    tx.commit().await.unwrap();
    let mut all = actor_blocks::all(&a.store).await.unwrap();
    all.sort();
    let mut expected = vec![(mallory.clone(), ada), (mallory, bob)];
    expected.sort();
    assert_eq!(all, expected);
}

/// When a batch of the inbox's writer fails as a whole, each of its notes is
/// written on its own: the one that cannot be stored fails, the others are
/// stored.
#[tokio::test]
async fn a_note_that_fails_its_batch_fails_alone() {
    use unionhall_federation::group_commit::GroupCommit;
    use unionhall_store::posts;
    use unionhall_store::received_notes::Outcome;
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let ada = crate::federation::create_chapter(&a, "ada").await.ap_id;
    let url = remote;
    // An author the instance has never seen breaks the posts' foreign key,
    // and with it the statement that writes the whole batch.
    let nobody = url("nobody");
    let note = |n: usize, author: &url::Url| {
        let (post, content) = (format!("n{n}"), format!("note {n}"));
        received_note(&format!("a{n}"), author, Some((&post, &content)))
    };
    let writer = GroupCommit::start(a.store.clone());
    // This test's runtime has one thread: the four are queued before the
    // writer runs, so they come to it as one batch.
    let (first, orphan, third, fourth) = tokio::join!(
        writer.write(note(1, &ada)),
        writer.write(note(2, &nobody)),
        writer.write(note(3, &ada)),
        writer.write(note(4, &ada)),
    );
    assert!(orphan.is_err(), "a note by an unknown author is not stored");
    for outcome in [first, third, fourth] {
        assert_eq!(outcome.unwrap(), Outcome::Stored);
    }
    for n in [1, 3, 4] {
        assert!(posts::by_ap_id(&a.store, &url(&format!("n{n}")))
            .await
            .unwrap()
            .is_some());
    }
    assert!(posts::by_ap_id(&a.store, &url("n2"))
        .await
        .unwrap()
        .is_none());
}

/// `https://remote.example/{path}`: ids of another server's objects.
fn remote(path: &str) -> url::Url {
    url::Url::parse(&format!("https://remote.example/{path}")).unwrap()
}

/// A received activity `activity` by `actor`, carrying the note `post` (id and
/// content) if any.
fn received_note(
    activity: &str,
    actor: &url::Url,
    post: Option<(&str, &str)>,
) -> unionhall_store::received_notes::ReceivedNote {
    unionhall_store::received_notes::ReceivedNote {
        activity: remote(activity),
        actor: actor.clone(),
        post: post.map(|(id, content)| unionhall_store::posts::Post {
            ap_id: remote(id),
            author: actor.clone(),
            content: content.into(),
            public: true,
            is_local: false,
            published_at: 1,
            updated_at: None,
            deleted_at: None,
            campaign: None,
        }),
    }
}

/// A peer backed off as a whole has none of its deliveries claimed until its
/// time is up; one delivery it takes marks it healthy again, as do the others
/// recorded with it.
#[tokio::test]
async fn a_failing_peer_counts_a_round_once_is_probed_alone_and_its_queue_flows_when_back() {
    use unionhall_store::deliveries::{self, Outcome};
    use unionhall_store::outbox::{self, OutboundActivity};
    use unionhall_store::{now_millis, peers};
    // A chapter to send from, then the store alone: no workers to claim rows.
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let ada = crate::federation::create_chapter(&a, "ada").await.ap_id;
    let db = a.stop().await;
    let store = open_store(&db).await;
    let inboxes: Vec<url::Url> = ["down.example", "up.example", "other.example"]
        .iter()
        .map(|host| format!("https://{host}/inbox").parse().unwrap())
        .collect();
    for n in 0..3 {
        let mut tx = store.begin_write().await.unwrap();
        let activity = OutboundActivity {
            ap_id: format!("{ada}/activities/{n}").parse().unwrap(),
            actor: ada.clone(),
            ap_type: "Create".into(),
            body: "{}".into(),
            public: true,
        };
        // Down gets all three; the others one each.
        let to = if n == 0 { &inboxes[..] } else { &inboxes[..1] };
        outbox::enqueue(&mut tx, &activity, to).await.unwrap();
        tx.commit().await.unwrap();
    }
    // Three deliveries in flight fail together: one round, one back-off.
    let hour = |_round| 3_600_000;
    let now = now_millis();
    let rounds: Vec<Option<i64>> = futures_in_order(3, || {
        peers::failed(&store, "down.example", "503", now, hour)
    })
    .await;
    assert_eq!(rounds, [Some(1), None, None]);
    assert_eq!(
        peers::failed_rounds(&store, "down.example").await.unwrap(),
        1
    );
    let claimed = deliveries::claim(&store, 10, 60_000, "test-worker")
        .await
        .unwrap();
    let mut hosts: Vec<&str> = claimed.iter().map(|c| c.host.as_str()).collect();
    hosts.sort_unstable();
    assert_eq!(hosts, ["other.example", "up.example"]);
    let health = deliveries::health(&store).await.unwrap();
    assert_eq!(health.backed_off.len(), 1);
    assert_eq!(health.backed_off[0].0, "down.example");

    // Its wait over (here: the operator's "try it now"), it gets one
    // delivery, its probe, and no other while that one is out.
    assert!(peers::retry_now(&store, "down.example", now_millis())
        .await
        .unwrap());
    let probe = deliveries::claim(&store, 10, 60_000, "test-worker")
        .await
        .unwrap();
    assert_eq!(probe.len(), 1, "{probe:?}");
    assert_eq!(probe[0].host, "down.example");
    assert!(deliveries::claim(&store, 10, 60_000, "test-worker")
        .await
        .unwrap()
        .is_empty());

    // The probe goes through: the rest of its queue is due at once, and the
    // peer counts from zero again. The recorder names hosts more than once.
    let mut delivered: Vec<(i64, Outcome)> =
        claimed.iter().map(|c| (c.id, Outcome::Delivered)).collect();
    delivered.push((probe[0].id, Outcome::Delivered));
    let healthy = ["up.example", "down.example", "up.example"].map(String::from);
    let recovered = deliveries::record(&store, &delivered, &healthy)
        .await
        .unwrap();
    assert_eq!(recovered, 1, "down.example came back");
    let health = deliveries::health(&store).await.unwrap();
    assert!(health.backed_off.is_empty(), "{:?}", health.backed_off);
    let rest = deliveries::claim(&store, 10, 60_000, "test-worker")
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|c| c.host == "down.example"));
    assert_eq!(
        peers::failed(&store, "down.example", "503", now_millis(), hour)
            .await
            .unwrap(),
        Some(1),
        "counted from zero again after the success"
    );
}

/// Runs `count` calls of `call` one after the other, collecting the results.
async fn futures_in_order<T, F, Fut>(count: usize, mut call: F) -> Vec<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = unionhall_store::Result<T>>,
{
    let mut results = Vec::new();
    for _ in 0..count {
        results.push(call().await.unwrap());
    }
    results
}

#[tokio::test]
async fn a_due_backfill_is_claimed_once_and_not_again_until_its_lease_ends() {
    use unionhall_store::{actors, follows, now_millis};
    // Two followed chapters, the follows accepted with their backfills due now
    // and in an hour; then the store alone.
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let instance = actors::instance_actor(&a.store).await.unwrap().unwrap();
    let mut targets = Vec::new();
    for handle in ["due", "later"] {
        let mut row = crate::federation::create_chapter(&a, handle).await;
        // Seen from here, they are another server's.
        row.ap_id = remote(&format!("actors/{handle}"));
        row.handle = None;
        row.is_local = false;
        row.private_key_pem = None;
        actors::upsert_remote(&a.store, &row).await.unwrap();
        targets.push(row.ap_id);
    }
    let db = a.stop().await;
    let store = open_store(&db).await;
    let now = now_millis();
    for (target, due) in targets.iter().zip([now, now + 3_600_000]) {
        let follow_id = remote(&format!("follows/{due}"));
        let mut tx = store.begin_write().await.unwrap();
        follows::insert_following(&mut tx, target, &instance.ap_id, &follow_id)
            .await
            .unwrap();
        assert!(
            follows::mark_following_accepted(&mut tx, target, &follow_id, due)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }

    // Two workers at once: one of them gets the due one, the other nothing.
    let lease = now_millis() + 60_000;
    let (first, second) = tokio::join!(
        follows::claim_due_backfills(&store, 10, lease),
        follows::claim_due_backfills(&store, 10, lease)
    );
    let mut claimed = first.unwrap();
    claimed.extend(second.unwrap());
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    assert_eq!(claimed[0].target, targets[0]);
    assert!(follows::claim_due_backfills(&store, 10, lease)
        .await
        .unwrap()
        .is_empty());

    // Failed: due again now; done: never again.
    follows::set_backfill_due(&store, &targets[0], Some(now_millis()))
        .await
        .unwrap();
    let again = follows::claim_due_backfills(&store, 10, lease)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    follows::set_backfill_due(&store, &targets[0], None)
        .await
        .unwrap();
    assert!(follows::claim_due_backfills(&store, 10, i64::MAX)
        .await
        .unwrap()
        .iter()
        .all(|c| c.target != targets[0]));
}

#[tokio::test]
async fn pruning_drops_expired_logins_tokens_links_and_finished_mail_only() {
    use unionhall_store::{account_resets, accounts, retention};
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    let now = unionhall_store::now_millis();
    let mut tx = store.begin_write().await.unwrap();
    let organizer = accounts::insert_account(&mut tx, "rosa", "hash")
        .await
        .unwrap()
        .unwrap();
    let other = accounts::insert_account(&mut tx, "ana", "hash")
        .await
        .unwrap()
        .unwrap();
    let live_link = account_resets::ResetRow {
        account_id: organizer,
        remove_second_factor: false,
        expires_at: now + 3_600_000,
    };
    account_resets::replace(&mut tx, "live-link", &live_link, now)
        .await
        .unwrap();
    let expired_link = account_resets::ResetRow {
        account_id: other,
        expires_at: now - 1,
        ..live_link
    };
    account_resets::replace(&mut tx, "expired-link", &expired_link, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    accounts::insert_session(&store, "live", organizer, now + 3_600_000)
        .await
        .unwrap();
    accounts::insert_session(&store, "expired", organizer, now - 1)
        .await
        .unwrap();
    accounts::insert_session(&store, "revoked", organizer, now + 3_600_000)
        .await
        .unwrap();
    assert!(accounts::revoke_session_by_hash(&store, "revoked")
        .await
        .unwrap());
    accounts::insert_token(
        &store,
        "live-token",
        organizer,
        "phone",
        "read",
        now + 3_600_000,
    )
    .await
    .unwrap();
    accounts::insert_token(&store, "old-token", organizer, "laptop", "read", now - 1)
        .await
        .unwrap();

    // Mail: one sent, one given up, one still waiting (never pruned).
    let sealed = unionhall_store::members::Sealed {
        key_id: "k".into(),
        bytes: vec![1, 2, 3],
    };
    let mut tx = store.begin_write().await.unwrap();
    for id in ["sent", "failed", "waiting"] {
        let parties = unionhall_store::mail_queue::Parties {
            account_id: Some(organizer),
            asked_by: None,
        };
        unionhall_store::mail_queue::enqueue(&mut tx, id, parties, "reset", &sealed)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    unionhall_store::mail_queue::mark_sent(&store, "sent")
        .await
        .unwrap();
    unionhall_store::mail_queue::give_up(&store, "failed", "550", None)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let ages = retention::Ages {
        delivered_ms: 1,
        dead_ms: 1,
        seen_ms: 1,
        pledges_ms: 1,
        outbox_ms: 1,
    };
    let pruned = retention::prune(&store, &ages).await.unwrap();
    assert_eq!(
        (pruned.sessions, pruned.api_tokens, pruned.recovery_links),
        (2, 1, 1)
    );
    assert_eq!(pruned.mail, 2);
    assert_eq!(
        unionhall_store::mail_queue::stats(&store)
            .await
            .unwrap()
            .waiting,
        1
    );
    assert!(accounts::live_session(&store, "live")
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        accounts::tokens_of(&store, organizer).await.unwrap().len(),
        1
    );
    assert!(account_resets::by_hash(&store, "live-link")
        .await
        .unwrap()
        .is_some());
    // Nothing left to prune: a second pass deletes nothing.
    assert_eq!(retention::prune(&store, &ages).await.unwrap().total(), 0);
}

/// The outbox keeps what peers read and deliveries need: its Creates and
/// Follows always, anything with a delivery pending; the rest (above all the
/// Update each pledge sends) goes after `retention.outbox_days`.
#[tokio::test]
async fn pruning_the_outbox_keeps_creates_follows_and_what_is_still_being_delivered() {
    use unionhall_store::outbox::{self, OutboundActivity};
    use unionhall_store::retention;
    // A chapter to send as, then the store alone: no worker delivers meanwhile.
    let a = crate::helpers::spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = crate::federation::create_chapter(&a, "bakers").await;
    let db = a.stop().await;
    let store = &open_store(&db).await;
    let db = &db;
    let activity = |id: &str, ap_type: &str| OutboundActivity {
        ap_id: format!("https://a.example/activities/{id}")
            .parse()
            .unwrap(),
        actor: bakers.ap_id.clone(),
        ap_type: ap_type.into(),
        body: "{}".into(),
        public: true,
    };
    let peer: url::Url = "https://peer.example/inbox".parse().unwrap();
    let mut tx = store.begin_write().await.unwrap();
    for (id, ap_type, inboxes) in [
        ("update-sent", "Update", vec![]),
        ("update-pending", "Update", vec![peer.clone()]),
        ("accept-sent", "Accept", vec![]),
        ("create", "Create", vec![]),
        ("follow", "Follow", vec![]),
    ] {
        outbox::enqueue(&mut tx, &activity(id, ap_type), &inboxes)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let ages = unionhall::Settings::load(None, Vec::new())
        .unwrap()
        .retention_ages();
    let day = 24 * 3_600_000;
    let now = unionhall_store::now_millis();
    let early = retention::prune_at(store, &ages, now + 89 * day).await;
    assert_eq!(early.unwrap().outbox, 0);
    let pruned = retention::prune_at(store, &ages, now + 91 * day).await;
    assert_eq!(pruned.unwrap().outbox, 2);
    let sql = "SELECT ap_id FROM outbox ORDER BY ap_id";
    let left: Vec<String> = crate::helpers::column_of(db, sql).await;
    let left: Vec<&str> = left
        .iter()
        .map(|id| id.trim_start_matches("https://a.example/activities/"))
        .collect();
    assert_eq!(left, ["create", "follow", "update-pending"]);
    let pending: Vec<String> = crate::helpers::column_of(db, "SELECT inbox FROM deliveries").await;
    assert_eq!(pending, [peer.to_string()]);
}
