//! The workplace chart: relationships between coworkers, the committee member
//! responsible for each coworker, structure tests, and the figures of the chart
//! by department and by shift. Pure rules and arithmetic; the members crate
//! seals, stores, checks roles and audits.
//!
//! Two notions come from the member record rather than new fields:
//! - a **committee member** is a record whose `committee` is not empty;
//! - a **natural leader** is a record tagged `leader` (case-insensitive).

use crate::member::is_iso_date;
use crate::{Assessment, DomainError, MemberRecord, Result};
use serde::{Deserialize, Serialize};

/// The tag that marks a natural leader.
pub const LEADER_TAG: &str = "leader";

/// Whether the record is tagged as a natural leader.
pub fn is_natural_leader(record: &MemberRecord) -> bool {
    record.has_tag(LEADER_TAG)
}

/// Whether the record sits on a committee (and so may be assigned coworkers).
pub fn is_committee_member(record: &MemberRecord) -> bool {
    !record.committee.trim().is_empty()
}

/// How one coworker stands to another. Directed: `from` knows, works beside or
/// influences `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    Knows,
    WorksBeside,
    Influences,
}

impl RelationshipKind {
    pub const ALL: [RelationshipKind; 3] = [Self::Knows, Self::WorksBeside, Self::Influences];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Knows => "knows",
            Self::WorksBeside => "works_beside",
            Self::Influences => "influences",
        }
    }

    /// As people read it: "knows", "works beside", "influences".
    pub fn label(self) -> &'static str {
        match self {
            Self::Knows => "knows",
            Self::WorksBeside => "works beside",
            Self::Influences => "influences",
        }
    }

    /// Accepts `works_beside`, `works-beside` and `works beside`, any case.
    pub fn parse(value: &str) -> Result<Self> {
        let value = value.trim().to_lowercase().replace(['-', ' '], "_");
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| {
                DomainError::invalid("kind", "must be knows, works_beside or influences")
            })
    }
}

/// A relationship between two member records of one chapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    pub from: i64,
    pub to: i64,
    pub kind: RelationshipKind,
    #[serde(default)]
    pub note: String,
}

const NOTE: usize = 2_000;

impl Relationship {
    pub fn validated(mut self) -> Result<Self> {
        if self.from == self.to {
            return Err(DomainError::invalid(
                "to",
                "must be another member: a relationship links two coworkers",
            ));
        }
        self.note = self.note.trim().to_owned();
        if self.note.chars().count() > NOTE {
            return Err(DomainError::invalid(
                "note",
                "is longer than 2000 characters",
            ));
        }
        Ok(self)
    }

    /// Whether it concerns `member`, either way.
    pub fn involves(&self, member: i64) -> bool {
        self.from == member || self.to == member
    }
}

/// Checks that `assignee` may be made responsible for `member`: a committee
/// member, and someone else.
pub fn check_assignment(member: i64, assignee: i64, assignee_record: &MemberRecord) -> Result<()> {
    if member == assignee {
        return Err(DomainError::invalid(
            "assignee",
            "must be someone else: a committee member is not assigned to themselves",
        ));
    }
    if !is_committee_member(assignee_record) {
        return Err(DomainError::invalid(
            "assignee",
            "must be a committee member (a record with a committee)",
        ));
    }
    Ok(())
}

/// A structure test: a collective action that shows how strong the
/// organization is ("wear the button on Thursday"), covering some departments
/// (all of them when the list is empty), with who took part.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StructureTest {
    pub title: String,
    /// When it happens, `YYYY-MM-DD`.
    pub date: String,
    /// The departments it covers; empty for the whole workplace.
    pub departments: Vec<String>,
    /// The member records that took part, by id, ascending.
    pub participants: Vec<i64>,
}

impl StructureTest {
    pub fn validated(mut self) -> Result<Self> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() || self.title.chars().count() > 200 {
            return Err(DomainError::invalid(
                "title",
                "is required, at most 200 characters",
            ));
        }
        if self.title.chars().any(char::is_control) {
            return Err(DomainError::invalid("title", "contains control characters"));
        }
        self.date = self.date.trim().to_owned();
        if !is_iso_date(&self.date) {
            return Err(DomainError::invalid(
                "date",
                "is required: the day of the test, as YYYY-MM-DD (it covers who is on the roster by then)",
            ));
        }
        let mut departments: Vec<String> = Vec::new();
        for d in std::mem::take(&mut self.departments) {
            let d = d.trim().to_owned();
            if d.is_empty() || departments.iter().any(|x| x.eq_ignore_ascii_case(&d)) {
                continue;
            }
            if d.chars().count() > 200 || d.chars().any(char::is_control) {
                return Err(DomainError::invalid(
                    "departments",
                    "a department is at most 200 characters",
                ));
            }
            departments.push(d);
        }
        self.departments = departments;
        self.participants.sort_unstable();
        self.participants.dedup();
        Ok(self)
    }

    /// Whether the test covers the record's department.
    pub fn covers(&self, record: &MemberRecord) -> bool {
        self.departments.is_empty()
            || self
                .departments
                .iter()
                .any(|d| d.eq_ignore_ascii_case(record.department.trim()))
    }

    pub fn took_part(&self, member: i64) -> bool {
        self.participants.binary_search(&member).is_ok()
    }

    /// Until when (Unix ms) someone added to the roster counts as part of the
    /// workforce it tests: the end of its day, or when it was planned if
    /// that was later (a roster typed in after the test still counts the
    /// people who were there). Someone hired after both is not counted.
    pub fn workforce_until(&self, planned_at: i64) -> i64 {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let end_of_day = day_number(&self.date).map_or(i64::MAX, |day| (day + 1) * DAY_MS);
        end_of_day.max(planned_at)
    }

    /// Whether the test covers a record added to the roster at `added_at`
    /// (Unix ms), for a test planned at `planned_at`.
    pub fn covers_at(&self, record: &MemberRecord, added_at: i64, planned_at: i64) -> bool {
        self.covers(record) && added_at < self.workforce_until(planned_at)
    }
}

/// What a structure test's result suggests for an assessment, if anything: a
/// coworker who took part moves one step toward 1 (an unassessed one to 2); one
/// assessed 1 or 2 who did not moves one step toward 5. Only ever a suggestion:
/// an organizer confirms it or not.
pub fn suggested_assessment(current: Option<Assessment>, took_part: bool) -> Option<Assessment> {
    let now = current.map(Assessment::get);
    let next = match (now, took_part) {
        (None, true) => 2,
        (Some(a), true) if a > 1 => a - 1,
        (Some(a @ (1 | 2)), false) => a + 1,
        _ => return None,
    };
    Assessment::new(next).ok()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the proleptic Gregorian
/// calendar), or `None` if it is not one.
pub fn day_number(date: &str) -> Option<i64> {
    if !is_iso_date(date) {
        return None;
    }
    let y: i64 = date[0..4].parse().ok()?;
    let m: i64 = date[5..7].parse().ok()?;
    let d: i64 = date[8..10].parse().ok()?;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date of a day number (the inverse of [`day_number`]).
pub fn date_of_day(days: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One coworker as the chart counts them.
#[derive(Debug, Clone, Copy)]
pub struct ChartPerson<'a> {
    pub id: i64,
    pub record: &'a MemberRecord,
    /// Whether a committee member is responsible for them.
    pub assigned: bool,
    /// The date of their latest one-on-one, `YYYY-MM-DD`, if any.
    pub last_talk: Option<&'a str>,
    /// When their record was added to the roster (Unix ms).
    pub added_at: i64,
}

/// The figures of one department, one shift or the whole workplace.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChartRow {
    /// The department or shift as typed on the first record seen; empty for
    /// records without one, "all" for the workplace.
    pub name: String,
    pub headcount: u32,
    pub assessed: u32,
    /// How many are assessed 1, 2, 3, 4 and 5.
    pub spread: [u32; 5],
    pub committee: u32,
    pub leaders: u32,
    pub assigned: u32,
    /// Talked to (a one-on-one) within the window.
    pub talked_recently: u32,
    /// Assigned and talked to within the window.
    pub covered: u32,
    /// `covered / headcount`, as a whole percent rounded half up.
    pub coverage_percent: u32,
}

/// Participation in one structure test, by department and by shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestRow {
    pub name: String,
    /// Coworkers of this department or shift that the test covers.
    pub covered: u32,
    pub took_part: u32,
    pub percent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestFigures {
    pub id: i64,
    pub title: String,
    pub date: String,
    pub departments: Vec<TestRow>,
    pub shifts: Vec<TestRow>,
    pub total: TestRow,
}

/// The whole chart of a workplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartFigures {
    pub today: String,
    pub window_days: u32,
    pub total: ChartRow,
    pub departments: Vec<ChartRow>,
    pub shifts: Vec<ChartRow>,
    /// Natural leaders, by id, in roster order.
    pub leaders: Vec<i64>,
    /// Coworkers with no one-on-one logged at all, by id, in roster order.
    pub never_talked_to: Vec<i64>,
    pub tests: Vec<TestFigures>,
}

fn percent(part: u32, whole: u32) -> u32 {
    if whole == 0 {
        0
    } else {
        ((u64::from(part) * 200 + u64::from(whole)) / (u64::from(whole) * 2)) as u32
    }
}

/// Rows keyed case-insensitively, named as first seen, sorted by name.
struct Groups<T> {
    rows: Vec<(String, T)>,
    index: std::collections::HashMap<String, usize>,
}

impl<T: Default> Groups<T> {
    fn new() -> Self {
        Self {
            rows: Vec::new(),
            index: std::collections::HashMap::new(),
        }
    }

    fn get(&mut self, name: &str) -> &mut T {
        let name = name.trim();
        let key = name.to_lowercase();
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                self.rows.push((name.to_owned(), T::default()));
                self.index.insert(key, self.rows.len() - 1);
                self.rows.len() - 1
            }
        };
        &mut self.rows[i].1
    }

    fn sorted(mut self) -> Vec<(String, T)> {
        self.rows.sort_by_key(|(name, _)| name.to_lowercase());
        self.rows
    }
}

/// Computes the chart: `today` is `YYYY-MM-DD`, a one-on-one counts as recent
/// when its date is within `window_days` days before today (inclusive), not after.
/// `tests` are (id, test, when it was planned in Unix ms).
pub fn chart(
    people: &[ChartPerson<'_>],
    tests: &[(i64, &StructureTest, i64)],
    today: &str,
    window_days: u32,
) -> Result<ChartFigures> {
    let today_n =
        day_number(today).ok_or_else(|| DomainError::invalid("today", "must be YYYY-MM-DD"))?;
    let mut total = ChartRow {
        name: "all".into(),
        ..Default::default()
    };
    let mut departments: Groups<ChartRow> = Groups::new();
    let mut shifts: Groups<ChartRow> = Groups::new();
    let mut leaders = Vec::new();
    let mut never_talked_to = Vec::new();
    for p in people {
        let r = p.record;
        let recent = p
            .last_talk
            .and_then(day_number)
            .is_some_and(|d| d <= today_n && today_n - d <= i64::from(window_days));
        let leader = is_natural_leader(r);
        if leader {
            leaders.push(p.id);
        }
        if p.last_talk.is_none() {
            never_talked_to.push(p.id);
        }
        for row in [
            &mut total,
            departments.get(&r.department),
            shifts.get(&r.shift),
        ] {
            row.headcount += 1;
            if let Some(a) = r.assessment {
                row.assessed += 1;
                row.spread[usize::from(a.get() - 1)] += 1;
            }
            row.committee += u32::from(is_committee_member(r));
            row.leaders += u32::from(leader);
            row.assigned += u32::from(p.assigned);
            row.talked_recently += u32::from(recent);
            row.covered += u32::from(p.assigned && recent);
        }
    }
    let finish = |(name, mut row): (String, ChartRow)| {
        row.name = name;
        row.coverage_percent = percent(row.covered, row.headcount);
        row
    };
    total.coverage_percent = percent(total.covered, total.headcount);
    let tests = tests
        .iter()
        .map(|(id, test, planned_at)| test_figures(*id, test, *planned_at, people))
        .collect();
    Ok(ChartFigures {
        today: today.to_owned(),
        window_days,
        total,
        departments: departments.sorted().into_iter().map(finish).collect(),
        shifts: shifts.sorted().into_iter().map(finish).collect(),
        leaders,
        never_talked_to,
        tests,
    })
}

fn test_figures(
    id: i64,
    test: &StructureTest,
    planned_at: i64,
    people: &[ChartPerson<'_>],
) -> TestFigures {
    #[derive(Default)]
    struct Count(u32, u32);
    let mut total = Count::default();
    let mut departments: Groups<Count> = Groups::new();
    let mut shifts: Groups<Count> = Groups::new();
    for p in people
        .iter()
        .filter(|p| test.covers_at(p.record, p.added_at, planned_at))
    {
        let took = u32::from(test.took_part(p.id));
        for c in [
            &mut total,
            departments.get(&p.record.department),
            shifts.get(&p.record.shift),
        ] {
            c.0 += 1;
            c.1 += took;
        }
    }
    let row = |(name, c): (String, Count)| TestRow {
        name,
        covered: c.0,
        took_part: c.1,
        percent: percent(c.1, c.0),
    };
    TestFigures {
        id,
        title: test.title.clone(),
        date: test.date.clone(),
        departments: departments.sorted().into_iter().map(row).collect(),
        shifts: shifts.sorted().into_iter().map(row).collect(),
        total: row(("all".into(), total)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(department: &str, shift: &str, assessment: Option<u8>) -> MemberRecord {
        MemberRecord {
            name: "X".into(),
            department: department.into(),
            shift: shift.into(),
            assessment: assessment.map(|a| Assessment::new(a).unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn relationship_kinds_parse_as_people_type_them() {
        for kind in RelationshipKind::ALL {
            assert_eq!(RelationshipKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(RelationshipKind::parse(kind.label()), Ok(kind));
        }
        assert_eq!(
            RelationshipKind::parse("Works-Beside"),
            Ok(RelationshipKind::WorksBeside)
        );
        assert!(RelationshipKind::parse("hates").is_err());
    }

    #[test]
    fn a_relationship_links_two_different_coworkers_with_a_short_note() {
        let rel = |from, to, note: &str| Relationship {
            from,
            to,
            kind: RelationshipKind::Knows,
            note: note.into(),
        };
        assert!(rel(1, 1, "").validated().is_err());
        assert_eq!(rel(1, 2, "  lunch  ").validated().unwrap().note, "lunch");
        assert!(rel(1, 2, &"x".repeat(2001)).validated().is_err());
        assert!(rel(1, 2, "").validated().unwrap().involves(2));
        assert!(!rel(1, 2, "").validated().unwrap().involves(3));
        let parsed: std::result::Result<Relationship, _> =
            serde_json::from_str(r#"{"from":1,"to":2,"kind":"friends"}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn only_committee_members_are_assigned_and_never_to_themselves() {
        let mut committee = person("Packing", "Nights", None);
        assert!(check_assignment(1, 2, &committee).is_err());
        committee.committee = "organizing".into();
        assert!(check_assignment(1, 2, &committee).is_ok());
        assert!(check_assignment(2, 2, &committee).is_err());
    }

    #[test]
    fn structure_tests_need_a_title_and_a_date_and_tidy_their_lists() {
        let test = StructureTest {
            title: " Wear the button ".into(),
            date: "2026-12-03".into(),
            departments: vec!["Packing".into(), "packing ".into(), "".into()],
            participants: vec![5, 2, 5],
        }
        .validated()
        .unwrap();
        assert_eq!(test.title, "Wear the button");
        assert_eq!(test.departments, vec!["Packing"]);
        assert_eq!(test.participants, vec![2, 5]);
        assert!(test.took_part(5) && !test.took_part(3));
        assert!(test.covers(&person("PACKING", "", None)));
        assert!(!test.covers(&person("Shipping", "", None)));
        let everyone = StructureTest {
            departments: vec![],
            ..test.clone()
        };
        assert!(everyone.covers(&person("Shipping", "", None)));
        let bad_date = StructureTest {
            date: "Thursday".into(),
            ..test.clone()
        };
        assert!(bad_date.validated().is_err());
        let no_title = StructureTest {
            title: " ".into(),
            ..test
        };
        assert!(no_title.validated().is_err());
    }

    #[test]
    fn results_suggest_one_step_and_never_past_the_scale() {
        let a = |n| Some(Assessment::new(n).unwrap());
        assert_eq!(suggested_assessment(a(3), true), a(2));
        assert_eq!(suggested_assessment(a(1), true), None);
        assert_eq!(suggested_assessment(None, true), a(2));
        assert_eq!(suggested_assessment(a(2), false), a(3));
        assert_eq!(suggested_assessment(a(1), false), a(2));
        assert_eq!(suggested_assessment(a(4), false), None);
        assert_eq!(suggested_assessment(None, false), None);
    }

    #[test]
    fn day_numbers_count_from_the_epoch() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2026-11-26"), Some(20_783));
        assert_eq!(
            day_number("2024-03-01").unwrap() - day_number("2024-02-28").unwrap(),
            2
        );
        assert_eq!(day_number("26/11/2026"), None);
        for date in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-26",
            "2026-12-31",
            "2100-03-01",
        ] {
            assert_eq!(date_of_day(day_number(date).unwrap()), date);
        }
    }

    #[test]
    fn the_chart_counts_by_department_and_shift() {
        let mut lead = person("Packing", "Nights", Some(1));
        lead.tags = vec!["Leader".into()];
        lead.committee = "organizing".into();
        let records = [
            lead,
            person("packing", "Days", Some(3)),
            person("Shipping", "Nights", None),
            person("", "Days", Some(5)),
        ];
        let people = [
            ChartPerson {
                id: 1,
                record: &records[0],
                assigned: false,
                last_talk: Some("2026-11-20"),
                added_at: 0,
            },
            ChartPerson {
                id: 2,
                record: &records[1],
                assigned: true,
                last_talk: Some("2026-11-01"),
                added_at: 0,
            },
            ChartPerson {
                id: 3,
                record: &records[2],
                assigned: true,
                last_talk: Some("2026-11-26"),
                added_at: 0,
            },
            ChartPerson {
                id: 4,
                record: &records[3],
                assigned: true,
                last_talk: None,
                added_at: 0,
            },
        ];
        let test = StructureTest {
            title: "Button".into(),
            date: "2026-11-26".into(),
            departments: vec!["Packing".into()],
            participants: vec![1],
        };
        let chart = chart(&people, &[(9, &test, 0)], "2026-11-26", 14).unwrap();
        assert_eq!(chart.total.headcount, 4);
        assert_eq!(chart.total.assessed, 3);
        assert_eq!(chart.total.spread, [1, 0, 1, 0, 1]);
        assert_eq!(chart.total.covered, 1, "only 3 is assigned and recent");
        assert_eq!(chart.total.coverage_percent, 25);
        let names: Vec<&str> = chart.departments.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["", "Packing", "Shipping"]);
        let packing = &chart.departments[1];
        assert_eq!(
            (packing.headcount, packing.committee, packing.leaders),
            (2, 1, 1)
        );
        assert_eq!(packing.talked_recently, 1);
        let nights = chart.shifts.iter().find(|r| r.name == "Nights").unwrap();
        assert_eq!((nights.headcount, nights.covered), (2, 1));
        assert_eq!(nights.coverage_percent, 50);
        assert_eq!(chart.leaders, vec![1]);
        assert_eq!(chart.never_talked_to, vec![4]);
        let t = &chart.tests[0];
        assert_eq!(
            (t.total.covered, t.total.took_part, t.total.percent),
            (2, 1, 50)
        );
        assert_eq!(t.departments.len(), 1);
        assert_eq!(t.shifts.len(), 2);
        // A talk dated after today does not count as recent.
        let future = chart_with_talk("2026-11-27");
        assert_eq!(future.total.talked_recently, 0);
        assert_eq!(chart_with_talk("2026-11-12").total.talked_recently, 1);
        assert_eq!(chart_with_talk("2026-11-11").total.talked_recently, 0);
    }

    fn chart_with_talk(date: &str) -> ChartFigures {
        let record = person("A", "B", None);
        let people = [ChartPerson {
            id: 1,
            record: &record,
            assigned: true,
            last_talk: Some(date),
            added_at: 0,
        }];
        chart(&people, &[], "2026-11-26", 14).unwrap()
    }

    #[test]
    fn a_structure_test_covers_the_workforce_of_its_day_not_later_hires() {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let test = StructureTest {
            title: "Petition".into(),
            date: "2026-11-26".into(),
            departments: vec![],
            participants: vec![],
        };
        let day = day_number("2026-11-26").unwrap() * DAY_MS;
        let someone = person("Packing", "", None);
        // Planned the week before: everyone on the roster by the end of the day.
        let planned = day - 7 * DAY_MS;
        assert!(test.covers_at(&someone, day + DAY_MS - 1, planned));
        assert!(
            !test.covers_at(&someone, day + DAY_MS, planned),
            "hired after"
        );
        // Entered a month later: the roster as it stood then still counts.
        let later = day + 30 * DAY_MS;
        assert!(test.covers_at(&someone, later - 1, later));
        assert!(!test.covers_at(&someone, later + 1, later));
        assert!(StructureTest {
            date: String::new(),
            ..test
        }
        .validated()
        .unwrap_err()
        .to_string()
        .contains("the day of the test"));
    }

    #[test]
    fn percentages_round_half_up_and_survive_empty_groups() {
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(1, 8), 13);
        assert_eq!(percent(3, 3), 100);
    }
}
