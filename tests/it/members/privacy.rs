//! DESIGN.md invariant 1, tested the way an adversary would look: two instances
//! behind recording proxies, members seeded with unique markers in every field,
//! every feature exercised (federation both ways, public pages, discovery, the
//! API refusing strangers, the workplace chart), then every byte that crossed the network searched
//! for every marker.

use super::*;
use crate::federation::{
    acct, create_chapter, follow_and_wait_acct, wait_for_posts, wait_until_queue_empty,
};
use crate::helpers::{
    fresh_database, host_name, spawn_instance_behind, RecordingProxy, TestInstance,
};
use serde_json::json;

/// An instance on `ip` whose public address is a recording proxy.
async fn instance_behind_proxy(ip: &str) -> (TestInstance, RecordingProxy) {
    let public = std::net::TcpListener::bind((ip, 0)).unwrap();
    let private = std::net::TcpListener::bind((ip, 0)).unwrap();
    let public_addr = public.local_addr().unwrap();
    let proxy = RecordingProxy::start(public, private.local_addr().unwrap());
    let url = format!(
        "http://{}:{}",
        host_name(public_addr.ip()),
        public_addr.port()
    );
    let instance = spawn_instance_behind(private, fresh_database().await, url).await;
    (instance, proxy)
}

/// An account talking to the instance directly, not through its proxy: a
/// local, authorised account, whose own view is not "leaving the instance".
async fn direct_account(
    instance: &TestInstance,
    chapter: &str,
    role: Role,
    username: &str,
) -> Account {
    let link = invite_link(instance, chapter, role).await;
    let direct = Url::parse(&format!("http://{}", instance.addr)).unwrap();
    let response = accept(&direct.join(link.path()).unwrap(), username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "uh_session").unwrap();
    account_from_cookie(&direct, cookie).await
}

/// The first call `account` sees that `check` accepts, once it arrives.
async fn wait_for_call(account: &Account, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let (_, calls) = account.get("/api/v1/calls").await;
        if let Some(call) = calls
            .as_array()
            .and_then(|all| all.iter().find(|c| check(c)))
        {
            return call.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the call never arrived or changed");
}

async fn seed(organizer: &Account, chapter: &str, marker: &str, phone: &str) -> (i64, Vec<String>) {
    let record = marked_record(marker, phone);
    let (status, created) = organizer
        .post(
            &format!("/api/v1/chapters/{chapter}/members"),
            record.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    let talk = json!({"date": "2026-11-03", "by": format!("By{marker}"),
                      "issues": format!("Issues{marker}"), "next_step": format!("Next{marker}")});
    organizer
        .post(
            &format!("/api/v1/chapters/{chapter}/members/{id}/one-on-ones"),
            talk.clone(),
        )
        .await;
    let mut markers: Vec<String> = record
        .as_object()
        .unwrap()
        .values()
        .chain(talk.as_object().unwrap().values())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .filter(|s| s.contains(marker) || s == phone)
        .collect();
    markers.push(format!("tag{marker}"));
    markers.push(phone.replace(' ', ""));
    (id, markers)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_member_data_crosses_the_network() {
    // Everything logged at debug level meanwhile is searched too (at the end).
    let logs = crate::helpers::LogCapture::install()
        .expect("no other log subscriber in this process (unset TEST_LOG)");
    let (a, proxy_a) = instance_behind_proxy("127.0.0.2").await;
    let (b, proxy_b) = instance_behind_proxy("127.0.0.3").await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    let sam = direct_account(&a, "bakers", Role::Organizer, "sam").await;
    let mo = direct_account(&b, "millers", Role::Organizer, "moira").await;
    let (rosa_id, mut markers) = seed(&sam, "bakers", "Mk1Bakers", "+1 917 555 0111").await;
    let (_, more) = seed(&mo, "millers", "Mk2Millers", "+1 917 555 0122").await;
    markers.extend(more);
    // An invitation linked to a record, and the member who used it.
    let (_, invite) = sam
        .post(
            "/api/v1/groups/bakers/invites",
            json!({"role": "member", "member_id": rosa_id}),
        )
        .await;
    let link = Url::parse(invite["url"].as_str().unwrap()).unwrap();
    let joined = accept(&link, "rosa", PASSWORD).await;
    let rosa_cookie = set_cookie(&joined, "uh_session").unwrap();
    let rosa = account_from_cookie(&a.url, rosa_cookie).await;
    // The workplace chart: a coworker of Rosa's, a relationship with a note,
    // an assignment, a structure test she took part in; the organizer reads
    // all of it (directly, as a local account).
    let (pal_id, more) = seed(&sam, "bakers", "Mk7Pal", "+1 917 555 0177").await;
    markers.extend(more);
    let (status, _) = sam
        .post(
            "/api/v1/chapters/bakers/relationships",
            json!({"from": pal_id, "to": rosa_id, "kind": "influences", "note": "RelNoteMk8"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = sam
        .call(
            Method::PUT,
            "/api/v1/chapters/bakers/assignments",
            Some(json!({"members": [rosa_id], "assignee": pal_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, test) = sam
        .post(
            "/api/v1/chapters/bakers/structure-tests",
            json!({"title": "TestTitleMk9", "date": "2026-11-26",
                   "departments": ["DeptMk1Bakers"], "participants": [rosa_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    markers.extend(["RelNoteMk8".to_owned(), "TestTitleMk9".to_owned()]);
    let test_id = test["id"].as_i64().unwrap();
    for path in [
        "/api/v1/chapters/bakers/chart".to_owned(),
        "/api/v1/chapters/bakers/chart.csv".to_owned(),
        format!("/api/v1/chapters/bakers/relationships?member={rosa_id}"),
        "/api/v1/chapters/bakers/assignments".to_owned(),
        "/api/v1/chapters/bakers/structure-tests".to_owned(),
        format!("/api/v1/chapters/bakers/structure-tests/{test_id}"),
        "/chapters/bakers/chart".to_owned(),
        // A department in the address: not logged either.
        "/chapters/bakers/chart?department=DeptMk1Bakers".to_owned(),
        "/chapters/bakers/tests".to_owned(),
        format!("/chapters/bakers/tests/{test_id}"),
        "/chapters/bakers/assignments".to_owned(),
        format!("/chapters/bakers/members/{rosa_id}"),
        format!("/chapters/bakers/members/{rosa_id}/link?find=Mk7Pal"),
    ] {
        let (status, body) = sam.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        // (The assignments are ids only.)
        assert!(
            body.to_string().contains("Mk") || path.ends_with("/assignments"),
            "{path} shows the chart's data"
        );
    }

    // Federation both ways: follows, accepts, posts delivered, actors fetched.
    follow_and_wait_acct(&b, &acct(&a, "bakers")).await;
    follow_and_wait_acct(&a, &acct(&b, "millers")).await;
    let bakers = unionhall_federation::activities::post::publish_note(
        &a.data,
        "bakers",
        "PostFromBakers: picket Saturday",
    )
    .await
    .unwrap();
    let millers = unionhall_federation::activities::post::publish_note(
        &b.data,
        "millers",
        "PostFromMillers: we will be there",
    )
    .await
    .unwrap();
    wait_for_posts(&b, &bakers.author, 1).await;
    wait_for_posts(&a, &millers.author, 1).await;
    // A call for support from A; a member of B pledges at home; the totals go
    // back and forth. The pledging account's name is a marker too.
    let (status, call) = sam
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": "CallFromBakers", "goal": {"people": 5}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let pledger = direct_account(&b, "millers", Role::Member, "mk3pledger").await;
    markers.push("mk3pledger".into());
    let on_b = wait_for_call(&pledger, |c| c["call"]["title"] == "CallFromBakers").await;
    let (status, _) = pledger
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{}/pledges/millers", on_b["id"]),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    wait_for_call(&pledger, |c| c["pledged"]["people"] == 1).await;

    // A strike with a picket shift, pledged from B.
    let (status, strike) = sam
        .post(
            "/api/v1/chapters/bakers/strikes",
            json!({"strike": {"employer": "StrikeEmployerMk", "picket_lines": [{"place": {"address": "Gate 1"},
                   "shifts": [{"starts_at": 2_145_155_200_000i64, "ends_at": 2_145_158_800_000i64, "needed": 3}]}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{strike}");
    let shift = wait_for_call(&pledger, |c| {
        c["call"]["kind"] == "picket" && c["call"]["title"] != "CallFromBakers"
    })
    .await;
    pledger
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{}/pledges/millers", shift["id"]),
            Some(json!({"kind": "attend"})),
        )
        .await;
    // A union body on A admits B's chapter; a coordinated action is answered
    // by B's organizer (whose account name is a marker too).
    crate::solidarity::create_body(&a, "foodunion").await;
    let officer = direct_account(&a, "foodunion", Role::Officer, "mk4officer").await;
    let b_admin = direct_account(&b, "millers", Role::Admin, "mk5admin").await;
    markers.extend(["mk4officer".to_owned(), "mk5admin".to_owned()]);
    b_admin
        .post(
            "/api/v1/chapters/millers/unions",
            json!({"body": format!("@foodunion@{}", a.data.urls.domain())}),
        )
        .await;
    let applied = crate::solidarity::until(&officer, "/api/v1/unions/foodunion/members", |m| {
        m.as_array().is_some_and(|m| !m.is_empty())
    })
    .await;
    officer
        .post(
            "/api/v1/unions/foodunion/members/decide",
            json!({"chapter": applied[0]["chapter"], "admit": true}),
        )
        .await;
    crate::solidarity::until(&b_admin, "/api/v1/chapters/millers/unions", |m| {
        m[0]["admitted"] == true
    })
    .await;
    // A's chapter joins its own instance's body too, and addresses a call to the
    // union: the body relays it to B (an Announce crosses the network).
    let a_admin = direct_account(&a, "bakers", Role::Admin, "mk6admin").await;
    markers.push("mk6admin".to_owned());
    a_admin
        .post(
            "/api/v1/chapters/bakers/unions",
            json!({"body": "foodunion"}),
        )
        .await;
    officer
        .post(
            "/api/v1/unions/foodunion/members/decide",
            json!({"chapter": a.at("/actors/bakers"), "admit": true}),
        )
        .await;
    let (status, union_call) = sam
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "sign-on", "title": "UnionCallMk"}, "audience": "union",
                   "union": a.at("/actors/foodunion")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{union_call}");
    wait_for_call(&pledger, |c| c["call"]["title"] == "UnionCallMk").await;
    let deadline = unionhall_store::now_millis() + 600_000;
    officer
        .post(
            "/api/v1/unions/foodunion/actions",
            json!({"action": {"title": "ActionMk", "decision_deadline": deadline}}),
        )
        .await;
    let action = crate::solidarity::until(&b_admin, "/api/v1/actions", |a| {
        a.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let (status, _) = b_admin
        .call(
            Method::PUT,
            &format!("/api/v1/actions/{}/answers/millers", action[0]["id"]),
            Some(json!({"answer": "commit", "people": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    crate::solidarity::until(&officer, "/api/v1/actions", |a| {
        a[0]["committed_people"] == 7
    })
    .await;
    // B starts a campaign; someone on A follows it by its address.
    let (_, campaign) = b_admin
        .post(
            "/api/v1/chapters/millers/campaigns",
            json!({"campaign": {"title": "CampaignMk", "goal": "A contract"}}),
        )
        .await;
    let (status, _) = sam
        .post(
            "/api/v1/campaigns/follow",
            json!({"url": campaign["ap_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    b_admin
        .post(
            &format!("/api/v1/campaigns/{}/updates", campaign["id"]),
            json!({"text": "CampaignUpdateMk"}),
        )
        .await;
    crate::solidarity::until(&sam, "/api/v1/board", |b| {
        b["campaign_updates"]
            .as_array()
            .is_some_and(|u| !u.is_empty())
    })
    .await;

    wait_until_queue_empty(&a).await;
    wait_until_queue_empty(&b).await;

    // Strangers (and remote servers) look at everything public, and try the
    // private routes, through the public addresses.
    let stranger = browser();
    for (instance, chapter, id) in [(&a, "bakers", rosa_id), (&b, "millers", 1)] {
        let paths = [
            "/".to_owned(),
            format!(
                "/.well-known/webfinger?resource=acct:{chapter}@{}",
                instance.data.urls.domain()
            ),
            "/.well-known/nodeinfo".to_owned(),
            "/nodeinfo/2.1".to_owned(),
            format!("/actors/{chapter}"),
            format!("/actors/{chapter}/outbox"),
            format!("/actors/{chapter}/followers"),
            "/login".to_owned(),
            "/account".to_owned(),
            format!("/invite/{}", link.path().trim_start_matches("/invite/")),
            format!("/api/v1/chapters/{chapter}/members"),
            format!("/api/v1/chapters/{chapter}/members/{id}"),
            format!("/api/v1/chapters/{chapter}/roster.csv"),
            "/api/v1/me/record".to_owned(),
            format!("/api/v1/groups/{chapter}/audit"),
            format!("/api/v1/chapters/{chapter}/chart"),
            format!("/api/v1/chapters/{chapter}/chart.csv"),
            format!("/api/v1/chapters/{chapter}/relationships?member={id}"),
            format!("/api/v1/chapters/{chapter}/assignments"),
            format!("/api/v1/chapters/{chapter}/my-list"),
            format!("/api/v1/chapters/{chapter}/structure-tests"),
            format!("/api/v1/chapters/{chapter}/structure-tests/1"),
            format!("/chapters/{chapter}/chart"),
            format!("/chapters/{chapter}/my-list"),
            format!("/chapters/{chapter}/assignments"),
            format!("/chapters/{chapter}/tests"),
            format!("/chapters/{chapter}/tests/1"),
            format!("/chapters/{chapter}/members/{id}"),
            format!("/chapters/{chapter}/members/{id}/link?find=a"),
        ];
        for path in paths {
            for accept in ["text/html", "application/activity+json"] {
                stranger
                    .get(instance.at(&path))
                    .header("accept", accept)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    // A signed fetch by the other instance gets no member record either.
    let member_url = a.at(&format!("/api/v1/chapters/bakers/members/{rosa_id}"));
    let signed =
        activitypub_federation::fetch::fetch_object_http::<_, Value>(&member_url, &b.data).await;
    assert!(signed.is_err(), "a remote server fetched a member record");
    // A member of the chapter, from outside, is refused the roster and sees
    // only their own record (which the check below allows for: it is theirs).
    let (status, _) = rosa.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in [
        "/api/v1/chapters/bakers/chart",
        "/api/v1/chapters/bakers/chart.csv",
        "/api/v1/chapters/bakers/structure-tests",
        "/api/v1/chapters/bakers/assignments",
    ] {
        let (status, _) = rosa.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // Rosa sits on a committee but nobody is assigned to her: her list is empty.
    let (status, list) = rosa.get("/api/v1/chapters/bakers/my-list").await;
    assert_eq!(
        (status, list["entries"].clone()),
        (StatusCode::OK, json!([]))
    );

    // The capture worked: the posts and signed deliveries went through it.
    let captured: Vec<u8> = [proxy_a.captured(), proxy_b.captured()].concat();
    assert!(
        contains(&captured, "PostFromBakers"),
        "the capture saw A's delivery"
    );
    assert!(
        contains(&captured, "PostFromMillers"),
        "the capture saw B's delivery"
    );
    assert!(
        contains(&captured, "signature: keyId="),
        "the capture saw signed requests"
    );
    for sent in [
        "PledgeTotal",
        "StrikeEmployerMk",
        "\"Join\"",
        "\"Announce\"",
        "UnionCallMk",
        "ActionAnswer",
        "CampaignUpdateMk",
    ] {
        assert!(contains(&captured, sent), "the capture saw {sent}");
    }
    // The markers are real: the organizers do see them, directly.
    let (_, roster) = sam.get("/api/v1/chapters/bakers/members").await;
    assert!(roster.to_string().contains("Mk1Bakers"));

    for marker in &markers {
        assert!(
            !contains(&captured, marker),
            "member data {marker:?} crossed the network"
        );
    }

    // Nor is any of it, or any secret, in the logs: not a member field, a
    // chapter's private key, the member-data key, a password, a session or an
    // invitation token.
    let logged = logs.text();
    assert!(logged.contains("DEBUG"), "the capture saw debug logging");
    assert!(logged.contains("request"), "the capture saw requests");
    let mut secrets: Vec<String> = markers.clone();
    for (instance, handle) in [(&a, "bakers"), (&b, "millers")] {
        let actor = unionhall_store::actors::local_by_handle(&instance.store, handle)
            .await
            .unwrap()
            .unwrap();
        let pem = instance
            .data
            .vault
            .open(&actor)
            .unwrap()
            .private_key_pem
            .unwrap();
        // Any line of the key's base64 body.
        secrets.extend(pem.lines().filter(|l| l.len() > 40).map(str::to_owned));
    }
    secrets.push(crate::helpers::TEST_MEMBER_KEY.to_owned());
    secrets.push(PASSWORD.to_owned());
    secrets.push(sam.cookie.clone());
    secrets.push(sam.csrf.clone());
    secrets.push(rosa.cookie.clone());
    secrets.push(link.path().rsplit('/').next().unwrap().to_owned());
    for secret in &secrets {
        assert!(!logged.contains(secret.as_str()), "{secret:?} was logged");
    }
    for instance in [a, b] {
        instance.stop().await;
    }
}
