//! An industrial union body on A admits chapters on B and C; what B addresses to
//! the body (a call, its strikes) reaches C through the body's relay; the membership is the members'
//! business only.

use super::{apply_and_admit, create_body, until};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::join;
use activitypub_federation::fetch::fetch_object_http;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::Role;

#[tokio::test]
async fn a_body_admits_chapters_elsewhere_and_relays_what_members_address_to_it() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let d = spawn_instance_on("127.0.0.5", fresh_database().await).await;
    let body_url = create_body(&a, "foodunion").await;
    create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    create_chapter(&c, "vintners").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let millers = join(&b, "millers", Role::Admin, "mara").await;
    let brewers = join(&c, "brewers", Role::Admin, "bram").await;
    let vintners = join(&c, "vintners", Role::Admin, "vic").await;
    let brewer = join(&c, "brewers", Role::Member, "bruno").await;
    let acct = format!("@foodunion@{}", a.data.urls.domain());

    // Chapters apply; a member cannot apply for the chapter.
    let (status, _) = brewer
        .post("/api/v1/chapters/brewers/unions", json!({"body": acct}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (admin, chapter) in [
        (&millers, "millers"),
        (&brewers, "brewers"),
        (&vintners, "vintners"),
    ] {
        let (status, applied) = admin
            .post(
                &format!("/api/v1/chapters/{chapter}/unions"),
                json!({"body": acct}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{applied}");
        assert_eq!(applied["admitted"], false);
    }
    let pending = until(&officer, "/api/v1/unions/foodunion/members", |m| {
        m.as_array().is_some_and(|m| m.len() == 3)
    })
    .await;
    let chapter_id = |name: &str| {
        pending
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["chapter"].as_str().unwrap().to_owned())
            .find(|c| c.ends_with(&format!("/actors/{name}")))
            .unwrap()
    };
    let (millers_id, brewers_id, vintners_id) = (
        chapter_id("millers"),
        chapter_id("brewers"),
        chapter_id("vintners"),
    );
    // Only officers decide.
    let (status, _) = millers
        .post(
            "/api/v1/unions/foodunion/members/decide",
            json!({"chapter": millers_id, "admit": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the body is not on B");
    for (chapter, admit) in [
        (&millers_id, true),
        (&brewers_id, true),
        (&vintners_id, false),
    ] {
        let (status, body) = officer
            .post(
                "/api/v1/unions/foodunion/members/decide",
                json!({"chapter": chapter, "admit": admit}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let admitted = |m: &Value| {
        m.as_array()
            .is_some_and(|all| all.iter().any(|x| x["admitted"] == true))
    };
    until(&millers, "/api/v1/chapters/millers/unions", admitted).await;
    until(&brewers, "/api/v1/chapters/brewers/unions", admitted).await;
    until(&vintners, "/api/v1/chapters/vintners/unions", |m| {
        m.as_array().is_some_and(|all| all.is_empty())
    })
    .await;

    // The members collection: for members' servers only.
    let members_url = format!("{body_url}/members").parse::<url::Url>().unwrap();
    let seen = fetch_object_http::<_, Value>(&members_url, &b.data)
        .await
        .expect("a member's server reads it");
    let items = seen.object["orderedItems"].to_string();
    assert!(
        items.contains(&millers_id) && items.contains(&brewers_id) && !items.contains(&vintners_id),
        "{items}"
    );
    assert!(
        fetch_object_http::<_, Value>(&members_url, &d.data)
            .await
            .is_err(),
        "a stranger's server reads it"
    );
    let unsigned = a
        .client
        .get(members_url.clone())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert!(unsigned.status().is_client_error());

    // B addresses a call to the body; the body relays it to C, which does not
    // follow B; C's member pledges, and B sees it.
    let (status, call) = millers
        .post(
            "/api/v1/chapters/millers/calls",
            json!({"call": {"kind": "turnout", "title": "Turn out for the millers' vote", "goal": {"people": 30}},
                   "audience": "union", "union": body_url}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let (status, refused) = vintners
        .post(
            "/api/v1/chapters/vintners/calls",
            json!({"call": {"kind": "other", "title": "Not a member"}, "audience": "union", "union": body_url}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let calls = until(&brewer, "/api/v1/calls", |all| {
        all.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let relayed = &calls[0];
    assert_eq!(relayed["call"]["title"], "Turn out for the millers' vote");
    assert_eq!(relayed["audience"], "union");
    let (status, totals) = brewer
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{}/pledges/brewers", relayed["id"]),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{totals}");
    let local_id = call["id"].as_i64().unwrap();
    until(&millers, &format!("/api/v1/calls/{local_id}"), |c| {
        c["pledged"]["people"] == 1
    })
    .await;

    // A member's strike reaches the other members through the body too, with
    // its picket shifts, which they pledge to as to any call.
    let (status, strike) = millers
        .post(
            "/api/v1/chapters/millers/strikes",
            json!({"strike": {"employer": "Mill Corp", "picket_lines": [{
                "place": {"address": "Mill gate"},
                "shifts": [{"starts_at": 2_145_155_200_000i64, "ends_at": 2_145_169_600_000i64, "needed": 5}]
            }]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{strike}");
    let strikes = until(&brewer, "/api/v1/strikes", |all| {
        all.as_array().is_some_and(|s| {
            s.iter().any(|x| {
                x["strike"]["employer"] == "Mill Corp"
                    && x["shifts"].as_array().is_some_and(|s| s.len() == 1)
            })
        })
    })
    .await;
    let shift = strikes[0]["shifts"][0]["call_id"].as_i64().unwrap();
    let (status, totals) = brewer
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{shift}/pledges/brewers"),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{totals}");
    let strike_path = format!("/api/v1/strikes/{}", strike["id"]);
    until(&millers, &strike_path, |s| {
        s["shifts"][0]["pledged_people"] == 1
    })
    .await;
    let (status, _) = millers
        .post(
            &format!("/api/v1/strikes/{}/status", strike["id"]),
            json!({"status": "on_strike", "text": "Out!"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    until(&brewer, "/api/v1/strikes", |all| {
        all[0]["status"] == "on_strike"
    })
    .await;

    // B leaves; the body no longer counts it.
    let (status, _) = millers
        .post(
            "/api/v1/chapters/millers/unions/leave",
            json!({"body": body_url}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    until(&officer, "/api/v1/unions/foodunion/members", |m| {
        m.as_array()
            .is_some_and(|all| all.iter().all(|x| x["chapter"] != millers_id.as_str()))
    })
    .await;

    for instance in [a, b, c, d] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_chapter_admitted_later_gets_what_the_body_relayed_before_as_it_now_is() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let body_url = create_body(&a, "foodunion").await;
    create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let millers = join(&b, "millers", Role::Admin, "mara").await;
    let brewers = join(&c, "brewers", Role::Admin, "bram").await;
    let acct = format!("@foodunion@{}", a.data.urls.domain());
    // The millers are the body's only member for a while: two calls to the
    // union, one of them met since.
    apply_and_admit(&officer, "foodunion", &millers, "millers", &acct).await;
    let mut calls = Vec::new();
    for title in ["Turn out for the vote", "Fill the hall on Monday"] {
        let (status, call) = millers
            .post(
                "/api/v1/chapters/millers/calls",
                json!({"call": {"kind": "turnout", "title": title, "goal": {"people": 30}},
                       "audience": "union", "union": body_url}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{call}");
        calls.push(call["id"].as_i64().unwrap());
    }
    let (status, _) = millers
        .post(
            &format!("/api/v1/calls/{}/status", calls[1]),
            json!({"status": "met"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The body has them, and has relayed all three (to no one yet).
    let store = a.store.clone();
    crate::helpers::wait_for("the body to have both calls, one met", 20, || {
        let store = store.clone();
        async move {
            let calls = unionhall_store::calls::all(&store).await.unwrap();
            calls.len() == 2
                && calls
                    .iter()
                    .any(|c| c.status == unionhall_domain::CallStatus::Met)
        }
    })
    .await;

    // The brewers join later and get both calls, the met one as met.
    apply_and_admit(&officer, "foodunion", &brewers, "brewers", &acct).await;
    let seen = until(&brewers, "/api/v1/calls", |all| {
        all.as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().any(|c| c["status"] == "met"))
    })
    .await;
    let open: Vec<&Value> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "open")
        .collect();
    assert_eq!(open.len(), 1, "{seen}");
    assert_eq!(open[0]["call"]["title"], "Turn out for the vote");
    assert_eq!(open[0]["audience"], "union");

    for instance in [a, b, c] {
        instance.stop().await;
    }
}
