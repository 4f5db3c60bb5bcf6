//! Calls whose time is over (FEDERATION.md, "Calls whose time is over"): a
//! picket is over after its end, and no board keeps inviting people to it.

use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_configured_instance_on, wait_for, TestInstance};
use crate::members::{join, Account};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::{CallStatus, Role};
use unionhall_federation::activities::over::close_what_is_over;
use unionhall_store::calls;

/// A and B, B's millers following A's bakers, with A closing its calls
/// every `every` seconds.
async fn bakers_and_millers(every: &str) -> (TestInstance, TestInstance) {
    let settings = [("UNIONHALL_FEDERATION__CLOSE_CALLS_EVERY_SECONDS", every)];
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &settings).await;
    let b = spawn_configured_instance_on("127.0.0.3", fresh_database().await, &settings).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    (a, b)
}

/// A picket of A's bakers over `ends_in_ms` from now, posted by `organizer`.
async fn short_picket(organizer: &Account, ends_in_ms: i64) -> Value {
    let now = unionhall_store::now_millis();
    let (status, posted) = organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"audience": "public", "call": {"kind": "picket", "title": "The early picket",
                "starts_at": now, "ends_at": now + ends_in_ms}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    posted
}

fn titles(board: &Value) -> Vec<String> {
    board["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Waits until the call stored on `instance` as `ap_id` has `status`.
async fn wait_for_status(instance: &TestInstance, ap_id: &str, status: CallStatus) {
    let (store, ap_id) = (instance.store.clone(), url::Url::parse(ap_id).unwrap());
    wait_for(
        &format!("{ap_id} {status:?} on {}", instance.url),
        20,
        || {
            let (store, ap_id) = (store.clone(), ap_id.clone());
            async move {
                let mut conn = store.acquire().await.unwrap();
                calls::by_ap_id(&mut conn, &ap_id)
                    .await
                    .unwrap()
                    .is_some_and(|c| c.status == status)
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_picket_whose_time_is_over_leaves_every_board_takes_no_pledges_and_is_closed() {
    // A closes its calls only when told to here: until then it is a server
    // that never closes its own, as some elsewhere are.
    let (a, b) = bakers_and_millers("3600").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let miller = join(&b, "millers", Role::Member, "milo").await;
    let posted = short_picket(&organizer, 2_000).await;
    let ap_id = posted["ap_id"].as_str().unwrap();
    wait_for("the picket on B's board", 20, || async {
        titles(&miller.get("/api/v1/board").await.1) == ["The early picket"]
    })
    .await;
    let on_b = calls::all(&b.store).await.unwrap();
    let b_id = on_b[0].id;
    let page = crate::federation::reach::page_as(&miller, &format!("/call/{b_id}")).await;
    assert!(page.contains("class=\"pledge\""), "a pledge button: {page}");
    let (_, chapter_page) = crate::web::page_of(&a, "/actors/bakers").await;
    assert!(chapter_page.contains("The early picket"), "{chapter_page}");

    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    // Over, and still open where it was posted: no board shows it, nor the
    // chapter's public page.
    for account in [&miller, &organizer] {
        let (_, board) = account.get("/api/v1/board").await;
        assert_eq!(titles(&board), Vec::<String>::new(), "{board}");
    }
    let (_, chapter_page) = crate::web::page_of(&a, "/actors/bakers").await;
    assert!(!chapter_page.contains("The early picket"), "{chapter_page}");
    let (status, body) = miller
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{b_id}/pledges/millers"),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("this call is over"), "{body}");
    let page = crate::federation::reach::page_as(&miller, &format!("/call/{b_id}")).await;
    assert!(page.contains("<span class=\"badge\">Over</span>"), "{page}");
    let (_, listed) = miller.get("/api/v1/calls?status=open").await;
    assert_eq!(
        (&listed[0]["status"], &listed[0]["over"]),
        (&json!("open"), &json!(true)),
        "{listed}"
    );
    assert!(
        !page.contains("class=\"pledge\""),
        "no pledge button: {page}"
    );

    // A closes it, and B hears so.
    assert_eq!(close_what_is_over(&a.data).await.unwrap(), 1);
    wait_for_status(&a, ap_id, CallStatus::Closed).await;
    wait_for_status(&b, ap_id, CallStatus::Closed).await;
    assert_eq!(close_what_is_over(&a.data).await.unwrap(), 0, "once");
    // It happened: calendars keep it, not as cancelled.
    let (_, ics) = crate::web::page_of(&a, "/actors/bakers/calendar.ics").await;
    assert!(ics.contains("The early picket"), "{ics}");
    assert!(!ics.contains("STATUS:CANCELLED"), "{ics}");
    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn an_instance_closes_its_calls_by_itself_once_their_time_is_over() {
    let (a, b) = bakers_and_millers("1").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let posted = short_picket(&organizer, 1_500).await;
    let ap_id = posted["ap_id"].as_str().unwrap();
    wait_for_status(&b, ap_id, CallStatus::Closed).await;
    wait_for_status(&a, ap_id, CallStatus::Closed).await;
    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_call_posted_over_already_is_refused_with_the_field_in_the_past() {
    let (a, b) = bakers_and_millers("3600").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let last_year = unionhall_store::now_millis() - 365 * 24 * 3_600_000;
    let (status, body) = organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": "Typed the wrong year",
                "starts_at": last_year, "ends_at": last_year + 3_600_000}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("ends_at"), "{body}");
    assert!(body.to_string().contains("in the past"), "{body}");
    assert!(calls::all(&a.store).await.unwrap().is_empty());
    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn mail_scans_leave_out_pledges_to_calls_settled_over_a_week_ago() {
    let (a, b) = bakers_and_millers("3600").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let baker = join(&a, "bakers", Role::Member, "bea").await;
    let posted = short_picket(&organizer, 24 * 3_600_000).await;
    let id = posted["id"].as_i64().unwrap();
    let (status, body) = baker
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{id}/pledges/bakers"),
            Some(json!({"kind": "attend"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let now = unionhall_store::now_millis();
    let week_ago = now - 7 * 24 * 3_600_000;
    let scanned = |store: unionhall_store::Store| async move {
        unionhall_store::mail_reminders::coming(&store, week_ago)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(scanned(a.store.clone()).await, 1, "a standing call");
    let settle = |status: &'static str, at: i64| {
        let store = a.store.clone();
        async move {
            let mut conn = store.acquire().await.unwrap();
            sqlx::query("UPDATE calls SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status)
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    };
    settle("withdrawn", now - 3_600_000).await;
    assert_eq!(
        scanned(a.store.clone()).await,
        1,
        "withdrawn lately: to tell"
    );
    settle("closed", now - 8 * 24 * 3_600_000).await;
    assert_eq!(scanned(a.store.clone()).await, 0, "settled: left alone");
    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_members_calendar_keeps_a_season_of_past_pickets_not_every_one() {
    let (a, b) = bakers_and_millers("3600").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let baker = join(&a, "bakers", Role::Member, "bea").await;
    let posted = short_picket(&organizer, 24 * 3_600_000).await;
    let id = posted["id"].as_i64().unwrap();
    let (status, made) = baker.post("/api/v1/me/calendar", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let address = url::Url::parse(made["url"].as_str().unwrap()).unwrap();
    let calendar = || async {
        a.client
            .get(a.at(&format!("{}?{}", address.path(), address.query().unwrap())))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(calendar().await.contains("The early picket"));
    let closed_at = |at: i64| {
        let store = a.store.clone();
        async move {
            let mut conn = store.acquire().await.unwrap();
            sqlx::query("UPDATE calls SET status = 'closed', updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    };
    let day = 24 * 3_600_000;
    closed_at(unionhall_store::now_millis() - 30 * day).await;
    assert!(calendar().await.contains("The early picket"), "a month ago");
    closed_at(unionhall_store::now_millis() - 100 * day).await;
    assert!(
        !calendar().await.contains("The early picket"),
        "a season ago"
    );
    for instance in [a, b] {
        instance.stop().await;
    }
}

#[tokio::test]
async fn closers_running_at_once_close_a_call_once() {
    // As every process on one database does: eight rounds at the same time.
    let (a, b) = bakers_and_millers("3600").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    short_picket(&organizer, 1_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let rounds: Vec<_> = (0..8)
        .map(|_| {
            let data = a.data.clone();
            tokio::spawn(async move { close_what_is_over(&data).await })
        })
        .collect();
    let mut closed = 0;
    for round in rounds {
        closed += round.await.unwrap().unwrap();
    }
    assert_eq!(closed, 1);
    for instance in [a, b] {
        instance.stop().await;
    }
}

/// The closer read a picket whose time was over, then its organizer moved it
/// a week on before the closer wrote: the closer's write finds the call
/// changed and leaves it standing with its new time, not closed with the old.
#[tokio::test]
async fn an_edit_made_after_the_closer_read_a_call_is_not_overwritten() {
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &[]).await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let posted = short_picket(&organizer, 300).await;
    let id = posted["id"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let read_by_the_closer = calls::by_id(&a.store, id).await.unwrap().unwrap();

    let week = 7 * 24 * 3_600_000;
    let now = unionhall_store::now_millis();
    let (status, body) = organizer
        .call(
            Method::PUT,
            &format!("/api/v1/calls/{id}"),
            Some(json!({"kind": "picket", "title": "The early picket",
                "starts_at": now + week, "ends_at": now + week + 3_600_000})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut tx = a.store.begin_write().await.unwrap();
    let moved = calls::move_status(&mut tx, &read_by_the_closer, CallStatus::Closed)
        .await
        .unwrap();
    unionhall_store::commit(tx).await.unwrap();
    assert!(!moved, "the closer wrote over the organizer's edit");
    let stored = calls::by_id(&a.store, id).await.unwrap().unwrap();
    assert_eq!(stored.status, CallStatus::Open);
    assert!(
        stored.record.contains(&(now + week).to_string()),
        "{}",
        stored.record
    );
    // What the closer does next round: nothing, the picket is a week away.
    assert_eq!(close_what_is_over(&a.data).await.unwrap(), 0);
}

/// The calls pledged to on `instance`'s database, one row per pledge.
async fn pledged_calls(instance: &TestInstance) -> Vec<i64> {
    crate::helpers::column_of(&instance.db, "SELECT call_id FROM pledges").await
}

/// A month after a picket, a seized database no longer says who came to it:
/// the pledges are forgotten, its totals stay, and the pledges to a picket
/// still ahead are kept.
#[tokio::test]
async fn who_pledged_is_forgotten_a_while_after_the_call_is_over_and_the_totals_stay() {
    // Sessions that outlive the month the test moves the clock on by.
    let settings = [("UNIONHALL_MEMBERS__SESSION_HOURS", "100000")];
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &settings).await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let rosa = join(&a, "bakers", Role::Member, "rosa").await;
    let early = short_picket(&organizer, 500).await["id"].as_i64().unwrap();
    let (status, later) = organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"audience": "public", "call": {"kind": "picket", "title": "The picket ahead",
                "starts_at": 2_145_155_200_000i64, "ends_at": 2_145_165_200_000i64}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    let later = later["id"].as_i64().unwrap();
    for id in [early, later] {
        let path = format!("/api/v1/calls/{id}/pledges/bakers");
        let (status, body) = rosa
            .call(Method::PUT, &path, Some(json!({"kind": "attend"})))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;

    let ages = unionhall::Settings::load(None, Vec::new())
        .unwrap()
        .retention_ages();
    let (now, day) = (unionhall_store::now_millis(), 24 * 3_600_000);
    let prune = |at: i64| unionhall_store::retention::prune_at(&a.store, &ages, at);
    assert_eq!(prune(now + day).await.unwrap().pledges, 0, "a day on: kept");
    let mut kept = pledged_calls(&a).await;
    kept.sort();
    assert_eq!(kept, [early, later]);
    assert!(
        prune(now + 31 * day).await.unwrap().pledges >= 1,
        "a month on"
    );
    assert_eq!(pledged_calls(&a).await, [later]);

    let (_, call) = organizer.get(&format!("/api/v1/calls/{early}")).await;
    assert_eq!(call["pledged"]["people"], 1, "the totals stay: {call}");
    let page = crate::federation::reach::page_as(&organizer, &format!("/call/{early}")).await;
    assert!(!page.contains("rosa"), "{page}");
    assert!(
        page.contains("who did is forgotten (the totals stay)"),
        "{page}"
    );
    let page = crate::federation::reach::page_as(&organizer, &format!("/call/{later}")).await;
    assert!(
        page.contains("rosa"),
        "the picket ahead keeps its sheet: {page}"
    );
}
