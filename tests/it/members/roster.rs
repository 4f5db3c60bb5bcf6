//! The roster as organizers use it: records, filters, one-on-ones, CSV, erasure,
//! a member's own record, and the audit log of it all.

use super::*;
use crate::federation::create_chapter;
use crate::helpers::spawn_instance;
use serde_json::json;

#[tokio::test]
async fn organizers_keep_records_filter_them_and_log_one_on_ones() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let people = [
        ("Rosa Diaz", "Packing", "Nights", 1, "organizing"),
        ("Ada Byron", "Packing", "Days", 3, ""),
        ("Bo Chen", "Ovens", "Nights", 2, "organizing"),
    ];
    for (name, department, shift, assessment, committee) in people {
        let (status, body) = sam
            .post(
                "/api/v1/chapters/bakers/members",
                json!({"name": name, "department": department, "shift": shift,
                       "assessment": assessment, "committee": committee, "tags": ["2026 drive"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, nights) = sam
        .get("/api/v1/chapters/bakers/members?shift=nights")
        .await;
    assert_eq!(names(&nights), ["Rosa Diaz", "Bo Chen"]);
    let (_, packing_nights) = sam
        .get("/api/v1/chapters/bakers/members?department=Packing&shift=Nights")
        .await;
    assert_eq!(names(&packing_nights), ["Rosa Diaz"]);
    let (_, twos) = sam
        .get("/api/v1/chapters/bakers/members?assessment=2")
        .await;
    assert_eq!(names(&twos), ["Bo Chen"]);
    let (_, committee) = sam
        .get("/api/v1/chapters/bakers/members?committee=organizing")
        .await;
    assert_eq!(names(&committee), ["Rosa Diaz", "Bo Chen"]);
    let (_, search) = sam.get("/api/v1/chapters/bakers/members?q=byron").await;
    assert_eq!(names(&search), ["Ada Byron"]);
    let (_, tagged) = sam
        .get("/api/v1/chapters/bakers/members?tag=2026%20drive")
        .await;
    assert_eq!(tagged.as_array().unwrap().len(), 3);
    let (status, body) = sam
        .get("/api/v1/chapters/bakers/members?assessment=nine")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let rosa = nights[0]["id"].as_i64().unwrap();
    let (status, talk) = sam
        .post(
            &format!("/api/v1/chapters/bakers/members/{rosa}/one-on-ones"),
            json!({"date": "2026-11-20", "by": "Sam", "issues": "forced overtime", "next_step": "bring her to the meeting"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{talk}");
    let (status, file) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{rosa}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["one_on_ones"][0]["issues"], "forced overtime");

    // Bad input: a clear 400 naming the field, and nothing changes.
    let (status, body) = sam
        .call(
            Method::PUT,
            &format!("/api/v1/chapters/bakers/members/{rosa}"),
            Some(json!({"name": "Rosa Diaz", "assessment": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            json!({"name": "X", "email": "nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "email");
    let (status, body) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            json!({"name": "X", "salary": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, all) = sam.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["assessment"], 1);
}

#[tokio::test]
async fn the_roster_round_trips_through_csv_and_a_bad_file_changes_nothing() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    create_chapter(&instance, "millers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    for record in [
        json!({"name": "Rosa, \"Ro\" Diaz", "phone": "+1 555 0101", "notes": "two\nlines", "tags": ["a", "b"], "assessment": 1, "dues": "behind"}),
        json!({"name": "=cmd|' /C calc'!A0", "email": "x@example.org"}),
        json!({"name": "Ada", "department": "Ovens", "shift": "Days", "committee": "bargaining", "organizing_role": "steward", "job_title": "Baker", "workplace": "Plant 2"}),
    ] {
        assert_eq!(
            sam.post("/api/v1/chapters/bakers/members", record).await.0,
            StatusCode::CREATED
        );
    }
    let export = |account: &Account, chapter: &'static str| {
        let account = account.clone();
        async move {
            let response = account
                .request(
                    Method::GET,
                    &format!("/api/v1/chapters/{chapter}/roster.csv"),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert!(response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv"));
            response.text().await.unwrap()
        }
    };
    let csv = export(&sam, "bakers").await;
    assert!(csv.contains("'=cmd"), "formulas are defused: {csv}");

    // Importing the file into another chapter's empty roster and exporting it
    // again gives the same file, ids aside.
    let mill = join(&instance, "millers", Role::Organizer, "mill").await;
    let import = |account: &Account, chapter: &'static str, text: String| {
        let account = account.clone();
        async move {
            let response = account
                .request(
                    Method::POST,
                    &format!("/api/v1/chapters/{chapter}/roster.csv"),
                )
                .header("content-type", "text/csv")
                .body(text)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, summary) = import(&mill, "millers", csv.clone()).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary, json!({"created": 3, "updated": 0}));
    let without_ids = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_owned())
            .collect()
    };
    assert_eq!(
        without_ids(&export(&mill, "millers").await),
        without_ids(&csv)
    );

    // Editing the export and importing it back updates in place.
    let edited = csv.replace("Plant 2", "Plant 3");
    let (_, summary) = import(&sam, "bakers", edited).await;
    assert_eq!(summary, json!({"created": 0, "updated": 3}));
    assert!(export(&sam, "bakers").await.contains("Plant 3"));

    // A file with only some columns changes only those: Rosa's shift is set,
    // her phone, notes, tags, assessment and dues stay as they were.
    let rosa = csv
        .lines()
        .find(|l| l.contains("Rosa"))
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    let (status, summary) = import(
        &sam,
        "bakers",
        format!("id,name,shift\n{rosa},\"Rosa, \"\"Ro\"\" Diaz\",Nights\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let (_, record) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{rosa}"))
        .await;
    assert_eq!(record["shift"], "Nights", "{record}");
    assert_eq!(
        (
            &record["phone"],
            &record["notes"],
            &record["assessment"],
            &record["dues"]
        ),
        (
            &json!("+1 555 0101"),
            &json!("two\nlines"),
            &json!(1),
            &json!("behind")
        ),
        "{record}"
    );
    assert_eq!(record["tags"], json!(["a", "b"]));

    // One bad line: refused with its line number, nothing imported.
    let (status, body) = import(&sam, "bakers", "name,assessment\nGood,2\nBad,9\n".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3: column \"assessment\""),
        "{body}"
    );
    let (_, all) = sam.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_member_sees_their_own_record_and_an_admin_erases_it_completely() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let admin = join(&instance, "bakers", Role::Admin, "admin").await;
    let (_, created) = admin
        .post(
            "/api/v1/chapters/bakers/members",
            marked_record("Erasable", "+1 917 555 0199"),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    admin
        .post(
            &format!("/api/v1/chapters/bakers/members/{id}/one-on-ones"),
            json!({"date": "2026-11-01", "by": "Admin", "issues": "IssuesErasable"}),
        )
        .await;

    // The member joins through an invitation linked to their record.
    let (status, invite) = admin
        .post(
            "/api/v1/groups/bakers/invites",
            json!({"role": "member", "member_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let link = Url::parse(invite["url"].as_str().unwrap()).unwrap();
    let response = accept(&link, "rosa", PASSWORD).await;
    let rosa =
        account_from_cookie(&instance.url, set_cookie(&response, "uh_session").unwrap()).await;
    let own = rosa
        .request(Method::GET, "/api/v1/me/record")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert!(own.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    assert_eq!(own.headers()["cache-control"], "no-store");
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["name"], "NameErasable");
    assert_eq!(own["one_on_ones"][0]["issues"], "IssuesErasable");
    // …but not anyone else's.
    assert_eq!(
        rosa.get("/api/v1/chapters/bakers/members").await.0,
        StatusCode::FORBIDDEN
    );

    let (status, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/v1/chapters/bakers/members/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin
            .get(&format!("/api/v1/chapters/bakers/members/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(rosa.get("/api/v1/me/record").await.0, StatusCode::NOT_FOUND);

    // The audit log says what happened, by whom, and nothing of the person.
    let (status, log) = admin.get("/api/v1/groups/bakers/audit").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "member.created",
        "one_on_one.recorded",
        "invite.created",
        "invite.accepted",
        "member.viewed_own",
        "member.erased",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let erased = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "member.erased")
        .unwrap();
    assert_eq!(erased["username"], "admin");
    assert_eq!(erased["subject"], format!("member {id}"));
    assert!(!log.to_string().contains("Erasable"), "{log}");
    assert!(!log.to_string().contains("0199"), "{log}");
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed_even_in_the_database() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let admin = join(&instance, "bakers", Role::Admin, "admin").await;
    admin.get("/api/v1/chapters/bakers/members").await;
    let (_, before) = admin.get("/api/v1/groups/bakers/audit").await;
    for sql in [
        "UPDATE audit_log SET username = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let err = raw_sql(&instance, sql).await.unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let (_, after) = admin.get("/api/v1/groups/bakers/audit").await;
    // The same entries (plus none removed); reading the log is not a member view.
    assert_eq!(after, before);
}

/// Every entry from `path` on, page by page, in order.
async fn audit_pages(admin: &Account, path: &str) -> Vec<Value> {
    admin.pages(path).await.concat()
}

/// "Who looked at Rosa's record?": the log about one record, read a page at
/// a time however long it has grown.
#[tokio::test]
async fn the_audit_log_is_read_a_page_at_a_time_and_about_one_record() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let admin = join(&instance, "bakers", Role::Admin, "admin").await;
    let mut ids = Vec::new();
    for name in ["Rosa", "Sam"] {
        let (_, created) = admin
            .post("/api/v1/chapters/bakers/members", json!({"name": name}))
            .await;
        ids.push(created["id"].as_i64().unwrap());
    }
    let (rosa, sam) = (ids[0], ids[1]);
    for id in [rosa, rosa, sam, rosa] {
        admin
            .get(&format!("/api/v1/chapters/bakers/members/{id}"))
            .await;
    }

    let about_rosa = audit_pages(
        &admin,
        &format!("/api/v1/groups/bakers/audit?member={rosa}&limit=2"),
    )
    .await;
    let actions: Vec<&str> = about_rosa
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "member.viewed",
            "member.viewed",
            "member.viewed",
            "member.created"
        ]
    );
    assert!(about_rosa
        .iter()
        .all(|e| e["subject"] == format!("member {rosa}")));
    let numbers: Vec<i64> = about_rosa
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] > w[1]),
        "newest first, none twice: {numbers:?}"
    );
    // The whole log, page by page, is the whole log at once.
    let (_, at_once) = admin.get("/api/v1/groups/bakers/audit?limit=1000").await;
    assert_eq!(
        Value::from(audit_pages(&admin, "/api/v1/groups/bakers/audit?limit=3").await),
        at_once
    );

    for query in [
        "limit=0",
        "limit=1001",
        "member=rosa",
        "before=last",
        "who=admin",
    ] {
        let (status, body) = admin
            .get(&format!("/api/v1/groups/bakers/audit?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_query", "{query}: {body}");
    }
}
