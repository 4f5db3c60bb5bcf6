//! Assignments: the committee member responsible for talking to each coworker.
//! A committee member is a record with a `committee`; their account reaches
//! their list through the record it is linked to (`accounts.member_id`). A
//! chapter's assignments are one sealed map, so the database does not show even
//! which records are assigned.

use crate::audit::{self, Who};
use crate::principal::{Group, Principal};
use crate::roster::{Filter, Member};
use crate::{Error, Members, Result};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use unionhall_domain::{check_assignment, Permission};
use unionhall_store::chart as rows;
use unionhall_store::Connection;

pub(crate) fn context(id: i64) -> String {
    format!("assignments:{id}")
}

/// Who is responsible for whom: member id -> committee member's id.
pub type AssignmentMap = BTreeMap<i64, i64>;

/// One coworker on a committee member's own list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListEntry {
    pub id: i64,
    pub name: String,
    pub department: String,
    pub shift: String,
    pub assessment: Option<u8>,
    /// The date of the latest one-on-one, `YYYY-MM-DD`.
    pub last_conversation: Option<String>,
    /// The next step of the latest one-on-one, and when it is due.
    pub next_step: String,
    pub next_step_due: String,
}

/// What a committee member sees: their own coworkers, due steps first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnList {
    pub committee_member: i64,
    pub entries: Vec<ListEntry>,
}

/// Which records to (re)assign: by id, or all that a filter matches (a whole
/// shift or department).
#[derive(Debug, Clone)]
pub enum Selection {
    Ids(Vec<i64>),
    Matching(Filter),
}

impl Members {
    /// The chapter's assignments, opened.
    pub(crate) async fn load_assignments(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        for_update: bool,
    ) -> Result<AssignmentMap> {
        match rows::assignments(conn, &chapter.ap_id, for_update).await? {
            Some((_, sealed)) if sealed.bytes.is_empty() => Ok(AssignmentMap::new()),
            Some((id, sealed)) => {
                let json = self.keyring.open(&context(id), &sealed)?;
                let pairs: Vec<(i64, i64)> = serde_json::from_slice(&json).map_err(|err| {
                    Error::Crypto(format!("assignments {id} are unreadable: {err}"))
                })?;
                Ok(pairs.into_iter().collect())
            }
            None => Ok(AssignmentMap::new()),
        }
    }

    /// Replaces the chapter's assignments, in the caller's transaction.
    pub(crate) async fn store_assignments(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        map: &AssignmentMap,
    ) -> Result<()> {
        let id = rows::assignments_row(conn, &chapter.ap_id).await?;
        let pairs: Vec<(i64, i64)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        let json = serde_json::to_vec(&pairs).map_err(|err| Error::Internal(err.to_string()))?;
        let sealed = self.keyring.seal(&context(id), &json)?;
        rows::store_assignments(conn, id, &sealed).await?;
        Ok(())
    }

    /// The chapter's assignments, for organizers.
    pub async fn assignments(
        &self,
        principal: &Principal,
        chapter: &Group,
    ) -> Result<AssignmentMap> {
        principal.require(chapter, Permission::ViewRoster, "see assignments")?;
        let mut tx = self.store.begin_write().await?;
        let map = self.load_assignments(&mut tx, chapter, false).await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "assignments.viewed",
            String::new(),
            format!("{} assignments", map.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(map)
    }

    /// Makes `assignee` (a committee member's record) responsible for the
    /// selected records, or no one when `None`. Answers how many records it
    /// changed. The assignee is never assigned to themselves: a selection that
    /// includes them (a whole shift) passes them over.
    pub async fn assign(
        &self,
        principal: &Principal,
        chapter: &Group,
        selection: Selection,
        assignee: Option<i64>,
    ) -> Result<usize> {
        principal.require(chapter, Permission::EditRoster, "assign coworkers")?;
        self.assign_as(principal.into(), chapter, selection, assignee)
            .await
    }

    /// [`Members::assign`] for the admin at the command line.
    pub async fn assign_as(
        &self,
        who: Who<'_>,
        chapter: &Group,
        selection: Selection,
        assignee: Option<i64>,
    ) -> Result<usize> {
        let roster = self.open_roster(chapter).await?;
        let by_id: HashMap<i64, &Member> = roster.iter().map(|m| (m.id, m)).collect();
        let selected: Vec<i64> = match &selection {
            Selection::Ids(ids) => {
                for id in ids {
                    if !by_id.contains_key(id) {
                        return Err(Error::invalid(
                            "members",
                            format!("no member {id} on this roster"),
                        ));
                    }
                }
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                ids
            }
            Selection::Matching(filter) => roster
                .iter()
                .filter(|m| filter.matches(&m.record))
                .map(|m| m.id)
                .collect(),
        };
        if let Some(assignee) = assignee {
            let record = by_id.get(&assignee).ok_or_else(|| {
                Error::invalid("assignee", format!("no member {assignee} on this roster"))
            })?;
            if let Selection::Ids(ids) = &selection {
                if ids.contains(&assignee) {
                    check_assignment(assignee, assignee, &record.record)?;
                }
            }
            check_assignment(0, assignee, &record.record)?;
        }
        let mut tx = self.store.begin_write().await?;
        // Make the chapter's row first (locked on PostgreSQL), so that two first
        // assignments at once take turns instead of one overwriting the other.
        rows::assignments_row(&mut tx, &chapter.ap_id).await?;
        let mut map = self.load_assignments(&mut tx, chapter, true).await?;
        let mut changed = 0;
        for id in &selected {
            let before = map.get(id).copied();
            match assignee {
                Some(a) if a == *id => continue,
                Some(a) => map.insert(*id, a),
                None => map.remove(id),
            };
            if map.get(id).copied() != before {
                changed += 1;
            }
        }
        self.store_assignments(&mut tx, chapter, &map).await?;
        let to = assignee.map_or("no one".to_owned(), audit::member_subject);
        audit::record(
            &mut tx,
            who,
            chapter,
            "assignment.changed",
            to,
            format!("{changed} of {} selected records", selected.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(changed)
    }

    /// The caller's own list, if their account is linked to a record of this
    /// chapter: the coworkers they are responsible for.
    pub async fn own_list(&self, principal: &Principal, chapter: &Group) -> Result<OwnList> {
        let not_linked = || {
            Error::NotFound("your account is not linked to a member record of this chapter".into())
        };
        if principal.role_in(chapter).is_none() {
            return Err(Error::forbidden("see a committee member's list here"));
        }
        let me = principal.member_id.ok_or_else(not_linked)?;
        unionhall_store::members::get(&self.store, &chapter.ap_id, me)
            .await?
            .ok_or_else(not_linked)?;
        let mut conn = self.store.acquire().await?;
        let map = self.load_assignments(&mut conn, chapter, false).await?;
        drop(conn);
        let mine: Vec<i64> = map
            .iter()
            .filter(|(_, a)| **a == me)
            .map(|(m, _)| *m)
            .collect();
        let mut entries = Vec::with_capacity(mine.len());
        for id in &mine {
            let Some(row) = unionhall_store::members::get(&self.store, &chapter.ap_id, *id).await?
            else {
                continue;
            };
            let member = self.open_member(&row)?;
            let log = self.one_on_ones_of(*id).await?;
            let latest = log.iter().max_by(|a, b| a.entry.date.cmp(&b.entry.date));
            let r = &member.record;
            entries.push(ListEntry {
                id: *id,
                name: r.name.clone(),
                department: r.department.clone(),
                shift: r.shift.clone(),
                assessment: r.assessment.map(|a| a.get()),
                last_conversation: latest.map(|l| l.entry.date.clone()),
                next_step: latest
                    .map(|l| l.entry.next_step.clone())
                    .unwrap_or_default(),
                next_step_due: latest
                    .map(|l| l.entry.next_step_due.clone())
                    .unwrap_or_default(),
            });
        }
        // Steps due first (soonest first), then those never talked to, then the rest.
        entries.sort_by(|a, b| {
            let key = |e: &ListEntry| {
                (
                    e.next_step_due.is_empty(),
                    e.next_step_due.clone(),
                    e.last_conversation.is_some(),
                    e.name.to_lowercase(),
                )
            };
            key(a).cmp(&key(b))
        });
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "assignments.viewed_own",
            // Not which record is the committee member's own (links.rs).
            String::new(),
            format!("{} records listed", entries.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(OwnList {
            committee_member: me,
            entries,
        })
    }
}
