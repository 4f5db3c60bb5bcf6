//! Notices to a chapter's organizers and admins of new pledges to its calls,
//! grouped: at most one mail per call an hour, saying how many more came in
//! and where the call now stands. Counts only: who pledged is on the call's
//! page, for the organizers of the pledgers' own chapters, never in mail.
//! What each organizer was last told is kept (`mail_pledges_told`); a call
//! first seen with pledges already counts them as told.

use crate::crypto::secrets;
use crate::email::{link, texts};
use crate::{Members, Result};
use unionhall_domain::{CallForSupport, CallStatus};
use unionhall_store::mail_reminders::{self, Preference};
use unionhall_store::{account_emails, accounts, calls, now_millis};

/// New pledges to one call are told to one organizer at most this often.
const GROUPED_MS: i64 = 3_600_000;

impl Members {
    /// Queues the notices of new pledges now due; how many mails were queued.
    pub async fn queue_pledge_notices(&self) -> Result<usize> {
        let Some(mail) = &self.policy.mail else {
            return Ok(0);
        };
        let now = now_millis();
        let mut queued = 0;
        let open = |status: CallStatus| matches!(status, CallStatus::Open | CallStatus::Met);
        for call in calls::all(&self.store).await? {
            if !call.is_local || call.deleted_at.is_some() || !open(call.status) {
                continue;
            }
            let Ok(record) = serde_json::from_str::<CallForSupport>(&call.record) else {
                continue;
            };
            let totals = [
                call.pledged.people,
                call.pledged.amount,
                call.pledged.actions,
            ];
            for role in accounts::roles_in_group(&self.store, &call.author).await? {
                if !matches!(role.role.as_str(), "organizer" | "admin") {
                    continue;
                }
                let mut tx = self.store.begin_write().await?;
                let told = mail_reminders::pledges_told(&mut tx, role.account_id, call.id).await?;
                let Some((before, told_at)) = told else {
                    mail_reminders::set_pledges_told(&mut tx, role.account_id, call.id, totals, 0)
                        .await?;
                    unionhall_store::commit(tx).await?;
                    continue;
                };
                let more: Vec<i64> = totals.iter().zip(before).map(|(n, b)| n - b).collect();
                if more.iter().all(|m| *m <= 0) {
                    if totals != before {
                        // Pledges taken back: known, not told.
                        mail_reminders::set_pledges_told(
                            &mut tx,
                            role.account_id,
                            call.id,
                            totals,
                            told_at,
                        )
                        .await?;
                    }
                    unionhall_store::commit(tx).await?;
                    continue;
                }
                if now - told_at < GROUPED_MS {
                    unionhall_store::commit(tx).await?;
                    continue;
                }
                let address = account_emails::of_account(&mut tx, role.account_id)
                    .await?
                    .filter(|row| row.confirmed_at.is_some() && row.bounced_at.is_none());
                let wanted =
                    mail_reminders::wants(&mut tx, role.account_id, Preference::Pledges).await?;
                mail_reminders::set_pledges_told(&mut tx, role.account_id, call.id, totals, now)
                    .await?;
                if let (true, Some(address)) = (wanted, address) {
                    let address = self.open_address(&address)?;
                    let token = secrets::new_secret(crate::reminders::UNSUBSCRIBE_PREFIX)?;
                    mail_reminders::add_unsubscribe(
                        &mut tx,
                        &secrets::hash_secret(&token),
                        role.account_id,
                        Preference::Pledges.as_str(),
                        now,
                    )
                    .await?;
                    let notice = texts::new_pledges(
                        &mail.instance_name,
                        &address,
                        &format!("{}: {}", record.kind.label(), record.title),
                        [more[0].max(0), more[1].max(0), more[2].max(0)],
                        totals,
                        &record,
                        &link(&mail.public_url, &format!("/call/{}", call.id)),
                        &link(&mail.public_url, &format!("/unsubscribe/{token}")),
                    );
                    self.queue_mail(&mut tx, Some(role.account_id), "pledges", &notice)
                        .await?;
                    queued += 1;
                }
                unionhall_store::commit(tx).await?;
            }
        }
        Ok(queued)
    }
}
