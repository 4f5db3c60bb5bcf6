//! `unionhall demo`: a network to look at in one command. Three instances on
//! loopback, each with its own SQLite file, seeded through the real federation
//! path (signed HTTP between them): chapters that follow each other, a union
//! body with member chapters on two instances, a strike, a call for support with
//! pledges, a coordinated action with answers and a campaign with updates.
//!
//! The instances are named `a.localhost`, `b.localhost` and `c.localhost`:
//! browsers send any `*.localhost` name to the machine itself, so the printed
//! addresses open as they are, and each instance keeps its own login cookie.
//! Between the instances the names are pinned with `federation.hosts`.

use crate::startup::{self, Application};
use crate::{Error, Result, Settings};
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;
use unionhall_domain::{
    ActionAnswer, ActorKind, Assessment, CallForSupport, CallKind, Campaign, CoordinatedAction,
    Goal, Handle, MemberRecord, OneOnOne, PicketLine, Place, Pledge, Relationship,
    RelationshipKind, Role, Shift, Strike, StrikeStatus, StructureTest,
};
use unionhall_federation::activities::{action, call, campaign, follow, strike, union};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_federation::Data;
use unionhall_members::assignments::Selection;
use unionhall_members::{Members, Principal};
use unionhall_store::{actions, actors, calls, campaigns, follows, now_millis, unions, Store};
use url::Url;

/// The one password of every demo account (the demo is for looking, on
/// loopback; never run it where others can reach it).
pub const PASSWORD: &str = "solidarity-forever";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the three databases and member-record keys go (created; must not
    /// hold a demo already). Default: a new folder in the system's temp folder.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The instances listen on 127.0.0.1 at this port + 1, + 2 and + 3; 0 picks
    /// free ports.
    #[arg(long, default_value_t = 7780)]
    port: u16,
}

/// One running demo instance and what seeding it needs.
struct Node {
    url: Url,
    data: Data,
    members: Members,
    store: Store,
}

pub async fn demo(base: Settings, args: DemoArgs) -> Result<()> {
    let dir = args.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("unionhall-demo-{}", std::process::id()))
    });
    prepare(&dir)?;
    let letters = ["a", "b", "c"];
    let mut listeners = Vec::new();
    for (i, _) in letters.iter().enumerate() {
        let port = if args.port == 0 {
            0
        } else {
            args.port.checked_add(i as u16 + 1).ok_or_else(|| {
                Error::Usage(format!("--port {}: the ports above it run out", args.port))
            })?
        };
        let addr: std::net::SocketAddr = (Ipv4Addr::LOCALHOST, port).into();
        listeners.push(TcpListener::bind(addr).map_err(|err| {
            Error::Usage(format!(
                "cannot listen on {addr}: {err}; choose other ports with --port N (or 0)"
            ))
        })?);
    }
    let mut urls = Vec::new();
    for (letter, listener) in letters.iter().zip(&listeners) {
        let port = listener.local_addr().map_err(Error::Serve)?.port();
        urls.push(
            Url::parse(&format!("http://{letter}.localhost:{port}"))
                .map_err(|err| Error::Usage(err.to_string()))?,
        );
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut nodes = Vec::new();
    let mut running = Vec::new();
    for ((letter, listener), url) in letters.iter().zip(listeners).zip(&urls) {
        let settings = instance_settings(&base, &dir, letter, url);
        let app = Application::build_with_listener(settings, listener).await?;
        nodes.push(Node {
            url: url.clone(),
            data: app.federation_data(),
            members: app.members().clone(),
            store: app.store().clone(),
        });
        let mut stopped = stopped.clone();
        running.push(tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.changed().await;
        })));
    }
    let seeded = seed(&nodes).await;
    if seeded.is_ok() {
        print_summary(&nodes, &dir);
        startup::shutdown_signal().await;
    }
    let _ = stop.send(true);
    for task in running {
        let _ = task.await;
    }
    seeded
}

fn prepare(dir: &Path) -> Result<()> {
    if dir.join("a.db").exists() {
        return Err(Error::Usage(format!(
            "{} holds a demo already; remove it or give another --dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|err| Error::Usage(format!("cannot create {}: {err}", dir.display())))
}

fn instance_settings(base: &Settings, dir: &Path, letter: &str, url: &Url) -> Settings {
    let mut settings = base.clone();
    settings.instance.public_url = url.clone();
    settings.instance.name = format!("Demo {}", letter.to_uppercase());
    settings.database.url = format!("sqlite://{}", dir.join(format!("{letter}.db")).display());
    settings.members.key = String::new();
    settings.members.key_file = dir.join(format!("{letter}-member-records.key"));
    settings.members.previous_key_files = Vec::new();
    // Loopback peers, named: fine here, never on a server others can reach.
    settings.federation.allow_private_peers = true;
    settings.federation.hosts = ["a", "b", "c"]
        .iter()
        .map(|l| (format!("{l}.localhost"), IpAddr::V4(Ipv4Addr::LOCALHOST)))
        .collect();
    settings
}

async fn seed(nodes: &[Node]) -> Result<()> {
    let [a, b, c] = nodes else {
        return Err(Error::Usage("the demo needs three instances".into()));
    };
    group(a, ActorKind::Chapter, "bakers", "Bakery Workers Local 12").await?;
    group(
        a,
        ActorKind::Union,
        "foodunion",
        "Food and Allied Workers Industrial Union",
    )
    .await?;
    group(
        b,
        ActorKind::Chapter,
        "millers",
        "Millers and Packers Local 3",
    )
    .await?;
    group(
        c,
        ActorKind::Chapter,
        "drivers",
        "Delivery Drivers Organizing Committee",
    )
    .await?;
    account(a, "bakers", Role::Admin, "ada").await?;
    account(a, "bakers", Role::Organizer, "olga").await?;
    account(a, "foodunion", Role::Officer, "ophelia").await?;
    account(b, "millers", Role::Admin, "bodil").await?;
    let sam = account(b, "millers", Role::Member, "sam").await?;
    let dan = account(c, "drivers", Role::Admin, "dan").await?;
    // Each instance's first admin also runs it (its /admin page).
    for (node, username) in [(a, "ada"), (b, "bodil"), (c, "dan")] {
        node.members.set_instance_admin(username, true).await?;
    }

    // Chapters follow each other, through WebFinger, Follow and Accept.
    for (who, target, handle) in [
        (b, a, "bakers"),
        (c, a, "bakers"),
        (a, b, "millers"),
        (c, b, "millers"),
        (a, c, "drivers"),
        (b, c, "drivers"),
    ] {
        follow_and_wait(who, target, handle).await?;
    }

    // Two chapters join the body: one across instances.
    let body = format!("@foodunion@{}", authority(&a.url));
    union::apply(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "millers",
        &body,
    )
    .await?;
    union::apply(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "bakers",
        "foodunion",
    )
    .await?;
    for (node, handle) in [(b, "millers"), (a, "bakers")] {
        let chapter = node.data.urls.actor(handle);
        wait("foodunion to get the application", || async {
            let mut conn = a.store.acquire().await.ok()?;
            let body = a.data.urls.actor("foodunion");
            unions::get(&mut conn, unions::Side::Body, &body, &chapter)
                .await
                .ok()?
        })
        .await?;
        union::decide(
            &a.data,
            &unionhall_domain::Authority::Operator,
            "foodunion",
            &chapter,
            true,
        )
        .await?;
    }
    let millers = b.data.urls.actor("millers");
    wait("millers to be admitted", || async {
        let bodies = unions::bodies_of(&b.store, &millers).await.ok()?;
        bodies.iter().find(|m| m.accepted_at.is_some()).map(|_| ())
    })
    .await?;

    // The millers strike, with a picket line and its shifts.
    let day = 24 * 3600 * 1000;
    let tomorrow_six = (now_millis() / day + 1) * day + 6 * 3600 * 1000;
    let hours = |h: i64| h * 3600 * 1000;
    let announced = strike::announce_strike(
        &b.data,
        &unionhall_domain::Authority::Operator,
        "millers",
        Strike {
            employer: "Grand Mills Ltd".into(),
            workplace: "River Road mill".into(),
            demands: vec!["Safe staffing on every line".into(), "A 9% raise".into()],
            details: String::new(),
            starts_at: Some(tomorrow_six),
            picket_lines: vec![PicketLine {
                place: place("Gate 2, 40 River Road"),
                shifts: vec![
                    Shift {
                        starts_at: tomorrow_six,
                        ends_at: tomorrow_six + hours(4),
                        needed: 12,
                    },
                    Shift {
                        starts_at: tomorrow_six + hours(4),
                        ends_at: tomorrow_six + hours(8),
                        needed: 8,
                    },
                ],
            }],
            fund_url: String::new(),
            time_zone: None,
        },
    )
    .await?;
    strike::advance(
        &b.data,
        &unionhall_domain::Authority::Operator,
        announced.id,
        Some(StrikeStatus::OnStrike),
        "We walked out at 6am. Bring coffee to gate 2.",
    )
    .await?;

    // The bakers call for support; the millers and the drivers pledge.
    let posted = call::publish_call(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "bakers",
        CallForSupport {
            kind: CallKind::Turnout,
            title: "Pack the labour board hearing on Thursday".into(),
            details: "Our recognition hearing: a full room shows the board we are many.".into(),
            place: Some(place("Labour board, 2 Court Street")),
            starts_at: Some(tomorrow_six + 2 * day + hours(4)),
            ends_at: None,
            deadline: Some(tomorrow_six + 2 * day),
            goal: Goal {
                people: Some(40),
                ..Goal::default()
            },
            time_zone: None,
        },
        unionhall_federation::activities::Audience::Public,
    )
    .await?;
    for (node, handle, account_id) in [(b, "millers", sam), (c, "drivers", dan)] {
        let id = wait("the call to arrive", || async {
            calls::all(&node.store)
                .await
                .ok()?
                .into_iter()
                .find(|row| row.ap_id == posted.ap_id)
                .map(|row| row.id)
        })
        .await?;
        let chapter = actors::local_by_handle(&node.store, handle)
            .await?
            .ok_or_else(|| Error::Usage(format!("{handle} is gone")))?;
        call::pledge(
            &node.data,
            &unionhall_domain::Authority::Operator,
            id,
            &chapter,
            account_id,
            Some(Pledge::Attend),
        )
        .await?;
    }

    // The body proposes a coordinated action; both member chapters answer.
    let proposed = action::propose(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "foodunion",
        CoordinatedAction {
            title: "Lunch-hour walkout for safe staffing".into(),
            details: "Every member workplace walks out together at noon.".into(),
            place: None,
            starts_at: Some(tomorrow_six + 6 * day + hours(6)),
            decision_deadline: tomorrow_six + 4 * day,
            commitment: "one hour at noon, every shift".into(),
        },
    )
    .await?;
    let bakers = actors::local_by_handle(&a.store, "bakers")
        .await?
        .ok_or_else(|| Error::Usage("bakers is gone".into()))?;
    action::answer(
        &a.data,
        &unionhall_domain::Authority::Operator,
        proposed.id,
        &bakers,
        ActionAnswer::Commit { people: 40 },
    )
    .await?;
    let theirs = wait("the action to reach the millers", || async {
        let mut conn = b.store.acquire().await.ok()?;
        actions::by_ap_id(&mut conn, &proposed.ap_id)
            .await
            .ok()?
            .map(|row| row.id)
    })
    .await?;
    let millers_row = actors::local_by_handle(&b.store, "millers")
        .await?
        .ok_or_else(|| Error::Usage("millers is gone".into()))?;
    action::answer(
        &b.data,
        &unionhall_domain::Authority::Operator,
        theirs,
        &millers_row,
        ActionAnswer::Commit { people: 25 },
    )
    .await?;

    // The drivers run a campaign; a baker follows it from home.
    let started = campaign::start(
        &c.data,
        &unionhall_domain::Authority::Operator,
        "drivers",
        Campaign {
            title: "Recognition for the drivers' union".into(),
            goal: "voluntary recognition by March".into(),
            details: "Drivers at three depots are organizing together.".into(),
        },
    )
    .await?;
    campaign::post_update(
        &c.data,
        &unionhall_domain::Authority::Operator,
        started.id,
        "A majority of drivers signed cards.",
    )
    .await?;
    let followed =
        unionhall_federation::activities::follow::follow_campaign(&a.data, &started.ap_id).await?;
    let ada = a
        .members
        .login("ada", PASSWORD, None, None)
        .await
        .map_err(Error::from)?;
    let ada = principal(&a.members, &ada.secret).await?;
    campaigns::follow(&a.store, ada.account_id, followed.id).await?;
    campaign::post_update(
        &c.data,
        &unionhall_domain::Authority::Operator,
        started.id,
        "Management agreed to meet on Monday.",
    )
    .await?;

    roster(a).await
}

async fn group(node: &Node, kind: ActorKind, handle: &str, name: &str) -> Result<()> {
    create_group(
        &node.data,
        NewGroup {
            kind,
            handle: Handle::parse(handle).map_err(|err| Error::Usage(err.to_string()))?,
            name: name.into(),
            summary: format!("{name}: a demo group, with made-up people."),
            manually_approves_followers: kind == ActorKind::Union,
        },
    )
    .await?;
    Ok(())
}

/// An account with `role` in `handle`, made through an invitation.
async fn account(node: &Node, handle: &str, role: Role, username: &str) -> Result<i64> {
    let group = node.members.group(handle).await?;
    let invite = node.members.create_invite(None, &group, role, None).await?;
    Ok(node
        .members
        .accept_invite(&invite.token, username, PASSWORD)
        .await?)
}

async fn principal(members: &Members, secret: &str) -> Result<Principal> {
    members
        .authenticate_session(secret)
        .await?
        .ok_or_else(|| Error::Usage("the demo session is gone".into()))
}

async fn follow_and_wait(who: &Node, target: &Node, handle: &str) -> Result<()> {
    let acct = format!("@{handle}@{}", authority(&target.url));
    follow::follow_remote(&who.data, &acct).await?;
    let id = target.data.urls.actor(handle);
    wait("a follow to be accepted", || async {
        follows::is_following(&who.store, &id)
            .await
            .ok()
            .filter(|yes| *yes)
    })
    .await?;
    Ok(())
}

/// A made-up workplace for the bakers' roster (names of no one).
async fn roster(a: &Node) -> Result<()> {
    let session = a.members.login("olga", PASSWORD, None, None).await?;
    let olga = principal(&a.members, &session.secret).await?;
    let chapter = a.members.chapter("bakers").await?;
    let people = [
        ("Rosa Example", "Ovens", "Early", 1, "organizing"),
        ("Joe Sample", "Ovens", "Early", 2, ""),
        ("Mei Placeholder", "Ovens", "Late", 3, ""),
        ("Ade Testperson", "Packing", "Early", 2, "organizing"),
        ("Lena Demo", "Packing", "Late", 4, ""),
        ("Omar Fictional", "Packing", "Late", 5, ""),
        ("Ines Madeup", "Shipping", "Night", 3, ""),
        ("Tom Notreal", "Shipping", "Night", 4, ""),
    ];
    let mut ids = Vec::new();
    for (name, department, shift, assessment, committee) in people {
        let record = MemberRecord {
            name: name.into(),
            workplace: "Bakery on Mill Street".into(),
            department: department.into(),
            shift: shift.into(),
            committee: committee.into(),
            assessment: Some(Assessment::new(assessment).map_err(|e| Error::Usage(e.to_string()))?),
            ..MemberRecord::default()
        };
        let member = a.members.create(&olga, &chapter, record).await?;
        ids.push(member.id);
        if assessment <= 2 {
            a.members
                .add_one_on_one(
                    &olga,
                    &chapter,
                    member.id,
                    OneOnOne {
                        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
                        by: "olga".into(),
                        issues: "Short staffing on the line; wants the hearing packed.".into(),
                        next_step: "Bring a coworker to the hearing".into(),
                        next_step_due: String::new(),
                    },
                )
                .await?;
        }
    }
    // The workplace chart: who influences whom, who talks to whom, a test.
    let (rosa, joe, mei, ade, lena, omar) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]);
    for (from, to, kind) in [
        (rosa, joe, RelationshipKind::Influences),
        (rosa, mei, RelationshipKind::WorksBeside),
        (ade, lena, RelationshipKind::Knows),
    ] {
        a.members
            .relate(
                &olga,
                &chapter,
                Relationship {
                    from,
                    to,
                    kind,
                    note: String::new(),
                },
            )
            .await?;
    }
    a.members
        .assign(&olga, &chapter, Selection::Ids(vec![joe, mei]), Some(rosa))
        .await?;
    a.members
        .assign(&olga, &chapter, Selection::Ids(vec![lena, omar]), Some(ade))
        .await?;
    a.members
        .create_test(
            &olga,
            &chapter,
            StructureTest {
                title: "Wear the button on Thursday".into(),
                date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
                departments: vec!["Ovens".into(), "Packing".into()],
                participants: vec![rosa, joe, ade],
            },
        )
        .await?;
    Ok(())
}

fn place(address: &str) -> Place {
    Place {
        address: address.into(),
        latitude: None,
        longitude: None,
    }
}

/// `host:port` of an instance, as handles name it.
fn authority(url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

/// Polls until `check` gives a value (federation is asynchronous), for at most
/// 30 seconds.
async fn wait<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(value) = check().await {
            return Ok(value);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Usage(format!(
        "the demo gave up waiting for {what}; the log above says why"
    )))
}

fn print_summary(nodes: &[Node], dir: &Path) {
    let [a, b, c] = nodes else { return };
    println!("Unionhall demo: three instances, seeded through the real federation path.");
    println!();
    println!(
        "  {}  Bakery Workers Local 12 (@bakers) and the Food and Allied Workers",
        a.url
    );
    println!("      Industrial Union (@foodunion), with members on A and B");
    println!(
        "  {}  Millers and Packers Local 3 (@millers), on strike",
        b.url
    );
    println!(
        "  {}  Delivery Drivers Organizing Committee (@drivers), running a campaign",
        c.url
    );
    println!();
    println!("Log in (every password: {PASSWORD}):");
    println!(
        "  {}login  ada (admin of bakers and of this instance: the board, /admin), olga (organizer: the roster, the chart),",
        a.url
    );
    println!("      ophelia (officer of foodunion: the body's page and its action)");
    println!(
        "  {}login  bodil (admin of millers and of this instance: the strike), sam (member: pledges)",
        b.url
    );
    println!(
        "  {}login  dan (admin of drivers and of this instance: the campaign)",
        c.url
    );
    println!();
    println!("Data in {}. Ctrl-C stops the demo.", dir.display());
    println!("Demo ready.");
}
