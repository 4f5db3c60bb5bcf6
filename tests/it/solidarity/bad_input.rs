//! Bad input to the solidarity network, from the API and from other servers:
//! each refused with a clear 4xx, and nothing changes.

use super::create_body;
use crate::federation::bad_input::{post, Signed};
use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::join;
use reqwest::{Method, StatusCode};
use serde_json::json;
use unionhall_domain::Role;

#[tokio::test]
async fn the_api_refuses_bad_calls_strikes_actions_and_campaigns() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_body(&a, "foodunion").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let cases = [
        (
            &organizer,
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "riot", "title": "x"}}),
            "riot",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": " "}}),
            "title",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": "x"}, "audience": "everyone"}),
            "audience",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "donation", "title": "x", "goal": {"amount": 100}}}),
            "currency",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/strikes",
            json!({"strike": {"employer": ""}}),
            "employer",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/strikes",
            json!({"strike": {"employer": "Acme", "picket_lines": [{"place": {"address": "Gate"}, "shifts": [{"starts_at": 10, "ends_at": 5, "needed": 2}]}]}}),
            "shift",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/campaigns",
            json!({"campaign": {"title": ""}}),
            "title",
        ),
        (
            &officer,
            "/api/v1/unions/foodunion/actions",
            json!({"action": {"title": "Walk out", "decision_deadline": 1000}}),
            "deadline",
        ),
        (
            &organizer,
            "/api/v1/chapters/bakers/unions",
            json!({"body": "not a body at all"}),
            "",
        ),
    ];
    for (account, path, body, word) in cases {
        let (status, answer) = account.post(path, body).await;
        assert!(status.is_client_error(), "{path}: {status} {answer}");
        assert!(
            answer.to_string().contains(word),
            "{path}: {answer} should mention {word}"
        );
    }
    let (status, _) = organizer
        .post("/api/v1/chapters/bakers/calls", json!("not an object"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for path in [
        "/api/v1/calls",
        "/api/v1/strikes",
        "/api/v1/actions",
        "/api/v1/campaigns",
    ] {
        let (_, all) = organizer.get(path).await;
        assert_eq!(all, json!([]), "{path}: nothing was stored");
    }
    let (status, _) = organizer
        .call(
            Method::PUT,
            "/api/v1/calls/999/pledges/bakers",
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    a.stop().await;
}

#[tokio::test]
async fn other_servers_cannot_pledge_answer_relay_or_join_out_of_turn() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    create_body(&a, "foodunion").await;
    let mallory = create_chapter(&b, "mallory").await;
    follow_and_wait(&b, &a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let officer = join(&a, "foodunion", Role::Officer, "ofelia").await;
    let (_, call) = organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": "Picket"}}),
        )
        .await;
    let deadline = unionhall_store::now_millis() + 600_000;
    let (_, action) = officer
        .post(
            "/api/v1/unions/foodunion/actions",
            json!({"action": {"title": "Walk out", "decision_deadline": deadline}}),
        )
        .await;
    let m = mallory.ap_id.as_str();
    let activity = |n: u32, kind: &str, object: serde_json::Value| json!({"type": kind, "id": format!("{m}/bad/{n}"), "actor": m, "object": object, "to": [bakers.ap_id]});
    let cases = [
        // Totals for a call that is not A's.
        (
            activity(
                1,
                "Update",
                json!({"type": "PledgeTotal", "id": format!("{m}/pledges/1"), "attributedTo": m,
            "call": format!("{m}/calls/nope"), "people": 5, "updated": "2026-11-25T00:00:00.000Z"}),
            ),
            404,
        ),
        // Totals attributed to another chapter.
        (
            activity(
                2,
                "Update",
                json!({"type": "PledgeTotal", "id": format!("{m}/pledges/2"), "attributedTo": bakers.ap_id,
            "call": call["ap_id"], "people": 5, "updated": "2026-11-25T00:00:00.000Z"}),
            ),
            403,
        ),
        // An answer from a chapter that is not a member of the body.
        (
            activity(
                3,
                "Update",
                json!({"type": "ActionAnswer", "id": format!("{m}/answers/1"), "attributedTo": m,
            "action": action["ap_id"], "answer": "commit", "people": 900, "updated": "2026-11-25T00:00:00.000Z"}),
            ),
            403,
        ),
        // A relay from something that is not a body A belongs to.
        (
            activity(
                4,
                "Announce",
                json!({"type": "Create", "id": format!("{m}/c/1"), "actor": m,
            "object": {"type": "Page", "id": format!("{m}/calls/1"), "attributedTo": m, "name": "x", "content": "x",
                       "callKind": "other", "callStatus": "open"}}),
            ),
            403,
        ),
        // Joining something that is not a union body.
        (
            json!({"type": "Join", "id": format!("{m}/bad/5"), "actor": m, "object": bakers.ap_id}),
            404,
        ),
        // Changing the status of A's call.
        (
            activity(
                6,
                "Update",
                json!({"type": "Page", "id": call["ap_id"], "attributedTo": bakers.ap_id, "name": "Picket: x",
            "content": "x", "callKind": "picket", "callStatus": "withdrawn"}),
            ),
            403,
        ),
    ];
    for (body, expected) in cases {
        let bytes = serde_json::to_vec(&body).unwrap();
        let (status, answer) = post(&a, &bytes, Some(Signed::by(&mallory))).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    // Nothing changed: no totals, no tally, the call still open.
    let (_, call_now) = organizer
        .get(&format!("/api/v1/calls/{}", call["id"]))
        .await;
    assert_eq!(call_now["status"], "open");
    assert_eq!(call_now["breakdown"], json!([]));
    let (_, action_now) = officer
        .get(&format!("/api/v1/actions/{}", action["id"]))
        .await;
    assert_eq!(action_now["tally"], json!([]));
    let (_, members) = officer.get("/api/v1/unions/foodunion/members").await;
    assert_eq!(members, json!([]));
    for instance in [a, b] {
        instance.stop().await;
    }
}
