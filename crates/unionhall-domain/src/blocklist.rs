//! Domain block lists in the CSV format Mastodon admins export and share:
//! a header row `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`
//! (the `#` optional), then one row per domain. A plain list, one domain per
//! line and no header, is read too. Unionhall's block is Mastodon's `suspend`
//! (nothing is taken, sent or fetched); it has no `silence`.

use crate::normalize_domain;

/// How the list's source treats a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Suspend,
    /// Limited, not cut off: imported only when asked for.
    Silence,
    /// Listed without a block (media or reports rejected only): never imported.
    Noop,
}

/// One row of a list, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Block {
        /// Normalized (`*.` dropped, lower case).
        domain: String,
        severity: Severity,
        /// The list's public comment: kept as the block's reason.
        comment: String,
    },
    /// A name with asterisks inside (`ba**.example`): the source published it
    /// obfuscated, so it cannot be blocked by name.
    Obfuscated { domain: String },
}

/// A row that cannot be read; the whole list is refused with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ListError {
    pub line: usize,
    pub reason: String,
}

/// Reads a whole list, or says which line is wrong.
pub fn parse(text: &str) -> Result<Vec<Listed>, ListError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = csv_rows(text)?;
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| !(cells.is_empty() || cells.len() == 1 && cells[0].trim().is_empty()));
    let Some((first_line, first)) = rows.next() else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = first
        .iter()
        .map(|c| c.trim().trim_start_matches('#').to_ascii_lowercase())
        .collect();
    let (columns, data): (Columns, Vec<(usize, Vec<String>)>) =
        if names.iter().any(|n| n == "domain") {
            (Columns::from_header(&names), rows.collect())
        } else {
            // No header: a plain list.
            (
                Columns::plain(),
                std::iter::once((first_line, first)).chain(rows).collect(),
            )
        };
    data.into_iter()
        .map(|(line, cells)| columns.read(line, &cells))
        .collect()
}

struct Columns {
    domain: usize,
    severity: Option<usize>,
    comment: Option<usize>,
}

impl Columns {
    fn from_header(names: &[String]) -> Self {
        let find = |name: &str| names.iter().position(|n| n == name);
        Self {
            domain: find("domain").unwrap_or(0),
            severity: find("severity"),
            comment: find("public_comment").or_else(|| find("comment")),
        }
    }

    fn plain() -> Self {
        Self {
            domain: 0,
            severity: None,
            comment: None,
        }
    }

    fn read(&self, line: usize, cells: &[String]) -> Result<Listed, ListError> {
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map(|c| c.trim());
        let raw = cell(Some(self.domain)).unwrap_or_default();
        let error = |reason: String| ListError { line, reason };
        let inner = raw.strip_prefix("*.").unwrap_or(raw);
        if inner.contains('*') {
            return Ok(Listed::Obfuscated { domain: raw.into() });
        }
        let domain = normalize_domain(raw).map_err(|err| error(format!("`{raw}`: {err}")))?;
        let severity = match cell(self.severity).unwrap_or("suspend") {
            "suspend" | "" => Severity::Suspend,
            "silence" => Severity::Silence,
            "noop" => Severity::Noop,
            other => {
                return Err(error(format!(
                    "severity `{other}` of {domain}: expected suspend, silence or noop"
                )))
            }
        };
        Ok(Listed::Block {
            domain,
            severity,
            comment: cell(self.comment).unwrap_or_default().to_owned(),
        })
    }
}

/// Rows of RFC 4180 CSV with the line each starts on: fields may be quoted,
/// with `""` for a quote and line breaks inside quotes.
fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, ListError> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let (mut line, mut row_line) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(ListError {
            line: row_line,
            reason: "a quoted field is never closed".into(),
        });
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

/// The list in Mastodon's export format: every block as `suspend`, its reason
/// as the public comment.
pub fn to_csv<'a>(blocks: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from(
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n",
    );
    for (domain, reason) in blocks {
        out.push_str(&format!(
            "{domain},suspend,true,true,{},false\n",
            quote(reason)
        ));
    }
    out
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) || field.trim() != field {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(domain: &str, severity: Severity, comment: &str) -> Listed {
        Listed::Block {
            domain: domain.into(),
            severity,
            comment: comment.into(),
        }
    }

    #[test]
    fn a_mastodon_export_is_read_with_severities_and_comments() {
        let text = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n\
                    spam.example,suspend,true,true,Spam,false\r\n\
                    *.Harass.example,suspend,true,true,\"Harassment, doxxing of \"\"organizers\"\"\",false\r\n\
                    loud.example,silence,false,false,,false\r\n\
                    pics.example,noop,true,false,,false\r\n\
                    ba**.example,suspend,true,true,,true\r\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                block("spam.example", Severity::Suspend, "Spam"),
                block(
                    "harass.example",
                    Severity::Suspend,
                    "Harassment, doxxing of \"organizers\""
                ),
                block("loud.example", Severity::Silence, ""),
                block("pics.example", Severity::Noop, ""),
                Listed::Obfuscated {
                    domain: "ba**.example".into()
                },
            ]
        );
    }

    #[test]
    fn a_plain_list_and_headers_without_hashes_are_read() {
        assert_eq!(
            parse("\u{feff}one.example\n\ntwo.example\n").unwrap(),
            vec![
                block("one.example", Severity::Suspend, ""),
                block("two.example", Severity::Suspend, ""),
            ]
        );
        assert_eq!(
            parse("domain,severity\nthree.example,silence").unwrap(),
            vec![block("three.example", Severity::Silence, "")]
        );
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let err = parse("#domain,#severity\nok.example,suspend\nhttps://x.example/,suspend\n")
            .unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("https://x.example/"), "{err}");
        let err = parse("#domain,#severity\nok.example,ban\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = parse("#domain,#public_comment\nok.example,\"never closed\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn an_export_reads_back_as_the_same_blocks() {
        let text = to_csv([
            ("spam.example", "Spam, lots"),
            ("quiet.example", ""),
            ("q.example", "said \"no\"\non two lines"),
        ]);
        assert_eq!(
            parse(&text).unwrap(),
            vec![
                block("spam.example", Severity::Suspend, "Spam, lots"),
                block("quiet.example", Severity::Suspend, ""),
                block("q.example", Severity::Suspend, "said \"no\"\non two lines"),
            ]
        );
    }
}
