//! Every kind of bad request an inbox can get: each is refused with a clear 4xx
//! and changes nothing (DESIGN.md invariants 2 and 4).

use super::{create_chapter, follow_and_wait, wait_for_posts};
use crate::helpers::{fresh_database, spawn_instance_on, TestInstance};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use unionhall_store::actors::ActorRow;
use unionhall_store::{follows, inbox_seen, posts};

/// What the receiving instance holds; must not change on a refused request.
async fn snapshot(
    a: &TestInstance,
    chapter: &ActorRow,
    followed: &ActorRow,
) -> (i64, usize, usize) {
    (
        inbox_seen::count(&a.store).await.unwrap(),
        follows::followers_of(&a.store, &chapter.ap_id)
            .await
            .unwrap()
            .len(),
        posts::by_author(&a.store, &followed.ap_id)
            .await
            .unwrap()
            .len(),
    )
}

/// What is wrong, the body, how it is signed, the status and a word of the reason.
type Case<'a> = (&'a str, Vec<u8>, Option<Signed<'a>>, u16, &'a str);

pub(crate) struct Signed<'a> {
    pub signer: &'a ActorRow,
    pub key_of: &'a ActorRow,
    pub date: SystemTime,
    pub tamper: bool,
}

impl<'a> Signed<'a> {
    /// Signed properly by `actor` itself, now.
    pub fn by(actor: &'a ActorRow) -> Self {
        Self {
            signer: actor,
            key_of: actor,
            date: SystemTime::now(),
            tamper: false,
        }
    }
}

pub(crate) async fn post(
    a: &TestInstance,
    body: &[u8],
    signed: Option<Signed<'_>>,
) -> (u16, Value) {
    let url = a.at("/inbox");
    let mut request = a.client.post(url.clone()).body(body.to_vec());
    if let Some(s) = signed {
        let key = Signer::default()
            .key(
                s.key_of.ap_id.as_str(),
                s.key_of.private_key_pem.as_deref().unwrap(),
            )
            .unwrap();
        let headers =
            signed_post_headers_at(&key, &s.signer.public_key_id, &url, body, s.date).unwrap();
        request = request.headers(headers);
        if s.tamper {
            let mut changed = body.to_vec();
            changed.extend_from_slice(b" ");
            request = request.body(changed);
        }
    } else {
        request = request.header("content-type", "application/activity+json");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn refused_requests_get_a_reason_and_change_nothing() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let chapter = create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let honest = create_chapter(&c, "honest").await;
    // A follows C's chapter and holds one of its posts, which Mallory will try to
    // delete and rewrite.
    follow_and_wait(&a, &c, "honest").await;
    let victim =
        unionhall_federation::activities::post::publish_note(&c.data, "honest", "Our strike fund")
            .await
            .unwrap();
    wait_for_posts(&a, &honest.ap_id, 1).await;
    let before = snapshot(&a, &chapter, &honest).await;

    let now = SystemTime::now();
    let id = |n: &str| format!("{}activities/{n}", b.url);
    let follow =
        json!({"type": "Follow", "id": id("f1"), "actor": mallory.ap_id, "object": chapter.ap_id})
            .to_string();
    let by = |signer| Signed {
        signer,
        key_of: signer,
        date: now,
        tamper: false,
    };
    let cases: Vec<Case> = vec![
        ("unsigned", follow.clone().into_bytes(), None, 401, "Signature"),
        ("signed with another actor's key", follow.clone().into_bytes(),
            Some(Signed { key_of: &honest, ..by(&mallory) }), 401, "signature"),
        ("body changed after signing", follow.clone().into_bytes(),
            Some(Signed { tamper: true, ..by(&mallory) }), 401, "Digest"),
        ("date 13 hours old", follow.clone().into_bytes(),
            Some(Signed { date: now - Duration::from_secs(13 * 3600), ..by(&mallory) }), 401, "Date"),
        ("malformed JSON", b"{\"type\": \"Follow\", ".to_vec(), Some(by(&mallory)), 400, "not an activity"),
        ("JSON without an id", br#"{"type": "Follow"}"#.to_vec(), Some(by(&mallory)), 400, "not an activity"),
        ("unknown activity type",
            json!({"type": "Move", "id": id("l1"), "actor": mallory.ap_id, "object": chapter.ap_id}).to_string().into_bytes(),
            Some(by(&mallory)), 400, "unsupported activity type"),
        ("wrong field type",
            json!({"type": "Follow", "id": id("f2"), "actor": mallory.ap_id, "object": 42}).to_string().into_bytes(),
            Some(by(&mallory)), 400, "Follow"),
        ("follow of a chapter that does not exist",
            json!({"type": "Follow", "id": id("f3"), "actor": mallory.ap_id, "object": a.at("/actors/nobody")}).to_string().into_bytes(),
            Some(by(&mallory)), 404, "nobody"),
        ("speaking as another server's actor",
            json!({"type": "Follow", "id": format!("{}activities/f4", c.url), "actor": honest.ap_id, "object": chapter.ap_id}).to_string().into_bytes(),
            Some(by(&mallory)), 401, "signed by"),
        ("deleting someone else's post",
            json!({"type": "Delete", "id": id("d1"), "actor": mallory.ap_id, "object": victim.ap_id}).to_string().into_bytes(),
            Some(by(&mallory)), 403, "not theirs"),
        ("rewriting someone else's post",
            json!({"type": "Update", "id": id("u1"), "actor": mallory.ap_id, "object": {
                "type": "Note", "id": victim.ap_id, "attributedTo": honest.ap_id, "content": "scab here"}}).to_string().into_bytes(),
            Some(by(&mallory)), 403, "on behalf of"),
        ("oversize body", vec![b' '; 1024 * 1024 + 10], Some(by(&mallory)), 413, "larger than"),
    ];
    for (what, body, signed, status, reason) in cases {
        let (got, error) = post(&a, &body, signed).await;
        assert_eq!(got, status, "{what}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{what}: {message:?} should mention {reason:?}"
        );
        assert_eq!(
            snapshot(&a, &chapter, &honest).await,
            before,
            "{what} changed something"
        );
    }
    assert_eq!(
        posts::by_ap_id(&a.store, &victim.ap_id)
            .await
            .unwrap()
            .unwrap()
            .content,
        "<p>Our strike fund</p>"
    );

    // The same follow, properly signed, is accepted; sent again, it is a no-op.
    let (status, _) = post(&a, follow.as_bytes(), Some(by(&mallory))).await;
    assert_eq!(status, 202);
    let after = snapshot(&a, &chapter, &honest).await;
    assert_eq!(after.1, before.1 + 1);
    let (status, _) = post(&a, follow.as_bytes(), Some(by(&mallory))).await;
    assert_eq!(status, 202, "a redelivery is acknowledged");
    assert_eq!(
        snapshot(&a, &chapter, &honest).await,
        after,
        "and changes nothing"
    );

    // A request signed for another server is not accepted here.
    let elsewhere = c.at("/inbox");
    let key = Signer::default()
        .key(
            mallory.ap_id.as_str(),
            mallory.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let replay =
        json!({"type": "Follow", "id": id("f9"), "actor": mallory.ap_id, "object": chapter.ap_id})
            .to_string();
    let headers = signed_post_headers_at(
        &key,
        &mallory.public_key_id,
        &elsewhere,
        replay.as_bytes(),
        now,
    )
    .unwrap();
    let response = a
        .client
        .post(a.at("/inbox"))
        .headers(headers)
        .body(replay)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signed for"),
        "{error}"
    );
    assert_eq!(
        snapshot(&a, &chapter, &honest).await,
        after,
        "the replay changed nothing"
    );

    // hs2019, as newer Mastodon versions label the same RSA signature, is accepted.
    let unfollow = json!({"type": "Undo", "id": id("u2"), "actor": mallory.ap_id, "object": {
        "type": "Follow", "id": id("f1"), "actor": mallory.ap_id, "object": chapter.ap_id}})
    .to_string();
    let url = a.at("/inbox");
    let key = Signer::default()
        .key(
            mallory.ap_id.as_str(),
            mallory.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let mut headers =
        signed_post_headers_at(&key, &mallory.public_key_id, &url, unfollow.as_bytes(), now)
            .unwrap();
    let hs2019 = headers["signature"]
        .to_str()
        .unwrap()
        .replace("rsa-sha256", "hs2019");
    headers.insert("signature", hs2019.parse().unwrap());
    let response = a
        .client
        .post(url)
        .headers(headers)
        .body(unfollow)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        snapshot(&a, &chapter, &honest).await.1,
        before.1,
        "the follow was undone"
    );

    for instance in [a, b, c] {
        instance.stop().await;
    }
}
