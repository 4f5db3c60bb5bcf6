//! Federation between real instances on loopback addresses (127.0.0.2, .3, .4),
//! signed, over HTTP, each on its own database.

mod backfill;
pub(crate) mod bad_input;
mod blocklists;
mod delivery;
mod discovery;
mod fedify;
mod fetch;
pub(crate) mod fixtures;
mod following;
mod group_commit;
mod healing;
mod inbox_pressure;
mod keys;
pub(crate) mod lemmy;
pub(crate) mod lemmy_peer;
mod moderation;
mod outbound_guard;
mod policy;
pub(crate) mod reach;
mod shared_limits;
pub(crate) mod stand_in;
mod trust;

use crate::helpers::TestInstance;
use unionhall_domain::{ActorKind, Handle};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_store::actors::ActorRow;
use unionhall_store::{deliveries, follows, posts};
use url::Url;

pub async fn create_chapter(instance: &TestInstance, handle: &str) -> ActorRow {
    create_group(
        &instance.data,
        NewGroup {
            kind: ActorKind::Chapter,
            handle: Handle::parse(handle).unwrap(),
            name: format!("Chapter {handle}"),
            summary: "Workers of the test bakery".into(),
            manually_approves_followers: false,
        },
    )
    .await
    .unwrap()
}

/// `@handle@host:port` of a chapter on `instance`.
pub fn acct(instance: &TestInstance, handle: &str) -> String {
    format!("@{handle}@{}", instance.data.urls.domain())
}

/// `follower` follows `handle` on `target` and waits for the Accept.
pub async fn follow_and_wait(follower: &TestInstance, target: &TestInstance, handle: &str) -> Url {
    follow_and_wait_acct(follower, &acct(target, handle)).await
}

/// `follower` follows `@handle@domain` and waits for the Accept.
pub async fn follow_and_wait_acct(follower: &TestInstance, acct: &str) -> Url {
    let row = unionhall_federation::activities::follow::follow_remote(&follower.data, acct)
        .await
        .unwrap();
    let store = follower.store.clone();
    let id = row.ap_id.clone();
    crate::helpers::wait_for("the follow to be accepted", 20, || {
        let (store, id) = (store.clone(), id.clone());
        async move { follows::is_following(&store, &id).await.unwrap() }
    })
    .await;
    row.ap_id
}

pub async fn post_count(instance: &TestInstance, author: &Url) -> usize {
    posts::by_author(&instance.store, author)
        .await
        .unwrap()
        .len()
}

pub async fn wait_for_posts(instance: &TestInstance, author: &Url, count: usize) {
    let store = instance.store.clone();
    let author = author.clone();
    crate::helpers::wait_for(&format!("{count} posts by {author}"), 20, || {
        let (store, author) = (store.clone(), author.clone());
        async move { posts::by_author(&store, &author).await.unwrap().len() >= count }
    })
    .await;
}

pub async fn wait_until_queue_empty(instance: &TestInstance) {
    let store = instance.store.clone();
    crate::helpers::wait_for("the delivery queue to drain", 20, || {
        let store = store.clone();
        async move { deliveries::stats(&store).await.unwrap().pending == 0 }
    })
    .await;
}
