//! The organizers' pages benchmark: `cargo bench --bench organizing`.
//!
//! Seeds one chapter with a 5,000-member workplace (imported as CSV; 3,000
//! one-on-ones, every shift assigned, a structure test covering two
//! departments) and a picket of theirs with pledges through 50 other
//! chapters and 10 of their own members, then prints, as medians of 7 runs:
//! - the ceiling: opening the 5,000 sealed records (the roster list through the
//!   members service), which the chart cannot avoid;
//! - the chart computed by the members service (opening records, one-on-ones,
//!   assignments and tests, and counting);
//! - the chart page over HTTP (authentication, the chart, rendering), its size;
//! - the chart as JSON and as CSV over HTTP, and their sizes;
//! - one page of the roster over HTTP, in three orders (last conversation
//!   opens the 3,000 one-on-ones too);
//! - the picket's page over HTTP as its organizer sees it (with who of the
//!   chapter is coming);
//! - after [`HISTORY`] calls of years past (closed, from 100 other chapters):
//!   the board, the chapter's page, its Atom feed and its calendar over HTTP,
//!   against reading every call ever held, which is what each did before
//!   (boards now read open calls by status, feeds a chapter's by author).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark: any failure aborts the run

use std::time::{Duration, Instant};
use unionhall_domain::{ActorKind, Handle, Role};
use unionhall_members::roster::Filter;

const MEMBERS: usize = 5_000;
const TALKS: usize = 3_000;
const RUNS: usize = 7;
/// Calls of years past, closed, seeded before the board is measured.
const HISTORY: usize = 20_000;
/// Other chapters pledging to the picket, and the chapter's own members.
const PLEDGING_CHAPTERS: usize = 50;
const OWN_PLEDGERS: usize = 10;
const DEPARTMENTS: [&str; 8] = [
    "Packing",
    "Ovens",
    "Shipping",
    "Sanitation",
    "Maintenance",
    "Receiving",
    "Quality",
    "Office",
];
const SHIFTS: [&str; 3] = ["Days", "Nights", "Swing"];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn bench() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let public_url = format!("http://127.0.0.1:{port}");
    let db = format!("sqlite://{}", dir.path().join("chart.db").display());
    // The member-data key made on first start goes with the database, not
    // into the source tree (the default is data/ under the working directory).
    let key_file = dir.path().join("member-records.key").display().to_string();
    let env: Vec<(String, String)> = [
        ("UNIONHALL_DATABASE__URL", db.as_str()),
        ("UNIONHALL_MEMBERS__KEY_FILE", key_file.as_str()),
        ("UNIONHALL_INSTANCE__PUBLIC_URL", public_url.as_str()),
        ("UNIONHALL_LOG__LEVEL", "error"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let settings = unionhall::Settings::load(None, env).expect("settings");
    let app = unionhall::startup::Application::build_with_listener(settings, listener)
        .await
        .expect("instance");
    let members = app.members().clone();
    let data = app.federation_data();
    unionhall_federation::actors::create_group(
        &data,
        unionhall_federation::actors::NewGroup {
            kind: ActorKind::Chapter,
            handle: Handle::parse("works").unwrap(),
            name: "The works".into(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .expect("chapter");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let chapter = members.chapter("works").await.unwrap();
    let invite = members
        .create_invite(None, &chapter, Role::Organizer, None)
        .await
        .unwrap();
    let password = "a long benchmark password";
    let account = members
        .accept_invite(&invite.token, "organizer", password)
        .await
        .unwrap();
    let session = members
        .login("organizer", password, None, None)
        .await
        .unwrap();
    let principal = unionhall_members::Principal {
        account_id: account,
        username: "organizer".into(),
        member_id: None,
        roles: vec![(chapter.ap_id.clone(), Role::Organizer)],
        instance_admin: false,
        via: unionhall_members::Via::Token {
            id: 0,
            scope: unionhall_members::TokenScope::Write,
        },
    };

    // The workplace, in one CSV import: every tenth a committee member, every
    // 25th a natural leader, five in six assessed.
    let started = Instant::now();
    let mut csv = String::from("name,department,shift,committee,assessment,tags\n");
    for i in 0..MEMBERS {
        let committee = if i % 10 == 0 { "organizing" } else { "" };
        let assessment = match i % 6 {
            0 => String::new(),
            n => n.to_string(),
        };
        let tags = if i % 25 == 0 { "leader" } else { "" };
        csv.push_str(&format!(
            "Worker Number {i},{},{},{committee},{assessment},{tags}\n",
            DEPARTMENTS[i % DEPARTMENTS.len()],
            SHIFTS[(i / 7) % SHIFTS.len()],
        ));
    }
    members
        .import_csv(&principal, &chapter, &csv)
        .await
        .expect("import");
    let roster = members
        .list(&principal, &chapter, &Filter::default())
        .await
        .unwrap();
    assert_eq!(roster.len(), MEMBERS);
    let today = unionhall_members::chart::today();
    let today_n = unionhall_domain::day_number(&today).unwrap();
    for (n, m) in roster.iter().enumerate().take(TALKS) {
        let date = unionhall_domain::date_of_day(today_n - (n % 90) as i64);
        members
            .add_one_on_one(
                &principal,
                &chapter,
                m.id,
                unionhall_domain::OneOnOne {
                    date,
                    by: "Sam".into(),
                    issues: "Scheduling, heat in the packing hall".into(),
                    next_step: "Bring a coworker to the meeting".into(),
                    next_step_due: String::new(),
                },
            )
            .await
            .unwrap();
    }
    let committee: Vec<i64> = roster
        .iter()
        .filter(|m| !m.record.committee.is_empty())
        .map(|m| m.id)
        .collect();
    for (i, shift) in SHIFTS.iter().enumerate() {
        members
            .assign(
                &principal,
                &chapter,
                unionhall_members::assignments::Selection::Matching(Filter {
                    shift: Some((*shift).to_owned()),
                    ..Default::default()
                }),
                Some(committee[i]),
            )
            .await
            .unwrap();
    }
    let participants: Vec<i64> = roster.iter().step_by(3).map(|m| m.id).collect();
    members
        .create_test(
            &principal,
            &chapter,
            unionhall_domain::StructureTest {
                title: "Wear the button on Thursday".into(),
                date: today.clone(),
                departments: vec!["Packing".into(), "Ovens".into()],
                participants,
            },
        )
        .await
        .unwrap();
    let seeded = started.elapsed();

    let mut ceiling = Vec::new();
    let mut service = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let all = members
            .list(&principal, &chapter, &Filter::default())
            .await
            .unwrap();
        ceiling.push(t.elapsed());
        assert_eq!(all.len(), MEMBERS);
        let t = Instant::now();
        let chart = members.chart(&principal, &chapter, 30).await.unwrap();
        service.push(t.elapsed());
        assert_eq!(chart.total.headcount as usize, MEMBERS);
    }

    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{public_url}{path}"))
            .header("cookie", format!("uh_session={}", session.secret))
    };
    let measure = |path: &'static str| {
        let get = &get;
        async move {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..RUNS {
                let t = Instant::now();
                let response = get(path).send().await.unwrap();
                assert_eq!(response.status(), 200, "{path}");
                let body = response.bytes().await.unwrap();
                times.push(t.elapsed());
                size = body.len();
            }
            (median(times), size)
        }
    };
    let call_id = seed_picket(&members, &data, &chapter).await;
    let call_path: &'static str = Box::leak(format!("/call/{call_id}").into_boxed_str());
    let (page, page_size) = measure("/chapters/works/chart").await;
    let (by_name, roster_size) = measure("/chapters/works/roster?page=3").await;
    let (by_department, _) = measure("/chapters/works/roster?sort=department&page=3").await;
    // The first view opens every conversation; later ones, while none is
    // logged, reuse the dates (members' talk_dates.rs).
    let first_talk = {
        let t = Instant::now();
        let response = get("/chapters/works/roster?sort=last_conversation")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        t.elapsed()
    };
    let (by_talk, _) = measure("/chapters/works/roster?sort=last_conversation").await;
    let (call_page, call_size) = measure(call_path).await;
    let (json, json_size) = measure("/api/v1/chapters/works/chart").await;
    let (csv_time, csv_size) = measure("/api/v1/chapters/works/chart.csv").await;
    seed_history(&data.store).await;
    let mut every_call = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let all = unionhall_store::calls::all(&data.store).await.unwrap();
        every_call.push(t.elapsed());
        assert!(all.len() > HISTORY);
    }
    let every_call = median(every_call);
    let (board, board_size) = measure("/").await;
    let (chapter_page, _) = measure("/actors/works").await;
    let (feed, _) = measure("/actors/works/feed.atom").await;
    let (calendar, _) = measure("/actors/works/calendar.ics").await;
    let (closed_page, closed_size) = measure("/api/v1/calls?status=closed").await;

    println!("organizing benchmark: {MEMBERS} members, {TALKS} one-on-ones, 3 shifts assigned, 1 structure test");
    println!("| what | figure |");
    println!("| --- | --- |");
    println!(
        "| seeding (CSV import, one-on-ones one by one) | {:.1} s |",
        seeded.as_secs_f64()
    );
    println!(
        "| ceiling: opening the 5,000 sealed records (roster list) | {} |",
        ms(median(ceiling.clone()))
    );
    println!(
        "| the chart computed by the members service | {} |",
        ms(median(service))
    );
    println!(
        "| the chart page over HTTP (auth, chart, render) | {} |",
        ms(page)
    );
    println!("| page size | {:.1} KB |", page_size as f64 / 1024.0);
    println!(
        "| the chart as JSON over HTTP | {} ({:.1} KB) |",
        ms(json),
        json_size as f64 / 1024.0
    );
    println!(
        "| the chart as CSV over HTTP | {} ({:.1} KB) |",
        ms(csv_time),
        csv_size as f64 / 1024.0
    );
    println!(
        "| a roster page (200 of 5,000) by name over HTTP | {} ({:.1} KB) |",
        ms(by_name),
        roster_size as f64 / 1024.0
    );
    println!(
        "| a roster page by department over HTTP | {} |",
        ms(by_department)
    );
    println!(
        "| a roster page by last conversation over HTTP, the first view (every conversation opened) | {} |",
        ms(first_talk)
    );
    println!(
        "| a roster page by last conversation over HTTP, later views | {} |",
        ms(by_talk)
    );
    println!(
        "| the picket's page, {PLEDGING_CHAPTERS} chapters' and {OWN_PLEDGERS} own members' pledges, over HTTP | {} ({:.1} KB) |",
        ms(call_page),
        call_size as f64 / 1024.0
    );
    println!(
        "| ratio: roster page by name / ceiling | {:.2} |",
        by_name.as_secs_f64() / median(ceiling.clone()).as_secs_f64()
    );
    println!(
        "| after {HISTORY} closed calls: reading every call ever held (what boards did) | {} |",
        ms(every_call)
    );
    println!(
        "| after {HISTORY} closed calls: the organizer's board over HTTP | {} ({:.1} KB) |",
        ms(board),
        board_size as f64 / 1024.0
    );
    println!(
        "| after {HISTORY} closed calls: the chapter's page over HTTP | {} |",
        ms(chapter_page)
    );
    println!(
        "| after {HISTORY} closed calls: the chapter's Atom feed and calendar over HTTP | {} and {} |",
        ms(feed),
        ms(calendar)
    );
    println!(
        "| after {HISTORY} closed calls: a page of the JSON list of closed calls (100) over HTTP | {} ({:.1} KB) |",
        ms(closed_page),
        closed_size as f64 / 1024.0
    );
    println!(
        "| ratio: board / reading every call | {:.2} |",
        board.as_secs_f64() / every_call.as_secs_f64()
    );
    assert!(page_size < 100 * 1024, "the page is {page_size} bytes");

    let _ = stop.send(());
    let _ = task.await;
}

/// [`HISTORY`] calls of years past, closed, from 100 chapters elsewhere,
/// each with a record of the size a picket's is, in one transaction.
async fn seed_history(store: &unionhall_store::Store) {
    use unionhall_domain::{Audience, CallStatus};
    use unionhall_store::calls::{upsert, CallWrite, Totals};
    let now = unionhall_store::now_millis();
    let long_ago = now - 3 * 365 * 24 * 3_600_000;
    let authors: Vec<url::Url> = (0..100)
        .map(|n| url::Url::parse(&format!("https://chapter{n}.example/actors/local")).unwrap())
        .collect();
    for author in &authors {
        let actor = unionhall_store::actors::ActorRow {
            ap_id: author.clone(),
            kind: ActorKind::Chapter,
            ap_type: "Group".into(),
            handle: None,
            preferred_username: "local".into(),
            name: "A chapter elsewhere".into(),
            summary: String::new(),
            inbox: author.join("local/inbox").unwrap(),
            shared_inbox: None,
            followers_url: None,
            public_key_id: format!("{author}#main-key"),
            public_key_pem: String::new(),
            private_key_pem: None,
            assertion_key_id: None,
            assertion_public_key: None,
            assertion_private_key: None,
            sealed_keys: None,
            manually_approves_followers: false,
            is_local: false,
            fetched_at: now,
            created_at: now,
        };
        unionhall_store::actors::upsert_remote(store, &actor)
            .await
            .unwrap();
    }
    let mut tx = store.begin_write().await.unwrap();
    for n in 0..HISTORY {
        let author = &authors[n % authors.len()];
        let ap_id = url::Url::parse(&format!("{author}/calls/{n}")).unwrap();
        let starts_at = long_ago + n as i64 * 3_600_000;
        let record = serde_json::json!({
            "kind": "picket", "title": format!("Picket number {n} at the gate"),
            "details": "Bring water and a sign. We hold the line from six until ten.",
            "place": {"address": "Gate 3, 100 Mill Road"},
            "starts_at": starts_at, "ends_at": starts_at + 4 * 3_600_000,
            "goal": {"people": 20}
        })
        .to_string();
        upsert(
            &mut tx,
            &CallWrite {
                ap_id: &ap_id,
                author,
                record: &record,
                status: CallStatus::Closed,
                audience: &Audience::Public,
                strike: None,
                pledged: Totals::default(),
                is_local: false,
                updated_at: starts_at,
                over_at: Some(starts_at + 4 * 3_600_000),
            },
        )
        .await
        .unwrap();
    }
    unionhall_store::commit(tx).await.unwrap();
}

/// A picket of the chapter's, with an Attend pledge through each of
/// [`PLEDGING_CHAPTERS`] other chapters (one account each) and from
/// [`OWN_PLEDGERS`] of the chapter's own members; its id.
async fn seed_picket(
    members: &unionhall_members::Members,
    data: &unionhall_federation::Data,
    chapter: &unionhall_members::Group,
) -> i64 {
    use unionhall_domain::{Authority, CallForSupport, CallKind, Goal, Pledge};
    use unionhall_federation::activities::{call, Audience};
    let posted = call::publish_call(
        data,
        &Authority::Operator,
        &chapter.handle,
        CallForSupport {
            kind: CallKind::Picket,
            title: "Picket at the works gate".into(),
            details: "Bring a thermos.".into(),
            place: None,
            starts_at: None,
            ends_at: None,
            deadline: None,
            goal: Goal {
                people: Some(200),
                ..Goal::default()
            },
            time_zone: None,
        },
        Audience::Public,
    )
    .await
    .unwrap();
    let password = "a long benchmark password";
    let mut pledgers = Vec::new();
    for n in 0..PLEDGING_CHAPTERS {
        let handle = format!("local{n:02}");
        unionhall_federation::actors::create_group(
            data,
            unionhall_federation::actors::NewGroup {
                kind: ActorKind::Chapter,
                handle: Handle::parse(&handle).unwrap(),
                name: format!("Local {n}"),
                summary: String::new(),
                manually_approves_followers: false,
            },
        )
        .await
        .unwrap();
        pledgers.push((handle.clone(), format!("steward{n:02}")));
    }
    for n in 0..OWN_PLEDGERS {
        pledgers.push((chapter.handle.clone(), format!("coworker{n:02}")));
    }
    for (handle, username) in pledgers {
        let group = members.chapter(&handle).await.unwrap();
        let invite = members
            .create_invite(None, &group, Role::Member, None)
            .await
            .unwrap();
        let account = members
            .accept_invite(&invite.token, &username, password)
            .await
            .unwrap();
        let row = unionhall_store::actors::by_ap_id(&data.store, &group.ap_id)
            .await
            .unwrap()
            .unwrap();
        call::pledge(
            data,
            &Authority::Operator,
            posted.id,
            &row,
            account,
            Some(Pledge::Attend),
        )
        .await
        .unwrap();
    }
    posted.id
}
