//! A hostile server that signs with its own keys and relays whatever it likes
//! (FEDERATION.md, "What we accept from whom"). A chapter on A belongs to a
//! union body on the hostile server B; C is an honest instance. Every forgery
//! is refused with a 4xx and a reason, and changes nothing on A.

use super::bad_input::{post, Signed};
use super::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on, wait_for, TestInstance};
use serde_json::{json, Value};
use std::time::SystemTime;
use unionhall_domain::{ActorKind, Audience, CallForSupport, CallKind, CallStatus, Goal, Handle};
use unionhall_federation::activities::{call, strike, union};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_federation::integrity;
use unionhall_store::actors::ActorRow;
use unionhall_store::calls::{self, CallRow};
use unionhall_store::unions::Side;
use url::Url;

fn a_call(title: &str) -> CallForSupport {
    CallForSupport {
        kind: CallKind::Donation,
        title: title.into(),
        details: "Our strike fund pays the rent of those on the line.".into(),
        place: None,
        starts_at: None,
        ends_at: None,
        deadline: None,
        goal: Goal {
            people: Some(20),
            amount: Some(500_000),
            currency: "USD".into(),
            fund_url: "https://fund.example/bakers".into(),
        },
        time_zone: None,
    }
}

/// The chapter "bakers" of `instance` posts a call, as its operator.
async fn post_bakers_call(instance: &TestInstance, title: &str, audience: Audience) -> CallRow {
    call::publish_call(
        &instance.data,
        &unionhall_domain::Authority::Operator,
        "bakers",
        a_call(title),
        audience,
    )
    .await
    .unwrap()
}

async fn body_on(instance: &TestInstance, handle: &str) -> ActorRow {
    create_group(
        &instance.data,
        NewGroup {
            kind: ActorKind::Union,
            handle: Handle::parse(handle).unwrap(),
            name: "A body".into(),
            summary: String::new(),
            manually_approves_followers: true,
        },
    )
    .await
    .unwrap()
}

async fn call_at(instance: &TestInstance, id: &Url) -> Option<CallRow> {
    let mut conn = instance.store.acquire().await.unwrap();
    calls::by_ap_id(&mut conn, id).await.unwrap()
}

/// What A holds that a forgery could change: its chapter's call and strike as
/// stored, every call it has, and how much it has sent.
async fn snapshot(a: &TestInstance, our_call: &Url, our_strike: &Url) -> Value {
    let mut conn = a.store.acquire().await.unwrap();
    let call = calls::by_ap_id(&mut conn, our_call).await.unwrap().unwrap();
    let strike = unionhall_store::strikes::by_ap_id(&mut conn, our_strike)
        .await
        .unwrap()
        .unwrap();
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    json!({
        "call": [call.record, call.status, call.audience.as_str(), call.audience.addressees(), call.pledged.people, call.updated_at],
        "strike": [strike.record, strike.status, strike.outcome, strike.updated_at],
        "calls": count("SELECT COUNT(*) FROM calls").fetch_one(&mut *conn).await.unwrap(),
        "sent": count("SELECT COUNT(*) FROM outbox").fetch_one(&mut *conn).await.unwrap(),
        "seen": count("SELECT COUNT(*) FROM inbox_seen").fetch_one(&mut *conn).await.unwrap(),
    })
}

/// An Announce by `body` of `inner`.
fn relay(body: &ActorRow, inner: &Value, n: usize) -> Vec<u8> {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Announce", "id": format!("{}/relays/{n}", body.ap_id),
        "actor": body.ap_id, "object": inner,
        "to": [unionhall_federation::activities::relay::members_url(&body.ap_id)],
    })
    .to_string()
    .into_bytes()
}

/// A Create of a call `author` says it wrote, its id on `author`'s server,
/// addressed `to`, with `author`'s proof if `proof_key` is given (key id,
/// private key).
fn call_create(author: &ActorRow, n: &str, to: &[&str], proof_key: Option<(&str, &str)>) -> Value {
    let host = author.ap_id.origin().ascii_serialization();
    let mut create = json!({
        "@context": unionhall_federation::protocol::context(),
        "type": "Create", "id": format!("{host}/activities/{n}"), "actor": author.ap_id,
        "to": to,
        "object": {
            "type": "Page", "id": format!("{host}/calls/{n}"), "attributedTo": author.ap_id,
            "name": "Donation: Send money here", "content": "<p>Send it all</p>",
            "callKind": "donation", "callStatus": "open", "to": to, "cc": [],
            "goal": {"people": 5, "amount": 100, "currency": "USD", "fundUrl": "https://thief.example/pay"},
            "pledged": {"people": 0, "amount": 0, "actions": 0},
        }
    });
    if let Some((key_id, private_key)) = proof_key {
        integrity::sign(
            &mut create,
            key_id,
            private_key,
            unionhall_store::now_millis(),
        )
        .unwrap();
    }
    create
}

fn proof_key(actor: &ActorRow) -> (&str, &str) {
    (
        actor.assertion_key_id.as_deref().unwrap(),
        actor.assertion_private_key.as_deref().unwrap(),
    )
}

#[tokio::test]
async fn a_hostile_body_cannot_change_what_any_chapter_says() {
    let a = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[("UNIONHALL_HTTP__METRICS_TOKEN", "scrape-me")],
    )
    .await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let evil = body_on(&b, "evil").await;
    let mallory = create_chapter(&b, "mallory").await;
    let millers = create_chapter(&c, "millers").await;
    let other_body = body_on(&c, "otherbody").await;
    let our_call = post_bakers_call(&a, "Feed the line", Audience::Public).await;
    let our_strike = super::reach::bakers_strike(&a).await;
    let (call_id, strike_id) = (our_call.ap_id.clone(), our_strike.ap_id.clone());

    // Only applied: even an honest-looking relay waits for the Accept (425).
    apply_and_wait(&a, "bakers", &b, &evil.ap_id).await;
    let before = snapshot(&a, &call_id, &strike_id).await;
    let honest = call_create(
        &mallory,
        "early",
        &[evil.ap_id.as_str()],
        Some(proof_key(&mallory)),
    );
    let (status, error) = post(&a, &relay(&evil, &honest, 0), Some(Signed::by(&evil))).await;
    assert_eq!(status, 425, "{error}");
    assert_eq!(snapshot(&a, &call_id, &strike_id).await, before);

    // B admits A's chapter (and its own Mallory): now it is "our" body.
    union::decide(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "evil",
        &bakers.ap_id,
        true,
    )
    .await
    .unwrap();
    let (store, evil_id, bakers_id) = (a.store.clone(), evil.ap_id.clone(), bakers.ap_id.clone());
    wait_for("B's Accept to reach A", 20, || {
        let (store, evil_id, bakers_id) = (store.clone(), evil_id.clone(), bakers_id.clone());
        async move {
            let mut conn = store.acquire().await.unwrap();
            unionhall_store::unions::is_admitted(&mut conn, Side::Chapter, &evil_id, &bakers_id)
                .await
                .unwrap()
        }
    })
    .await;
    let before = snapshot(&a, &call_id, &strike_id).await;

    // Forgeries in A's own chapter's name.
    let mut retitled = call_json_of(&a, &our_call).await;
    retitled["name"] = "Donation: Send it to us instead".into();
    retitled["goal"]["fundUrl"] = "https://thief.example/pay".into();
    retitled["to"] = json!([evil.ap_id]);
    let update_ours = json!({"type": "Update", "id": format!("{}activities/forged-1", a.url),
        "actor": bakers.ap_id, "object": retitled});
    let mut settled = strike_json_of(&a, &our_strike).await;
    settled["strikeStatus"] = "settled".into();
    settled["outcome"] = "We gave up".into();
    let settle_ours = json!({"type": "Update", "id": format!("{}activities/forged-2", a.url),
        "actor": bakers.ap_id, "object": settled});

    // In C's chapter's name: not at its origin, and with a proof made with
    // another key under the chapter's key id.
    let unconfirmed = call_create(
        &millers,
        "forged-3",
        &["https://www.w3.org/ns/activitystreams#Public"],
        None,
    );
    let mallory_private = mallory.assertion_private_key.as_deref().unwrap();
    let millers_key = millers.assertion_key_id.as_deref().unwrap();
    let false_proof = call_create(
        &millers,
        "forged-4",
        &["https://www.w3.org/ns/activitystreams#Public"],
        Some((millers_key, mallory_private)),
    );
    // Mallory's own words, proven, but Mallory is not in the body yet.
    let not_a_member = call_create(
        &mallory,
        "m1",
        &["https://www.w3.org/ns/activitystreams#Public"],
        Some(proof_key(&mallory)),
    );

    type Case<'a> = (&'a str, Value, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "retitling our chapter's call, its fund pointed elsewhere",
            update_ours,
            403,
            "of this instance",
        ),
        (
            "settling our chapter's strike",
            settle_ours,
            403,
            "of this instance",
        ),
        (
            "a call in another chapter's name that its server does not have",
            unconfirmed,
            403,
            "could not be confirmed",
        ),
        (
            "a call in another chapter's name with a proof by another key",
            false_proof,
            403,
            "does not verify",
        ),
        (
            "a proven call of a chapter that is not in the body",
            not_a_member,
            403,
            "not an admitted member",
        ),
    ];
    for (n, (what, inner, status, reason)) in cases.into_iter().enumerate() {
        let (got, error) = post(&a, &relay(&evil, &inner, n + 1), Some(Signed::by(&evil))).await;
        assert_eq!(got, status, "{what}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{what}: {message:?} should say {reason:?}"
        );
        assert_eq!(
            snapshot(&a, &call_id, &strike_id).await,
            before,
            "{what} changed A"
        );
    }

    // Mallory joins the body. A relay may not widen or change the audience of
    // Mallory's call, and a server A blocks cannot speak through a relay.
    union::apply(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "mallory",
        "evil",
    )
    .await
    .unwrap();
    union::decide(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "evil",
        &mallory.ap_id,
        true,
    )
    .await
    .unwrap();
    let elsewhere = call_create(
        &mallory,
        "m2",
        &[other_body.ap_id.as_str()],
        Some(proof_key(&mallory)),
    );
    let (status, error) = post(&a, &relay(&evil, &elsewhere, 10), Some(Signed::by(&evil))).await;
    assert_eq!(status, 403, "{error}");
    assert!(error.to_string().contains("not addressed to"), "{error}");
    let millers_call = call_create(
        &millers,
        "c1",
        &["https://www.w3.org/ns/activitystreams#Public"],
        Some(proof_key(&millers)),
    );
    let c_host = c.url.host_str().unwrap().to_owned();
    unionhall_federation::policy::block(&a.data, &c_host, "test")
        .await
        .unwrap();
    let (status, error) = post(
        &a,
        &relay(&evil, &millers_call, 11),
        Some(Signed::by(&evil)),
    )
    .await;
    assert_eq!(status, 403, "{error}");
    unionhall_federation::policy::unblock(&a.data, &c_host)
        .await
        .unwrap();
    assert_eq!(snapshot(&a, &call_id, &strike_id).await, before);

    // What the body may do: relay a member's proven call addressed to it.
    let to_the_body = call_create(
        &mallory,
        "m3",
        &[evil.ap_id.as_str()],
        Some(proof_key(&mallory)),
    );
    let (status, error) = post(&a, &relay(&evil, &to_the_body, 12), Some(Signed::by(&evil))).await;
    assert_eq!(status, 202, "{error}");
    let taken = call_at(
        &a,
        &Url::parse(to_the_body["object"]["id"].as_str().unwrap()).unwrap(),
    )
    .await
    .expect("a member's proven call is kept");
    assert_eq!(taken.audience, Audience::Union(evil.ap_id.clone()));
    // Our chapter's own call was not touched by any of it.
    let ours = call_at(&a, &call_id).await.unwrap();
    assert!(ours.record.contains("Feed the line") && ours.record.contains("fund.example"));
    assert_eq!(
        (ours.status, ours.audience),
        (CallStatus::Open, Audience::Public)
    );
    // Each class of refusal is counted.
    let metrics = a
        .client
        .get(a.at("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for reason in [
        "not_admitted",
        "ours",
        "unconfirmed",
        "proof",
        "not_a_member",
        "audience",
    ] {
        let line = format!("unionhall_relays_refused_total{{reason=\"{reason}\"}}");
        assert!(metrics.contains(&line), "{line} is not in /metrics");
    }

    for instance in [a, b, c] {
        instance.stop().await;
    }
}

async fn strike_json_of(a: &TestInstance, row: &unionhall_store::strikes::StrikeRow) -> Value {
    let author = unionhall_store::actors::by_ap_id(&a.store, &row.author)
        .await
        .unwrap()
        .unwrap();
    let mut conn = a.store.acquire().await.unwrap();
    serde_json::to_value(strike::strike_json(&mut conn, row, &author).await.unwrap()).unwrap()
}

async fn call_json_of(a: &TestInstance, row: &CallRow) -> Value {
    let author = unionhall_store::actors::by_ap_id(&a.store, &row.author)
        .await
        .unwrap()
        .unwrap();
    serde_json::to_value(call::call_json(row, &author).unwrap()).unwrap()
}

#[tokio::test]
async fn pledge_totals_come_only_from_related_chapters_within_bounds() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let our_call = post_bakers_call(&a, "Feed the line", Audience::Public).await;
    let total = |n: &str, people: u64| {
        json!({"type": "Update", "id": format!("{}activities/{n}", b.url), "actor": mallory.ap_id,
            "to": [our_call.author],
            "object": {"type": "PledgeTotal", "id": format!("{}pledges/{n}", b.url),
                "attributedTo": mallory.ap_id, "call": our_call.ap_id,
                "people": people, "amount": 0, "actions": 0,
                "content": "", "updated": "2026-12-04T10:00:00Z", "to": [our_call.author]}})
        .to_string()
        .into_bytes()
    };
    let pledged = || async { call_at(&a, &our_call.ap_id).await.unwrap().pledged };
    let before = pledged().await;

    // A stranger: no follow, not named, no shared body.
    let (status, error) = post(&a, &total("t1", 3), Some(Signed::by(&mallory))).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(pledged().await, before);

    // Once it follows the chapter its totals count, but only sane ones.
    super::follow_and_wait(&b, &a, "bakers").await;
    let (status, error) = post(
        &a,
        &total("t2", 424_242_424_242),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("bounds"), "{error}");
    assert_eq!(pledged().await, before);
    let (status, error) = post(&a, &total("t3", 3), Some(Signed::by(&mallory))).await;
    assert_eq!(status, 202, "{error}");
    assert_eq!(pledged().await.people, before.people + 3);

    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_signature_that_does_not_cover_the_host_is_refused() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let chapter = create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let follow = json!({"type": "Follow", "id": format!("{}activities/f1", b.url),
        "actor": mallory.ap_id, "object": chapter.ap_id})
    .to_string();
    let key = unionhall_federation::signatures::Signer::default()
        .key(
            mallory.ap_id.as_str(),
            mallory.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let inbox = a.at("/inbox");
    let mut headers = unionhall_federation::signatures::signed_post_headers_at(
        &key,
        &mallory.public_key_id,
        &inbox,
        follow.as_bytes(),
        SystemTime::now(),
    )
    .unwrap();
    let without_host = headers["signature"]
        .to_str()
        .unwrap()
        .replace("(request-target) host date", "(request-target) date");
    headers.insert("signature", without_host.parse().unwrap());
    let response = a
        .client
        .post(inbox)
        .headers(headers)
        .body(follow)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert!(error.to_string().contains("must cover host"), "{error}");
    a.stop().await;
    b.stop().await;
}

/// `chapter` on `instance` applies to the body `body` on `body_instance`;
/// returns the chapter's id once the body's side has the application.
async fn apply_and_wait(
    instance: &TestInstance,
    chapter: &str,
    body_instance: &TestInstance,
    body: &Url,
) -> Url {
    let applied = union::apply(
        &instance.data,
        &unionhall_domain::Authority::Operator,
        chapter,
        body.as_str(),
    )
    .await
    .unwrap();
    let (store, body, chapter) = (body_instance.store.clone(), body.clone(), applied.chapter);
    wait_for("the application to reach the body", 20, || {
        let (store, body, chapter) = (store.clone(), body.clone(), chapter.clone());
        async move {
            let mut conn = store.acquire().await.unwrap();
            unionhall_store::unions::get(&mut conn, Side::Body, &body, &chapter)
                .await
                .unwrap()
                .is_some()
        }
    })
    .await;
    chapter
}

/// A call as stored on `instance`, once it is there.
async fn wait_for_call(instance: &TestInstance, id: &Url) -> CallRow {
    let store = instance.store.clone();
    wait_for(&format!("{id} on {}", instance.url), 30, || {
        let (store, id) = (store.clone(), id.clone());
        async move {
            let mut conn = store.acquire().await.unwrap();
            calls::by_ap_id(&mut conn, &id).await.unwrap().is_some()
        }
    })
    .await;
    call_at(instance, id).await.unwrap()
}

#[tokio::test]
async fn a_relayed_call_is_proven_by_its_authors_proof_while_its_server_is_down() {
    let x = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let y = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let z = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&x, "bakers").await;
    create_chapter(&z, "millers").await;
    let body = body_on(&y, "fwiu").await;
    for (instance, chapter) in [(&x, "bakers"), (&z, "millers")] {
        let applicant = apply_and_wait(instance, chapter, &y, &body.ap_id).await;
        union::decide(
            &y.data,
            &unionhall_domain::Authority::Operator,
            "fwiu",
            &applicant,
            true,
        )
        .await
        .unwrap();
    }
    let union_call =
        |title: &'static str| post_bakers_call(&x, title, Audience::Union(body.ap_id.clone()));

    // With every server up: the body relays the call with the chapter's proof,
    // and Z takes it as a union call (Z could not fetch it from X: it is not
    // in the call's audience, the body is).
    let first = union_call("Feed the line").await;
    let relayed = wait_for_call(&z, &first.ap_id).await;
    assert_eq!(relayed.audience, Audience::Union(body.ap_id.clone()));

    // Z is away while the next call goes out, and X is gone when Z is back:
    // the body's retried relay is proven by the proof alone.
    let z_addr = z.addr;
    let z_db = z.stop().await;
    let second = union_call("Second shift needs people").await;
    wait_for_call(&y, &second.ap_id).await;
    x.stop().await;
    let z = crate::helpers::respawn_instance_at(z_addr, z_db).await;
    let relayed = wait_for_call(&z, &second.ap_id).await;
    assert!(relayed.record.contains("Second shift needs people"));
    assert_eq!(relayed.audience, Audience::Union(body.ap_id.clone()));

    y.stop().await;
    z.stop().await;
}

#[tokio::test]
async fn reports_and_follows_are_limited_per_actor_and_per_domain_and_repeats_fold() {
    let a = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[
            ("UNIONHALL_FEDERATION__REPORTS_PER_ACTOR_PER_HOUR", "3"),
            ("UNIONHALL_FEDERATION__FOLLOWS_PER_DOMAIN_PER_HOUR", "4"),
        ],
    )
    .await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let flag = |n: usize, words: &str| {
        json!({"type": "Flag", "id": format!("{}/flags/{n}", mallory.ap_id), "actor": mallory.ap_id,
            "object": [bakers.ap_id], "content": words})
        .to_string()
        .into_bytes()
    };
    // The same report three times is filed once; a fourth report is one too many.
    for n in 0..3 {
        let (status, error) = post(&a, &flag(n, "they organize"), Some(Signed::by(&mallory))).await;
        assert_eq!(status, 202, "{error}");
    }
    assert_eq!(
        unionhall_store::reports::list(&a.store, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let (status, error) = post(
        &a,
        &flag(3, "they organize a lot"),
        Some(Signed::by(&mallory)),
    )
    .await;
    assert_eq!(status, 429, "{error}");
    assert!(error.to_string().contains("too many reports"), "{error}");
    assert_eq!(
        unionhall_store::reports::list(&a.store, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Follows from many actors of one domain: the domain's allowance holds
    // however many actors it makes up.
    let mut statuses = Vec::new();
    for n in 0..6 {
        let who = create_chapter(&b, &format!("throwaway{n}")).await;
        let follow = json!({"type": "Follow", "id": format!("{}/follows/1", who.ap_id),
            "actor": who.ap_id, "object": bakers.ap_id});
        let (status, _) = post(&a, follow.to_string().as_bytes(), Some(Signed::by(&who))).await;
        statuses.push(status);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 429, 429]);
    let followers = unionhall_store::follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 4);

    a.stop().await;
    b.stop().await;
}
