//! Writing and reading the audit log. Entries name member records by id and say
//! what happened; they never hold a field of a record, so erasing a member leaves
//! the fact in the log and nothing of the person.

use crate::principal::{Group, Principal};
use crate::{Members, Result};
use unionhall_domain::Permission;
use unionhall_store::audit::{self, AuditEntry, NewAuditEntry, Reading};
use unionhall_store::Connection;

/// Who did something: an account, or the admin at the command line.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub account_id: Option<i64>,
    pub username: &'a str,
}

impl Who<'static> {
    pub const CLI: Who<'static> = Who {
        account_id: None,
        username: "cli",
    };
}

impl<'a> From<&'a Principal> for Who<'a> {
    fn from(principal: &'a Principal) -> Self {
        Who {
            account_id: Some(principal.account_id),
            username: &principal.username,
        }
    }
}

pub(crate) async fn record(
    conn: &mut Connection,
    who: Who<'_>,
    group: &Group,
    action: &str,
    subject: String,
    detail: String,
) -> Result<()> {
    audit::append(
        conn,
        &NewAuditEntry {
            account_id: who.account_id,
            username: who.username,
            group: Some(&group.ap_id),
            action,
            subject,
            detail,
        },
    )
    .await?;
    Ok(())
}

/// How the log names a member record: by its number, never by anything in it.
pub fn member_subject(id: i64) -> String {
    format!("member {id}")
}

/// The most entries one reading of the log returns.
pub const MOST_READ: i64 = 1000;

impl Members {
    /// Entries about `group`, for its admins: newest first, as `reading`
    /// says (its limit kept within 1 and [`MOST_READ`]).
    pub async fn audit_log(
        &self,
        principal: &Principal,
        group: &Group,
        reading: &Reading<'_>,
    ) -> Result<Vec<AuditEntry>> {
        principal.require(group, Permission::ViewAudit, "read the audit log")?;
        let reading = Reading {
            limit: reading.limit.clamp(1, MOST_READ),
            ..reading.clone()
        };
        Ok(audit::of_group(&self.store, &group.ap_id, &reading).await?)
    }
}
