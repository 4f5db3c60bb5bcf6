//! A member on C follows a campaign on B by its address and sees its updates on
//! the home board; the board also lists open calls, nearest deadline first.

use super::until;
use crate::federation::create_chapter;
use crate::helpers::TestInstance;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::join;
use crate::members::Account;
use reqwest::StatusCode;
use serde_json::{json, Value};
use unionhall_domain::Role;

/// The millers' chapter on B with an organizer, the brewers' on C with a member.
async fn millers_and_brewers() -> (TestInstance, TestInstance, Account, Account) {
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    let organizer = join(&b, "millers", Role::Organizer, "mara").await;
    let member = join(&c, "brewers", Role::Member, "bruno").await;
    (b, c, organizer, member)
}

/// The titles of the calls on a board.
fn calls(board: &Value) -> Vec<String> {
    texts(board, "calls", "title")
}

/// The contents of the campaign updates on a board.
fn contents(board: &Value) -> Vec<String> {
    texts(board, "campaign_updates", "content")
}

fn texts(board: &Value, list: &str, field: &str) -> Vec<String> {
    board[list]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| item[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `member` follows `campaign` by its address, from their own instance.
async fn follow_campaign(member: &Account, campaign: &Value) -> Value {
    let (status, followed) = member
        .post(
            "/api/v1/campaigns/follow",
            json!({"url": campaign["ap_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    followed
}

/// The millers' organizer starts their campaign.
async fn start_campaign(organizer: &Account) -> Value {
    let (status, campaign) = organizer
        .post(
            "/api/v1/chapters/millers/campaigns",
            json!({"campaign": {"title": "Union yes at the mill", "goal": "Recognition by June"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    campaign
}

#[tokio::test]
async fn a_member_elsewhere_follows_a_campaign_and_its_updates_reach_the_board() {
    let (b, c, organizer, member) = millers_and_brewers().await;
    let campaign = start_campaign(&organizer).await;
    let id = campaign["id"].as_i64().unwrap();
    let (status, _) = member
        .post(
            &format!("/api/v1/campaigns/{id}/updates"),
            json!({"text": "not theirs"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "C has no campaign {id} of its own"
    );

    // C does not follow B; the member follows the campaign by its address.
    let followed = follow_campaign(&member, &campaign).await;
    assert_eq!(followed["campaign"]["goal"], "Recognition by June");
    assert_eq!(followed["following"], true);
    // C's instance follows the chapter (once, for all its members).
    let store = c.store.clone();
    let millers = campaign["chapter"]
        .as_str()
        .unwrap()
        .parse::<url::Url>()
        .unwrap();
    crate::helpers::wait_for("C to follow the millers", 20, || {
        let (store, millers) = (store.clone(), millers.clone());
        async move {
            unionhall_store::follows::is_following(&store, &millers)
                .await
                .unwrap()
        }
    })
    .await;

    let (status, update) = organizer
        .post(
            &format!("/api/v1/campaigns/{id}/updates"),
            json!({"text": "60% of the mill has signed cards!"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{update}");
    let board = until(&member, "/api/v1/board", |b| {
        b["campaign_updates"]
            .as_array()
            .is_some_and(|u| !u.is_empty())
    })
    .await;
    assert!(board["campaign_updates"][0]["content"]
        .as_str()
        .unwrap()
        .contains("60% of the mill"));

    // Open calls on the board: nearest deadline first; met calls are not there.
    let post_call = |title: &str, deadline: i64| {
        let organizer = organizer.clone();
        let body = json!({"call": {"kind": "call-in", "title": title, "deadline": deadline}});
        async move { organizer.post("/api/v1/chapters/millers/calls", body).await }
    };
    post_call("Later", 2_200_000_000_000).await;
    post_call("Sooner", 2_100_000_000_000).await;
    let (_, met) = post_call("Met already", 2_000_000_000_000).await;
    let (status, body) = organizer
        .post(
            &format!("/api/v1/calls/{}/status", met["id"]),
            json!({"status": "met"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Deliveries run concurrently: until all three calls and the met one's
    // Update have arrived, the board may show any two of them.
    let board = until(&member, "/api/v1/board", |b: &Value| {
        calls(b).len() == 2 && !calls(b).contains(&"Met already".to_owned())
    })
    .await;
    assert_eq!(calls(&board), ["Sooner", "Later"]);

    for instance in [b, c] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_member_who_follows_late_sees_what_came_before_as_it_now_is() {
    let (b, c, organizer, member) = millers_and_brewers().await;
    // Weeks of a campaign before anyone on C hears of it.
    let campaign = start_campaign(&organizer).await;
    let updates = format!("/api/v1/campaigns/{}/updates", campaign["id"]);
    let mut published = Vec::new();
    for text in ["Cards went out today", "Half the mill has signed"] {
        let (status, update) = organizer.post(&updates, json!({"text": text})).await;
        assert_eq!(status, StatusCode::CREATED, "{update}");
        published.insert(0, update["published_at"].as_i64().unwrap());
        // Their order is their published time, to the millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    for (title, deadline) in [
        ("Still open", 1_900_000_000_000_i64),
        ("Met already", 2_000_000_000_000),
    ] {
        let (status, call) = organizer
            .post(
                "/api/v1/chapters/millers/calls",
                json!({"call": {"kind": "call-in", "title": title, "deadline": deadline}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{call}");
        if title == "Met already" {
            let status_path = format!("/api/v1/calls/{}/status", call["id"]);
            let (status, _) = organizer.post(&status_path, json!({"status": "met"})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }

    let followed = follow_campaign(&member, &campaign).await;
    assert_eq!(
        followed["published_at"], campaign["published_at"],
        "when it was started, not when C heard of it"
    );

    // Once the chapter accepts, the earlier updates arrive in their order, and
    // the calls as they now are: the met one is not on the board.
    let board = until(&member, "/api/v1/board", |b| {
        contents(b).len() == 2 && !calls(b).is_empty()
    })
    .await;
    let shown = contents(&board);
    assert!(shown[0].contains("Half the mill"), "{shown:?}");
    assert!(shown[1].contains("Cards went out"), "{shown:?}");
    let times: Vec<i64> = board["campaign_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["published_at"].as_i64().unwrap())
        .collect();
    assert_eq!(times, published, "each at its own time");
    assert_eq!(calls(&board), ["Still open"]);

    // What comes after arrives as usual, each once.
    organizer
        .post(&updates, json!({"text": "Vote set for Friday"}))
        .await;
    let board = until(&member, "/api/v1/board", |b| contents(b).len() >= 3).await;
    let shown = contents(&board);
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(shown[0].contains("Vote set"), "{shown:?}");

    for instance in [b, c] {
        instance.stop().await;
    }
}

/// The campaigns page lists fifty at a time, newest first, and its link
/// leads on to the older ones.
#[tokio::test]
async fn the_campaigns_page_lists_fifty_at_a_time_and_links_the_older() {
    let (b, _c, organizer, _member) = millers_and_brewers().await;
    for n in 1..=51 {
        let (status, body) = organizer
            .post(
                "/api/v1/chapters/millers/campaigns",
                json!({"campaign": {"title": format!("Campaign number {n}."), "goal": "A contract"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let page_as = crate::federation::reach::page_as;
    let first = page_as(&organizer, "/campaigns").await;
    assert!(first.contains("Campaign number 51.") && first.contains("Campaign number 2."));
    assert!(
        !first.contains("Campaign number 1."),
        "fifty on the first page"
    );
    let older = first
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap().replace("&#38;", "&"))
        .find(|href| href.starts_with("/campaigns?before="))
        .expect("a link to older campaigns");
    let last = page_as(&organizer, &older).await;
    assert!(last.contains("Campaign number 1."), "{last}");
    assert!(!last.contains("Campaign number 2."), "{last}");
    assert!(!last.contains("/campaigns?before="), "the last page");
    let (status, _) = organizer.get("/campaigns?before=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    b.stop().await;
}

/// A long campaign's page shows its fifty newest updates and links the
/// older; the API carries the newest twenty and pages through them all.
#[tokio::test]
async fn a_campaigns_updates_are_shown_a_page_at_a_time() {
    let (b, _c, organizer, _member) = millers_and_brewers().await;
    let campaign = start_campaign(&organizer).await;
    let id = campaign["id"].as_i64().unwrap();
    for n in 1..=51 {
        let (status, body) = organizer
            .post(
                &format!("/api/v1/campaigns/{id}/updates"),
                json!({"text": format!("Update number {n}.")}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    let page_as = crate::federation::reach::page_as;
    let first = page_as(&organizer, &format!("/campaign/{id}")).await;
    assert!(first.contains("Update number 51.") && first.contains("Update number 2."));
    assert!(
        !first.contains("Update number 1."),
        "fifty on the first page"
    );
    let older = first
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap().replace("&#38;", "&"))
        .find(|href| href.starts_with(&format!("/campaign/{id}?before=")))
        .expect("a link to older updates");
    let last = page_as(&organizer, &older).await;
    assert!(last.contains("Update number 1."), "{last}");
    assert!(!last.contains("Update number 2."), "{last}");
    assert!(!last.contains("Older updates"), "the last page");

    let (status, view) = organizer.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["updates"].as_array().unwrap().len(), 20);
    assert_eq!(view["updates"][0]["content"], "<p>Update number 51.</p>");
    assert_eq!(view["updates_total"], 51);
    let pages = organizer
        .pages(&format!("/api/v1/campaigns/{id}/updates?limit=20"))
        .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [20, 20, 11]);
    let all: Vec<String> = pages
        .concat()
        .iter()
        .map(|u| u["content"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (1..=51)
        .rev()
        .map(|n| format!("<p>Update number {n}.</p>"))
        .collect();
    assert_eq!(all, expected);
    for bad in ["before=yesterday", "before=1.not-a-url", "limit=0"] {
        let (status, body) = organizer
            .get(&format!("/api/v1/campaigns/{id}/updates?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = organizer
        .get(&format!("/campaign/{id}?before=yesterday"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    b.stop().await;
}
