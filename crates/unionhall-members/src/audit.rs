//! Writing and reading the audit log. Entries name member records by id and say
//! what happened; they never hold a field of a record, so erasing a member leaves
//! the fact in the log and nothing of the person.

use crate::principal::{Group, Principal};
use crate::{Members, Result};
use unionhall_domain::Permission;
use unionhall_store::audit::{self, AuditEntry, NewAuditEntry};
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

impl Members {
    /// The newest entries about `group`, for its admins.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        group: &Group,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        principal.require(group, Permission::ViewAudit, "read the audit log")?;
        Ok(audit::of_group(&self.store, &group.ap_id, limit.clamp(1, 1000)).await?)
    }
}
