//! Reports: a Flag from another server about our chapters or their posts goes
//! to the admin's moderation queue (`unionhall federation reports`).

use super::first_time;
use crate::protocol::Flag;
use crate::{Data, Error, Result};
use unionhall_store::reports;

pub async fn receive_flag(flag: Flag, data: &Data) -> Result<()> {
    let ours: Vec<_> = flag
        .object
        .iter()
        .filter(|u| data.urls.is_local(u))
        .cloned()
        .collect();
    if ours.is_empty() {
        return Err(Error::BadRequest(
            "this report names nothing on this instance".into(),
        ));
    }
    let content = flag.content.unwrap_or_default();
    if content.len() > 10_000 {
        return Err(Error::BadRequest(
            "the report is longer than 10000 bytes".into(),
        ));
    }
    let mut tx = data.store.begin_write().await?;
    if first_time(&mut tx, &flag.id, &flag.actor).await? {
        reports::insert(&mut tx, &flag.id, &flag.actor, &content, &ours).await?;
    }
    unionhall_store::commit(tx).await?;
    Ok(())
}
