//! The solidarity network between real instances: calls for support travel to
//! the chapters that follow, members pledge at home, and only chapters' totals
//! travel back.

mod actions;
mod bad_input;
mod calls;
mod campaigns;
mod feeds;
mod strikes;
mod unions;

use crate::helpers::TestInstance;
use crate::members::Account;
use serde_json::Value;
use unionhall_domain::{ActorKind, Handle};

pub async fn create_body(instance: &TestInstance, handle: &str) -> url::Url {
    unionhall_federation::actors::create_group(
        &instance.store,
        &instance.data.urls,
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
