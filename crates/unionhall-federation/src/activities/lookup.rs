//! Finding actors: one of our groups by its handle, a remote actor by its
//! handle or id (fetched and cached).

use crate::actors::DbActor;
use crate::{Data, Error, Result};
use activitypub_federation::fetch::object_id::ObjectId;
use unionhall_domain::ActorKind;
use unionhall_store::actors::ActorRow;

/// One of our groups of `kind` (a chapter, a union body) by its handle.
pub(crate) async fn local_group(data: &Data, handle: &str, kind: ActorKind) -> Result<ActorRow> {
    unionhall_store::actors::local_by_handle(&data.store, handle)
        .await?
        .filter(|a| a.kind == kind)
        .ok_or_else(|| Error::NotFound(format!("no {} @{handle} here", kind.as_str())))
}

/// Finds a remote actor by `@handle@domain`, `handle@domain` or its URL, fetching
/// and caching it.
pub async fn resolve(data: &Data, target: &str) -> Result<DbActor> {
    let target = target.trim();
    if target.starts_with("http://") || target.starts_with("https://") {
        let id: ObjectId<DbActor> = ObjectId::parse(target)?;
        return id.dereference(data).await;
    }
    // `!name@domain` is how Lemmy writes a community's address.
    let acct = target.trim_start_matches(['@', '!']);
    if acct.split('@').count() != 2 || acct.split('@').any(str::is_empty) {
        return Err(Error::BadRequest(format!(
            "{target:?} is neither @handle@domain, !community@domain nor a URL"
        )));
    }
    let id: ObjectId<DbActor> = crate::webfinger::actor_id(data, acct).await?.into();
    id.dereference(data).await
}
