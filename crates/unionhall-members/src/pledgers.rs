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

    /// Tags the records of `chapter`'s members who pledged to call `call_id`
    /// with `tag`, so that who came stays where the chapter keeps its
    /// organizing, on its records, once the pledges are forgotten
    /// (`retention.pledges_days`). Answers how many records were newly
    /// tagged and how many who pledged have no record on this roster.
    pub async fn tag_pledgers(
        &self,
        principal: &Principal,
        chapter: &Group,
        call_id: i64,
        tag: &str,
    ) -> Result<(usize, usize)> {
        principal.require(chapter, Permission::EditRoster, "change the roster")?;
        if tag.trim().is_empty() {
            return Err(crate::Error::invalid("tag", "write the tag to add"));
        }
        let rows = unionhall_store::calls::pledgers(&self.store, call_id, &chapter.ap_id).await?;
        let (mut ids, mut without) = (Vec::new(), 0);
        for (account_id, _, _) in rows {
            match self.member_of_account(account_id).await? {
                Some(id)
                    if unionhall_store::members::get(&self.store, &chapter.ap_id, id)
                        .await?
                        .is_some() =>
                {
                    ids.push(id)
                }
                _ => without += 1,
            }
        }
        if ids.is_empty() {
            return Ok((0, without));
        }
        Ok((self.tag(principal, chapter, &ids, tag).await?, without))
    }
}
