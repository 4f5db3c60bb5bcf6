//! The roster as CSV, for the spreadsheets organizers already use: export, edit,
//! import back. Import is all or nothing: one bad line and nothing changes, and
//! the error names the line and the column. A line that updates a record
//! changes only the columns the file has: a file of names and shifts leaves
//! phones, notes and assessments as they were.
//!
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
//! `@`, tab or carriage return) are written with a leading `'`, which spreadsheets
//! hide and import removes again, so a file round-trips and a hostile name cannot
//! run code on an organizer's computer.

use crate::audit;
use crate::principal::{Group, Principal};
use crate::{Error, Members, Result};
use std::collections::{HashMap, HashSet};
use unionhall_domain::{Assessment, DuesStanding, MemberRecord, Permission};
use unionhall_store::members as rows;

pub const COLUMNS: [&str; 14] = [
    "id",
    "name",
    "phone",
    "email",
    "workplace",
    "department",
    "shift",
    "job_title",
    "committee",
    "organizing_role",
    "assessment",
    "dues",
    "tags",
    "notes",
];

pub(crate) fn escape_formula(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn unescape_formula(value: &str) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => value.to_owned(),
    }
}

fn row_of(id: i64, r: &MemberRecord) -> Vec<String> {
    let text = [
        &r.name,
        &r.phone,
        &r.email,
        &r.workplace,
        &r.department,
        &r.shift,
        &r.job_title,
        &r.committee,
        &r.organizing_role,
    ];
    let mut row = vec![id.to_string()];
    row.extend(text.iter().map(|s| escape_formula(s)));
    row.push(
        r.assessment
            .map(|a| a.get().to_string())
            .unwrap_or_default(),
    );
    row.push(r.dues.as_str().to_owned());
    row.push(escape_formula(&r.tags.join("; ")));
    row.push(escape_formula(&r.notes));
    row
}

/// Writes records as CSV with the header [`COLUMNS`].
pub fn write(members: &[crate::roster::Member]) -> Result<String> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    let fail = |err: ::csv::Error| Error::Internal(err.to_string());
    out.write_record(COLUMNS).map_err(fail)?;
    for member in members {
        out.write_record(row_of(member.id, &member.record))
            .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|err| Error::Internal(err.to_string()))?;
    String::from_utf8(bytes).map_err(|err| Error::Internal(err.to_string()))
}

/// One parsed line: the id it names (if any), the validated record (columns
/// the file lacks left empty) and the columns the file has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub id: Option<i64>,
    pub record: MemberRecord,
    pub columns: Vec<&'static str>,
}

impl ImportRow {
    /// `existing` with the columns of this line written over it.
    pub fn merged_into(&self, existing: &MemberRecord) -> Result<MemberRecord> {
        let mut merged = existing.clone();
        let new = &self.record;
        for column in &self.columns {
            match *column {
                "name" => merged.name = new.name.clone(),
                "phone" => merged.phone = new.phone.clone(),
                "email" => merged.email = new.email.clone(),
                "workplace" => merged.workplace = new.workplace.clone(),
                "department" => merged.department = new.department.clone(),
                "shift" => merged.shift = new.shift.clone(),
                "job_title" => merged.job_title = new.job_title.clone(),
                "committee" => merged.committee = new.committee.clone(),
                "organizing_role" => merged.organizing_role = new.organizing_role.clone(),
                "assessment" => merged.assessment = new.assessment,
                "dues" => merged.dues = new.dues,
                "tags" => merged.tags = new.tags.clone(),
                "notes" => merged.notes = new.notes.clone(),
                _ => {}
            }
        }
        merged.validated().map_err(|err| Error::Csv {
            line: self.line,
            message: err.to_string(),
        })
    }
}

/// Parses and validates a whole file. Columns may come in any order; `name` is
/// required, unknown columns are refused (a typo would silently drop data).
pub fn read(text: &str) -> Result<Vec<ImportRow>> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::None)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|err| Error::Csv {
            line: 1,
            message: err.to_string(),
        })?
        .clone();
    let mut seen = HashSet::new();
    for name in header.iter() {
        let name = name.trim();
        if !COLUMNS.contains(&name) {
            return Err(Error::Csv {
                line: 1,
                message: format!(
                    "unknown column {name:?}; the columns are {}",
                    COLUMNS.join(", ")
                ),
            });
        }
        if !seen.insert(name.to_owned()) {
            return Err(Error::Csv {
                line: 1,
                message: format!("column {name:?} appears twice"),
            });
        }
    }
    if !seen.contains("name") {
        return Err(Error::Csv {
            line: 1,
            message: "the column \"name\" is required".into(),
        });
    }
    let mut out = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|err| Error::Csv {
            line: err.position().map_or(0, |p| p.line()),
            message: err.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |column: &str| {
            header
                .iter()
                .position(|h| h.trim() == column)
                .and_then(|i| record.get(i))
                .map(unescape_formula)
                .unwrap_or_default()
        };
        let bad = |message: String| Error::Csv { line, message };
        let in_column = |column: &str, message: String| Error::Csv {
            line,
            message: format!("column \"{column}\": {message}"),
        };
        let id = match cell("id").trim() {
            "" => None,
            text => Some(
                text.parse::<i64>()
                    .map_err(|_| in_column("id", format!("{text:?} is not a number")))?,
            ),
        };
        let assessment = match cell("assessment").trim() {
            "" => None,
            text => Some(
                text.parse::<u8>()
                    .map_err(|_| {
                        in_column(
                            "assessment",
                            format!("{text:?} is not a number from 1 to 5"),
                        )
                    })
                    .and_then(|n| {
                        Assessment::new(n).map_err(|_| {
                            in_column(
                                "assessment",
                                format!("{text:?} is not a number from 1 to 5"),
                            )
                        })
                    })?,
            ),
        };
        let dues =
            DuesStanding::parse(&cell("dues")).map_err(|err| in_column("dues", err.to_string()))?;
        let parsed = MemberRecord {
            name: cell("name"),
            phone: cell("phone"),
            email: cell("email"),
            workplace: cell("workplace"),
            department: cell("department"),
            shift: cell("shift"),
            job_title: cell("job_title"),
            committee: cell("committee"),
            organizing_role: cell("organizing_role"),
            assessment,
            dues,
            tags: cell("tags").split(';').map(str::to_owned).collect(),
            notes: cell("notes"),
        }
        .validated()
        .map_err(|err| bad(err.to_string()))?;
        let columns = COLUMNS
            .into_iter()
            .filter(|c| *c != "id" && seen.contains(*c))
            .collect();
        out.push(ImportRow {
            line,
            id,
            record: parsed,
            columns,
        });
    }
    Ok(out)
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

impl Members {
    /// The whole roster as CSV.
    pub async fn export_csv(&self, principal: &Principal, chapter: &Group) -> Result<String> {
        principal.require(chapter, Permission::ExportRoster, "export the roster")?;
        let members = self.open_roster(chapter).await?;
        let text = write(&members)?;
        let mut tx = self.store.begin_write().await?;
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "roster.exported",
            String::new(),
            format!("{} records", members.len()),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(text)
    }

    /// Imports a CSV file: a line whose id is on this roster updates that record,
    /// any other line adds a record. All lines or none.
    pub async fn import_csv(
        &self,
        principal: &Principal,
        chapter: &Group,
        text: &str,
    ) -> Result<ImportSummary> {
        principal.require(chapter, Permission::EditRoster, "change the roster")?;
        let lines = read(text)?;
        let existing: HashMap<i64, MemberRecord> = self
            .open_roster(chapter)
            .await?
            .into_iter()
            .map(|m| (m.id, m.record))
            .collect();
        let mut summary = ImportSummary {
            created: 0,
            updated: 0,
        };
        let mut tx = self.store.begin_write().await?;
        for line in &lines {
            match line.id.and_then(|id| existing.get(&id).map(|r| (id, r))) {
                Some((id, record)) => {
                    let merged = line.merged_into(record)?;
                    let sealed = self.seal_record(id, &merged)?;
                    rows::update(&mut tx, &chapter.ap_id, id, &sealed).await?;
                    summary.updated += 1;
                }
                None => {
                    self.insert_sealed(&mut tx, chapter, &line.record).await?;
                    summary.created += 1;
                }
            }
        }
        audit::record(
            &mut tx,
            principal.into(),
            chapter,
            "roster.imported",
            String::new(),
            format!("{} created, {} updated", summary.created, summary.updated),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::Member;

    fn member(id: i64, name: &str) -> Member {
        Member {
            id,
            record: MemberRecord {
                name: name.into(),
                phone: "+1 555 0100".into(),
                notes: "line one\nline two, with \"quotes\"".into(),
                tags: vec!["nights".into(), "lead".into()],
                assessment: Some(Assessment::new(2).unwrap()),
                dues: DuesStanding::Paid,
                ..Default::default()
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_written_file_reads_back_the_same() {
        let members = vec![member(1, "Ada"), member(2, "=HYPERLINK(\"x\")")];
        let text = write(&members).unwrap();
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(text.contains("'+1 555 0100"), "{text}");
        let back = read(&text).unwrap();
        assert_eq!(back.len(), 2);
        for (row, m) in back.iter().zip(&members) {
            assert_eq!(row.id, Some(m.id));
            assert_eq!(row.record, m.record);
        }
    }

    #[test]
    fn columns_may_be_reordered_or_left_out_but_not_misspelled() {
        let rows = read("department,name\nPacking,Ada\n").unwrap();
        assert_eq!(rows[0].record.department, "Packing");
        assert_eq!(rows[0].id, None);
        let err = read("name,deparment\nAda,Packing\n").unwrap_err();
        assert!(err.to_string().contains("deparment"), "{err}");
        assert!(read("email\nada@example.org\n").is_err());
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = read("name,assessment\nAda,2\nBo,7\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: column \"assessment\": \"7\" is not a number from 1 to 5"
        );
        let err = read("name,email\nAda,nope\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2: email"), "{err}");
    }
}
