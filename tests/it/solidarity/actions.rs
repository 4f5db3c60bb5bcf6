//! A body proposes a coordinated action; B commits with a count, C declines;
//! everyone sees the tally; after the deadline the body confirms it.

use super::{apply_and_admit, create_body, until};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::join;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::Role;

#[tokio::test]
async fn chapters_answer_a_coordinated_action_and_everyone_sees_the_tally() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_body(&a, "foodunion").await;
    create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let millers = join(&b, "millers", Role::Organizer, "mara").await;
    let millers_admin = join(&b, "millers", Role::Admin, "max").await;
    let brewers = join(&c, "brewers", Role::Admin, "bram").await;
    let miller_member = join(&b, "millers", Role::Member, "milo").await;
    let acct = format!("@foodunion@{}", a.data.urls.domain());
    for (admin, chapter) in [(&millers_admin, "millers"), (&brewers, "brewers")] {
        admin
            .post(
                &format!("/api/v1/chapters/{chapter}/unions"),
                json!({"body": acct}),
            )
            .await;
    }
    let pending = until(&officer, "/api/v1/unions/foodunion/members", |m| {
        m.as_array().is_some_and(|m| m.len() == 2)
    })
    .await;
    for member in pending.as_array().unwrap() {
        officer
            .post(
                "/api/v1/unions/foodunion/members/decide",
                json!({"chapter": member["chapter"], "admit": true}),
            )
            .await;
    }
    let admitted = |m: &Value| {
        m.as_array()
            .is_some_and(|all| all.iter().any(|x| x["admitted"] == true))
    };
    until(&millers, "/api/v1/chapters/millers/unions", admitted).await;
    until(&brewers, "/api/v1/chapters/brewers/unions", admitted).await;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let deadline = now + 4_000;
    let (status, proposed) = officer
        .post(
            "/api/v1/unions/foodunion/actions",
            json!({"action": {"title": "Walk out at noon", "decision_deadline": deadline,
                              "starts_at": now + 86_400_000, "commitment": "Out for one hour, every shift",
                              "place": {"address": "Every plant gate"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proposed}");
    let id = proposed["id"].as_i64().unwrap();
    assert_eq!(proposed["status"], "proposed");
    let (status, _) = millers
        .post(
            "/api/v1/unions/foodunion/actions",
            json!({"action": {"title": "x", "decision_deadline": deadline}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no body there");

    let on = |account: &crate::members::Account| {
        let account = account.clone();
        async move {
            until(&account, "/api/v1/actions", |all| {
                all.as_array().is_some_and(|a| !a.is_empty())
            })
            .await[0]
                .clone()
        }
    };
    let on_b = on(&millers).await;
    let on_c = on(&brewers).await;
    assert_eq!(on_b["action"]["title"], "Walk out at noon");
    // The board of whoever answers for a member chapter shows the action until
    // the chapter has answered.
    let board = until(&brewers, "/api/v1/board", |b| {
        b["actions"].as_array().is_some_and(|a| a.len() == 1)
    })
    .await;
    assert_eq!(board["actions"][0]["title"], "Walk out at noon");
    let (_, member_board) = miller_member.get("/api/v1/board").await;
    assert_eq!(
        member_board["actions"],
        json!([]),
        "members do not answer for the chapter"
    );
    // A member does not answer for the chapter; its organizers do.
    let answer_path = |id: &Value, chapter: &str| format!("/api/v1/actions/{id}/answers/{chapter}");
    let (status, _) = miller_member
        .call(
            Method::PUT,
            &answer_path(&on_b["id"], "millers"),
            Some(json!({"answer": "commit", "people": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = millers
        .call(
            Method::PUT,
            &answer_path(&on_b["id"], "millers"),
            Some(json!({"answer": "commit", "people": 12})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = brewers
        .call(
            Method::PUT,
            &answer_path(&on_c["id"], "brewers"),
            Some(json!({"answer": "decline"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (_, board) = brewers.get("/api/v1/board").await;
    assert_eq!(board["actions"], json!([]), "answered: off the board");
    // Everyone sees the tally: who committed, how many.
    let tallied = |v: &Value| v["tally"].as_array().is_some_and(|t| t.len() == 2);
    let at_a = until(&officer, &format!("/api/v1/actions/{id}"), tallied).await;
    assert_eq!(at_a["committed_chapters"], 1);
    assert_eq!(at_a["committed_people"], 12);
    let at_c = until(
        &brewers,
        &format!("/api/v1/actions/{}", on_c["id"]),
        tallied,
    )
    .await;
    assert_eq!(at_c["committed_people"], 12);
    let millers_line = at_c["tally"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["answer"] == "commit")
        .unwrap();
    assert!(millers_line["chapter"]
        .as_str()
        .unwrap()
        .ends_with("/actors/millers"));
    until(
        &millers,
        &format!("/api/v1/actions/{}", on_b["id"]),
        tallied,
    )
    .await;

    // Confirming waits for the deadline; then it reaches everyone, and the
    // action takes no more answers.
    let (status, body) = officer
        .post(
            &format!("/api/v1/actions/{id}/status"),
            json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let wait = (deadline
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64)
        .max(0);
    tokio::time::sleep(std::time::Duration::from_millis(wait as u64 + 100)).await;
    let (status, body) = officer
        .post(
            &format!("/api/v1/actions/{id}/status"),
            json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until(&brewers, &format!("/api/v1/actions/{}", on_c["id"]), |v| {
        v["status"] == "confirmed"
    })
    .await;
    until(&millers, &format!("/api/v1/actions/{}", on_b["id"]), |v| {
        v["status"] == "confirmed"
    })
    .await;
    let (status, _) = brewers
        .call(
            Method::PUT,
            &answer_path(&on_c["id"], "brewers"),
            Some(json!({"answer": "commit", "people": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The action is in the member's own calendar, at its own address.
    let (status, made) = miller_member.post("/api/v1/me/calendar", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let address = url::Url::parse(made["url"].as_str().unwrap()).unwrap();
    let ics = b
        .client
        .get(b.at(&format!("{}?{}", address.path(), address.query().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(ics.status(), StatusCode::OK);
    let ics = ics.text().await.unwrap();
    assert!(ics.contains("SUMMARY:Walk out at noon\r\n"), "{ics}");
    // Its key opens nothing else, and an API token does not open it.
    let key = address
        .query()
        .unwrap()
        .trim_start_matches("key=")
        .to_owned();
    let elsewhere = b
        .client
        .get(b.at("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
    let (_, token) = miller_member
        .post(
            "/api/v1/me/tokens",
            json!({"name": "cli", "scope": "read", "password": crate::members::PASSWORD}),
        )
        .await;
    let with_token = b
        .client
        .get(b.at(&format!(
            "/api/v1/me/calendar.ics?key={}",
            token["token"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::UNAUTHORIZED);

    for instance in [a, b, c] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_chapter_admitted_while_an_action_is_decided_gets_it_and_answers() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_body(&a, "foodunion").await;
    create_chapter(&c, "brewers").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let brewers = join(&c, "brewers", Role::Admin, "bram").await;

    // Actions proposed before the brewers apply: one still being decided, one
    // called off since (no longer standing).
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 86_400_000;
    let mut ids = Vec::new();
    for title in ["Walk out at noon", "Slow down on Friday"] {
        let (status, proposed) = officer
            .post(
                "/api/v1/unions/foodunion/actions",
                json!({"action": {"title": title, "decision_deadline": later}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{proposed}");
        ids.push(proposed["id"].as_i64().unwrap());
    }
    let (status, body) = officer
        .post(
            &format!("/api/v1/actions/{}/status", ids[1]),
            json!({"status": "called_off"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let acct = format!("@foodunion@{}", a.data.urls.domain());
    apply_and_admit(&officer, "foodunion", &brewers, "brewers", &acct).await;

    // The standing action reaches the new member, which answers it.
    let actions = until(&brewers, "/api/v1/actions", |all| {
        all.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["action"]["title"], "Walk out at noon");
    let (status, body) = brewers
        .call(
            Method::PUT,
            &format!("/api/v1/actions/{}/answers/brewers", actions[0]["id"]),
            Some(json!({"answer": "commit", "people": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    until(&officer, &format!("/api/v1/actions/{}", ids[0]), |v| {
        v["committed_people"] == 7
    })
    .await;

    for instance in [a, c] {
        instance.stop().await;
    }
}

/// Actions and campaigns are listed a page at a time, as calls and strikes
/// are; a bad page is a 400.
#[tokio::test]
async fn actions_and_campaigns_are_listed_a_page_at_a_time() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_body(&a, "foodunion").await;
    create_chapter(&a, "bakers").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let deadline = unionhall_store::now_millis() + 86_400_000;
    for n in 1..=3 {
        let (status, body) = officer
            .post(
                "/api/v1/unions/foodunion/actions",
                json!({"action": {"title": format!("Action {n}"), "decision_deadline": deadline}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = organizer
            .post(
                "/api/v1/chapters/bakers/campaigns",
                json!({"campaign": {"title": format!("Campaign {n}"), "goal": "A contract"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let titles = |pages: Vec<Vec<Value>>, field: &str| -> Vec<Vec<String>> {
        pages
            .iter()
            .map(|page| {
                page.iter()
                    .map(|item| item[field]["title"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let actions = titles(organizer.pages("/api/v1/actions?limit=2").await, "action");
    assert_eq!(actions, [vec!["Action 3", "Action 2"], vec!["Action 1"]]);
    let campaigns = titles(
        organizer.pages("/api/v1/campaigns?limit=2").await,
        "campaign",
    );
    assert_eq!(
        campaigns,
        [vec!["Campaign 3", "Campaign 2"], vec!["Campaign 1"]]
    );
    for path in ["/api/v1/actions?limit=0", "/api/v1/campaigns?before=soon"] {
        let (status, body) = organizer.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    }
}
