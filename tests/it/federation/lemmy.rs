//! Group-aware servers (FEDERATION.md, "Group-aware servers"): a Lemmy user
//! following a chapter sees its calls, strikes and updates as posts, votes
//! and comments on them, and cannot post in it; a Lemmy-shaped peer checks
//! everything it is sent as the real Lemmy 1.0 did.

use super::create_chapter;
use super::lemmy_peer::LemmyPeer;
use super::reach::{bakers_picket, bakers_picket_call, page_as, wait_for_people};
use super::stand_in::{Fetching, StandIn};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for, LogCapture, TestInstance};
use serde_json::{json, Value};
use unionhall_domain::{Audience, Authority, Role};
use unionhall_federation::activities::{call, post, strike};
use unionhall_store::{interactions, replies};
use url::Url;

/// A Lemmy user follows `group` of `a` and waits for the Accept.
async fn lemmy_follows(lemmy: &LemmyPeer, a: &TestInstance, group: &Url) {
    let (status, body) = lemmy.follow("lemmyadmin", group, &a.at("/inbox")).await;
    assert_eq!(status, 202, "{body}");
    wait_for("the chapter's Accept at Lemmy", 20, || {
        let (lemmy, group) = (lemmy.clone(), group.clone());
        async move { lemmy.follows(&group) }
    })
    .await;
}

/// Waits until Lemmy shows `count` posts, and returns them.
async fn lemmy_posts(lemmy: &LemmyPeer, count: usize) -> Vec<Value> {
    wait_for(&format!("{count} posts shown on Lemmy"), 20, || {
        let lemmy = lemmy.clone();
        async move { lemmy.posts().len() >= count || !lemmy.refusals().is_empty() }
    })
    .await;
    assert_eq!(lemmy.refusals(), Vec::<String>::new());
    lemmy.posts().into_values().collect()
}

fn strike_at_the_bakery() -> unionhall_domain::Strike {
    unionhall_domain::Strike {
        employer: "Big Bread".into(),
        workplace: "Plant 2".into(),
        demands: vec!["Safe staffing".into()],
        details: String::new(),
        starts_at: None,
        picket_lines: Vec::new(),
        fund_url: String::new(),
        time_zone: None,
    }
}

#[tokio::test]
async fn a_lemmy_user_following_a_chapter_sees_its_calls_strikes_and_updates_as_posts_that_follow_pledges(
) {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    lemmy_follows(&lemmy, &a, &bakers.ap_id).await;

    let picket = bakers_picket(&a).await;
    strike::announce_strike(
        &a.data,
        &Authority::Operator,
        "bakers",
        strike_at_the_bakery(),
    )
    .await
    .unwrap();
    post::publish_note(
        &a.data,
        "bakers",
        "Thank you all\n\nWe won the first round.",
    )
    .await
    .unwrap();
    let posts = lemmy_posts(&lemmy, 3).await;
    let of_type = |kind: &str| {
        posts
            .iter()
            .find(|p| p["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} among {posts:?}"))
            .clone()
    };
    let call = of_type("Event");
    assert_eq!(call["id"], picket.ap_id.as_str());
    assert_eq!(call["name"], "Picket: Picket the bakery gate");
    assert!(
        call["content"].as_str().unwrap().contains("0 of 15"),
        "{call}"
    );
    let strike = posts
        .iter()
        .find(|p| p["strikeStatus"].is_string())
        .expect("the strike");
    assert_eq!(strike["type"], "Page");
    // A campaign update is a Note to everyone else: a named Page to Lemmy.
    let update = posts
        .iter()
        .find(|p| p["content"].as_str().unwrap_or("").contains("first round"))
        .expect("the update");
    assert_eq!(update["type"], "Page");
    assert_eq!(update["name"], "Thank you all");
    // A followers-only call has no place in a public community: not sent.
    let mut quiet = bakers_picket_call();
    quiet.title = "Followers only".into();
    call::publish_call(
        &a.data,
        &Authority::Operator,
        "bakers",
        quiet,
        Audience::Followers,
    )
    .await
    .unwrap();
    super::wait_until_queue_empty(&a).await;
    assert_eq!(lemmy.posts().len(), 3);
    // Every one announced by the chapter, by its voice, never by a member.
    let voice = format!("{}/voice", bakers.ap_id);
    for announce in lemmy.received().iter().filter(|a| a["type"] == "Announce") {
        assert_eq!(announce["actor"], bakers.ap_id.as_str());
        assert_eq!(announce["object"]["actor"], voice.as_str());
    }

    // Someone elsewhere on the fediverse says they will come: the post on
    // Lemmy follows.
    let mobilizon = StandIn::start("127.0.0.7", "admin", "Person", Fetching::Open).await;
    let join = json!({"id": format!("{}/join/1", mobilizon.actor), "type": "Join",
        "actor": mobilizon.actor, "object": picket.ap_id});
    assert_eq!(mobilizon.send(&a.at("/inbox"), &join).await.0, 202);
    wait_for_people(&a, &picket, 1).await;
    wait_for("the post updated on Lemmy", 20, || {
        let (lemmy, id) = (lemmy.clone(), picket.ap_id.to_string());
        async move {
            lemmy.posts()[&id]["content"]
                .as_str()
                .unwrap_or("")
                .contains("1 of 15")
        }
    })
    .await;
    assert_eq!(lemmy.refusals(), Vec::<String>::new());
    a.stop().await;
}

#[tokio::test]
async fn lemmy_votes_and_comments_are_counted_comments_shown_to_members_and_posts_in_a_chapter_refused(
) {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    lemmy_follows(&lemmy, &a, &bakers.ap_id).await;
    let picket = bakers_picket(&a).await;
    let user = lemmy.user("lemmyadmin");
    let inbox = a.at("/inbox");
    let on_the_picket = |name: &str| {
        let mut vote = lemmy.captured(name, &bakers.ap_id);
        vote["object"] = json!(picket.ap_id);
        vote
    };

    // An upvote and a downvote, as Lemmy sends them, then the upvote undone.
    let like = on_the_picket("Like-ref.json");
    assert_eq!(lemmy.send(&user, &inbox, &like).await.0, 202);
    let dislike = on_the_picket("Dislike-ref.json");
    let (status, body) = lemmy.send(&user, &inbox, &dislike).await;
    assert_eq!(status, 202, "{body}");
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.likes, counts.dislikes), (1, 1));
    let undo = json!({"id": format!("{user}/undo/{}", 1), "type": "Undo", "actor": user,
        "object": like, "audience": bakers.ap_id});
    assert_eq!(lemmy.send(&user, &inbox, &undo).await.0, 202);
    let counts = interactions::counts_of(&a.store, &picket.ap_id)
        .await
        .unwrap();
    assert_eq!((counts.likes, counts.dislikes), (0, 1));

    // A comment on the call: kept once, however often it comes.
    let mut comment = lemmy.captured("Create-Note.json", &bakers.ap_id);
    comment["object"]["inReplyTo"] = json!(picket.ap_id);
    comment["object"]["content"] = json!("<p>See you at the <b>gate</b></p>");
    for _ in 0..2 {
        let (status, body) = lemmy.send(&user, &inbox, &comment).await;
        assert_eq!(status, 202, "{body}");
    }
    let (total, kept) = replies::to(&a.store, &picket.ap_id, 10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(kept[0].author, user);
    // Shown to the chapter's members, on the call's page, as text.
    let member = crate::members::join(&a, "bakers", Role::Member, "member-ana").await;
    let page = page_as(&member, &format!("/call/{}", picket.id)).await;
    assert!(page.contains("Replies from the fediverse (1)"), "{page}");
    assert!(page.contains("See you at the gate"), "{page}");
    // Not to members of another chapter.
    create_chapter(&a, "dockers").await;
    let other = crate::members::join(&a, "dockers", Role::Member, "member-ben").await;
    let page = page_as(&other, &format!("/call/{}", picket.id)).await;
    assert!(!page.contains("See you at the gate"), "{page}");
    // Never sent on: Lemmy got no copy of its own comment from the chapter,
    // and nothing naming a member.
    for sent in lemmy.received() {
        let sent = sent.to_string();
        for never in ["See you at", "member-ana", "member-ben"] {
            assert!(!sent.contains(never), "{never} in {sent}");
        }
    }
    // Taken back by its author.
    let comment_id = comment["object"]["id"].as_str().unwrap().to_owned();
    let delete = json!({"id": format!("{user}/delete/1"), "type": "Delete", "actor": user,
        "object": comment_id});
    assert_eq!(lemmy.send(&user, &inbox, &delete).await.0, 202);
    assert_eq!(replies::to(&a.store, &picket.ap_id, 10).await.unwrap().0, 0);

    // A post of its own in the chapter, as a Lemmy user makes one in a
    // community: refused, with the reason, and logged.
    let logs = LogCapture::install().expect("no other log subscriber (unset TEST_LOG)");
    let post = lemmy.captured("Create-Page.json", &bakers.ap_id);
    let (status, body) = lemmy.send(&user, &bakers.inbox, &post).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("only the organizers of Chapter bakers post in it"),
        "{body}"
    );
    let logged = logs.text();
    assert!(
        logged.contains("the inbox refused an activity")
            && logged.contains("only the organizers of Chapter bakers"),
        "{logged}"
    );
    a.stop().await;
}

#[tokio::test]
async fn a_lemmy_comment_on_a_strike_is_shown_to_the_chapters_members_on_the_strikes_page() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    lemmy_follows(&lemmy, &a, &bakers.ap_id).await;
    let on_strike = strike::announce_strike(
        &a.data,
        &Authority::Operator,
        "bakers",
        strike_at_the_bakery(),
    )
    .await
    .unwrap();
    let user = lemmy.user("lemmyadmin");
    let mut comment = lemmy.captured("Create-Note.json", &bakers.ap_id);
    comment["object"]["inReplyTo"] = json!(on_strike.ap_id);
    comment["object"]["content"] = json!("<p>Our local sends <i>200 euros</i></p>");
    let (status, body) = lemmy.send(&user, &a.at("/inbox"), &comment).await;
    assert_eq!(status, 202, "{body}");

    let page_of_strike = format!("/strike/{}", on_strike.id);
    let member = crate::members::join(&a, "bakers", Role::Member, "member-ana").await;
    let page = page_as(&member, &page_of_strike).await;
    assert!(page.contains("Replies from the fediverse (1)"), "{page}");
    assert!(page.contains("Our local sends 200 euros"), "{page}");
    // A strike's page is public; its replies are the chapter's own.
    create_chapter(&a, "dockers").await;
    let other = crate::members::join(&a, "dockers", Role::Member, "member-ben").await;
    let page = page_as(&other, &page_of_strike).await;
    assert!(page.contains("Strike at Big Bread"), "{page}");
    assert!(!page.contains("200 euros"), "{page}");
    let (_, anyone) = crate::web::page_of(&a, &page_of_strike).await;
    assert!(anyone.contains("Strike at Big Bread"), "{anyone}");
    assert!(!anyone.contains("200 euros"), "{anyone}");
    a.stop().await;
}

#[tokio::test]
async fn a_lemmy_comment_on_a_chapters_update_is_shown_on_the_updates_own_page() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    lemmy_follows(&lemmy, &a, &bakers.ap_id).await;
    let update = post::publish_note(
        &a.data,
        "bakers",
        "We won the first round\n\nThank you all.",
    )
    .await
    .unwrap();
    let user = lemmy.user("lemmyadmin");
    let mut comment = lemmy.captured("Create-Note.json", &bakers.ap_id);
    comment["object"]["inReplyTo"] = json!(update.ap_id);
    comment["object"]["content"] = json!("<p>Congratulations from the <b>docks</b></p>");
    let (status, body) = lemmy.send(&user, &a.at("/inbox"), &comment).await;
    assert_eq!(status, 202, "{body}");

    // A browser opening the update's id (a link in the Atom feed, on
    // Mastodon) is sent to its page, which anyone may read.
    let opened = crate::members::browser()
        .get(update.ap_id.clone())
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    let page_of_update = opened.headers()["location"].to_str().unwrap().to_owned();
    let (_, anyone) = crate::web::page_of(&a, &page_of_update).await;
    assert!(anyone.contains("We won the first round"), "{anyone}");
    assert!(
        !anyone.contains("docks"),
        "replies are the chapter's own: {anyone}"
    );
    let (status, _) = crate::web::page_of(&a, "/post/no-such-post").await;
    assert_eq!(status, 404);
    // The chapter's members read the reply there.
    let member = crate::members::join(&a, "bakers", Role::Member, "member-ana").await;
    let page = page_as(&member, &page_of_update).await;
    assert!(page.contains("Replies from the fediverse (1)"), "{page}");
    assert!(page.contains("Congratulations from the docks"), "{page}");
    // The chapter's page links each update to its page.
    let (_, chapter) = crate::web::page_of(&a, "/actors/bakers").await;
    assert!(
        chapter.contains(&format!("href=\"{page_of_update}\"")),
        "{chapter}"
    );
    a.stop().await;
}

#[tokio::test]
async fn a_chapter_that_approves_its_followers_is_a_private_community_that_works_for_those_approved(
) {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let quiet = unionhall_federation::actors::create_group(
        &a.data,
        unionhall_federation::actors::NewGroup {
            kind: unionhall_domain::ActorKind::Chapter,
            handle: unionhall_domain::Handle::parse("bakers").unwrap(),
            name: "Quiet Committee".into(),
            summary: String::new(),
            manually_approves_followers: true,
        },
    )
    .await
    .unwrap();
    // Lemmy reads `manuallyApprovesFollowers` as a private community.
    let group: Value = a
        .client
        .get(quiet.ap_id.clone())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(group["manuallyApprovesFollowers"], true);
    assert_eq!(group["postingRestrictedToMods"], true);

    let lemmy = LemmyPeer::start("127.0.0.8").await;
    let user = lemmy.user("lemmyadmin");
    let (status, body) = lemmy
        .follow("lemmyadmin", &quiet.ap_id, &a.at("/inbox"))
        .await;
    assert_eq!(status, 202, "{body}");
    // Nothing published reaches a follower not yet approved.
    bakers_picket(&a).await;
    super::wait_until_queue_empty(&a).await;
    assert!(!lemmy.follows(&quiet.ap_id));
    assert!(lemmy.posts().is_empty());

    unionhall_federation::activities::follow::answer_follower(
        &a.data,
        "bakers",
        &user,
        unionhall_federation::activities::follow::Decision::Accept,
    )
    .await
    .unwrap();
    wait_for("the Accept once approved", 20, || {
        let (lemmy, group) = (lemmy.clone(), quiet.ap_id.clone());
        async move { lemmy.follows(&group) }
    })
    .await;
    // Once approved, it reads what came before from the outbox, and what
    // is published next arrives: posts addressed to the community alone, as
    // Lemmy requires of a private one (the peer checks).
    let second = bakers_picket(&a).await;
    let posts = lemmy_posts(&lemmy, 2).await;
    let newest = posts
        .iter()
        .find(|p| p["id"] == second.ap_id.as_str())
        .expect("the second picket");
    assert_eq!(newest["to"], json!([quiet.ap_id]));
    a.stop().await;
}

#[tokio::test]
async fn what_a_chapter_published_before_a_lemmy_user_followed_it_is_read_from_its_outbox() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    strike::announce_strike(
        &a.data,
        &Authority::Operator,
        "bakers",
        strike_at_the_bakery(),
    )
    .await
    .unwrap();
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    lemmy_follows(&lemmy, &a, &bakers.ap_id).await;
    let posts = lemmy_posts(&lemmy, 2).await;
    assert!(
        posts.iter().any(|p| p["id"] == picket.ap_id.as_str()),
        "{posts:?}"
    );
    assert!(
        posts.iter().any(|p| p["strikeStatus"].is_string()),
        "{posts:?}"
    );
    a.stop().await;
}

/// `a` follows the community `name` of `lemmy`, and waits for the Accept.
pub(crate) async fn follow_community(a: &TestInstance, lemmy: &LemmyPeer, name: &str) -> Url {
    let community = unionhall_federation::activities::follow::follow_remote(
        &a.data,
        &lemmy.community_acct(name),
    )
    .await
    .unwrap()
    .ap_id;
    wait_for("the community's Accept", 20, || {
        let (store, community) = (a.store.clone(), community.clone());
        async move {
            unionhall_store::follows::is_following(&store, &community)
                .await
                .unwrap()
        }
    })
    .await;
    community
}

#[tokio::test]
async fn a_chapters_members_see_the_posts_of_a_lemmy_community_on_their_board() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    let workers = follow_community(&a, &lemmy, "workers").await;
    // Followed by the reader, a Service with an outbox (the peer refuses an
    // Application, as Lemmy does), for all members at once.
    let follow = lemmy
        .received()
        .into_iter()
        .find(|a| a["type"] == "Follow")
        .expect("the Follow");
    assert_eq!(follow["actor"], a.at("/actor/reader").as_str());
    assert_eq!(lemmy.refusals(), Vec::<String>::new());

    // A post there is announced twice (the Create, then the bare Page): kept
    // once, as the community's.
    let post = lemmy
        .post_in_community("lemmyadmin", "workers", "Solidarity with the Acme bakers")
        .await;
    let kept = unionhall_store::posts::by_author(&a.store, &workers)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].ap_id, post);
    assert_eq!(kept[0].updated_at, None, "the second Announce changed it");

    let member = crate::members::join(&a, "bakers", Role::Member, "member-ana").await;
    let board = page_as(&member, "/").await;
    assert!(
        board.contains("From communities this server follows"),
        "{board}"
    );
    assert!(board.contains("Solidarity with the Acme bakers"), "{board}");
    assert!(board.contains("!workers@"), "{board}");

    // Edited there: read again. A vote passed on: changes nothing.
    lemmy
        .edit_post(
            "lemmyadmin",
            "workers",
            &post,
            "<p>Picket moved to gate 4</p>",
        )
        .await;
    let kept = unionhall_store::posts::by_ap_id(&a.store, &post)
        .await
        .unwrap()
        .unwrap();
    assert!(kept.content.contains("gate 4"), "{}", kept.content);
    let mut vote = lemmy.captured("Like-ref.json", &workers);
    vote["object"] = json!(post);
    let announced_vote = json!({"id": format!("{workers}/announce/like/1"), "type": "Announce",
        "actor": workers, "to": [workers], "object": vote});
    assert_eq!(
        lemmy
            .send(&workers, &a.at("/inbox"), &announced_vote)
            .await
            .0,
        202
    );
    // Deleted there: gone here.
    lemmy.delete_post("lemmyadmin", "workers", &post).await;
    let kept = unionhall_store::posts::by_author(&a.store, &workers)
        .await
        .unwrap();
    assert!(kept.is_empty(), "{kept:?}");

    // Unfollowed: by the reader, which followed.
    unionhall_federation::activities::follow::unfollow_remote(&a.data, workers.as_str())
        .await
        .unwrap();
    wait_for("the Undo at Lemmy", 20, || {
        let lemmy = lemmy.clone();
        async move { lemmy.received().iter().any(|r| r["type"] == "Undo") }
    })
    .await;
    let undo = lemmy
        .received()
        .into_iter()
        .find(|r| r["type"] == "Undo")
        .unwrap();
    assert_eq!(undo["actor"], a.at("/actor/reader").as_str());
    a.stop().await;
}

#[tokio::test]
async fn a_community_cannot_pass_off_a_post_made_elsewhere_as_its_own() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    let workers = follow_community(&a, &lemmy, "workers").await;
    // A post in another community (nobody here follows it)...
    let elsewhere = lemmy
        .post_in_community("lemmyadmin", "bosses", "Union busting tips")
        .await;
    // ...announced by the followed one as if it were made there: the post,
    // read from its server, says otherwise.
    let mut announce = lemmy.captured("Announce-Page.json", &workers);
    announce["actor"] = json!(workers);
    announce["object"] = json!({"id": elsewhere, "type": "Page",
        "attributedTo": lemmy.user("lemmyadmin"), "to": [workers], "name": "Union busting tips"});
    let (status, body) = lemmy.send(&workers, &a.at("/inbox"), &announce).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("was not posted in"), "{body}");
    let kept = unionhall_store::posts::by_author(&a.store, &workers)
        .await
        .unwrap();
    assert!(kept.is_empty(), "{kept:?}");
    a.stop().await;
}

#[tokio::test]
async fn a_flood_of_comments_from_one_lemmy_user_is_bounded() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let picket = bakers_picket(&a).await;
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    let user = lemmy.user("lemmyadmin");
    let mut statuses = Vec::new();
    for n in 0..31 {
        let mut comment = lemmy.captured("Create-Note.json", &bakers.ap_id);
        comment["object"]["id"] = json!(lemmy.base.join(&format!("/comment/{n}")).unwrap());
        comment["object"]["inReplyTo"] = json!(picket.ap_id);
        statuses.push(lemmy.send(&user, &a.at("/inbox"), &comment).await.0);
    }
    // federation.replies_per_actor_per_hour (30): the 31st is refused.
    assert!(statuses[..30].iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(statuses[30], 429);
    assert_eq!(
        replies::to(&a.store, &picket.ap_id, 100).await.unwrap().0,
        30
    );
    a.stop().await;
}
