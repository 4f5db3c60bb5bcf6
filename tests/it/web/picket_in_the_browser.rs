//! In headless Chromium, across two instances: an organizer in Chicago posts
//! a picket in her own clocks' time, reloads (nothing is posted twice),
//! imports a roster, pages through it and corrects a record; a member on
//! another instance reads the picket at the same wall-clock time, pledges
//! and takes the pledge back; someone on Mobilizon joins it, and the
//! organizer sees the count; one of her own members pledges, and she tags
//! the records of who pledged from the sign-in sheet; someone on Lemmy comments on it, and she reads
//! the comment, and the posts of a Lemmy community her server follows on her
//! board. Every page checked by axe-core.

use super::browser::Browser;
use super::in_the_browser::look;
use crate::federation::lemmy::follow_community;
use crate::federation::lemmy_peer::LemmyPeer;
use crate::federation::stand_in::{Fetching, StandIn};
use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use crate::members::invite_link;
use unionhall_domain::Role;
use unionhall_store::calls;

#[tokio::test]
async fn in_a_real_browser_a_picket_posted_in_chicago_reads_the_same_on_another_instance() {
    if !Browser::available() {
        return;
    }
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let browser = Browser::start().await;

    // The check can fail: a button with no name is a critical finding.
    browser.goto(&a.at("/")).await;
    browser
        .script("document.body.insertAdjacentHTML('beforeend', '<button></button>');")
        .await;
    let found = browser.accessibility_problems().await;
    if std::env::var("UNIONHALL_TEST_BROWSER").as_deref() == Ok("1") {
        assert!(
            found.iter().any(|p| p.starts_with("button-name")),
            "{found:?}"
        );
    }

    // Ada runs the bakers in Chicago.
    browser
        .accept_invitation(&invite_link(&a, "bakers", Role::Admin).await, "ada")
        .await;
    browser.goto(&a.at("/groups/bakers/people")).await;
    browser.clear("#time_zone").await;
    browser.type_into("#time_zone", "America/Chicago").await;
    browser
        .submit("form[action='/groups/bakers/time-zone'] button")
        .await;
    assert!(browser
        .source()
        .await
        .contains("<strong>America/Chicago</strong>"));

    // A 6am picket, typed on her clocks.
    browser.goto(&a.at("/chapters/bakers/calls/new")).await;
    assert!(browser.source().await.contains("America/Chicago time"));
    browser.type_into("#title", "Picket at the depot").await;
    browser
        .type_into("#address", "North gate, 9 Canal St")
        .await;
    browser.type_into("#people", "12").await;
    browser
        .script(
            "document.querySelector('#starts_at').value = '2037-12-14T06:00';\
             document.querySelector('#ends_at').value = '2037-12-14T10:00';",
        )
        .await;
    look(&browser, "call-form").await;
    browser
        .submit("form[action='/chapters/bakers/calls/new'] button")
        .await;
    assert_eq!(browser.url().await.path(), "/");
    // Reloading the page the form led to posts nothing again.
    browser.reload().await;
    assert_eq!(calls::all(&a.store).await.unwrap().len(), 1);

    // A roster pasted from a spreadsheet; reloading imports no one twice.
    let mut csv = String::from("name,department\n");
    for n in 0..205 {
        csv.push_str(&format!("Worker {n:03},Loading\n"));
    }
    browser.goto(&a.at("/chapters/bakers/import")).await;
    browser
        .script(&format!(
            "document.querySelector('#text').value = {};",
            serde_json::to_string(&csv).unwrap()
        ))
        .await;
    browser
        .submit("form[action='/chapters/bakers/import'] button")
        .await;
    browser.reload().await;
    browser.goto(&a.at("/chapters/bakers/roster")).await;
    let roster = browser.source().await;
    assert!(roster.contains("1–200 of 205 shown"), "{roster}");
    // The rest is a link away.
    browser.submit("nav a[href*='page=2']").await;
    let second = browser.source().await;
    assert!(second.contains("201–205 of 205 shown"), "{second}");
    look(&browser, "roster-page-2").await;

    // A record corrected from its page.
    browser.submit("ul.cards li a").await;
    browser.submit("a[href$='/edit']").await;
    look(&browser, "member-edit").await;
    browser.clear("#job_title").await;
    browser.type_into("#job_title", "Forklift driver").await;
    browser.submit("form[action$='/edit'] button").await;
    let member = browser.source().await;
    assert!(
        member.contains("<dt>Job</dt><dd>Forklift driver</dd>"),
        "{member}"
    );

    // Sam, a miller on the other instance, reads it on the clocks at the
    // gate and on his own (UTC).
    browser
        .accept_invitation(&invite_link(&b, "millers", Role::Member).await, "sam")
        .await;
    wait_for("the picket to reach B", 10, || async {
        !calls::all(&b.store).await.unwrap().is_empty()
    })
    .await;
    browser.goto(&b.at("/")).await;
    look(&browser, "board-elsewhere").await;
    browser.submit("a[href^='/call/']").await;
    let page = browser.source().await;
    assert!(
        page.contains("Mon 14 Dec 2037, 06:00 to 10:00 CST")
            && page.contains("your time: Mon 14 Dec 2037, 12:00 to 16:00 UTC")
            && page.contains("North gate, 9 Canal St"),
        "{page}"
    );
    look(&browser, "call-page").await;

    // He pledges, and the page says what he pledged; he takes it back.
    browser.submit("form.pledge button").await;
    let pledged = browser.source().await;
    assert!(pledged.contains("You pledged: I'll be there"), "{pledged}");
    assert!(
        !pledged.contains("<button>I'll be there</button>"),
        "not twice"
    );
    look(&browser, "call-pledged").await;
    browser.submit(".pledged button").await;
    let taken_back = browser.source().await;
    assert!(
        taken_back.contains("Done: your pledge is taken back.")
            && !taken_back.contains("You pledged")
            && taken_back.contains("<button>I'll be there</button>"),
        "{taken_back}"
    );

    // Someone on Mobilizon says they will be there; Ada, back on her own
    // instance, sees the fediverse's share counted, and no one named.
    let mobilizon = StandIn::start("127.0.0.7", "lea", "Person", Fetching::Open).await;
    let call = calls::all(&a.store).await.unwrap().remove(0);
    let join = serde_json::json!({"id": format!("{}/join/1", mobilizon.actor), "type": "Join",
        "actor": mobilizon.actor, "object": call.ap_id});
    assert_eq!(mobilizon.send(&a.at("/inbox"), &join).await.0, 202);
    let (store, id) = (a.store.clone(), call.id);
    wait_for("the join counted and the pledge taken back", 20, || {
        let store = store.clone();
        async move {
            calls::by_id(&store, id)
                .await
                .unwrap()
                .unwrap()
                .pledged
                .people
                == 1
        }
    })
    .await;
    browser.goto(&a.at(&format!("/call/{}", call.id))).await;
    let reach = browser.source().await;
    assert!(
        reach.contains("1 person from elsewhere on the fediverse")
            && reach.contains("1 of 12 people")
            && !reach.contains("/users/lea"),
        "{reach}"
    );
    look(&browser, "call-reach").await;

    // One of the bakers' own members pledges; Ada's sign-in sheet lists him,
    // and she keeps who pledged on their records as a tag.
    let sam = crate::members::join(&a, "bakers", Role::Member, "sam").await;
    let (status, _) = sam
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/calls/{}/pledges/bakers", call.id),
            Some(serde_json::json!({"kind": "attend"})),
        )
        .await;
    assert!(status.is_success());
    browser.goto(&a.at(&format!("/call/{}", call.id))).await;
    look(&browser, "call-sign-in-sheet").await;
    browser.submit("form[action$='/tag-pledgers'] button").await;
    let tagged = browser.source().await;
    assert!(
        tagged.contains("Done: 0 records newly tagged.")
            && tagged.contains("1 who pledged have no record"),
        "{tagged}"
    );

    // On Lemmy, someone comments on the picket; the bakers' server follows
    // a labor community there. Ada reads both, and the comment names the
    // server it came from, not anyone here.
    let lemmy = LemmyPeer::start("127.0.0.8").await;
    let mut comment = lemmy.captured("Create-Note.json", &a.data.urls.actor("bakers"));
    comment["object"]["inReplyTo"] = serde_json::json!(call.ap_id);
    let commenter = lemmy.user("lemmyadmin");
    assert_eq!(
        lemmy.send(&commenter, &a.at("/inbox"), &comment).await.0,
        202
    );
    browser.goto(&a.at(&format!("/call/{}", call.id))).await;
    let replies = browser.source().await;
    assert!(
        replies.contains("Replies from the fediverse (1)")
            && replies.contains("See you at the gate!"),
        "{replies}"
    );
    look(&browser, "call-replies").await;
    // An update of the chapter's gets a comment too; Ada finds it from the
    // chapter's page, on the update's own page.
    let update = unionhall_federation::activities::post::publish_note(
        &a.data,
        "bakers",
        "Day three at the depot\n\nThe night shift walked out too.",
    )
    .await
    .unwrap();
    let mut comment = lemmy.captured("Create-Note.json", &a.data.urls.actor("bakers"));
    comment["object"]["id"] =
        serde_json::json!(format!("{}/2", comment["object"]["id"].as_str().unwrap()));
    comment["id"] = serde_json::json!(format!("{}/2", comment["id"].as_str().unwrap()));
    comment["object"]["inReplyTo"] = serde_json::json!(update.ap_id);
    comment["object"]["content"] = serde_json::json!("<p>The docks send their strength</p>");
    assert_eq!(
        lemmy.send(&commenter, &a.at("/inbox"), &comment).await.0,
        202
    );
    browser.goto(&a.at("/actors/bakers")).await;
    browser.click("article.card a[href^='/post/']").await;
    let post = browser.source().await;
    assert!(
        post.contains("Day three at the depot")
            && post.contains("Replies from the fediverse (1)")
            && post.contains("The docks send their strength"),
        "{post}"
    );
    look(&browser, "post-replies").await;
    follow_community(&a, &lemmy, "workers").await;
    lemmy
        .post_in_community("lemmyadmin", "workers", "Solidarity with the depot pickets")
        .await;
    browser.goto(&a.at("/")).await;
    let board = browser.source().await;
    assert!(
        board.contains("From communities this server follows")
            && board.contains("Solidarity with the depot pickets"),
        "{board}"
    );
    look(&browser, "board-communities").await;
    browser.quit().await;
}
