//! A member record: the most sensitive data in the system. It lives in one
//! instance's database, encrypted, and has no ActivityPub representation.
//!
//! The record derives serde so that the sealed form in the database and the JSON
//! API share one shape; fields added later carry `#[serde(default)]` so records
//! sealed by an older version still open.

use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};

/// How far a member supports the union, on the 1-5 scale organizers use
/// (1: leader or strong supporter … 5: opposed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Assessment(u8);

impl Assessment {
    pub fn new(value: u8) -> Result<Self> {
        if (1..=5).contains(&value) {
            Ok(Self(value))
        } else {
            Err(DomainError::invalid(
                "assessment",
                "must be a number from 1 to 5",
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Assessment {
    type Error = DomainError;
    fn try_from(value: u8) -> Result<Self> {
        Self::new(value)
    }
}

impl From<Assessment> for u8 {
    fn from(value: Assessment) -> u8 {
        value.0
    }
}

/// Whether a member's dues are paid up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuesStanding {
    #[default]
    Unknown,
    Paid,
    Behind,
    Exempt,
}

impl DuesStanding {
    pub const ALL: [DuesStanding; 4] = [Self::Unknown, Self::Paid, Self::Behind, Self::Exempt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Paid => "paid",
            Self::Behind => "behind",
            Self::Exempt => "exempt",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(Self::Unknown);
        }
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                DomainError::invalid("dues_standing", "must be paid, behind, exempt or unknown")
            })
    }
}

/// One person on a chapter's roster. Every field but the name may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemberRecord {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub workplace: String,
    pub department: String,
    pub shift: String,
    pub job_title: String,
    /// The committee the member sits on ("organizing", "bargaining"), empty if none.
    pub committee: String,
    /// Their role in the campaign ("steward", "shift contact"), empty if none.
    pub organizing_role: String,
    pub assessment: Option<Assessment>,
    pub dues: DuesStanding,
    pub tags: Vec<String>,
    pub notes: String,
}

const SHORT: usize = 200;
const LONG: usize = 20_000;

impl MemberRecord {
    /// Checks the rules and tidies whitespace; the error names the field.
    pub fn validated(mut self) -> Result<Self> {
        for (field, value) in [
            ("name", &mut self.name),
            ("phone", &mut self.phone),
            ("email", &mut self.email),
            ("workplace", &mut self.workplace),
            ("department", &mut self.department),
            ("shift", &mut self.shift),
            ("job_title", &mut self.job_title),
            ("committee", &mut self.committee),
            ("organizing_role", &mut self.organizing_role),
        ] {
            *value = value.trim().to_owned();
            if value.chars().count() > SHORT {
                return Err(DomainError::invalid(field, "is longer than 200 characters"));
            }
            if value.chars().any(char::is_control) {
                return Err(DomainError::invalid(field, "contains control characters"));
            }
        }
        if self.name.is_empty() {
            return Err(DomainError::invalid("name", "is required"));
        }
        if !self.email.is_empty() && !looks_like_email(&self.email) {
            return Err(DomainError::invalid("email", "is not an email address"));
        }
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(DomainError::invalid(
                "phone",
                "may hold only digits, spaces and + - ( ) .",
            ));
        }
        if self.notes.chars().count() > LONG {
            return Err(DomainError::invalid(
                "notes",
                "is longer than 20000 characters",
            ));
        }
        self.tags = normalize_tags(std::mem::take(&mut self.tags))?;
        Ok(self)
    }

    /// Whether the record has `tag` (case-insensitive).
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Trims, drops empty and repeated tags; a tag may not hold `;`, the separator
/// in CSV files.
fn normalize_tags(tags: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_owned();
        if tag.is_empty() || out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            continue;
        }
        if tag.contains(';') || tag.chars().any(char::is_control) || tag.chars().count() > 60 {
            return Err(DomainError::invalid(
                "tags",
                "a tag is at most 60 characters, without ';'",
            ));
        }
        out.push(tag);
    }
    Ok(out)
}

/// One entry of the one-on-one log: an organizing conversation with a member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OneOnOne {
    /// When it happened, `YYYY-MM-DD`.
    pub date: String,
    /// Who talked with the member.
    pub by: String,
    pub issues: String,
    pub next_step: String,
    /// When the next step is due, `YYYY-MM-DD`, or empty.
    pub next_step_due: String,
}

impl OneOnOne {
    pub fn validated(mut self) -> Result<Self> {
        self.date = self.date.trim().to_owned();
        if !is_iso_date(&self.date) {
            return Err(DomainError::invalid("date", "must be a date as YYYY-MM-DD"));
        }
        self.by = self.by.trim().to_owned();
        if self.by.is_empty() || self.by.chars().count() > SHORT {
            return Err(DomainError::invalid(
                "by",
                "is required, at most 200 characters",
            ));
        }
        self.next_step_due = self.next_step_due.trim().to_owned();
        if !self.next_step_due.is_empty() && !is_iso_date(&self.next_step_due) {
            return Err(DomainError::invalid(
                "next_step_due",
                "must be a date as YYYY-MM-DD",
            ));
        }
        for (field, value) in [("issues", &self.issues), ("next_step", &self.next_step)] {
            if value.chars().count() > LONG {
                return Err(DomainError::invalid(
                    field,
                    "is longer than 20000 characters",
                ));
            }
        }
        Ok(self)
    }
}

pub(crate) fn is_iso_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok())
    };
    matches!(
        (number(y, 4), number(m, 2), number(d, 2)),
        (Some(Some(_)), Some(Some(1..=12)), Some(Some(1..=31)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> MemberRecord {
        MemberRecord {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_name_is_required_and_trimmed() {
        assert!(record("  ").validated().is_err());
        assert_eq!(record(" Ada ").validated().unwrap().name, "Ada");
    }

    #[test]
    fn assessments_run_from_one_to_five() {
        assert!(Assessment::new(0).is_err());
        assert!(Assessment::new(6).is_err());
        assert_eq!(Assessment::new(3).unwrap().get(), 3);
        let parsed: std::result::Result<MemberRecord, _> =
            serde_json::from_str(r#"{"name":"A","assessment":9}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn contact_fields_are_checked() {
        let mut r = record("A");
        r.email = "not-an-address".into();
        let err = r.validated().unwrap_err();
        assert!(err.to_string().contains("email"), "{err}");
        let mut r = record("A");
        r.phone = "555-0100; DROP".into();
        assert!(r.validated().is_err());
    }

    #[test]
    fn tags_are_deduplicated_and_may_not_hold_the_csv_separator() {
        let mut r = record("A");
        r.tags = vec!["night".into(), " Night ".into(), "".into(), "lead".into()];
        assert_eq!(r.validated().unwrap().tags, vec!["night", "lead"]);
        let mut r = record("A");
        r.tags = vec!["a;b".into()];
        assert!(r.validated().is_err());
    }

    #[test]
    fn one_on_one_dates_are_iso() {
        let talk = |date: &str| OneOnOne {
            date: date.into(),
            by: "Sam".into(),
            ..Default::default()
        };
        assert!(talk("2026-11-25").validated().is_ok());
        assert!(talk("2026-13-01").validated().is_err());
        assert!(talk("25/11/2026").validated().is_err());
        let mut due = talk("2026-11-25");
        due.next_step_due = "tomorrow".into();
        assert!(due.clone().validated().is_err());
        due.next_step_due = " 2026-12-01 ".into();
        assert_eq!(due.validated().unwrap().next_step_due, "2026-12-01");
    }

    #[test]
    fn dues_standing_parses_leniently_but_not_loosely() {
        assert_eq!(DuesStanding::parse("Paid").unwrap(), DuesStanding::Paid);
        assert_eq!(DuesStanding::parse("").unwrap(), DuesStanding::Unknown);
        assert!(DuesStanding::parse("maybe").is_err());
    }
}
