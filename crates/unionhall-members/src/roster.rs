//! The roster: member records and one-on-one logs, sealed in the database and
//! opened only here, for callers whose role allows it. Every read and change is
//! written to the audit log in the same transaction.

use crate::audit::{self, Who};
use crate::crypto::sealing::SealingFailure;
use crate::principal::{Group, Principal};
use crate::{Error, Members, Result};
use serde::Serialize;
use unionhall_domain::{MemberRecord, OneOnOne, Permission};
use unionhall_store::members::{self as rows, MemberRow, OneOnOneRow, Sealed};

/// A member record as the roster shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    #[serde(flatten)]
    pub record: MemberRecord,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One entry of a member's one-on-one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedOneOnOne {
    pub id: i64,
    #[serde(flatten)]
    pub entry: OneOnOne,
    pub created_at: i64,
}

/// A record with its one-on-one log: what the member page and a member's own
/// export show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberFile {
    #[serde(flatten)]
    pub member: Member,
    pub one_on_ones: Vec<LoggedOneOnOne>,
    /// Relationships with coworkers, either way (both members' pages show them).
    pub relationships: Vec<crate::relationships::LinkedRelationship>,
}

/// What the roster can be narrowed to; empty fields match everything. Matching
/// ignores case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub department: Option<String>,
    pub shift: Option<String>,
    pub assessment: Option<u8>,
    pub committee: Option<String>,
    pub tag: Option<String>,
    /// Words found in the name, email, phone, workplace or job title.
    pub text: Option<String>,
}

impl Filter {
    pub fn matches(&self, record: &MemberRecord) -> bool {
        let same = |wanted: &Option<String>, value: &str| {
            wanted
                .as_deref()
                .is_none_or(|w| w.trim().is_empty() || value.eq_ignore_ascii_case(w.trim()))
        };
        let text_ok = self.text.as_deref().is_none_or(|text| {
            let haystack = [
                &record.name,
                &record.email,
                &record.phone,
                &record.workplace,
                &record.job_title,
            ]
            .map(|s| s.to_lowercase())
            .join("\n");
            text.split_whitespace()
                .all(|word| haystack.contains(&word.to_lowercase()))
        });
        same(&self.department, &record.department)
            && same(&self.shift, &record.shift)
            && same(&self.committee, &record.committee)
            && self
                .assessment
                .is_none_or(|a| record.assessment.map(|x| x.get()) == Some(a))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| t.trim().is_empty() || record.has_tag(t.trim()))
            && text_ok
    }
}

/// Runs CPU-bound `work` (opening sealed rows) on a blocking thread.
pub(crate) async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::Internal(err.to_string()))?
}

fn member_context(id: i64) -> String {
    format!("member:{id}")
}

fn one_on_one_context(member_id: i64, id: i64) -> String {
    format!("one_on_one:{member_id}:{id}")
}

impl Members {
    pub(crate) fn seal_record(&self, id: i64, record: &MemberRecord) -> Result<Sealed> {
        let json = serde_json::to_vec(record).map_err(|err| Error::Internal(err.to_string()))?;
        self.keyring.seal(&member_context(id), &json)
    }

    pub(crate) fn open_member(&self, row: &MemberRow) -> Result<Member> {
        let json = self.keyring.open(&member_context(row.id), &row.sealed)?;
        let record = serde_json::from_slice(&json)
            .map_err(|err| Error::Crypto(format!("member {} is unreadable: {err}", row.id)))?;
        Ok(Member {
            id: row.id,
            record,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    pub(crate) fn open_one_on_one(&self, row: &OneOnOneRow) -> Result<LoggedOneOnOne> {
        let json = self
            .keyring
            .open(&one_on_one_context(row.member_id, row.id), &row.sealed)?;
        let entry = serde_json::from_slice(&json)
            .map_err(|err| Error::Crypto(format!("one-on-one {} is unreadable: {err}", row.id)))?;
        Ok(LoggedOneOnOne {
            id: row.id,
            entry,
            created_at: row.created_at,
        })
    }

    /// Every record of a chapter, opened, in roster order. No permission check:
    /// for the callers below that have made theirs.
    /// The records are opened on a blocking thread: for a 5,000-member roster
    /// that is tens of milliseconds of decryption, which would otherwise hold
    /// up the requests sharing this worker (and a caller can open something
    /// else on the other core meanwhile, as the roster page does).
    pub(crate) async fn open_roster(&self, chapter: &Group) -> Result<Vec<Member>> {
        let found = rows::of_chapter(&self.store, &chapter.ap_id).await?;
        let this = self.clone();
        off_the_runtime(move || found.iter().map(|row| this.open_member(row)).collect()).await
    }

    /// Writes that `count` records of the chapter's roster were listed, in
    /// the caller's transaction.
    pub(crate) async fn record_listing(
        tx: &mut unionhall_store::Connection,
        principal: &Principal,
        chapter: &Group,
        count: usize,
    ) -> Result<()> {
        audit::record(
            tx,
            principal.into(),
            chapter,
            "roster.viewed",
            String::new(),
            format!("{count} records listed"),
        )
        .await
    }

    /// The chapter's roster narrowed by `filter`.
    pub async fn list(
        &self,
        principal: &Principal,
        chapter: &Group,
        filter: &Filter,
    ) -> Result<Vec<Member>> {
        principal.require(chapter, Permission::ViewRoster, "see the roster")?;
        let members: Vec<Member> = self
            .open_roster(chapter)
            .await?
            .into_iter()
            .filter(|m| filter.matches(&m.record))
            .collect();
        let mut tx = self.store.begin_write().await?;
        Self::record_listing(&mut tx, principal, chapter, members.len()).await?;
        unionhall_store::commit(tx).await?;
        Ok(members)
    }

    /// One record with its one-on-one log.
    pub async fn get(&self, principal: &Principal, chapter: &Group, id: i64) -> Result<MemberFile> {
        principal.require(chapter, Permission::ViewRoster, "see the roster")?;
        let file = self.member_file(chapter, id).await?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "member.viewed",
            audit::member_subject(id),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(file)
    }

    /// One record without its log or relationships (what a change answers).
    async fn member_only(&self, chapter: &Group, id: i64) -> Result<Member> {
        let row = rows::get(&self.store, &chapter.ap_id, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no member {id} on this roster")))?;
        self.open_member(&row)
    }

    pub(crate) async fn member_file(&self, chapter: &Group, id: i64) -> Result<MemberFile> {
        let row = rows::get(&self.store, &chapter.ap_id, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no member {id} on this roster")))?;
        let member = self.open_member(&row)?;
        let one_on_ones = rows::one_on_ones(&self.store, id)
            .await?
            .iter()
            .map(|row| self.open_one_on_one(row))
            .collect::<Result<_>>()?;
        let relationships = self.relationships_of_member(chapter, id).await?;
        Ok(MemberFile {
            member,
            one_on_ones,
            relationships,
        })
    }

    pub async fn create(
        &self,
        principal: &Principal,
        chapter: &Group,
        record: MemberRecord,
    ) -> Result<Member> {
        principal.require(chapter, Permission::EditRoster, "change the roster")?;
        let record = record.validated()?;
        let mut tx = self.store.begin_write().await?;
        let id = self.insert_sealed(&mut tx, chapter, &record).await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "member.created",
            audit::member_subject(id),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        self.member_only(chapter, id).await
    }

    pub(crate) async fn insert_sealed(
        &self,
        conn: &mut unionhall_store::Connection,
        chapter: &Group,
        record: &MemberRecord,
    ) -> Result<i64> {
        let mut failure = SealingFailure::default();
        let seal = failure.catch(|id| self.seal_record(id, record));
        let id = rows::insert(conn, &chapter.ap_id, seal).await?;
        failure.check(id)
    }

    /// Replaces a record. The audit entry names the fields that changed, never
    /// their values.
    pub async fn update(
        &self,
        principal: &Principal,
        chapter: &Group,
        id: i64,
        record: MemberRecord,
    ) -> Result<Member> {
        principal.require(chapter, Permission::EditRoster, "change the roster")?;
        let record = record.validated()?;
        let before = self.member_file(chapter, id).await?.member.record;
        let mut tx = self.store.begin_write().await?;
        rows::update(&mut tx, &chapter.ap_id, id, &self.seal_record(id, &record)?).await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "member.updated",
            audit::member_subject(id),
            changed_fields(&before, &record),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        self.member_only(chapter, id).await
    }

    /// Erases a record and its one-on-one log for good. The audit log keeps that
    /// it happened, and by whom; nothing of the person.
    pub async fn erase(&self, principal: &Principal, chapter: &Group, id: i64) -> Result<()> {
        principal.require(chapter, Permission::EraseMember, "erase member records")?;
        let mut tx = self.store.begin_write().await?;
        if !rows::erase(&mut tx, &chapter.ap_id, id).await? {
            return Err(Error::NotFound(format!("no member {id} on this roster")));
        }
        self.forget_in_chart(&mut tx, chapter, id).await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "member.erased",
            audit::member_subject(id),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    pub async fn add_one_on_one(
        &self,
        principal: &Principal,
        chapter: &Group,
        member_id: i64,
        entry: OneOnOne,
    ) -> Result<LoggedOneOnOne> {
        principal.require(chapter, Permission::EditRoster, "record one-on-ones")?;
        let entry = entry.validated()?;
        if rows::get(&self.store, &chapter.ap_id, member_id)
            .await?
            .is_none()
        {
            return Err(Error::NotFound(format!(
                "no member {member_id} on this roster"
            )));
        }
        let json = serde_json::to_vec(&entry).map_err(|err| Error::Internal(err.to_string()))?;
        let mut tx = self.store.begin_write().await?;
        let mut failure = SealingFailure::default();
        let seal = failure.catch(|id| self.keyring.seal(&one_on_one_context(member_id, id), &json));
        let id = rows::add_one_on_one(&mut tx, member_id, seal).await?;
        let id = failure.check(id)?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "one_on_one.recorded",
            audit::member_subject(member_id),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(LoggedOneOnOne {
            id,
            entry,
            created_at: unionhall_store::now_millis(),
        })
    }

    /// The caller's own record, if their account is linked to one: a member may
    /// always see (and download) what the chapter keeps about them.
    pub async fn own_record(&self, principal: &Principal) -> Result<MemberFile> {
        let id = principal.member_id.ok_or_else(|| {
            Error::NotFound("your account is not linked to a member record".into())
        })?;
        let row = rows::by_id(&self.store, id)
            .await?
            .ok_or_else(|| Error::NotFound("your member record has been erased".into()))?;
        let chapter = self.group_by_ap_id(&row.chapter).await?;
        let file = self.member_file(&chapter, id).await?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            Who::from(principal),
            &chapter,
            "member.viewed_own",
            // Not which record: next to the account's name that would pair
            // the two, which the database keeps sealed (links.rs).
            String::new(),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(file)
    }
}

/// The names of the fields that differ, for the audit log.
fn changed_fields(before: &MemberRecord, after: &MemberRecord) -> String {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return String::new();
    };
    // Sorted: the map's order depends on serde_json's features.
    let mut changed: Vec<&str> = a
        .iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, _)| key.as_str())
        .collect();
    changed.sort_unstable();
    if changed.is_empty() {
        "no changes".into()
    } else {
        format!("changed: {}", changed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unionhall_domain::Assessment;

    fn record() -> MemberRecord {
        MemberRecord {
            name: "Rosa Diaz".into(),
            email: "rosa@example.org".into(),
            department: "Packing".into(),
            shift: "Nights".into(),
            committee: "organizing".into(),
            assessment: Some(Assessment::new(2).unwrap()),
            tags: vec!["leader".into()],
            ..Default::default()
        }
    }

    #[test]
    fn filters_ignore_case_and_combine() {
        let r = record();
        let f = |f: Filter| f.matches(&r);
        assert!(f(Filter::default()));
        assert!(f(Filter {
            department: Some("packing".into()),
            shift: Some("NIGHTS".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            department: Some("packing".into()),
            shift: Some("days".into()),
            ..Default::default()
        }));
        assert!(f(Filter {
            assessment: Some(2),
            tag: Some("Leader".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            assessment: Some(1),
            ..Default::default()
        }));
        assert!(f(Filter {
            text: Some("rosa example".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            text: Some("rosa smith".into()),
            ..Default::default()
        }));
    }

    #[test]
    fn the_audit_names_changed_fields_not_values() {
        let before = record();
        let mut after = record();
        after.phone = "555-0100".into();
        after.assessment = Some(Assessment::new(1).unwrap());
        let detail = changed_fields(&before, &after);
        assert_eq!(detail, "changed: assessment, phone");
        assert!(!detail.contains("555"));
    }
}
