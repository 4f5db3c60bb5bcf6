//! The workplace chart of a chapter: by department and by shift, headcount,
//! assessments, committee members, coverage, natural leaders, coworkers nobody
//! has talked to, and structure-test participation. Computed by
//! `unionhall_domain::chart` from the opened roster; viewing and exporting it
//! are audited like the roster.

use crate::audit;
use crate::principal::{Group, Principal};
use crate::roster::LoggedOneOnOne;
use crate::{Error, Members, Result};
use serde::Serialize;
use std::collections::HashMap;
use unionhall_domain::{
    chart, date_of_day, ChartPerson, ChartRow, Permission, StructureTest, TestFigures,
};
use unionhall_store::chart as rows;
use unionhall_store::Connection;

/// The window of "talked to recently" when none is given, in days.
pub const DEFAULT_WINDOW_DAYS: u32 = 30;
/// The longest window accepted.
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// A coworker named on the chart (a natural leader, or someone nobody has
/// talked to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
    pub department: String,
    pub shift: String,
    pub assessment: Option<u8>,
    pub committee: bool,
    pub leader: bool,
}

/// The chart as the API, the CSV and the page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub today: String,
    pub window_days: u32,
    pub total: ChartRow,
    pub departments: Vec<ChartRow>,
    pub shifts: Vec<ChartRow>,
    pub leaders: Vec<Named>,
    pub never_talked_to: Vec<Named>,
    pub tests: Vec<TestFigures>,
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    date_of_day(unionhall_store::now_millis().div_euclid(86_400_000))
}

/// Checks a window given by a caller.
pub fn window(days: Option<u32>) -> Result<u32> {
    match days {
        None => Ok(DEFAULT_WINDOW_DAYS),
        Some(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => Ok(d),
        Some(_) => Err(Error::invalid("days", "must be a number from 1 to 3650")),
    }
}

impl Members {
    /// A member's one-on-one log, opened, oldest first.
    pub(crate) async fn one_on_ones_of(&self, member: i64) -> Result<Vec<LoggedOneOnOne>> {
        unionhall_store::members::one_on_ones(&self.store, member)
            .await?
            .iter()
            .map(|row| self.open_one_on_one(row))
            .collect()
    }

    /// Computes the chart without a permission check or audit entry, for the
    /// callers below, which make both.
    async fn compute_chart(&self, chapter: &Group, window_days: u32, today: &str) -> Result<Chart> {
        // Records and the dates of the last conversations (kept between
        // views until the chapter's one-on-ones change: talk_dates.rs) are
        // opened on two threads at once, as for the roster.
        let (roster, last_talk) = tokio::join!(
            self.open_roster(chapter),
            self.latest_conversations(chapter, true)
        );
        let (roster, last_talk) = (roster?, last_talk?);
        let mut conn = self.store.acquire().await?;
        let assignments = self.load_assignments(&mut conn, chapter, false).await?;
        let tests = self.chapter_tests(&mut conn, chapter, false).await?;
        drop(conn);
        let people: Vec<ChartPerson<'_>> = roster
            .iter()
            .map(|m| ChartPerson {
                id: m.id,
                record: &m.record,
                assigned: assignments.contains_key(&m.id),
                last_talk: last_talk.get(&m.id).map(String::as_str),
                added_at: m.created_at,
            })
            .collect();
        let test_refs: Vec<(i64, &StructureTest, i64)> = tests
            .iter()
            .map(|t| (t.id, &t.test, t.created_at))
            .collect();
        let figures = chart(&people, &test_refs, today, window_days)?;
        let by_id: HashMap<i64, &crate::roster::Member> =
            roster.iter().map(|m| (m.id, m)).collect();
        let named = |ids: &[i64]| -> Vec<Named> {
            ids.iter()
                .filter_map(|id| by_id.get(id))
                .map(|m| Named {
                    id: m.id,
                    name: m.record.name.clone(),
                    department: m.record.department.clone(),
                    shift: m.record.shift.clone(),
                    assessment: m.record.assessment.map(|a| a.get()),
                    committee: unionhall_domain::is_committee_member(&m.record),
                    leader: unionhall_domain::is_natural_leader(&m.record),
                })
                .collect()
        };
        Ok(Chart {
            leaders: named(&figures.leaders),
            never_talked_to: named(&figures.never_talked_to),
            today: figures.today,
            window_days: figures.window_days,
            total: figures.total,
            departments: figures.departments,
            shifts: figures.shifts,
            tests: figures.tests,
        })
    }

    /// The chart, for organizers; `window_days` is how recent a one-on-one
    /// must be to count toward coverage.
    pub async fn chart(
        &self,
        principal: &Principal,
        chapter: &Group,
        window_days: u32,
    ) -> Result<Chart> {
        principal.require(chapter, Permission::ViewRoster, "see the chart")?;
        let chart = self
            .compute_chart(chapter, window(Some(window_days))?, &today())
            .await?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "chart.viewed",
            String::new(),
            format!("{} records counted", chart.total.headcount),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(chart)
    }

    /// The chart as CSV: one line per department, shift and the whole
    /// workplace, then one per department and shift of each structure test.
    pub async fn chart_csv(
        &self,
        principal: &Principal,
        chapter: &Group,
        window_days: u32,
    ) -> Result<String> {
        principal.require(chapter, Permission::ExportRoster, "export the chart")?;
        let chart = self
            .compute_chart(chapter, window(Some(window_days))?, &today())
            .await?;
        let text = chart_to_csv(&chart)?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "chart.exported",
            String::new(),
            format!("{} records counted", chart.total.headcount),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(text)
    }

    /// Removes an erased member from the chart's sealed data, in the erasing
    /// transaction: their relationships, their assignment and those to them,
    /// and their participation in structure tests.
    pub(crate) async fn forget_in_chart(
        &self,
        conn: &mut Connection,
        chapter: &Group,
        member: i64,
    ) -> Result<()> {
        for (id, relationship, _) in self.chapter_relationships(conn, chapter, true).await? {
            if relationship.involves(member) {
                rows::delete_relationship(conn, &chapter.ap_id, id).await?;
            }
        }
        let mut map = self.load_assignments(conn, chapter, true).await?;
        let before = map.len();
        map.retain(|m, a| *m != member && *a != member);
        if map.len() != before {
            self.store_assignments(conn, chapter, &map).await?;
        }
        for mut saved in self.chapter_tests(conn, chapter, true).await? {
            if saved.test.took_part(member) {
                saved.test.participants.retain(|p| *p != member);
                let json = serde_json::to_vec(&saved.test)
                    .map_err(|err| Error::Internal(err.to_string()))?;
                let sealed = self
                    .keyring
                    .seal(&crate::structure_tests::context(saved.id), &json)?;
                rows::update_structure_test(conn, saved.id, &sealed).await?;
            }
        }
        Ok(())
    }
}

/// The columns of the chart's CSV.
pub const CSV_COLUMNS: [&str; 17] = [
    "section",
    "name",
    "headcount",
    "assessed",
    "assessed_1",
    "assessed_2",
    "assessed_3",
    "assessed_4",
    "assessed_5",
    "committee",
    "leaders",
    "assigned",
    "talked_recently",
    "covered",
    "coverage_percent",
    "test",
    "took_part",
];

/// Writes the chart as CSV (names of departments and shifts are defused like
/// the roster's cells). Test lines carry the test's title in `test`, the number
/// the test covers in `headcount` and how many took part in `took_part`.
pub fn chart_to_csv(chart: &Chart) -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |err: csv::Error| Error::Internal(err.to_string());
    out.write_record(CSV_COLUMNS).map_err(fail)?;
    let sections = std::iter::once(("workplace", &chart.total))
        .chain(chart.departments.iter().map(|r| ("department", r)))
        .chain(chart.shifts.iter().map(|r| ("shift", r)));
    for (section, r) in sections {
        let mut line = vec![section.to_owned(), crate::csv::escape_formula(&r.name)];
        line.extend(
            [r.headcount, r.assessed]
                .into_iter()
                .chain(r.spread)
                .chain([
                    r.committee,
                    r.leaders,
                    r.assigned,
                    r.talked_recently,
                    r.covered,
                    r.coverage_percent,
                ])
                .map(|n| n.to_string()),
        );
        line.extend([String::new(), String::new()]);
        out.write_record(&line).map_err(fail)?;
    }
    for test in &chart.tests {
        let rows = std::iter::once(("test workplace", &test.total))
            .chain(test.departments.iter().map(|r| ("test department", r)))
            .chain(test.shifts.iter().map(|r| ("test shift", r)));
        for (section, r) in rows {
            let mut line = vec![
                section.to_owned(),
                crate::csv::escape_formula(&r.name),
                r.covered.to_string(),
            ];
            line.extend(std::iter::repeat_n(String::new(), 12));
            line.push(crate::csv::escape_formula(&test.title));
            line.push(r.took_part.to_string());
            out.write_record(&line).map_err(fail)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|err| Error::Internal(err.to_string()))?;
    String::from_utf8(bytes).map_err(|err| Error::Internal(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use unionhall_domain::{Assessment, MemberRecord};

    #[test]
    fn the_csv_has_one_line_per_group_and_defuses_formulas() {
        let records = [
            MemberRecord {
                name: "A".into(),
                department: "=HYPERLINK(\"x\")".into(),
                shift: "Nights".into(),
                assessment: Some(Assessment::new(2).unwrap()),
                ..Default::default()
            },
            MemberRecord {
                name: "B".into(),
                department: "Ovens".into(),
                shift: "Nights".into(),
                ..Default::default()
            },
        ];
        let people: Vec<ChartPerson<'_>> = records
            .iter()
            .enumerate()
            .map(|(i, record)| ChartPerson {
                id: i as i64 + 1,
                record,
                assigned: i == 0,
                last_talk: Some("2026-11-20"),
                added_at: 0,
            })
            .collect();
        let test = StructureTest {
            title: "+Button".into(),
            date: "2026-11-26".into(),
            departments: vec![],
            participants: vec![2],
        };
        let figures = chart(&people, &[(7, &test, 0)], "2026-11-26", 30).unwrap();
        let chart = Chart {
            today: figures.today,
            window_days: figures.window_days,
            total: figures.total,
            departments: figures.departments,
            shifts: figures.shifts,
            leaders: vec![],
            never_talked_to: vec![],
            tests: figures.tests,
        };
        let text = chart_to_csv(&chart).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert_eq!(lines[1], "workplace,all,2,1,0,1,0,0,0,0,0,1,2,1,50,,");
        assert!(lines.contains(&"department,Ovens,1,0,0,0,0,0,0,0,0,0,1,0,0,,"));
        assert!(
            lines.contains(&"department,\"'=HYPERLINK(\"\"x\"\")\",1,1,0,1,0,0,0,0,0,1,1,1,100,,"),
            "{text}"
        );
        assert!(lines.contains(&"shift,Nights,2,1,0,1,0,0,0,0,0,1,2,1,50,,"));
        assert!(
            lines.contains(&"test workplace,all,2,,,,,,,,,,,,,'+Button,1"),
            "{text}"
        );
        assert_eq!(lines.len(), 1 + 1 + 2 + 1 + 1 + 2 + 1);
    }

    #[test]
    fn the_window_is_checked_not_clamped() {
        assert_eq!(window(None).unwrap(), DEFAULT_WINDOW_DAYS);
        assert_eq!(window(Some(7)).unwrap(), 7);
        assert!(window(Some(0)).is_err());
        assert!(window(Some(MAX_WINDOW_DAYS + 1)).is_err());
    }
}
