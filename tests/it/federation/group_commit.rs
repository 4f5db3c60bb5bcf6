//! The inbox writes received notes many to a transaction (group commit). A
//! note that may not be written, arriving in the same burst as good ones, is
//! refused alone: the others are stored, each exactly once.

use super::{create_chapter, follow_and_wait, post_count, wait_for_posts};
use crate::helpers::{
    fresh_database, spawn_configured_instance_on, spawn_instance_on, TestInstance,
};
use serde_json::{json, Value};
use unionhall_federation::activities::post::publish_note;
use unionhall_federation::signatures::{signed_post_headers, Signer};
use unionhall_store::actors::ActorRow;
use unionhall_store::{inbox_seen, posts};

/// Posts every (signer, body) to `a`'s shared inbox at once; the answers in order.
async fn burst(a: &TestInstance, requests: &[(&ActorRow, String)]) -> Vec<(u16, Value)> {
    let inbox = a.at("/inbox");
    let mut sent = tokio::task::JoinSet::new();
    for (n, (signer, body)) in requests.iter().enumerate() {
        let key = Signer::default()
            .key(
                signer.ap_id.as_str(),
                signer.private_key_pem.as_deref().unwrap(),
            )
            .unwrap();
        let headers =
            signed_post_headers(&key, &signer.public_key_id, &inbox, body.as_bytes()).unwrap();
        let request = a
            .client
            .post(inbox.clone())
            .headers(headers)
            .body(body.clone());
        sent.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (n, status, response.json().await.unwrap_or(Value::Null))
        });
    }
    let mut answers = vec![(0, Value::Null); requests.len()];
    while let Some(done) = sent.join_next().await {
        let (n, status, body) = done.unwrap();
        answers[n] = (status, body);
    }
    answers
}

#[tokio::test]
async fn a_refused_note_in_a_burst_does_not_undo_the_others() {
    let a = spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[
            (
                "UNIONHALL_FEDERATION__INBOX_PER_INSTANCE_PER_MINUTE",
                "100000",
            ),
            ("UNIONHALL_FEDERATION__INBOX_PER_IP_PER_MINUTE", "100000"),
            ("UNIONHALL_FEDERATION__INBOX_MAX_IN_FLIGHT", "256"),
        ],
    )
    .await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&b, "bakers").await;
    // Mallory is a chapter on the same server, so ids on it pass the domain
    // check; only the write itself finds that the note is not hers.
    let mallory = create_chapter(&b, "mallory").await;
    follow_and_wait(&a, &b, "bakers").await;
    follow_and_wait(&a, &b, "mallory").await;
    let theirs = publish_note(&b.data, "bakers", "Strike fund: 4,000")
        .await
        .unwrap();
    wait_for_posts(&a, &bakers.ap_id, 1).await;
    let seen_before = inbox_seen::count(&a.store).await.unwrap();

    let note = |actor: &url::Url, n: usize, note_id: String| {
        json!({
            "type": "Create", "id": format!("{}activities/burst-{n}", b.url), "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"type": "Note", "id": note_id, "attributedTo": actor,
                       "content": format!("<p>Picket update {n}</p>"),
                       "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        })
        .to_string()
    };
    let mut bodies = Vec::new();
    for n in 0..120 {
        if n % 20 == 7 {
            // Mallory's Create of the bakers' note: a rewrite in disguise.
            bodies.push((false, note(&mallory.ap_id, n, theirs.ap_id.to_string())));
        } else {
            let id = format!("{}notes/burst-{n}", b.url);
            bodies.push((true, note(&bakers.ap_id, n, id)));
        }
    }
    let requests: Vec<(&ActorRow, String)> = bodies
        .iter()
        .map(|(good, body)| (if *good { &bakers } else { &mallory }, body.clone()))
        .collect();
    let answers = burst(&a, &requests).await;
    for ((good, _), (status, error)) in bodies.iter().zip(&answers) {
        if *good {
            assert_eq!(*status, 202, "{error}");
        } else {
            assert_eq!(*status, 403, "{error}");
            assert!(error.to_string().contains("not theirs"), "{error}");
        }
    }
    assert_eq!(post_count(&a, &bakers.ap_id).await, 1 + 114);
    assert_eq!(post_count(&a, &mallory.ap_id).await, 0);
    let kept = posts::by_ap_id(&a.store, &theirs.ap_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.content, "<p>Strike fund: 4,000</p>");
    assert_eq!(
        inbox_seen::count(&a.store).await.unwrap(),
        seen_before + 114,
        "the good ones recorded once each, the refused ones not at all"
    );
    // Sent again, the good ones are acknowledged and change nothing.
    let good: Vec<(&ActorRow, String)> = bodies
        .iter()
        .filter(|(good, _)| *good)
        .map(|(_, body)| (&bakers, body.clone()))
        .collect();
    let again = burst(&a, &good).await;
    assert!(again.iter().all(|(status, _)| *status == 202));
    assert_eq!(post_count(&a, &bakers.ap_id).await, 1 + 114);
}
