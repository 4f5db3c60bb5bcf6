//! Who is coming: the chapter's own members who pledged to a call, for its
//! organizers (a sign-in sheet, a carpool list). Names stay on this instance:
//! the calling chapter only ever gets totals.

use crate::audit;
use crate::{Group, Members, Principal, Result};
use unionhall_domain::Permission;

/// One person who pledged: the name on their member record when their account
/// is linked to one, and their account name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pledger {
    pub name: Option<String>,
    pub username: String,
    /// attend, give or act
    pub kind: String,
    pub amount: i64,
}

impl Members {
    /// The people of `chapter` who pledged to call `call_id`; organizers only,
    /// and each look is written to the audit log.
    pub async fn who_is_coming(
        &self,
        principal: &Principal,
        chapter: &Group,
        call_id: i64,
    ) -> Result<Vec<Pledger>> {
        principal.require(chapter, Permission::ViewRoster, "see who pledged")?;
        let rows = unionhall_store::calls::pledgers(&self.store, call_id, &chapter.ap_id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (account_id, username, pledge) in rows {
            let name = match self.member_of_account(account_id).await? {
                Some(id) => {
                    match unionhall_store::members::get(&self.store, &chapter.ap_id, id).await? {
                        Some(row) => Some(self.open_member(&row)?.record.name),
                        None => None,
                    }
                }
                None => None,
            };
            out.push(Pledger {
                name,
                username,
                kind: pledge.kind,
                amount: pledge.amount,
            });
        }
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "pledges.viewed",
            format!("call {call_id}"),
            format!("{} people", out.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(out)
    }
}
