//! The workplace chart: relationships, assignments, a committee member's own
//! list, structure tests and the chart's figures (checked against figures the
//! test computes itself from what it seeded), its CSV, and who may call what.

use super::*;
use crate::federation::create_chapter;
use crate::helpers::spawn_instance;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use unionhall_domain::{date_of_day, day_number};

fn today() -> String {
    date_of_day(unionhall_store::now_millis().div_euclid(86_400_000))
}

fn days_ago(n: i64) -> String {
    date_of_day(day_number(&today()).unwrap() - n)
}

/// An account linked to member record `member` through an invitation the
/// organizer makes (as a committee member gets theirs).
async fn join_as_record(
    organizer: &Account,
    chapter: &str,
    member: i64,
    username: &str,
) -> Account {
    let (status, invite) = organizer
        .post(
            &format!("/api/v1/groups/{chapter}/invites"),
            json!({"role": "member", "member_id": member}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let link = Url::parse(invite["url"].as_str().unwrap()).unwrap();
    let link = organizer.base.join(link.path()).unwrap();
    let response = accept(&link, username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "uh_session").unwrap();
    account_from_cookie(&organizer.base, cookie).await
}

async fn add(organizer: &Account, chapter: &str, record: Value) -> i64 {
    let (status, created) = organizer
        .post(&format!("/api/v1/chapters/{chapter}/members"), record)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

async fn talk(organizer: &Account, chapter: &str, id: i64, date: &str, next: &str, due: &str) {
    let (status, body) = organizer
        .post(
            &format!("/api/v1/chapters/{chapter}/members/{id}/one-on-ones"),
            json!({"date": date, "by": "Sam", "next_step": next, "next_step_due": due}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// A small, seeded pseudo-random sequence (the figures must not depend on luck).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One seeded coworker, as the test knows them.
#[derive(Clone, Debug)]
struct Seeded {
    id: i64,
    department: String,
    shift: String,
    assessment: Option<u8>,
    committee: bool,
    leader: bool,
    last_talk: Option<i64>,
}

/// The figures of a group, computed the plain way.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    headcount: u64,
    assessed: u64,
    spread: [u64; 5],
    committee: u64,
    leaders: u64,
    assigned: u64,
    talked_recently: u64,
    covered: u64,
}

fn expected(
    people: &[Seeded],
    assigned: &HashMap<i64, i64>,
    window: i64,
    key: impl Fn(&Seeded) -> String,
) -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    for p in people {
        let e = out.entry(key(p).to_lowercase()).or_default();
        e.headcount += 1;
        if let Some(a) = p.assessment {
            e.assessed += 1;
            e.spread[usize::from(a) - 1] += 1;
        }
        e.committee += u64::from(p.committee);
        e.leaders += u64::from(p.leader);
        let is_assigned = assigned.contains_key(&p.id);
        e.assigned += u64::from(is_assigned);
        let recent = p.last_talk.is_some_and(|ago| (0..=window).contains(&ago));
        e.talked_recently += u64::from(recent);
        e.covered += u64::from(recent && is_assigned);
    }
    out
}

fn actual(rows: &Value) -> BTreeMap<String, Expected> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            let spread: Vec<u64> = r["spread"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let e = Expected {
                headcount: n("headcount"),
                assessed: n("assessed"),
                spread: spread.try_into().unwrap(),
                committee: n("committee"),
                leaders: n("leaders"),
                assigned: n("assigned"),
                talked_recently: n("talked_recently"),
                covered: n("covered"),
            };
            // The share is the count over the headcount, rounded half up.
            let percent = (e.covered * 200 + e.headcount) / (e.headcount * 2);
            assert_eq!(r["coverage_percent"].as_u64().unwrap(), percent, "{r}");
            (r["name"].as_str().unwrap().to_lowercase(), e)
        })
        .collect()
}

const DEPARTMENTS: [&str; 5] = ["Packing", "Ovens", "Shipping", "Sanitation", ""];
const SHIFTS: [&str; 3] = ["Days", "Nights", "Swing"];

#[tokio::test]
async fn the_chart_of_a_seeded_workplace_matches_figures_computed_independently() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let mut rng = Lcg(20_261_126);
    let mut people: Vec<Seeded> = Vec::new();
    for i in 0..240 {
        let department = DEPARTMENTS[rng.next(5) as usize];
        // The same department typed in another case is the same department.
        let typed = if i % 17 == 0 {
            department.to_uppercase()
        } else {
            department.to_owned()
        };
        let shift = SHIFTS[rng.next(3) as usize].to_owned();
        let assessment = match rng.next(6) {
            0 => None,
            n => Some(n as u8),
        };
        let committee = rng.next(10) == 0;
        let leader = rng.next(12) == 0;
        let mut tags = vec!["2026 drive"];
        if leader {
            tags.push(if i % 2 == 0 { "leader" } else { "Leader" });
        }
        let id = add(
            &sam,
            "bakers",
            json!({"name": format!("Worker {i}"), "department": typed, "shift": shift,
                   "assessment": assessment, "committee": if committee { "organizing" } else { "" },
                   "tags": tags}),
        )
        .await;
        let last_talk = match rng.next(5) {
            0 | 1 => None,
            2 => Some(rng.next(10) as i64),
            3 => Some(20 + rng.next(20) as i64),
            _ => Some(60 + rng.next(100) as i64),
        };
        if let Some(ago) = last_talk {
            // An older talk first: the latest one is what counts.
            talk(&sam, "bakers", id, &days_ago(ago + 200), "", "").await;
            talk(&sam, "bakers", id, &days_ago(ago), "", "").await;
        }
        people.push(Seeded {
            id,
            department: typed,
            shift,
            assessment,
            committee,
            leader,
            last_talk,
        });
    }
    let committee: Vec<i64> = people
        .iter()
        .filter(|p| p.committee)
        .map(|p| p.id)
        .collect();
    assert!(committee.len() >= 3, "{committee:?}");
    // A whole shift to one committee member, some records by id to another,
    // then a few unassigned again.
    let mut assigned: HashMap<i64, i64> = HashMap::new();
    let (status, body) = sam
        .call(
            Method::PUT,
            "/api/v1/chapters/bakers/assignments",
            Some(json!({"shift": "nights", "assignee": committee[0]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for p in people
        .iter()
        .filter(|p| p.shift == "Nights" && p.id != committee[0])
    {
        assigned.insert(p.id, committee[0]);
    }
    assert_eq!(body["changed"].as_u64().unwrap() as usize, assigned.len());
    let by_id: Vec<i64> = people
        .iter()
        .filter(|p| p.shift == "Days" && p.id % 3 == 0 && p.id != committee[1])
        .map(|p| p.id)
        .collect();
    let (status, _) = sam
        .call(
            Method::PUT,
            "/api/v1/chapters/bakers/assignments",
            Some(json!({"members": by_id, "assignee": committee[1]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for id in &by_id {
        assigned.insert(*id, committee[1]);
    }
    let unassign: Vec<i64> = by_id.iter().take(3).copied().collect();
    sam.call(
        Method::PUT,
        "/api/v1/chapters/bakers/assignments",
        Some(json!({"members": unassign, "assignee": null})),
    )
    .await;
    for id in &unassign {
        assigned.remove(id);
    }
    let (_, listed) = sam.get("/api/v1/chapters/bakers/assignments").await;
    assert_eq!(listed.as_array().unwrap().len(), assigned.len());

    // A structure test covering two departments; who took part.
    let (status, test) = sam
        .post(
            "/api/v1/chapters/bakers/structure-tests",
            json!({"title": "Wear the button on Thursday", "date": today(),
                   "departments": ["Packing", "ovens"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{test}");
    let test_id = test["id"].as_i64().unwrap();
    let covered: Vec<&Seeded> = people
        .iter()
        .filter(|p| ["packing", "ovens"].contains(&p.department.to_lowercase().as_str()))
        .collect();
    let took: Vec<i64> = covered
        .iter()
        .filter(|p| p.id % 2 == 1)
        .map(|p| p.id)
        .collect();
    let (status, _) = sam
        .post(
            &format!("/api/v1/chapters/bakers/structure-tests/{test_id}/participation"),
            json!({"members": took}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    for window in [30i64, 7] {
        let (status, chart) = sam
            .get(&format!("/api/v1/chapters/bakers/chart?days={window}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{chart}");
        assert_eq!(chart["window_days"], window);
        assert_eq!(chart["today"], today());
        assert_eq!(
            actual(&chart["departments"]),
            expected(&people, &assigned, window, |p| p.department.clone())
        );
        assert_eq!(
            actual(&chart["shifts"]),
            expected(&people, &assigned, window, |p| p.shift.clone())
        );
        let total = actual(&json!([chart["total"]]));
        assert_eq!(
            total.get("all"),
            expected(&people, &assigned, window, |_| "all".into()).get("all")
        );
        let ids = |v: &Value| -> Vec<i64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_i64().unwrap())
                .collect()
        };
        let never: Vec<i64> = people
            .iter()
            .filter(|p| p.last_talk.is_none())
            .map(|p| p.id)
            .collect();
        assert_eq!(ids(&chart["never_talked_to"]), never);
        let leaders: Vec<i64> = people.iter().filter(|p| p.leader).map(|p| p.id).collect();
        assert_eq!(ids(&chart["leaders"]), leaders);
        // Participation by department and shift.
        let t = &chart["tests"][0];
        assert_eq!(t["title"], "Wear the button on Thursday");
        assert_eq!(
            t["total"]["covered"].as_u64().unwrap() as usize,
            covered.len()
        );
        assert_eq!(
            t["total"]["took_part"].as_u64().unwrap() as usize,
            took.len()
        );
        for shift in SHIFTS {
            let row = t["shifts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == shift)
                .unwrap();
            let here: Vec<&&Seeded> = covered.iter().filter(|p| p.shift == shift).collect();
            assert_eq!(row["covered"].as_u64().unwrap() as usize, here.len());
            let took_here = here.iter().filter(|p| took.contains(&p.id)).count();
            assert_eq!(row["took_part"].as_u64().unwrap() as usize, took_here);
        }
    }

    // The CSV has the same figures.
    let response = sam
        .request(Method::GET, "/api/v1/chapters/bakers/chart.csv?days=30")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "section,name,headcount,assessed,assessed_1,assessed_2,assessed_3,assessed_4,\
         assessed_5,committee,leaders,assigned,talked_recently,covered,coverage_percent,test,took_part"
    );
    let expected_departments = expected(&people, &assigned, 30, |p| p.department.clone());
    let mut seen = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 17, "{line}");
        if cells[0] == "department" {
            let e = &expected_departments[&cells[1].to_lowercase()];
            let n = |i: usize| cells[i].parse::<u64>().unwrap();
            assert_eq!(
                (n(2), n(3), n(9), n(10), n(11), n(13)),
                (
                    e.headcount,
                    e.assessed,
                    e.committee,
                    e.leaders,
                    e.assigned,
                    e.covered
                ),
                "{line}"
            );
            seen += 1;
        }
        if cells[0] == "test workplace" {
            assert_eq!(cells[15], "Wear the button on Thursday");
            assert_eq!(cells[16].parse::<usize>().unwrap(), took.len());
        }
    }
    assert_eq!(seen, expected_departments.len());

    // A window out of range is refused, not clamped.
    let (status, _) = sam.get("/api/v1/chapters/bakers/chart?days=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Every view and export is in the audit log.
    let admin = join(&instance, "bakers", Role::Admin, "ada").await;
    let (_, audit) = admin.get("/api/v1/groups/bakers/audit?limit=1000").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "chart.viewed",
        "chart.exported",
        "assignment.changed",
        "assignments.viewed",
        "structure_test.created",
        "structure_test.recorded",
    ] {
        assert!(actions.contains(&action), "{action} not audited");
    }
    instance.stop().await;
}

#[tokio::test]
async fn relationships_show_on_both_pages_and_follow_their_rules() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let rosa = add(
        &sam,
        "bakers",
        json!({"name": "Rosa Diaz", "committee": "organizing"}),
    )
    .await;
    let ada = add(&sam, "bakers", json!({"name": "Ada Byron"})).await;
    let bo = add(&sam, "bakers", json!({"name": "Bo Chen"})).await;
    let (status, linked) = sam
        .post(
            "/api/v1/chapters/bakers/relationships",
            json!({"from": ada, "to": bo, "kind": "influences", "note": "carpool"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(linked["from_name"], "Ada Byron");
    assert_eq!(linked["to_name"], "Bo Chen");
    sam.post(
        "/api/v1/chapters/bakers/relationships",
        json!({"from": bo, "to": rosa, "kind": "works_beside"}),
    )
    .await;
    // Both members' pages show it.
    for (id, count) in [(ada, 1), (bo, 2), (rosa, 1)] {
        let (_, file) = sam
            .get(&format!("/api/v1/chapters/bakers/members/{id}"))
            .await;
        assert_eq!(
            file["relationships"].as_array().unwrap().len(),
            count,
            "{file}"
        );
    }
    let (_, of_bo) = sam
        .get(&format!(
            "/api/v1/chapters/bakers/relationships?member={bo}"
        ))
        .await;
    assert_eq!(of_bo[0]["note"], "carpool");
    // The rules: not to oneself, not twice, only between members of the roster.
    for (body, expected) in [
        (
            json!({"from": ada, "to": ada, "kind": "knows"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"from": ada, "to": bo, "kind": "influences"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"from": ada, "to": 99_999, "kind": "knows"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"from": ada, "to": bo, "kind": "hates"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, answer) = sam
            .post("/api/v1/chapters/bakers/relationships", body.clone())
            .await;
        assert_eq!(status, expected, "{body} -> {answer}");
    }
    // Assigning: only to a committee member, never to oneself.
    let assign = |members: Vec<i64>, assignee: i64| {
        sam.call(
            Method::PUT,
            "/api/v1/chapters/bakers/assignments",
            Some(json!({"members": members, "assignee": assignee})),
        )
    };
    assert_eq!(assign(vec![ada], bo).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(assign(vec![rosa], rosa).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(assign(vec![ada, bo], rosa).await.0, StatusCode::OK);

    // Rosa, the committee member, sees her list: last conversation, assessment,
    // next step due; and nothing of the roster.
    talk(
        &sam,
        "bakers",
        ada,
        &days_ago(3),
        "Bring a coworker to the meeting",
        &days_ago(-4),
    )
    .await;
    talk(&sam, "bakers", ada, &days_ago(30), "older step", "").await;
    let rosa_account = join_as_record(&sam, "bakers", rosa, "rosa").await;
    let (status, list) = rosa_account.get("/api/v1/chapters/bakers/my-list").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let entries = list["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["name"], "Ada Byron", "a step due comes first");
    assert_eq!(entries[0]["last_conversation"], days_ago(3));
    assert_eq!(entries[0]["next_step"], "Bring a coworker to the meeting");
    assert_eq!(entries[0]["next_step_due"], days_ago(-4));
    assert_eq!(entries[1]["last_conversation"], Value::Null);
    assert_eq!(
        rosa_account.get("/api/v1/chapters/bakers/chart").await.0,
        StatusCode::FORBIDDEN
    );
    // Her own record shows her own relationships.
    let (_, own) = rosa_account.get("/api/v1/me/record").await;
    assert_eq!(own["relationships"][0]["from_name"], "Bo Chen", "{own}");

    // Erasing a member takes their relationships and assignments with them.
    let admin = join(&instance, "bakers", Role::Admin, "ada_admin").await;
    let (status, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/v1/chapters/bakers/members/{bo}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, file) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{ada}"))
        .await;
    assert_eq!(file["relationships"], json!([]));
    let (_, list) = rosa_account.get("/api/v1/chapters/bakers/my-list").await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 1);
    // Removing a relationship.
    let (status, _) = sam
        .post(
            "/api/v1/chapters/bakers/relationships",
            json!({"from": rosa, "to": ada, "kind": "knows"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, of_ada) = sam
        .get(&format!(
            "/api/v1/chapters/bakers/relationships?member={ada}"
        ))
        .await;
    let rid = of_ada[0]["id"].as_i64().unwrap();
    let (status, _) = sam
        .call(
            Method::DELETE,
            &format!("/api/v1/chapters/bakers/relationships/{rid}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = sam
        .call(
            Method::DELETE,
            &format!("/api/v1/chapters/bakers/relationships/{rid}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    instance.stop().await;
}

#[tokio::test]
async fn a_structure_test_only_suggests_and_the_organizer_confirms() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let keen = add(
        &sam,
        "bakers",
        json!({"name": "Keen", "department": "Packing", "assessment": 3}),
    )
    .await;
    let quiet = add(
        &sam,
        "bakers",
        json!({"name": "Quiet", "department": "Packing", "assessment": 2}),
    )
    .await;
    let elsewhere = add(
        &sam,
        "bakers",
        json!({"name": "Elsewhere", "department": "Ovens", "assessment": 2}),
    )
    .await;
    let (_, test) = sam
        .post(
            "/api/v1/chapters/bakers/structure-tests",
            json!({"title": "Sign the petition by Friday", "date": today(), "departments": ["Packing"],
                   "participants": [keen]}),
        )
        .await;
    let id = test["id"].as_i64().unwrap();
    let (_, detail) = sam
        .get(&format!("/api/v1/chapters/bakers/structure-tests/{id}"))
        .await;
    let covered = detail["covered"].as_array().unwrap();
    assert_eq!(covered.len(), 2, "Ovens is not covered: {detail}");
    let find = |m: i64| covered.iter().find(|c| c["id"] == m).unwrap().clone();
    assert_eq!(find(keen)["took_part"], true);
    assert_eq!(find(keen)["suggested_assessment"], 2);
    assert_eq!(find(quiet)["suggested_assessment"], 3);
    // Nothing changed by itself.
    let assessment = |m: i64| {
        let sam = sam.clone();
        async move {
            sam.get(&format!("/api/v1/chapters/bakers/members/{m}"))
                .await
                .1["assessment"]
                .clone()
        }
    };
    assert_eq!(assessment(keen).await, 3);
    assert_eq!(assessment(quiet).await, 2);
    // Confirming what is not the suggestion changes nothing.
    let confirm = |member: i64, value: u8| {
        let sam = sam.clone();
        let path = format!("/api/v1/chapters/bakers/structure-tests/{id}/confirm");
        async move {
            sam.call(
                Method::PUT,
                &path,
                Some(json!({"member": member, "assessment": value})),
            )
            .await
        }
    };
    assert_eq!(confirm(keen, 1).await.0, StatusCode::CONFLICT);
    assert_eq!(confirm(elsewhere, 3).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(assessment(keen).await, 3);
    assert_eq!(confirm(keen, 2).await.0, StatusCode::NO_CONTENT);
    assert_eq!(assessment(keen).await, 2);
    // Quiet takes part after all: the suggestion for them changes.
    sam.post(
        &format!("/api/v1/chapters/bakers/structure-tests/{id}/participation"),
        json!({"members": [quiet]}),
    )
    .await;
    assert_eq!(confirm(quiet, 3).await.0, StatusCode::CONFLICT);
    assert_eq!(confirm(quiet, 1).await.0, StatusCode::NO_CONTENT);
    assert_eq!(assessment(quiet).await, 1);
    // Unmarking and listing.
    sam.post(
        &format!("/api/v1/chapters/bakers/structure-tests/{id}/participation"),
        json!({"members": [quiet], "took_part": false}),
    )
    .await;
    let (_, tests) = sam.get("/api/v1/chapters/bakers/structure-tests").await;
    assert_eq!(tests[0]["participants"], json!([keen]));
    let (status, _) = sam
        .call(
            Method::DELETE,
            &format!("/api/v1/chapters/bakers/structure-tests/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = sam
        .get(&format!("/api/v1/chapters/bakers/structure-tests/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    instance.stop().await;
}

/// Who may call what, route by route: a stranger, a member (linked to their
/// own record), a committee member (linked, with coworkers assigned), an
/// organizer and an admin, and an organizer of another chapter.
#[tokio::test]
async fn permissions_per_route() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    create_chapter(&instance, "millers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let rosa = add(
        &sam,
        "bakers",
        json!({"name": "Rosa", "committee": "organizing"}),
    )
    .await;
    let ada = add(&sam, "bakers", json!({"name": "Ada"})).await;
    let bo = add(&sam, "bakers", json!({"name": "Bo"})).await;
    sam.call(
        Method::PUT,
        "/api/v1/chapters/bakers/assignments",
        Some(json!({"members": [ada], "assignee": rosa})),
    )
    .await;
    let (_, test) = sam
        .post(
            "/api/v1/chapters/bakers/structure-tests",
            json!({"title": "T", "date": today()}),
        )
        .await;
    let test = test["id"].as_i64().unwrap();
    let committee = join_as_record(&sam, "bakers", rosa, "rosa").await;
    let member = join_as_record(&sam, "bakers", ada, "ada").await;
    let admin = join(&instance, "bakers", Role::Admin, "boss").await;
    let outsider = join(&instance, "millers", Role::Organizer, "moira").await;
    let stranger = Account {
        cookie: "not-a-session".into(),
        ..sam.clone()
    };

    use StatusCode as S;
    const FORBID: S = S::FORBIDDEN;
    // (method, path, body, [stranger, member, committee, organizer, admin, outsider])
    let p = "/api/v1/chapters/bakers";
    let rows: Vec<(Method, String, Option<Value>, [S; 6])> = vec![
        (
            Method::GET,
            format!("{p}/chart"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            format!("{p}/chart.csv"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            format!("{p}/relationships?member={ada}"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::POST,
            format!("{p}/relationships"),
            Some(json!({"from": ada, "to": bo, "kind": "knows"})),
            [
                S::UNAUTHORIZED,
                FORBID,
                FORBID,
                S::CREATED,
                S::CONFLICT,
                FORBID,
            ],
        ),
        (
            Method::DELETE,
            format!("{p}/relationships/99999"),
            None,
            [
                S::UNAUTHORIZED,
                FORBID,
                FORBID,
                S::NOT_FOUND,
                S::NOT_FOUND,
                FORBID,
            ],
        ),
        (
            Method::GET,
            format!("{p}/assignments"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::PUT,
            format!("{p}/assignments"),
            Some(json!({"members": [bo], "assignee": rosa})),
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            format!("{p}/my-list"),
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::OK,
                S::NOT_FOUND,
                S::NOT_FOUND,
                FORBID,
            ],
        ),
        (
            Method::GET,
            format!("{p}/structure-tests"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::POST,
            format!("{p}/structure-tests"),
            Some(json!({"title": "U", "date": today()})),
            [
                S::UNAUTHORIZED,
                FORBID,
                FORBID,
                S::CREATED,
                S::CREATED,
                FORBID,
            ],
        ),
        (
            Method::GET,
            format!("{p}/structure-tests/{test}"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::POST,
            format!("{p}/structure-tests/{test}/participation"),
            Some(json!({"members": [ada]})),
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::PUT,
            format!("{p}/structure-tests/{test}/confirm"),
            Some(json!({"member": ada, "assessment": 2})),
            [
                S::UNAUTHORIZED,
                FORBID,
                FORBID,
                S::NO_CONTENT,
                S::CONFLICT,
                FORBID,
            ],
        ),
        (
            Method::GET,
            format!("{p}/members/{ada}"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            "/api/v1/me/record".to_owned(),
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::OK,
                S::NOT_FOUND,
                S::NOT_FOUND,
                S::NOT_FOUND,
            ],
        ),
        // The pages: the same checks, as HTML.
        (
            Method::GET,
            "/chapters/bakers/chart".to_owned(),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            "/chapters/bakers/my-list".to_owned(),
            None,
            [
                S::UNAUTHORIZED,
                S::OK,
                S::OK,
                S::NOT_FOUND,
                S::NOT_FOUND,
                FORBID,
            ],
        ),
        (
            Method::GET,
            format!("/chapters/bakers/members/{ada}/link?find=bo"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            "/chapters/bakers/assignments".to_owned(),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            "/chapters/bakers/tests".to_owned(),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::GET,
            format!("/chapters/bakers/tests/{test}"),
            None,
            [S::UNAUTHORIZED, FORBID, FORBID, S::OK, S::OK, FORBID],
        ),
        (
            Method::DELETE,
            format!("{p}/structure-tests/{test}"),
            None,
            [
                S::UNAUTHORIZED,
                FORBID,
                FORBID,
                S::NO_CONTENT,
                S::NOT_FOUND,
                FORBID,
            ],
        ),
    ];
    let callers = [&stranger, &member, &committee, &sam, &admin, &outsider];
    let names = [
        "stranger",
        "member",
        "committee member",
        "organizer",
        "admin",
        "outsider",
    ];
    for (method, path, body, expected) in rows {
        for (i, caller) in callers.iter().enumerate() {
            let (status, answer) = caller.call(method.clone(), &path, body.clone()).await;
            let is_page = !path.starts_with("/api/");
            // Pages send a stranger to the login page instead of a bare 401.
            let wanted = if is_page && expected[i] == S::UNAUTHORIZED {
                status
            } else {
                expected[i]
            };
            if is_page && i == 0 {
                assert!(
                    status == S::UNAUTHORIZED || status.is_redirection(),
                    "{method} {path} as {}: {status}",
                    names[i]
                );
            }
            assert_eq!(status, wanted, "{method} {path} as {}: {answer}", names[i]);
        }
    }
    // The committee member's list holds only their own coworkers.
    let (_, list) = committee.get("/api/v1/chapters/bakers/my-list").await;
    let ids: Vec<i64> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![ada, bo]);
    let (_, list) = member.get("/api/v1/chapters/bakers/my-list").await;
    assert_eq!(list["entries"], json!([]));
    instance.stop().await;
}

/// Relationships and assignments from the command line, on the running
/// instance; the web shows what the command did, and the audit log says `cli`.
#[tokio::test]
async fn relationships_and_assignments_from_the_command_line() {
    use crate::cli::{assert_one_line_failure, run_beside_servers, unionhall};
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let rosa = add(
        &sam,
        "bakers",
        json!({"name": "Rosa Diaz", "committee": "organizing"}),
    )
    .await;
    let ada = add(
        &sam,
        "bakers",
        json!({"name": "Ada Byron", "shift": "Nights"}),
    )
    .await;
    let bo = add(
        &sam,
        "bakers",
        json!({"name": "Bo Chen", "shift": "nights"}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: Vec<String>| {
        let mut command = unionhall(dir.path());
        command
            .env("UNIONHALL_DATABASE__URL", &instance.db.url)
            .env("UNIONHALL_INSTANCE__PUBLIC_URL", instance.url.as_str())
            .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
            .env("UNIONHALL_LOG__LEVEL", "error")
            .args(args);
        run_beside_servers(command)
    };
    let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let mut add_args = args(&format!(
        "relationship add bakers --from {ada} --to {bo} --kind works-beside --note"
    ));
    add_args.push("same line".into());
    let (output, stderr) = cli(add_args).await;
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        stdout.contains(&format!("member {ada} works beside member {bo}")),
        "{stdout}"
    );
    let (_, file) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{bo}"))
        .await;
    assert_eq!(file["relationships"][0]["note"], "same line");
    let rid = file["relationships"][0]["id"].as_i64().unwrap();
    let (output, _) = cli(args(&format!("relationship list bakers --member {bo}"))).await;
    let listed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        listed.contains("Ada Byron") && listed.contains("same line"),
        "{listed}"
    );
    // Refusals are one line.
    let (output, stderr) = cli(args(&format!(
        "relationship add bakers --from {ada} --to {ada} --kind knows"
    )))
    .await;
    assert_one_line_failure(&output, &stderr, "another member");
    let (output, stderr) = cli(args(&format!("assign bakers --shift nights --to {ada}"))).await;
    assert_one_line_failure(&output, &stderr, "committee member");
    // A whole shift to Rosa.
    let (output, stderr) = cli(args(&format!("assign bakers --shift nights --to {rosa}"))).await;
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 record(s) reassigned"));
    let (_, listed) = sam.get("/api/v1/chapters/bakers/assignments").await;
    assert_eq!(
        listed,
        json!([{"member": ada, "assignee": rosa}, {"member": bo, "assignee": rosa}])
    );
    let (output, stderr) = cli(args(&format!("relationship remove bakers {rid}"))).await;
    assert!(output.status.success(), "{stderr}");
    let (_, file) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{bo}"))
        .await;
    assert_eq!(file["relationships"], json!([]));
    let admin = join(&instance, "bakers", Role::Admin, "boss").await;
    let (_, audit) = admin.get("/api/v1/groups/bakers/audit").await;
    let by_cli: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["username"] == "cli")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "relationship.created",
        "relationships.viewed",
        "assignment.changed",
        "relationship.removed",
    ] {
        assert!(by_cli.contains(&action), "{action}: {by_cli:?}");
    }
    instance.stop().await;
}

/// Assignments made at the same time are all kept (a chapter's assignments are
/// one sealed row, rewritten under a lock).
#[tokio::test]
async fn assignments_made_at_once_are_all_kept() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let rosa = add(
        &sam,
        "bakers",
        json!({"name": "Rosa", "committee": "organizing"}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(add(&sam, "bakers", json!({"name": format!("W{i}")})).await);
    }
    let calls = ids.iter().map(|id| {
        let sam = sam.clone();
        let id = *id;
        tokio::spawn(async move {
            sam.call(
                Method::PUT,
                "/api/v1/chapters/bakers/assignments",
                Some(json!({"members": [id], "assignee": rosa})),
            )
            .await
            .0
        })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    let (_, listed) = sam.get("/api/v1/chapters/bakers/assignments").await;
    assert_eq!(listed.as_array().unwrap().len(), ids.len(), "{listed}");
    instance.stop().await;
}
