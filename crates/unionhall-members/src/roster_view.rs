//! The roster as organizers page through it in the browser: the records a
//! filter matches, with who each is assigned to, the chapter's own words for
//! departments and shifts, and (when asked, as it opens every conversation)
//! the date of each one's last one-on-one. Also tagging many records at once.

use crate::assignments::AssignmentMap;
use crate::audit;
use crate::principal::{Group, Principal};
use crate::roster::{off_the_runtime, Filter, Member};
use crate::talk_dates::Dates;
use crate::{Error, Members, Result};
use std::collections::HashMap;
use unionhall_domain::{is_committee_member, vocabulary, Permission};
use unionhall_store::members as rows;

/// The departments and shifts a chapter's records use, for forms to offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    pub departments: Vec<String>,
    pub shifts: Vec<String>,
}

impl Vocabulary {
    fn of(roster: &[Member]) -> Self {
        Self {
            departments: vocabulary::distinct(roster.iter().map(|m| m.record.department.as_str())),
            shifts: vocabulary::distinct(roster.iter().map(|m| m.record.shift.as_str())),
        }
    }
}

pub struct RosterView {
    /// The records the filter matches, in roster order.
    pub members: Vec<Member>,
    /// Member id -> the committee member responsible for them.
    pub assignments: AssignmentMap,
    /// (id, name) of every committee member, whom records can be assigned to.
    pub committee: Vec<(i64, String)>,
    pub vocabulary: Vocabulary,
    /// Member id -> date (`YYYY-MM-DD`) of their latest one-on-one; empty
    /// unless asked for.
    pub last_conversations: Dates,
}

impl Members {
    /// The roster narrowed by `filter`, with what the roster page shows
    /// around it. One audit entry, like [`Members::list`].
    pub async fn roster_view(
        &self,
        principal: &Principal,
        chapter: &Group,
        filter: &Filter,
        with_conversations: bool,
    ) -> Result<RosterView> {
        principal.require(chapter, Permission::ViewRoster, "see the roster")?;
        // Records and conversations are opened on two blocking threads at
        // once: on a 5,000-member roster each is tens of milliseconds of
        // decryption, which would otherwise add up (docs/benchmarks.md).
        let (everyone, last_conversations) = tokio::join!(
            self.open_roster(chapter),
            self.latest_conversations(chapter, with_conversations)
        );
        let (everyone, last_conversations) = (everyone?, last_conversations?);
        let vocabulary = Vocabulary::of(&everyone);
        let committee = everyone
            .iter()
            .filter(|m| is_committee_member(&m.record))
            .map(|m| (m.id, m.record.name.clone()))
            .collect();
        let members: Vec<Member> = everyone
            .into_iter()
            .filter(|m| filter.matches(&m.record))
            .collect();
        let mut tx = self.store.begin_write().await?;
        let assignments = self.load_assignments(&mut tx, chapter, false).await?;
        Self::record_listing(&mut tx, principal, chapter, members.len()).await?;
        unionhall_store::commit(tx).await?;
        Ok(RosterView {
            members,
            assignments,
            committee,
            vocabulary,
            last_conversations,
        })
    }

    /// Member id -> the date of their latest one-on-one, for the chapter's
    /// records; empty when not `wanted`. Opened again only when the
    /// chapter's conversations changed since they last were (`talk_dates.rs`).
    pub(crate) async fn latest_conversations(
        &self,
        chapter: &Group,
        wanted: bool,
    ) -> Result<Dates> {
        if !wanted {
            return Ok(Dates::default());
        }
        let seen = rows::one_on_ones_fingerprint(&self.store, &chapter.ap_id).await?;
        if let Some(dates) = self.talk_dates.get(&chapter.ap_id, seen) {
            return Ok(dates);
        }
        let talks = rows::one_on_ones_of_chapter(&self.store, &chapter.ap_id).await?;
        let this = self.clone();
        let dates = off_the_runtime(move || {
            let mut latest: HashMap<i64, String> = HashMap::new();
            for row in &talks {
                let date = this.open_one_on_one(row)?.entry.date;
                let known = latest.entry(row.member_id).or_default();
                if date > *known {
                    *known = date;
                }
            }
            Ok(Dates::new(latest))
        })
        .await?;
        self.talk_dates.keep(&chapter.ap_id, seen, dates.clone());
        Ok(dates)
    }

    /// The departments and shifts the chapter's records use, for the add and
    /// edit forms.
    pub async fn vocabulary(&self, principal: &Principal, chapter: &Group) -> Result<Vocabulary> {
        principal.require(chapter, Permission::ViewRoster, "see the roster")?;
        Ok(Vocabulary::of(&self.open_roster(chapter).await?))
    }

    /// Adds `tag` to each of the records `ids`, in one transaction with one
    /// audit entry. Answers how many records did not have it yet.
    pub async fn tag(
        &self,
        principal: &Principal,
        chapter: &Group,
        ids: &[i64],
        tag: &str,
    ) -> Result<usize> {
        principal.require(chapter, Permission::EditRoster, "change the roster")?;
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(Error::invalid("tag", "write the tag to add"));
        }
        let mut tx = self.store.begin_write().await?;
        let mut changed = 0;
        for id in ids {
            let row = rows::get_for_update(&mut tx, &chapter.ap_id, *id)
                .await?
                .ok_or_else(|| {
                    Error::invalid("members", format!("no member {id} on this roster"))
                })?;
            let mut record = self.open_member(&row)?.record;
            if record.has_tag(tag) {
                continue;
            }
            record.tags.push(tag.to_owned());
            let record = record.validated()?;
            rows::update(
                &mut tx,
                &chapter.ap_id,
                *id,
                &self.seal_record(*id, &record)?,
            )
            .await?;
            changed += 1;
        }
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "member.tagged",
            String::new(),
            format!("{changed} of {} selected records", ids.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(changed)
    }
}
