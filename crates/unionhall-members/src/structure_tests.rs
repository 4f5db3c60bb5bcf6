//! Structure tests: an organizer defines one (title, date, departments),
//! records who took part, and the chart shows participation beside the
//! assessments. A result may suggest raising or lowering an assessment; only an
//! organizer confirming the suggestion changes the record.

use crate::audit;
use crate::crypto::sealing::SealingFailure;
use crate::principal::{Group, Principal};
use crate::{Error, Members, Result};
use serde::Serialize;
use unionhall_domain::{suggested_assessment, Assessment, Permission, StructureTest};
use unionhall_store::chart::{self as rows, SealedRow};
use unionhall_store::members::Sealed;
use unionhall_store::Connection;

pub(crate) fn context(id: i64) -> String {
    format!("structure_test:{id}")
}

/// A stored structure test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedTest {
    pub id: i64,
    #[serde(flatten)]
    pub test: StructureTest,
    pub created_at: i64,
}

/// One coworker the test covers, with whether they took part and what the
/// result suggests for their assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestedMember {
    pub id: i64,
    pub name: String,
    pub department: String,
    pub shift: String,
    pub assessment: Option<u8>,
    pub took_part: bool,
    /// A suggestion only: nothing changes until an organizer confirms it.
    pub suggested_assessment: Option<u8>,
}

/// A test with everyone it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestDetail {
    #[serde(flatten)]
    pub saved: SavedTest,
    pub covered: Vec<TestedMember>,
}

impl Members {
    fn open_test(&self, row: &SealedRow) -> Result<SavedTest> {
        let json = self.keyring.open(&context(row.id), &row.sealed)?;
        let test = serde_json::from_slice(&json).map_err(|err| {
            Error::Crypto(format!("structure test {} is unreadable: {err}", row.id))
        })?;
        Ok(SavedTest {
            id: row.id,
            test,
            created_at: row.created_at,
        })
    }

    fn seal_test(&self, id: i64, test: &StructureTest) -> Result<Sealed> {
        let json = serde_json::to_vec(test).map_err(|err| Error::Internal(err.to_string()))?;
        self.keyring.seal(&context(id), &json)
    }

    /// Every test of the chapter, opened, oldest first.
    pub(crate) async fn chapter_tests(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        for_update: bool,
    ) -> Result<Vec<SavedTest>> {
        rows::structure_tests(conn, &chapter.ap_id, for_update)
            .await?
            .iter()
            .map(|row| self.open_test(row))
            .collect()
    }

    async fn test_for_update(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        id: i64,
    ) -> Result<SavedTest> {
        let row = rows::structure_test(conn, &chapter.ap_id, id, true)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no structure test {id} in this chapter")))?;
        self.open_test(&row)
    }

    /// Defines a test. Participants may be recorded at once or later.
    pub async fn create_test(
        &self,
        principal: &Principal,
        chapter: &Group,
        test: StructureTest,
    ) -> Result<SavedTest> {
        principal.require(chapter, Permission::EditRoster, "run structure tests")?;
        let test = test.validated()?;
        self.check_on_roster(chapter, &test.participants).await?;
        let mut tx = self.store.begin_write().await?;
        let mut failure = SealingFailure::default();
        let seal = failure.catch(|id| self.seal_test(id, &test));
        let id = rows::insert_structure_test(&mut tx, &chapter.ap_id, seal).await?;
        let id = failure.check(id)?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_test.created",
            format!("structure test {id}"),
            format!("{} participants", test.participants.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(SavedTest {
            id,
            test,
            created_at: unionhall_store::now_millis(),
        })
    }

    async fn check_on_roster(&self, chapter: &Group, ids: &[i64]) -> Result<()> {
        for id in ids {
            if unionhall_store::members::get(&self.store, &chapter.ap_id, *id)
                .await?
                .is_none()
            {
                return Err(Error::invalid(
                    "members",
                    format!("no member {id} on this roster"),
                ));
            }
        }
        Ok(())
    }

    /// The chapter's tests, newest first.
    pub async fn tests(&self, principal: &Principal, chapter: &Group) -> Result<Vec<SavedTest>> {
        principal.require(chapter, Permission::ViewRoster, "see structure tests")?;
        let mut tx = self.store.begin_write().await?;
        let mut tests = self.chapter_tests(&mut tx, chapter, false).await?;
        tests.reverse();
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_tests.viewed",
            String::new(),
            format!("{} tests listed", tests.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(tests)
    }

    /// One test with everyone it covers and the suggestions of its result.
    pub async fn test(
        &self,
        principal: &Principal,
        chapter: &Group,
        id: i64,
    ) -> Result<TestDetail> {
        principal.require(chapter, Permission::ViewRoster, "see structure tests")?;
        let roster = self.open_roster(chapter).await?;
        let mut tx = self.store.begin_write().await?;
        let row = rows::structure_test(&mut tx, &chapter.ap_id, id, false)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no structure test {id} in this chapter")))?;
        let saved = self.open_test(&row)?;
        let covered = roster
            .iter()
            .filter(|m| {
                saved
                    .test
                    .covers_at(&m.record, m.created_at, saved.created_at)
            })
            .map(|m| {
                let took_part = saved.test.took_part(m.id);
                TestedMember {
                    id: m.id,
                    name: m.record.name.clone(),
                    department: m.record.department.clone(),
                    shift: m.record.shift.clone(),
                    assessment: m.record.assessment.map(Assessment::get),
                    took_part,
                    suggested_assessment: suggested_assessment(m.record.assessment, took_part)
                        .map(Assessment::get),
                }
            })
            .collect();
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_test.viewed",
            format!("structure test {id}"),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(TestDetail { saved, covered })
    }

    /// Records that `members` took part (or, with `took_part` false, did not).
    pub async fn record_participation(
        &self,
        principal: &Principal,
        chapter: &Group,
        id: i64,
        members: &[i64],
        took_part: bool,
    ) -> Result<SavedTest> {
        principal.require(chapter, Permission::EditRoster, "record structure tests")?;
        self.check_on_roster(chapter, members).await?;
        let mut tx = self.store.begin_write().await?;
        let mut saved = self.test_for_update(&mut tx, chapter, id).await?;
        if took_part {
            saved.test.participants.extend_from_slice(members);
        } else {
            saved.test.participants.retain(|p| !members.contains(p));
        }
        saved.test = saved.test.validated()?;
        rows::update_structure_test(&mut tx, id, &self.seal_test(id, &saved.test)?).await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_test.recorded",
            format!("structure test {id}"),
            format!(
                "{} records marked as {}",
                members.len(),
                if took_part {
                    "taking part"
                } else {
                    "not taking part"
                }
            ),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(saved)
    }

    /// Confirms what the test's result suggests for one coworker's assessment:
    /// `assessment` must be the current suggestion (so a stale page changes
    /// nothing), and the record is updated as an organizer's edit.
    pub async fn confirm_suggestion(
        &self,
        principal: &Principal,
        chapter: &Group,
        id: i64,
        member: i64,
        assessment: u8,
    ) -> Result<()> {
        principal.require(chapter, Permission::EditRoster, "change assessments")?;
        let detail = self.test(principal, chapter, id).await?;
        let tested = detail
            .covered
            .iter()
            .find(|m| m.id == member)
            .ok_or_else(|| Error::invalid("member", "is not covered by this test"))?;
        if tested.suggested_assessment != Some(assessment) {
            return Err(Error::Conflict(
                "that is not what this test suggests for them (any more); reload the page".into(),
            ));
        }
        let file = self.member_file(chapter, member).await?;
        let mut record = file.member.record;
        record.assessment = Some(Assessment::new(assessment)?);
        self.update(principal, chapter, member, record).await?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_test.suggestion_confirmed",
            audit::member_subject(member),
            format!("structure test {id}"),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// Deletes a test and its record of who took part.
    pub async fn delete_test(&self, principal: &Principal, chapter: &Group, id: i64) -> Result<()> {
        principal.require(chapter, Permission::EditRoster, "delete structure tests")?;
        let mut tx = self.store.begin_write().await?;
        if !rows::delete_structure_test(&mut tx, &chapter.ap_id, id).await? {
            return Err(Error::NotFound(format!(
                "no structure test {id} in this chapter"
            )));
        }
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "structure_test.deleted",
            format!("structure test {id}"),
            String::new(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }
}
