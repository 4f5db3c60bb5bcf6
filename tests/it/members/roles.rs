//! Every API route refuses every role it is not for: one table of routes and the
//! roles they admit, tried with an account of each role and with none. And the
//! permission table in docs/api.md is the one the code enforces.

use super::*;
use crate::federation::create_chapter;
use crate::helpers::{spawn_instance, TestInstance};
use unionhall_domain::{ActorKind, Handle, Permission};

enum Body {
    None,
    Json(Value),
    Csv(&'static str),
}

struct Case {
    method: Method,
    /// `{id}` is replaced by a fresh member record made for each try, `{call}`
    /// by a fresh call for support of bakers.
    path: &'static str,
    body: Body,
    allowed: &'static [&'static str],
}

const ROSTER: &[&str] = &["organizer", "admin"];
const ADMIN: &[&str] = &["admin"];
const OFFICER: &[&str] = &["officer"];
/// Who runs the instance: an instance admin, whatever their role in groups
/// (not a chapter's admin, not a body's officer).
const INSTANCE: &[&str] = &["operator"];
const EVERYONE: &[&str] = &[
    "member",
    "organizer",
    "admin",
    "outsider",
    "officer",
    "operator",
];

fn cases() -> Vec<Case> {
    use serde_json::json;
    let c = |method: Method, path, body, allowed| Case {
        method,
        path,
        body,
        allowed,
    };
    vec![
        c(
            Method::GET,
            "/api/v1/chapters/bakers/members",
            Body::None,
            ROSTER,
        ),
        c(
            Method::POST,
            "/api/v1/chapters/bakers/members",
            Body::Json(json!({"name": "New"})),
            ROSTER,
        ),
        c(
            Method::GET,
            "/api/v1/chapters/bakers/members/{id}",
            Body::None,
            ROSTER,
        ),
        c(
            Method::PUT,
            "/api/v1/chapters/bakers/members/{id}",
            Body::Json(json!({"name": "Changed"})),
            ROSTER,
        ),
        c(
            Method::DELETE,
            "/api/v1/chapters/bakers/members/{id}",
            Body::None,
            ADMIN,
        ),
        c(
            Method::POST,
            "/api/v1/chapters/bakers/members/{id}/one-on-ones",
            Body::Json(json!({"date": "2026-11-20", "by": "Sam"})),
            ROSTER,
        ),
        c(
            Method::GET,
            "/api/v1/chapters/bakers/roster.csv",
            Body::None,
            ROSTER,
        ),
        c(
            Method::POST,
            "/api/v1/chapters/bakers/roster.csv",
            Body::Csv("name\nImported\n"),
            ROSTER,
        ),
        c(
            Method::POST,
            "/api/v1/groups/bakers/invites",
            Body::Json(json!({"role": "member"})),
            ROSTER,
        ),
        c(
            Method::POST,
            "/api/v1/groups/bakers/invites",
            Body::Json(json!({"role": "organizer"})),
            ADMIN,
        ),
        c(
            Method::GET,
            "/api/v1/groups/bakers/roles",
            Body::None,
            ADMIN,
        ),
        c(
            Method::PUT,
            "/api/v1/groups/bakers/roles/spare",
            Body::Json(json!({"role": "organizer"})),
            ADMIN,
        ),
        c(
            Method::GET,
            "/api/v1/groups/bakers/audit",
            Body::None,
            ADMIN,
        ),
        c(
            Method::GET,
            "/api/v1/groups/foodunion/roles",
            Body::None,
            OFFICER,
        ),
        c(
            Method::POST,
            "/api/v1/groups/foodunion/invites",
            Body::Json(json!({"role": "officer"})),
            OFFICER,
        ),
        c(
            Method::GET,
            "/api/v1/groups/foodunion/audit",
            Body::None,
            OFFICER,
        ),
        c(
            Method::POST,
            "/api/v1/chapters/bakers/calls",
            Body::Json(json!({"call": {"kind": "boycott", "title": "Boycott"}})),
            ROSTER,
        ),
        c(Method::GET, "/api/v1/calls", Body::None, EVERYONE),
        c(Method::GET, "/api/v1/calls/{call}", Body::None, EVERYONE),
        c(
            Method::PUT,
            "/api/v1/calls/{call}",
            Body::Json(json!({"kind": "boycott", "title": "Boycott, edited"})),
            ROSTER,
        ),
        c(
            Method::POST,
            "/api/v1/calls/{call}/status",
            Body::Json(json!({"status": "met"})),
            ROSTER,
        ),
        c(
            Method::PUT,
            "/api/v1/calls/{call}/pledges/bakers",
            Body::Json(json!({"kind": "attend"})),
            &["member", "organizer", "admin"],
        ),
        // The instance's federation: instance admins only.
        c(
            Method::GET,
            "/api/v1/admin/federation",
            Body::None,
            INSTANCE,
        ),
        c(
            Method::PUT,
            "/api/v1/admin/federation/mode",
            Body::Json(json!({"mode": "open"})),
            INSTANCE,
        ),
        c(Method::GET, "/api/v1/admin/reports", Body::None, INSTANCE),
        // A group's moderation: Moderate in that group.
        c(
            Method::GET,
            "/api/v1/groups/bakers/blocks",
            Body::None,
            ROSTER,
        ),
        c(
            Method::GET,
            "/api/v1/groups/foodunion/blocks",
            Body::None,
            OFFICER,
        ),
        c(Method::GET, "/api/v1/me", Body::None, EVERYONE),
        c(Method::GET, "/api/v1/me/sessions", Body::None, EVERYONE),
        c(Method::GET, "/api/v1/me/tokens", Body::None, EVERYONE),
    ]
}

async fn fresh_record(admin: &Account) -> i64 {
    let (status, member) = admin
        .post(
            "/api/v1/chapters/bakers/members",
            serde_json::json!({"name": "Target"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    member["id"].as_i64().unwrap()
}

async fn fresh_call(admin: &Account) -> i64 {
    let (status, call) = admin
        .post(
            "/api/v1/chapters/bakers/calls",
            serde_json::json!({"call": {"kind": "call-in", "title": "Call the manager"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    call["id"].as_i64().unwrap()
}

async fn try_case(
    instance: &TestInstance,
    case: &Case,
    who: Option<&Account>,
    admin: &Account,
) -> StatusCode {
    let mut path = case.path.to_owned();
    if path.contains("{id}") {
        path = path.replace("{id}", &fresh_record(admin).await.to_string());
    }
    if path.contains("{call}") {
        path = path.replace("{call}", &fresh_call(admin).await.to_string());
    }
    let mut request = match who {
        Some(account) => account.request(case.method.clone(), &path),
        None => browser().request(case.method.clone(), instance.at(&path)),
    };
    request = match &case.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Csv(text) => request.header("content-type", "text/csv").body(*text),
    };
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn every_route_refuses_the_wrong_role() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    create_chapter(&instance, "millers").await;
    unionhall_federation::actors::create_group(
        &instance.data,
        unionhall_federation::actors::NewGroup {
            kind: ActorKind::Union,
            handle: Handle::parse("foodunion").unwrap(),
            name: "Food workers".into(),
            summary: String::new(),
            manually_approves_followers: true,
        },
    )
    .await
    .unwrap();
    let admin = join(&instance, "bakers", Role::Admin, "admin").await;
    let accounts = vec![
        (
            "member",
            join(&instance, "bakers", Role::Member, "member").await,
        ),
        (
            "organizer",
            join(&instance, "bakers", Role::Organizer, "organizer").await,
        ),
        ("admin", admin.clone()),
        // An admin, but of another chapter.
        (
            "outsider",
            join(&instance, "millers", Role::Admin, "outsider").await,
        ),
        (
            "officer",
            join(&instance, "foodunion", Role::Officer, "officer").await,
        ),
        // Runs the instance, and is a member of another chapter: that right
        // gives nothing in bakers.
        (
            "operator",
            join_instance_admin(&instance, "millers", Role::Member, "operator").await,
        ),
    ];
    join(&instance, "bakers", Role::Member, "spare").await;

    for case in cases() {
        let anonymous = try_case(&instance, &case, None, &admin).await;
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "{} {} anonymous",
            case.method,
            case.path
        );
        for (role, account) in &accounts {
            let status = try_case(&instance, &case, Some(account), &admin).await;
            if case.allowed.contains(role) {
                assert!(
                    status.is_success(),
                    "{} {} as {role}: {status}",
                    case.method,
                    case.path
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {} as {role}",
                    case.method,
                    case.path
                );
            }
        }
    }
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let admin = join(&instance, "bakers", Role::Admin, "admin").await;
    let (status, body) = admin
        .call(
            Method::PUT,
            "/api/v1/groups/bakers/roles/admin",
            Some(serde_json::json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    join(&instance, "bakers", Role::Admin, "second").await;
    let (status, _) = admin
        .call(
            Method::PUT,
            "/api/v1/groups/bakers/roles/admin",
            Some(serde_json::json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin.get("/api/v1/chapters/bakers/members").await.0,
        StatusCode::FORBIDDEN
    );
}

/// docs/api.md holds the permission table people read; it must say what
/// `Role::allows` does.
#[test]
fn the_documented_permission_table_is_the_enforced_one() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    for permission in Permission::ALL {
        let name = format!("{permission:?}");
        let line = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("docs/api.md has no row for {name}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | name | member | organizer | admin | officer |
        for (i, role) in [Role::Member, Role::Organizer, Role::Admin, Role::Officer]
            .into_iter()
            .enumerate()
        {
            let documented = cells[2 + i] == "yes";
            assert_eq!(
                documented,
                role.allows(permission),
                "{name} for {role} in docs/api.md"
            );
        }
    }
}
