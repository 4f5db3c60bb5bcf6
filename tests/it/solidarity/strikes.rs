//! A strike moves through its lifecycle and followers see each state and the
//! whole story; an invalid move is refused; picket shifts are pledged like calls.

use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::{join, Account};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::Role;

/// The strike against `employer` as `account` sees it, once `check` holds.
async fn strike_where(account: &Account, employer: &str, check: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        let (_, strikes) = account.get("/api/v1/strikes").await;
        if let Some(strike) = strikes.as_array().and_then(|all| {
            all.iter()
                .find(|s| s["strike"]["employer"] == employer)
                .cloned()
        }) {
            if check(&strike) {
                return strike;
            }
            last = strike;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the strike on {} never got there; last seen: {last}",
        account.base
    );
}

#[tokio::test]
async fn a_strike_moves_through_its_lifecycle_and_followers_see_each_state() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let miller = join(&b, "millers", Role::Member, "milo").await;

    let (status, strike) = organizer
        .post(
            "/api/v1/chapters/bakers/strikes",
            json!({"strike": {
                "employer": "Acme Bakeries",
                "workplace": "Plant 2",
                "demands": ["Safe staffing", "A 6% raise"],
                "fund_url": "https://fund.example/acme-strike",
                "picket_lines": [{
                    "place": {"address": "Gate 3, 100 Mill Road"},
                    "shifts": [
                        {"starts_at": 2_145_155_200_000i64, "ends_at": 2_145_169_600_000i64, "needed": 6},
                        {"starts_at": 2_145_169_600_000i64, "ends_at": 2_145_184_000_000i64, "needed": 4}
                    ]
                }]
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{strike}");
    let id = strike["id"].as_i64().unwrap();
    assert_eq!(strike["status"], "announced");
    assert_eq!(strike["shifts"].as_array().unwrap().len(), 2);

    // Readable by any server: a Page with the state in its name.
    let object: Value = a
        .client
        .get(strike["ap_id"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(object["name"], "Strike announced: Acme Bakeries");
    assert_eq!(object["strikeStatus"], "announced");
    assert!(object["content"]
        .as_str()
        .unwrap()
        .contains("Safe staffing"));
    assert_eq!(object["shifts"].as_array().unwrap().len(), 2);

    strike_where(&miller, "Acme Bakeries", |s| s["status"] == "announced").await;

    let advance = |status: &str, text: &str| {
        let organizer = organizer.clone();
        let body = json!({"status": status, "text": text});
        async move {
            organizer
                .post(&format!("/api/v1/strikes/{id}/status"), body)
                .await
        }
    };
    for (status, text) in [
        ("on_strike", "We are out. Join us at gate 3."),
        (
            "suspended",
            "Talks resume Monday; we are back at work meanwhile.",
        ),
        ("on_strike", "Talks failed. Back on the line."),
    ] {
        let (code, body) = advance(status, text).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        strike_where(&miller, "Acme Bakeries", |s| {
            s["history"].as_array().unwrap().last().unwrap()["text"] == text
        })
        .await;
    }
    // Nonsense is refused and changes nothing.
    let (code, body) = advance("announced", "").await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("from on_strike to announced"));
    let (code, body) = advance("settled", "").await;
    assert_eq!(
        code,
        StatusCode::BAD_REQUEST,
        "an outcome is needed: {body}"
    );
    let (code, _) = organizer
        .post(
            &format!("/api/v1/strikes/{id}/updates"),
            json!({"text": "Day 3: the bakery is empty."}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);

    // A member on B pledges to a picket shift, as to any call.
    let on_b = strike_where(&miller, "Acme Bakeries", |s| {
        s["shifts"].as_array().unwrap().len() == 2
    })
    .await;
    let shift = on_b["shifts"][0]["call_id"].as_i64().unwrap();
    let (code, totals) = miller
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{shift}/pledges/millers"),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{totals}");
    strike_where(&organizer, "Acme Bakeries", |s| {
        s["shifts"][0]["pledged_people"] == 1
    })
    .await;

    let (code, _) = advance("settled", "Won: safe staffing and a 6% raise.").await;
    assert_eq!(code, StatusCode::OK);
    let settled = strike_where(&miller, "Acme Bakeries", |s| s["status"] == "settled").await;
    assert_eq!(settled["outcome"], "Won: safe staffing and a 6% raise.");
    let story: Vec<&str> = settled["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        story,
        [
            "announced",
            "on_strike",
            "suspended",
            "on_strike",
            "on_strike",
            "settled"
        ]
    );
    // Its shifts closed with it.
    strike_where(&miller, "Acme Bakeries", |s| {
        s["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|sh| sh["status"] == "closed")
    })
    .await;
    let (code, _) = advance("on_strike", "").await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "settled is final");
    // Only the chapter's organizers speak for it.
    let (code, _) = miller
        .post(
            &format!("/api/v1/strikes/{}/updates", settled["id"]),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "B's copy is not B's to change");

    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn the_strikes_api_gives_a_page_at_a_time_and_links_the_next() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    for plant in ["Plant 1", "Plant 2", "Plant 3"] {
        let (status, strike) = organizer
            .post(
                "/api/v1/chapters/bakers/strikes",
                json!({"strike": {"employer": "Acme Bakeries", "workplace": plant, "demands": ["A raise"]}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{strike}");
    }
    let workplaces: Vec<Vec<String>> = organizer
        .pages("/api/v1/strikes?limit=2")
        .await
        .iter()
        .map(|page| {
            page.iter()
                .map(|s| s["strike"]["workplace"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(workplaces, [vec!["Plant 3", "Plant 2"], vec!["Plant 1"]]);
    let (status, body) = organizer.get("/api/v1/strikes?before=1.0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
