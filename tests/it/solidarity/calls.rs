//! A call for support posted on A reaches B and C; members on B and C pledge;
//! A sees each chapter's totals and B and C see the running total.

use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on, TestInstance};
use crate::members::{join, Account};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::Role;

/// The call with this title as `account` sees it on its instance, once it is
/// there and `check` holds (federation is asynchronous).
async fn call_where(account: &Account, title: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut last = Value::Null;
    while std::time::Instant::now() < deadline {
        let (_, calls) = account.get("/api/v1/calls").await;
        let found = calls
            .as_array()
            .and_then(|all| all.iter().find(|c| c["call"]["title"] == title).cloned());
        if let Some(call) = found {
            if check(&call) {
                return call;
            }
            last = call;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "timed out waiting for {title:?} on {} to change; last seen: {last}",
        account.base
    );
}

fn picket() -> Value {
    json!({
        "kind": "picket",
        "title": "Picket at gate 3",
        "details": "Bring water.\n\nWe hold the line from 6am.",
        "place": {"address": "Gate 3, 100 Mill Road", "latitude": 45.5, "longitude": -73.6},
        "starts_at": 2_145_155_200_000i64,
        "ends_at": 2_145_165_200_000i64,
        "deadline": 2_145_145_200_000i64,
        "goal": {"people": 10, "amount": 50_000, "currency": "usd", "fund_url": "https://fund.example/bakers"}
    })
}

async fn network() -> [TestInstance; 3] {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    create_chapter(&c, "brewers").await;
    follow_and_wait(&b, &a, "bakers").await;
    follow_and_wait(&c, &a, "bakers").await;
    [a, b, c]
}

#[tokio::test]
async fn a_call_travels_members_pledge_at_home_and_totals_come_back() {
    let [a, b, c] = network().await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let baker = join(&a, "bakers", Role::Member, "beatrice").await;
    let miller1 = join(&b, "millers", Role::Member, "milo").await;
    let miller2 = join(&b, "millers", Role::Member, "mina").await;
    let brewer = join(&c, "brewers", Role::Member, "bruno").await;

    // Members may not post for their chapter; organizers may.
    let (status, _) = miller1
        .post("/api/v1/chapters/millers/calls", json!({"call": picket()}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, posted) = organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": picket(), "audience": "public"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let local_id = posted["id"].as_i64().unwrap();
    assert_eq!(posted["call"]["goal"]["currency"], "USD");

    // Others see a readable Event, with the structured fields in our namespace.
    let ap_id = posted["ap_id"].as_str().unwrap();
    let object: Value = a
        .client
        .get(ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(object["type"], "Event");
    assert_eq!(object["name"], "Picket: Picket at gate 3");
    assert!(object["content"]
        .as_str()
        .unwrap()
        .contains("Where: Gate 3, 100 Mill Road"));
    assert_eq!(object["location"]["type"], "Place");
    assert!(
        object["startTime"]
            .as_str()
            .unwrap()
            .starts_with("2037-12-23T"),
        "{object}"
    );
    assert_eq!(object["callKind"], "picket");
    assert!(object["@context"]
        .to_string()
        .contains("https://unionhall.org/ns#"));

    // B and C receive it; their members pledge through their own chapters.
    let on_b = call_where(&miller1, "Picket at gate 3", |_| true).await;
    let on_c = call_where(&brewer, "Picket at gate 3", |_| true).await;
    assert_eq!(on_b["local"], false);
    assert_eq!(
        on_b["call"]["details"],
        "Bring water.\n\nWe hold the line from 6am."
    );
    let b_id = on_b["id"].as_i64().unwrap();
    let c_id = on_c["id"].as_i64().unwrap();
    let pledge = |account: &Account, id: i64, chapter: &str, body: Value| {
        let account = account.clone();
        let path = format!("/api/v1/calls/{id}/pledges/{chapter}");
        async move { account.call(Method::PUT, &path, Some(body)).await }
    };
    let (status, totals) = pledge(&miller1, b_id, "millers", json!({"kind": "attend"})).await;
    assert_eq!(status, StatusCode::OK, "{totals}");
    assert_eq!(totals["people"], 1);
    let (_, totals) = pledge(&miller2, b_id, "millers", json!({"kind": "attend"})).await;
    assert_eq!(totals["people"], 2);
    let (_, totals) = pledge(
        &brewer,
        c_id,
        "brewers",
        json!({"kind": "give", "amount": 2000}),
    )
    .await;
    assert_eq!(totals["amount"], 2000);
    create_chapter(&c, "vintners").await;
    let (status, _) = pledge(&brewer, c_id, "vintners", json!({"kind": "attend"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only through one's own chapter"
    );
    let (status, body) = pledge(
        &brewer,
        c_id,
        "brewers",
        json!({"kind": "give", "amount": 0}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A member of the calling chapter pledges at home too.
    pledge(&baker, local_id, "bakers", json!({"kind": "attend"})).await;

    // A shows each chapter's totals and the running total.
    let on_a = call_where(&organizer, "Picket at gate 3", |c| {
        c["pledged"]["people"] == 3 && c["pledged"]["amount"] == 2000
    })
    .await;
    assert_eq!(on_a["local"], true);
    let (_, detail) = organizer.get(&format!("/api/v1/calls/{local_id}")).await;
    let breakdown = detail["breakdown"].as_array().unwrap();
    let of = |chapter: &str| {
        breakdown
            .iter()
            .find(|t| {
                t["chapter"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/actors/{chapter}"))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{chapter} in {detail}"))
    };
    assert_eq!(of("millers")["people"], 2);
    assert_eq!(of("brewers")["amount"], 2000);
    assert_eq!(of("bakers")["people"], 1);

    // B and C see the running total.
    call_where(&miller1, "Picket at gate 3", |c| {
        c["pledged"]["people"] == 3 && c["pledged"]["amount"] == 2000
    })
    .await;
    call_where(&brewer, "Picket at gate 3", |c| c["pledged"]["people"] == 3).await;

    // Taking a pledge back lowers every total.
    let (status, totals) = miller2
        .call(
            Method::DELETE,
            &format!("/api/v1/calls/{b_id}/pledges/millers"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{totals}");
    assert_eq!(totals["people"], 1);
    call_where(&brewer, "Picket at gate 3", |c| c["pledged"]["people"] == 2).await;

    // Edits and status changes reach everyone; the lifecycle refuses nonsense.
    let mut edited = picket();
    edited["title"] = json!("Picket at gate 4");
    let (status, body) = organizer
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{local_id}"),
            Some(edited),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    call_where(&brewer, "Picket at gate 4", |_| true).await;
    let status_to = |s: &str| {
        let organizer = organizer.clone();
        let s = s.to_owned();
        async move {
            organizer
                .post(
                    &format!("/api/v1/calls/{local_id}/status"),
                    json!({"status": s}),
                )
                .await
        }
    };
    assert_eq!(status_to("met").await.0, StatusCode::OK);
    call_where(&miller1, "Picket at gate 4", |c| c["status"] == "met").await;
    let (status, body) = status_to("withdrawn").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from met to withdrawn"),
        "{body}"
    );
    assert_eq!(status_to("closed").await.0, StatusCode::OK);
    call_where(&brewer, "Picket at gate 4", |c| c["status"] == "closed").await;
    let (status, _) = pledge(&brewer, c_id, "brewers", json!({"kind": "act"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed call takes no pledges"
    );
    // Only the calling chapter's organizers change it.
    let (status, _) = miller1
        .post(
            &format!("/api/v1/calls/{b_id}/status"),
            json!({"status": "open"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "B's copy is not B's to change"
    );

    for instance in [a, b, c] {
        instance.stop().await;
    }
}

/// The board's JSON and its page read one model: a call deleted by its
/// chapter leaves both.
#[tokio::test]
async fn a_deleted_call_leaves_the_board_and_its_page_alike() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let millers = create_chapter(&b, "millers").await;
    follow_and_wait(&a, &b, "millers").await;
    let member = join(&a, "bakers", Role::Member, "sam").await;
    let posted = unionhall_federation::activities::call::publish_call(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "millers",
        serde_json::from_value(picket()).unwrap(),
        unionhall_federation::activities::Audience::Public,
    )
    .await
    .unwrap();
    let on_board = |board: &Value| {
        board["calls"]
            .as_array()
            .is_some_and(|calls| calls.iter().any(|c| c["title"] == "Picket at gate 3"))
    };
    crate::solidarity::until(&member, "/api/v1/board", on_board).await;
    let page = || async {
        let response = member.request(Method::GET, "/").send().await.unwrap();
        response.text().await.unwrap()
    };
    assert!(page().await.contains("Picket at gate 3"));

    let delete = json!({"type": "Delete", "id": format!("{}/deletes/1", posted.ap_id),
        "actor": millers.ap_id, "object": posted.ap_id});
    let (status, error) = crate::federation::bad_input::post(
        &a,
        delete.to_string().as_bytes(),
        Some(crate::federation::bad_input::Signed::by(&millers)),
    )
    .await;
    assert_eq!(status, 202, "{error}");
    crate::solidarity::until(&member, "/api/v1/board", |b| !on_board(b)).await;
    assert!(!page().await.contains("Picket at gate 3"));
    a.stop().await;
    b.stop().await;
}

/// Whoever calls it (the API, a page, the command line), the use case checks
/// the caller's role in the chapter itself.
#[tokio::test]
async fn the_use_case_checks_the_callers_role_whatever_the_door() {
    use unionhall_domain::Authority;
    use unionhall_federation::activities::{call, Audience};
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    let millers = create_chapter(&a, "millers").await;
    let post_as = |authority: Authority| {
        let data = a.data.clone();
        async move {
            call::publish_call(
                &data,
                &authority,
                "bakers",
                serde_json::from_value(picket()).unwrap(),
                Audience::Public,
            )
            .await
        }
    };
    for (who, authority) in [
        (
            "a member",
            Authority::Roles(vec![(bakers.ap_id.clone(), Role::Member)]),
        ),
        (
            "another chapter's organizer",
            Authority::Roles(vec![(millers.ap_id.clone(), Role::Organizer)]),
        ),
        ("nobody", Authority::Roles(Vec::new())),
    ] {
        let refused = post_as(authority).await.expect_err(who);
        assert!(
            matches!(refused, unionhall_federation::Error::Forbidden(_)),
            "{who}: {refused}"
        );
    }
    assert!(unionhall_store::calls::all(&a.store)
        .await
        .unwrap()
        .is_empty());
    let organizer = Authority::Roles(vec![(bakers.ap_id.clone(), Role::Organizer)]);
    post_as(organizer)
        .await
        .expect("an organizer of the chapter posts");
    a.stop().await;
}

/// A call addressed to one chapter is read only by that chapter's people: an
/// account of another chapter on the same instance does not see it, open it,
/// or pledge to it.
#[tokio::test]
async fn a_call_addressed_to_one_chapter_is_not_shown_to_another() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    create_chapter(&a, "millers").await;
    create_chapter(&b, "weavers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let baker = join(&a, "bakers", Role::Member, "beatrice").await;
    let miller = join(&a, "millers", Role::Member, "monique").await;
    unionhall_federation::activities::call::publish_call(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "weavers",
        serde_json::from_value(picket()).unwrap(),
        unionhall_federation::activities::Audience::Chapters(vec![bakers.ap_id.clone()]),
    )
    .await
    .unwrap();
    let theirs = call_where(&baker, "Picket at gate 3", |_| true).await;
    let id = theirs["id"].as_i64().unwrap();
    let (_, board) = baker.get("/api/v1/board").await;
    assert!(board.to_string().contains("Picket at gate 3"));

    let (_, calls) = miller.get("/api/v1/calls").await;
    assert!(!calls.to_string().contains("Picket at gate 3"), "{calls}");
    let (_, board) = miller.get("/api/v1/board").await;
    assert!(!board.to_string().contains("Picket at gate 3"), "{board}");
    let (status, _) = miller.get(&format!("/api/v1/calls/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = miller
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{id}/pledges/millers"),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    a.stop().await;
    b.stop().await;
}

/// The titles of the calls on each page from `path` on.
async fn titles_by_page(account: &Account, path: &str) -> Vec<Vec<String>> {
    let title = |call: &Value| call["call"]["title"].as_str().unwrap().to_owned();
    let pages = account.pages(path).await;
    pages
        .iter()
        .map(|page| page.iter().map(title).collect())
        .collect()
}

#[tokio::test]
async fn the_calls_api_gives_a_page_at_a_time_and_links_the_next() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        let mut call = picket();
        call["title"] = json!(format!("Picket {n}"));
        let (status, posted) = organizer
            .post(
                "/api/v1/chapters/bakers/calls",
                json!({"call": call, "audience": "public"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{posted}");
        ids.push(posted["id"].as_i64().unwrap());
    }
    for id in &ids[..2] {
        let path = format!("/api/v1/calls/{id}/status");
        let (status, _) = organizer.post(&path, json!({"status": "withdrawn"})).await;
        assert_eq!(status, StatusCode::OK);
    }

    let pages = titles_by_page(&organizer, "/api/v1/calls?limit=2").await;
    let newest_first: Vec<String> = (1..=5).rev().map(|n| format!("Picket {n}")).collect();
    assert_eq!(pages.len(), 3, "2, 2 and the last 1: {pages:?}");
    assert_eq!(pages.concat(), newest_first);
    // A status is kept from page to page.
    let pages = titles_by_page(&organizer, "/api/v1/calls?status=withdrawn&limit=1").await;
    assert_eq!(pages.concat(), ["Picket 2", "Picket 1"]);
    // Without a limit, a hundred at most: all five, and no link.
    assert_eq!(titles_by_page(&organizer, "/api/v1/calls").await.len(), 1);

    for (query, names) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("before=yesterday", "before"),
        ("status=finished", "status"),
        ("page=2", "page"),
    ] {
        let (status, body) = organizer.get(&format!("/api/v1/calls?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.to_string().contains(names), "{query}: {body}");
    }
}

/// A page's link to the next names the last call the reader may read, never
/// one addressed to others (its time and number would tell that it exists);
/// a run of calls the reader may not read is skipped within one request.
#[tokio::test]
async fn the_next_page_of_calls_is_named_by_a_call_the_reader_may_read() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let bakers = create_chapter(&a, "bakers").await;
    create_chapter(&a, "millers").await;
    create_chapter(&a, "weavers").await;
    let miller = join(&a, "millers", Role::Member, "monique").await;
    let publish = |author: &'static str, title: &'static str, audience| {
        let data = a.data.clone();
        async move {
            let mut call = picket();
            call["title"] = json!(title);
            unionhall_federation::activities::call::publish_call(
                &data,
                &unionhall_domain::Authority::Operator,
                author,
                serde_json::from_value(call).unwrap(),
                audience,
            )
            .await
            .unwrap()
        }
    };
    use unionhall_federation::activities::Audience;
    let older = publish("millers", "Older picket", Audience::Public).await;
    for title in ["For the bakers only", "Also for the bakers only"] {
        let only_bakers = Audience::Chapters(vec![bakers.ap_id.clone()]);
        publish("weavers", title, only_bakers).await;
    }
    publish("millers", "Newer picket", Audience::Public).await;

    let link_of = |path: String| {
        let request = miller.request(Method::GET, &path);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let link = response
                .headers()
                .get("link")
                .map(|l| l.to_str().unwrap().to_owned());
            let calls: Value = response.json().await.unwrap();
            let titles: Vec<String> = calls
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["call"]["title"].as_str().unwrap().to_owned())
                .collect();
            (titles, link)
        }
    };
    let (first, link) = link_of("/api/v1/calls?limit=1".into()).await;
    assert_eq!(first, ["Newer picket"]);
    let next = link.unwrap();
    let path = &next[next.find("/api/").unwrap()..next.find('>').unwrap()];
    // The page after it skips both calls for the bakers in one request and
    // ends on the older picket, whose time and number name the next page.
    let (second, link) = link_of(path.to_owned()).await;
    assert_eq!(second, ["Older picket"]);
    let cursor = format!("before={}.{}", older.published_at, older.id);
    assert!(link.unwrap().contains(&cursor));
    let pages = titles_by_page(&miller, "/api/v1/calls?limit=1").await;
    assert_eq!(pages.concat(), ["Newer picket", "Older picket"]);
    a.stop().await;
}
