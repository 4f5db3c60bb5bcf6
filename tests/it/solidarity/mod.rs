//! The solidarity network between real instances: calls for support travel to
//! the chapters that follow, members pledge at home, and only chapters' totals
//! travel back.

mod actions;
mod bad_input;
mod calls;
mod campaigns;
mod feeds;
mod over;
mod strikes;
mod unions;

use crate::helpers::TestInstance;
use crate::members::Account;
use serde_json::Value;
use unionhall_domain::{ActorKind, Handle};

pub async fn create_body(instance: &TestInstance, handle: &str) -> url::Url {
    unionhall_federation::actors::create_group(
        &instance.data,
        unionhall_federation::actors::NewGroup {
            kind: ActorKind::Union,
            handle: Handle::parse(handle).unwrap(),
            name: "Food Workers Industrial Union".into(),
            summary: String::new(),
            manually_approves_followers: true,
        },
    )
    .await
    .unwrap()
    .ap_id
}

/// Polls `path` as `account` until `check` holds.
pub async fn until(account: &Account, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        let (_, body) = account.get(path).await;
        if check(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} on {} never got there; last: {last}", account.base);
}

/// `admin`'s chapter `chapter` applies to the body `acct` (`@handle@domain`),
/// whose `officer` admits it; returns once the chapter's side knows.
pub async fn apply_and_admit(
    officer: &Account,
    body: &str,
    admin: &Account,
    chapter: &str,
    acct: &str,
) {
    let (status, applied) = admin
        .post(
            &format!("/api/v1/chapters/{chapter}/unions"),
            serde_json::json!({"body": acct}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{applied}");
    let ours = |x: &Value| {
        x["admitted"] == false
            && x["chapter"]
                .as_str()
                .is_some_and(|c| c.ends_with(&format!("/actors/{chapter}")))
    };
    let members_path = format!("/api/v1/unions/{body}/members");
    let pending = until(officer, &members_path, |m| {
        m.as_array().is_some_and(|m| m.iter().any(ours))
    })
    .await;
    let applicant = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|x| ours(x))
        .unwrap()["chapter"]
        .clone();
    let (status, decided) = officer
        .post(
            &format!("/api/v1/unions/{body}/members/decide"),
            serde_json::json!({"chapter": applicant, "admit": true}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT, "{decided}");
    until(admin, &format!("/api/v1/chapters/{chapter}/unions"), |m| {
        m.as_array()
            .is_some_and(|all| all.iter().any(|x| x["admitted"] == true))
    })
    .await;
}
