//! Reach: servers that are not Unionhall, each speaking its own dialect, work
//! with a chapter (FEDERATION.md, "Other servers").

use super::create_chapter;
use super::stand_in::{Fetching, Signing, StandIn};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for, TestInstance};
use aws_lc_rs::signature::Ed25519KeyPair;
use serde_json::{json, Value};
use unionhall_domain::{Audience, Authority, CallForSupport, CallKind, CallStatus, Goal, Role};
use unionhall_federation::activities::call;
use unionhall_federation::signatures::rfc9421;
use unionhall_store::calls::{self, CallRow};
use unionhall_store::{follows, interactions};
use url::Url;

#[tokio::test]
async fn a_server_that_requires_signed_fetches_follows_a_chapter_and_is_followed_back() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let strict = StandIn::start("127.0.0.7", "dockers", "Group", Fetching::SignedOnly).await;
    // As a Mastodon before 4.5: draft-cavage only, for its inbox too.
    strict.takes_only(&[Signing::Cavage]);

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

/// A public picket of the chapter "bakers" of `a`, posted by its operator.
pub(crate) async fn bakers_picket(a: &TestInstance) -> CallRow {
    call::publish_call(
        &a.data,
        &Authority::Operator,
        "bakers",
        bakers_picket_call(),
        Audience::Public,
    )
    .await
    .unwrap()
}

/// The picket `bakers_picket` posts.
pub(crate) fn bakers_picket_call() -> CallForSupport {
    CallForSupport {
        kind: CallKind::Picket,
        title: "Picket the bakery gate".into(),
        details: "Bring water.".into(),
        place: None,
        starts_at: Some(4_102_444_800_000),
        ends_at: Some(4_102_452_000_000),
        deadline: None,
        goal: Goal {
            people: Some(15),
            amount: None,
            currency: String::new(),
            fund_url: String::new(),
        },
        time_zone: None,
    }
}

pub(crate) async fn people_pledged(a: &TestInstance, call: &CallRow) -> i64 {
    calls::by_id(&a.store, call.id)
        .await
        .unwrap()
        .unwrap()
        .pledged
        .people
}

pub(crate) async fn wait_for_people(a: &TestInstance, call: &CallRow, people: i64) {
    let (store, id) = (a.store.clone(), call.id);
    wait_for(&format!("{people} people pledged"), 20, || {
        let store = store.clone();
        async move {
            calls::by_id(&store, id)
                .await
                .unwrap()
                .unwrap()
                .pledged
                .people
                == people
        }
    })
    .await;
}

/// A captured fixture with its ids replaced by the test's.
pub(crate) fn shaped(path: &str, replacements: &[(&str, &str)]) -> Value {
    let mut text = crate::federation::fixtures::fixture(path);
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_mobilizon_user_joins_a_picket_is_accepted_counted_kept_posted_and_leaves() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let mobilizon = StandIn::start("127.0.0.7", "admin", "Person", Fetching::Open).await;
    let (actor, event) = (mobilizon.actor.to_string(), picket.ap_id.to_string());

    // As Mobilizon sends it (mobilizon/join_event.json, ids replaced).
    let join = shaped(
        "mobilizon/join_event.json",
        &[
            (
                "http://mobilizon2.test/@admin/join/event/1",
                &format!("{actor}/join/event/1"),
            ),
            ("http://mobilizon2.test/@admin", &actor),
            ("http://mobilizon.test/events/some-uuid", &event),
        ],
    );
    let (status, body) = mobilizon.send(&a.at("/inbox"), &join).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(people_pledged(&a, &picket).await, 1);
    // Answered as Mobilizon waits for: an Accept of its Join, from the chapter.
    wait_for("the Accept of the Join", 20, || {
        let mobilizon = mobilizon.clone();
        async move { !mobilizon.received_of_type("Accept").is_empty() }
    })
    .await;
    let accept = &mobilizon.received_of_type("Accept")[0];
    assert_eq!(accept["object"]["type"], "Join");
    assert_eq!(accept["object"]["id"], join["id"]);
    // The same Join again counts once.
    mobilizon.send(&a.at("/inbox"), &join).await;
    assert_eq!(people_pledged(&a, &picket).await, 1);

    // The one who joined hears when the picket changes (here: it is met).
    call::set_status(&a.data, &Authority::Operator, picket.id, CallStatus::Met)
        .await
        .unwrap();
    wait_for("the call's Update at the participant", 20, || {
        let mobilizon = mobilizon.clone();
        async move {
            mobilizon
                .received_of_type("Update")
                .iter()
                .any(|u| u["object"]["callStatus"] == "met")
        }
    })
    .await;
    // Nobody is named in what it is sent: the total, not the joiner.
    for update in mobilizon.received_of_type("Update") {
        assert!(!update.to_string().contains(&actor), "{update}");
    }

    // It leaves (mobilizon/leave_event.json: the fixture reuses the Join's
    // id; a Leave sent for real has its own).
    let leave = shaped(
        "mobilizon/leave_event.json",
        &[
            (
                "http://mobilizon2.test/@admin/join/event/1",
                &format!("{actor}/leave/event/1"),
            ),
            ("http://mobilizon2.test/@admin", &actor),
            ("http://mobilizon.test/events/some-uuid", &event),
        ],
    );
    let (status, body) = mobilizon.send(&a.at("/inbox"), &leave).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(people_pledged(&a, &picket).await, 0);
    a.stop().await;
}

/// A month after a picket was called off, the database no longer says who
/// on the fediverse joined it; how many did stays, and so does the total.
#[tokio::test]
async fn who_joined_from_the_fediverse_is_forgotten_a_while_after_the_call_and_the_count_stays() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let mobilizon = StandIn::start("127.0.0.7", "admin", "Person", Fetching::Open).await;
    let actor = mobilizon.actor.to_string();
    let join = json!({"id": format!("{actor}/join/1"), "type": "Join", "actor": actor,
        "object": picket.ap_id.to_string()});
    let (status, body) = mobilizon.send(&a.at("/inbox"), &join).await;
    assert_eq!(status, 202, "{body}");
    call::set_status(
        &a.data,
        &Authority::Operator,
        picket.id,
        CallStatus::Withdrawn,
    )
    .await
    .unwrap();

    let ages = unionhall::Settings::load(None, Vec::new())
        .unwrap()
        .retention_ages();
    let month_on = unionhall_store::now_millis() + 31 * 24 * 3_600_000;
    let pruned = unionhall_store::retention::prune_at(&a.store, &ages, month_on)
        .await
        .unwrap();
    assert_eq!(pruned.fediverse_actors, 1);
    let sql = "SELECT actor || ' ' || activity FROM interactions";
    let kept: Vec<String> = crate::helpers::column_of(&a.db, sql).await;
    assert_eq!(kept.len(), 1);
    assert!(
        !kept[0].contains(&actor),
        "who joined is still kept: {kept:?}"
    );
    let counts = unionhall_store::interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!(counts.joins, 1);
    assert_eq!(people_pledged(&a, &picket).await, 1);
    let again = unionhall_store::retention::prune_at(&a.store, &ages, month_on)
        .await
        .unwrap();
    assert_eq!(again.fediverse_actors, 0, "forgotten once");
    a.stop().await;
}

/// Who liked or boosted a strike is forgotten a month after, whatever the
/// strike's state; the counts stay. A join of a picket still ahead is kept
/// (the joiner gets its Updates), however old.
#[tokio::test]
async fn who_reacted_to_a_strike_is_forgotten_a_while_after_and_the_counts_stay() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let strike = bakers_strike(&a).await;
    let picket = bakers_picket(&a).await;
    let mastodon = StandIn::start("127.0.0.7", "felix", "Person", Fetching::Open).await;
    let felix = mastodon.actor.to_string();
    for (n, kind, object) in [
        (1, "Like", &strike.ap_id),
        (2, "Announce", &strike.ap_id),
        (3, "Join", &picket.ap_id),
    ] {
        let activity = json!({"id": format!("{felix}/activities/{n}"), "type": kind,
            "actor": felix, "object": object});
        let (status, body) = mastodon.send(&a.at("/inbox"), &activity).await;
        assert_eq!(status, 202, "{body}");
    }

    let ages = unionhall::Settings::load(None, Vec::new())
        .unwrap()
        .retention_ages();
    let prune_at = |at: i64| {
        let store = a.store.clone();
        async move {
            unionhall_store::retention::prune_at(&store, &ages, at)
                .await
                .unwrap()
        }
    };
    let day = 24 * 3_600_000;
    let now = unionhall_store::now_millis();
    assert_eq!(prune_at(now + 29 * day).await.fediverse_actors, 0);
    assert_eq!(prune_at(now + 31 * day).await.fediverse_actors, 2);
    let sql = "SELECT kind || ' ' || actor || ' ' || activity FROM interactions ORDER BY kind";
    let kept: Vec<String> = crate::helpers::column_of(&a.db, sql).await;
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(
        kept[0].starts_with("join") && kept[0].contains(&felix),
        "{kept:?}"
    );
    for reaction in &kept[1..] {
        assert!(!reaction.contains(&felix), "still named: {kept:?}");
    }
    let counts = interactions::counts_of(&a.store, &strike.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.likes, counts.shares), (1, 1));
    // An Undo that comes after finds no one to take back; the count keeps it.
    let undo = json!({"id": format!("{felix}/activities/4"), "type": "Undo", "actor": felix,
        "object": format!("{felix}/activities/1")});
    assert_eq!(mastodon.send(&a.at("/inbox"), &undo).await.0, 202);
    let counts = interactions::counts_of(&a.store, &strike.ap_id)
        .await
        .unwrap();
    assert_eq!(counts.likes, 1);
    a.stop().await;
}

/// A strike announced by the bakers, for the tests of reactions to it.
pub(crate) async fn bakers_strike(a: &TestInstance) -> unionhall_store::strikes::StrikeRow {
    unionhall_federation::activities::strike::announce_strike(
        &a.data,
        &Authority::Operator,
        "bakers",
        unionhall_domain::Strike {
            employer: "Big Bread".into(),
            workplace: "Plant 2".into(),
            demands: vec!["A contract".into()],
            details: String::new(),
            starts_at: None,
            picket_lines: Vec::new(),
            fund_url: String::new(),
            time_zone: None,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn friendica_going_and_maybe_are_counted_apart_replace_each_other_and_are_taken_back() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let friendica = StandIn::start("127.0.0.7", "ana", "Person", Fetching::Open).await;
    let (ana, ben) = (friendica.actor_of("ana"), friendica.actor_of("ben"));
    // Friendica answers an event with Accept ("going") or TentativeAccept
    // ("maybe") of the event itself.
    let going = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{ana}/activity/1"), "type": "Accept", "actor": ana,
        "object": picket.ap_id, "to": [picket.author]});
    let maybe = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{ben}/activity/2"), "type": "TentativeAccept", "actor": ben,
        "object": {"id": picket.ap_id, "type": "Event"}});
    assert_eq!(
        friendica.send_as("ana", &a.at("/inbox"), &going).await.0,
        202
    );
    assert_eq!(
        friendica.send_as("ben", &a.at("/inbox"), &maybe).await.0,
        202
    );
    // Going counts among the people pledged; maybe is counted apart.
    assert_eq!(people_pledged(&a, &picket).await, 1);

    // The organizer sees the fediverse's share as counts, on the page and
    // in the API; no one is named.
    let rosa = crate::members::join(&a, "bakers", Role::Organizer, "organizer-rosa").await;
    let page = page_as(&rosa, &format!("/call/{}", picket.id)).await;
    assert!(
        page.contains("1 person from elsewhere on the fediverse (Mobilizon"),
        "{page}"
    );
    assert!(
        page.contains("1 person from elsewhere on the fediverse said they might come"),
        "{page}"
    );
    let (status, api) = rosa.get(&format!("/api/v1/calls/{}", picket.id)).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["reach"]["from_the_fediverse"], 1, "{api}");
    assert_eq!(api["reach"]["maybe_from_the_fediverse"], 1, "{api}");
    assert_eq!(api["pledged"]["people"], 1, "{api}");
    for seen in [&page, &api.to_string()] {
        assert!(
            !seen.contains(ana.as_str()) && !seen.contains("/users/ben"),
            "{seen}"
        );
    }

    // Ben makes up his mind: going replaces maybe.
    let ben_going = json!({"id": format!("{ben}/activity/5"), "type": "Accept", "actor": ben,
        "object": picket.ap_id});
    assert_eq!(
        friendica
            .send_as("ben", &a.at("/inbox"), &ben_going)
            .await
            .0,
        202
    );
    wait_for_people(&a, &picket, 2).await;
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.joins, counts.maybes), (2, 0));

    // Ana takes it back with an Undo of her Accept.
    let undo = json!({"id": format!("{ana}/activity/3"), "type": "Undo", "actor": ana,
        "object": going});
    assert_eq!(
        friendica.send_as("ana", &a.at("/inbox"), &undo).await.0,
        202
    );
    wait_for_people(&a, &picket, 1).await;
    // And someone else's Undo of Ben's changes nothing.
    let forged = json!({"id": format!("{ana}/activity/4"), "type": "Undo", "actor": ana,
        "object": ben_going});
    assert_eq!(
        friendica.send_as("ana", &a.at("/inbox"), &forged).await.0,
        202
    );
    assert_eq!(people_pledged(&a, &picket).await, 1);

    // Ben goes back to maybe (out of the people pledged), then says no.
    let ben_maybe = json!({"id": format!("{ben}/activity/6"), "type": "TentativeAccept",
        "actor": ben, "object": picket.ap_id});
    assert_eq!(
        friendica
            .send_as("ben", &a.at("/inbox"), &ben_maybe)
            .await
            .0,
        202
    );
    wait_for_people(&a, &picket, 0).await;
    let no = json!({"id": format!("{ben}/activity/7"), "type": "Reject", "actor": ben,
        "object": picket.ap_id});
    assert_eq!(friendica.send_as("ben", &a.at("/inbox"), &no).await.0, 202);
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.joins, counts.maybes), (0, 0));
    a.stop().await;
}

#[tokio::test]
async fn a_flood_of_joins_from_one_domain_is_bounded() {
    let a = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[("UNIONHALL_FEDERATION__JOINS_PER_DOMAIN_PER_HOUR", "3")],
    )
    .await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let flood = StandIn::start("127.0.0.7", "n0", "Person", Fetching::Open).await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let who = flood.actor_of(&format!("n{n}"));
        let join = json!({"id": format!("{who}/join"), "type": "Join", "actor": who,
            "object": picket.ap_id});
        statuses.push(
            flood
                .send_as(&format!("n{n}"), &a.at("/inbox"), &join)
                .await
                .0,
        );
    }
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    assert_eq!(people_pledged(&a, &picket).await, 3);
    a.stop().await;
}

#[tokio::test]
async fn a_flood_of_likes_and_boosts_from_one_domain_is_bounded_and_repeats_spend_nothing() {
    let a = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[("UNIONHALL_FEDERATION__REACTIONS_PER_DOMAIN_PER_HOUR", "3")],
    )
    .await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let made_up = StandIn::start("127.0.0.7", "n0", "Person", Fetching::Open).await;
    let react = |n: usize, kind: &str| {
        let who = made_up.actor_of(&format!("n{n}"));
        json!({"id": format!("{who}/{kind}"), "type": kind, "actor": who,
            "object": picket.ap_id})
    };
    for (n, kind) in [(0, "Like"), (0, "Like"), (1, "Like"), (2, "Announce")] {
        let (status, body) = made_up
            .send_as(&format!("n{n}"), &a.at("/inbox"), &react(n, kind))
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // Three counted: the domain's allowance is spent, whatever the kind.
    for (n, kind) in [(3, "Like"), (4, "Announce"), (5, "Dislike")] {
        let (status, body) = made_up
            .send_as(&format!("n{n}"), &a.at("/inbox"), &react(n, kind))
            .await;
        assert_eq!(status, 429, "{body}");
        assert!(body.contains("too many reactions"), "{body}");
    }
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.likes, counts.shares, counts.dislikes), (2, 1, 0));
    // Taking one back spends nothing, and is never refused.
    let who = made_up.actor_of("n0");
    let undo = json!({"id": format!("{who}/Like/undo"), "type": "Undo", "actor": who,
        "object": react(0, "Like")});
    let (status, body) = made_up.send_as("n0", &a.at("/inbox"), &undo).await;
    assert_eq!(status, 202, "{body}");
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!(counts.likes, 1);
    a.stop().await;
}

#[tokio::test]
async fn likes_and_boosts_by_anyone_are_counted_and_taken_back() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let mastodon = StandIn::start("127.0.0.7", "felix", "Person", Fetching::Open).await;
    let felix = mastodon.actor.to_string();
    let like = shaped(
        "mastodon/like.json",
        &[
            ("https://mastodon.madrid/users/felix", &felix),
            ("https://ds9.lemmy.ml/post/147", picket.ap_id.as_str()),
        ],
    );
    let boost = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{felix}/statuses/1/activity"), "type": "Announce", "actor": felix,
        "object": picket.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    for activity in [&like, &like, &boost] {
        let (status, body) = mastodon.send(&a.at("/inbox"), activity).await;
        assert_eq!(status, 202, "{body}");
    }
    let counts = |a: &TestInstance| {
        let (store, id) = (a.store.clone(), picket.ap_id.clone());
        async move { interactions::counts_of(&store, &id).await.unwrap() }
    };
    let now = counts(&a).await;
    assert_eq!((now.likes, now.shares), (1, 1));
    // Likes are not pledges.
    assert_eq!(people_pledged(&a, &picket).await, 0);
    // A strike's boosts are counted alike, for its organizers to see.
    let strike = bakers_strike(&a).await;
    let boost_strike = json!({"id": format!("{felix}/statuses/2/activity"), "type": "Announce",
        "actor": felix, "object": strike.ap_id});
    assert_eq!(mastodon.send(&a.at("/inbox"), &boost_strike).await.0, 202);

    let rosa = crate::members::join(&a, "bakers", Role::Organizer, "organizer-rosa").await;
    let page = page_as(&rosa, &format!("/call/{}", picket.id)).await;
    assert!(
        page.contains("Shared once, liked once on the fediverse"),
        "{page}"
    );
    let page = page_as(&rosa, &format!("/strike/{}", strike.id)).await;
    assert!(
        page.contains("Shared once, liked 0 times on the fediverse"),
        "{page}"
    );
    assert!(!page.contains(&felix), "{page}");

    let undo = shaped(
        "mastodon/undo_like.json",
        &[
            (
                "https://mastodon.madrid/users/felix#likes/212341",
                like["id"].as_str().unwrap(),
            ),
            ("https://mastodon.madrid/users/felix", &felix),
            ("https://ds9.lemmy.ml/post/147", picket.ap_id.as_str()),
        ],
    );
    let (status, body) = mastodon.send(&a.at("/inbox"), &undo).await;
    assert_eq!(status, 202, "{body}");
    let now = counts(&a).await;
    assert_eq!((now.likes, now.shares), (0, 1));
    a.stop().await;
}

/// A page of `a` as `account` sees it.
pub(crate) async fn page_as(account: &crate::members::Account, path: &str) -> String {
    let response = account
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn shapes_other_servers_send_are_read_and_an_author_must_still_be_the_sender() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let peer = StandIn::start("127.0.0.7", "dockers", "Group", Fetching::Open).await;
    unionhall_federation::activities::follow::follow_remote(&a.data, &peer.acct())
        .await
        .unwrap();
    let (store, target) = (a.store.clone(), peer.actor.clone());
    wait_for("our follow to be accepted", 20, || {
        let (store, target) = (store.clone(), target.clone());
        async move { follows::is_following(&store, &target).await.unwrap() }
    })
    .await;
    let actor = peer.actor.to_string();
    let create = |n: u32, note: Value| {
        json!({"id": format!("{actor}/activities/{n}"), "type": ["Create"], "actor": actor,
            "to": ["Public"], "object": note})
    };
    let note = |n: u32, attributed: Value, to: &str| {
        json!({"id": format!("{actor}/notes/{n}"), "type": ["Note"], "attributedTo": attributed,
            "content": format!("<p>Dock strike day {n}</p>"), "to": [to]})
    };
    // PeerTube's list of account and channel; Kroeg's embedded author;
    // Fedify's compact `as:Public`.
    let shapes = [
        create(
            1,
            note(
                1,
                json!([{"type": "Group", "id": "http://elsewhere.example/c"}, {"type": "Group", "id": actor}]),
                "Public",
            ),
        ),
        create(
            2,
            note(
                2,
                json!({"type": "Group", "id": actor, "name": "Dockers"}),
                "as:Public",
            ),
        ),
        create(
            3,
            note(
                3,
                json!(actor),
                "http://www.w3.org/ns/activitystreams#Public",
            ),
        ),
    ];
    for shape in &shapes {
        let (status, body) = peer.send(&a.at("/inbox"), shape).await;
        assert_eq!(status, 202, "{body}\n{shape}");
    }
    let posts = unionhall_store::posts::by_author(&a.store, &peer.actor)
        .await
        .unwrap();
    assert_eq!(posts.len(), 3);
    assert!(
        posts.iter().all(|p| p.public),
        "every spelling of Public is public"
    );

    // Lenient in form only: a note attributed to someone on another server
    // is still refused, however it is written.
    let theirs = create(
        4,
        note(4, json!([{"id": "http://elsewhere.example/u/x"}]), "Public"),
    );
    let (status, body) = peer.send(&a.at("/inbox"), &theirs).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        unionhall_store::posts::by_author(&a.store, &peer.actor)
            .await
            .unwrap()
            .len(),
        3
    );
    a.stop().await;
}

/// Two Unionhall instances take each other's first knock, Ed25519 RFC 9421,
/// whose keyid is the signer's key document: served to anyone, unsigned, as
/// the `CryptographicKey` Fedify reads (RFC 8410 SubjectPublicKeyInfo).
#[tokio::test]
async fn ed25519_signatures_name_a_key_document_and_unionhall_instances_take_them_first() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    super::follow_and_wait(&b, &a, "bakers").await;
    let host = |i: &TestInstance| unionhall_store::outbox::host_of(i.data.urls.base());
    use unionhall_federation::delivery::knock::Scheme;
    assert_eq!(b.data.knocks.known(&host(&a)), Some(Scheme::Rfc9421Ed25519));
    assert_eq!(a.data.knocks.known(&host(&b)), Some(Scheme::Rfc9421Ed25519));

    let key_id = format!("{}/ed25519-key", bakers.ap_id);
    let answer = a.client.get(&key_id).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let key: Value = answer.json().await.unwrap();
    assert_eq!(key["id"], key_id.as_str(), "{key}");
    assert_eq!(key["type"], "CryptographicKey", "{key}");
    assert_eq!(key["owner"], bakers.ap_id.as_str(), "{key}");
    assert_eq!(key["@context"], "https://w3id.org/security/v1", "{key}");
    // RFC 8410's Ed25519 SubjectPublicKeyInfo header, then the 32 bytes the
    // actor's assertionMethod publishes.
    let pem = key["publicKeyPem"].as_str().unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body.starts_with("MCowBQYDK2VwAyEA"), "{pem}");
    let actor: Value = a
        .client
        .get(bakers.ap_id.as_str())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let multibase = actor["assertionMethod"][0]["publicKeyMultibase"]
        .as_str()
        .unwrap();
    let raw = unionhall_federation::integrity::decode_multibase_key(multibase).unwrap();
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(&body)
        .unwrap();
    assert_eq!(der[12..], raw[..]);
    let none = a
        .client
        .get(a.at("/actors/nobody/ed25519-key"))
        .send()
        .await;
    assert_eq!(none.unwrap().status(), 404);
    a.stop().await;
    b.stop().await;
}

/// ActivityPods publishes an actor's key without an `id`: such an actor
/// follows a chapter (its signature checked with that key) and is answered;
/// its key is kept under the id draft-cavage signers use.
#[tokio::test]
async fn an_actor_whose_key_has_no_id_follows_a_chapter_as_activitypods_publishes_it() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let pod = StandIn::start("127.0.0.7", "alice", "Person", Fetching::Open).await;
    pod.publish_keys_without_id();
    let follow = json!({"id": format!("{}#follows/1", pod.actor), "type": "Follow",
        "actor": pod.actor, "object": bakers.ap_id});
    let (status, body) = pod.send(&a.at("/inbox"), &follow).await;
    assert_eq!(status, 202, "{body}");
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 1);
    let actor = unionhall_store::actors::by_ap_id(&a.store, &pod.actor)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(actor.public_key_id, format!("{}#main-key", pod.actor));
    wait_for("the Accept", 20, || {
        let pod = pod.clone();
        async move { !pod.received_of_type("Accept").is_empty() }
    })
    .await;
    a.stop().await;
}

/// A hostile server that names another actor's key document as its keyid
/// and signs with its own key is refused, as itself or as that actor: the
/// key checked is the one that actor publishes.
#[tokio::test]
async fn a_keyid_naming_another_actors_key_document_does_not_verify() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let weavers = create_chapter(&b, "weavers").await;
    let mallory = StandIn::start("127.0.0.7", "mallory", "Person", Fetching::Open).await;
    let key = Ed25519KeyPair::from_pkcs8(mallory.ed25519_pkcs8()).unwrap();
    let key_id = format!("{}/ed25519-key", weavers.ap_id);
    for (n, actor) in [mallory.actor.to_string(), weavers.ap_id.to_string()]
        .iter()
        .enumerate()
    {
        let follow = json!({"id": format!("{actor}#follows/{n}"), "type": "Follow",
            "actor": actor, "object": bakers.ap_id});
        let body = serde_json::to_vec(&follow).unwrap();
        let headers = rfc9421::signed_headers(
            rfc9421::SigningKey::Ed25519(&key),
            &key_id,
            "POST",
            &a.at("/inbox"),
            Some(&body),
            unionhall_federation::signatures::unix_now(),
        )
        .unwrap();
        let response = a
            .client
            .post(a.at("/inbox"))
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "as {actor}");
    }
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert!(followers.is_empty(), "{followers:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn rfc_9421_signatures_are_accepted_with_rsa_and_ed25519_and_a_wrong_one_is_not() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let peer = StandIn::start("127.0.0.7", "fedi", "Person", Fetching::Open).await;
    let follow = |n: u32, who: &str| {
        let actor = peer.actor_of(who);
        json!({"id": format!("{actor}#follows/{n}"), "type": "Follow", "actor": actor,
            "object": bakers.ap_id})
    };
    for (n, (who, signing)) in [
        ("rsa", Signing::Rfc9421Rsa),
        ("ed", Signing::Rfc9421Ed25519),
        ("cavage", Signing::Cavage),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, body) = peer
            .send_signed(who, &a.at("/inbox"), &follow(n as u32, who), signing)
            .await;
        assert_eq!(status, 202, "{signing:?}: {body}");
    }
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 3);

    // Signed for another server: the target URI differs, nothing verifies.
    let elsewhere = Url::parse("http://uh-127-0-0-3.test:1/inbox").unwrap();
    let body = serde_json::to_vec(&follow(9, "replayer")).unwrap();
    let actor = peer.actor_of("replayer");
    let key = Ed25519KeyPair::from_pkcs8(peer.ed25519_pkcs8()).unwrap();
    let created = unionhall_federation::signatures::unix_now();
    let headers = rfc9421::signed_headers(
        rfc9421::SigningKey::Ed25519(&key),
        &format!("{actor}#ed25519-key"),
        "POST",
        &elsewhere,
        Some(&body),
        created,
    )
    .unwrap();
    let response = a
        .client
        .post(a.at("/inbox"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        follows::followers_of(&a.store, &bakers.ap_id)
            .await
            .unwrap()
            .len(),
        3
    );
    a.stop().await;
}

#[tokio::test]
async fn each_peer_is_knocked_on_until_it_takes_a_signature_and_then_sent_only_that() {
    use Signing::{Cavage, Rfc9421Ed25519 as Ed25519, Rfc9421Rsa as Rsa};
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    // An older Mastodon, a Mastodon that verifies RFC 9421 with RSA only,
    // and one that takes Ed25519 (Fedify, Unionhall).
    let peers = [
        (
            StandIn::start("127.0.0.7", "old", "Person", Fetching::Open).await,
            vec![Cavage],
        ),
        (
            StandIn::start("127.0.0.8", "new", "Person", Fetching::Open).await,
            vec![Rsa, Cavage],
        ),
        (
            StandIn::start("127.0.0.9", "ed", "Person", Fetching::Open).await,
            vec![Ed25519, Rsa, Cavage],
        ),
    ];
    for (peer, takes) in &peers {
        peer.takes_only(takes);
        let follow = json!({"id": format!("{}#follows/1", peer.actor), "type": "Follow",
            "actor": peer.actor, "object": bakers.ap_id});
        assert_eq!(peer.send(&a.at("/inbox"), &follow).await.0, 202);
    }
    for (peer, _) in &peers {
        let peer = peer.clone();
        wait_for("the Accept", 20, move || {
            let peer = peer.clone();
            async move { !peer.received_of_type("Accept").is_empty() }
        })
        .await;
    }
    let first_knocks: Vec<Vec<(Option<Signing>, u16)>> =
        peers.iter().map(|(p, _)| p.knocks()).collect();
    assert_eq!(
        first_knocks,
        [
            vec![(Some(Ed25519), 401), (Some(Rsa), 401), (Some(Cavage), 202)],
            vec![(Some(Ed25519), 401), (Some(Rsa), 202)],
            vec![(Some(Ed25519), 202)],
        ]
    );

    // Then each is sent what it took, once.
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "Picket at 6")
        .await
        .unwrap();
    for (peer, _) in &peers {
        let peer = peer.clone();
        wait_for("the Create", 20, move || {
            let peer = peer.clone();
            async move { !peer.received_of_type("Create").is_empty() }
        })
        .await;
    }
    let second: Vec<(Option<Signing>, u16)> = peers
        .iter()
        .map(|(p, _)| *p.knocks().last().unwrap())
        .collect();
    assert_eq!(
        second,
        [(Some(Cavage), 202), (Some(Rsa), 202), (Some(Ed25519), 202)]
    );
    for (peer, knocks) in peers.iter().map(|(p, _)| p).zip(&first_knocks) {
        assert_eq!(
            peer.knocks().len(),
            knocks.len() + 1,
            "one request for the Create"
        );
    }
    // Fetches from each are signed as it takes our deliveries; one that
    // stops taking RFC 9421 is asked again with draft-cavage.
    for (peer, _) in &peers {
        activitypub_federation::fetch::fetch_object_http::<_, Value>(&peer.actor, &a.data)
            .await
            .unwrap();
    }
    let fetched: Vec<Option<Signing>> = peers
        .iter()
        .map(|(p, _)| p.gets().last().unwrap().0)
        .collect();
    assert_eq!(fetched, [Some(Cavage), Some(Rsa), Some(Ed25519)]);
    peers[2].0.takes_only(&[Cavage]);
    activitypub_federation::fetch::fetch_object_http::<_, Value>(&peers[2].0.actor, &a.data)
        .await
        .unwrap();
    let gets = peers[2].0.gets();
    assert_eq!(
        gets[gets.len() - 2..],
        [(Some(Ed25519), 401), (Some(Cavage), 200)]
    );
    // Remembered: the next fetch from it is one request, draft-cavage.
    activitypub_federation::fetch::fetch_object_http::<_, Value>(&peers[2].0.actor, &a.data)
        .await
        .unwrap();
    assert_eq!(peers[2].0.gets().len(), gets.len() + 1);
    assert_eq!(peers[2].0.gets().last(), Some(&(Some(Cavage), 200)));
    peers[2].0.takes_only(&[Ed25519, Rsa, Cavage]);

    // A restart remembers what each took: one request each again.
    let a = crate::helpers::respawn_instance_at(a.addr, a.stop().await).await;
    unionhall_federation::activities::post::publish_note(&a.data, "bakers", "Picket at 7")
        .await
        .unwrap();
    for (peer, knocks) in peers.iter().map(|(p, _)| p).zip(&first_knocks) {
        let (peer, expected) = (peer.clone(), knocks.len() + 2);
        wait_for("the second Create", 20, move || {
            let peer = peer.clone();
            async move { peer.knocks().len() >= expected }
        })
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for ((peer, _), knocks) in peers.iter().zip(&first_knocks) {
        let all = peer.knocks();
        assert_eq!(all.len(), knocks.len() + 2, "{all:?}");
        assert_eq!(all.last(), knocks.last(), "{all:?}");
    }
    a.stop().await;
}

#[tokio::test]
async fn joins_of_calls_that_are_not_open_to_everyone_are_refused_and_change_nothing() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let for_followers = call::publish_call(
        &a.data,
        &Authority::Operator,
        "bakers",
        call::record_of(&picket).unwrap(),
        Audience::Followers,
    )
    .await
    .unwrap();
    let peer = StandIn::start("127.0.0.7", "eve", "Person", Fetching::Open).await;
    let join = |n: u32, object: &Url| {
        json!({"id": format!("{}/join/{n}", peer.actor), "type": "Join",
            "actor": peer.actor, "object": object})
    };
    // A call for the chapter's followers is not one anyone may join: 404.
    let (status, body) = peer
        .send(&a.at("/inbox"), &join(1, &for_followers.ap_id))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(people_pledged(&a, &for_followers).await, 0);
    // A withdrawn call takes no more pledges: 409. (A met one still does.)
    call::set_status(
        &a.data,
        &Authority::Operator,
        picket.id,
        CallStatus::Withdrawn,
    )
    .await
    .unwrap();
    let (status, body) = peer.send(&a.at("/inbox"), &join(2, &picket.ap_id)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(people_pledged(&a, &picket).await, 0);
    // Neither is answered, and nothing is kept to be taken back.
    assert!(peer.received_of_type("Accept").is_empty());
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!(counts.joins, 0);
    a.stop().await;
}
