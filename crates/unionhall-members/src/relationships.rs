//! Relationships between coworkers (knows, works beside, influences), sealed
//! whole: the database does not know who is linked to whom. They show on both
//! members' pages (inside [`MemberFile`](crate::roster::MemberFile)), and a
//! member sees their own through their own record.

use crate::audit::{self, Who};
use crate::crypto::sealing::SealingFailure;
use crate::principal::{Group, Principal};
use crate::{Error, Members, Result};
use serde::Serialize;
use std::collections::HashMap;
use unionhall_domain::{Permission, Relationship, RelationshipKind};
use unionhall_store::chart::{self as rows, SealedRow};
use unionhall_store::Connection;

pub(crate) fn context(id: i64) -> String {
    format!("relationship:{id}")
}

/// A relationship with both coworkers' names, as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedRelationship {
    pub id: i64,
    pub from: i64,
    pub from_name: String,
    pub to: i64,
    pub to_name: String,
    pub kind: RelationshipKind,
    pub note: String,
    pub created_at: i64,
}

impl Members {
    pub(crate) fn open_relationship(&self, row: &SealedRow) -> Result<Relationship> {
        let json = self.keyring.open(&context(row.id), &row.sealed)?;
        serde_json::from_slice(&json)
            .map_err(|err| Error::Crypto(format!("relationship {} is unreadable: {err}", row.id)))
    }

    /// Every relationship of the chapter, opened: (id, relationship, created_at).
    pub(crate) async fn chapter_relationships(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        for_update: bool,
    ) -> Result<Vec<(i64, Relationship, i64)>> {
        rows::relationships(conn, &chapter.ap_id, for_update)
            .await?
            .iter()
            .map(|row| Ok((row.id, self.open_relationship(row)?, row.created_at)))
            .collect()
    }

    /// The relationships of `member`, either way, with names.
    pub(crate) async fn relationships_of_member(
        &self,
        chapter: &Group,
        member: i64,
    ) -> Result<Vec<LinkedRelationship>> {
        let mut conn = self.store.acquire().await?;
        let all = self
            .chapter_relationships(&mut conn, chapter, false)
            .await?;
        drop(conn);
        let mine: Vec<_> = all
            .into_iter()
            .filter(|(_, r, _)| r.involves(member))
            .collect();
        let mut names: HashMap<i64, String> = HashMap::new();
        for (_, r, _) in &mine {
            for id in [r.from, r.to] {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
                    slot.insert(self.name_of(chapter, id).await?);
                }
            }
        }
        Ok(mine
            .into_iter()
            .map(|(id, r, created_at)| LinkedRelationship {
                id,
                from: r.from,
                from_name: names.get(&r.from).cloned().unwrap_or_default(),
                to: r.to,
                to_name: names.get(&r.to).cloned().unwrap_or_default(),
                kind: r.kind,
                note: r.note,
                created_at,
            })
            .collect())
    }

    async fn name_of(&self, chapter: &Group, id: i64) -> Result<String> {
        let row = unionhall_store::members::get(&self.store, &chapter.ap_id, id).await?;
        Ok(match row {
            Some(row) => self.open_member(&row)?.record.name,
            None => String::new(),
        })
    }

    /// Records a relationship; both coworkers must be on the chapter's roster,
    /// and the same relationship is not recorded twice.
    pub async fn relate(
        &self,
        principal: &Principal,
        chapter: &Group,
        relationship: Relationship,
    ) -> Result<LinkedRelationship> {
        principal.require(chapter, Permission::EditRoster, "record relationships")?;
        self.relate_as(principal.into(), chapter, relationship)
            .await
    }

    /// [`Members::relate`] for the admin at the command line.
    pub async fn relate_as(
        &self,
        who: Who<'_>,
        chapter: &Group,
        relationship: Relationship,
    ) -> Result<LinkedRelationship> {
        let relationship = relationship.validated()?;
        for (field, id) in [("from", relationship.from), ("to", relationship.to)] {
            if unionhall_store::members::get(&self.store, &chapter.ap_id, id)
                .await?
                .is_none()
            {
                return Err(Error::invalid(
                    field,
                    format!("no member {id} on this roster"),
                ));
            }
        }
        let json =
            serde_json::to_vec(&relationship).map_err(|err| Error::Internal(err.to_string()))?;
        let mut tx = self.store.begin_write().await?;
        let existing = self.chapter_relationships(&mut tx, chapter, true).await?;
        if existing.iter().any(|(_, r, _)| {
            r.from == relationship.from && r.to == relationship.to && r.kind == relationship.kind
        }) {
            return Err(Error::Conflict(
                "that relationship is recorded already".into(),
            ));
        }
        let mut failure = SealingFailure::default();
        let seal = failure.catch(|id| self.keyring.seal(&context(id), &json));
        let id = rows::insert_relationship(&mut tx, &chapter.ap_id, seal).await?;
        let id = failure.check(id)?;
        audit::record(
            &mut tx,
            who,
            chapter,
            "relationship.created",
            format!("relationship {id}"),
            // Which two members is sealed in the relationship; the log, which
            // is not, says only what kind.
            relationship.kind.as_str().to_owned(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        let linked = self
            .relationships_of_member(chapter, relationship.from)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::Internal("the new relationship is gone".into()))?;
        Ok(linked)
    }

    /// Removes a relationship.
    pub async fn unrelate(&self, principal: &Principal, chapter: &Group, id: i64) -> Result<()> {
        principal.require(chapter, Permission::EditRoster, "remove relationships")?;
        self.unrelate_as(principal.into(), chapter, id).await
    }

    /// [`Members::unrelate`] for the admin at the command line.
    pub async fn unrelate_as(&self, who: Who<'_>, chapter: &Group, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        if !rows::delete_relationship(&mut tx, &chapter.ap_id, id).await? {
            return Err(Error::NotFound(format!(
                "no relationship {id} in this chapter"
            )));
        }
        audit::record(
            &mut tx,
            who,
            chapter,
            "relationship.removed",
            format!("relationship {id}"),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// The relationships of one member, for organizers (the member's page shows
    /// them too, inside the audited `member.viewed`).
    pub async fn relationships(
        &self,
        principal: &Principal,
        chapter: &Group,
        member: i64,
    ) -> Result<Vec<LinkedRelationship>> {
        principal.require(chapter, Permission::ViewRoster, "see relationships")?;
        self.relationships_as(principal.into(), chapter, member)
            .await
    }

    /// [`Members::relationships`] for the admin at the command line.
    pub async fn relationships_as(
        &self,
        who: Who<'_>,
        chapter: &Group,
        member: i64,
    ) -> Result<Vec<LinkedRelationship>> {
        if unionhall_store::members::get(&self.store, &chapter.ap_id, member)
            .await?
            .is_none()
        {
            return Err(Error::NotFound(format!(
                "no member {member} on this roster"
            )));
        }
        let found = self.relationships_of_member(chapter, member).await?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            who,
            chapter,
            "relationships.viewed",
            audit::member_subject(member),
            format!("{} relationships", found.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(found)
    }
}
