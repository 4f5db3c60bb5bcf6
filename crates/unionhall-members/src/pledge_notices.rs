//! Notices to a chapter's organizers and admins: a coordinated action of one
//! of the chapter's bodies whose decision deadline is a day away and that
//! the chapter has not answered (once), and new pledges to its calls,
//! grouped: at most one mail per call an hour, saying how many more came in
//! and where the call now stands. Counts only: who pledged is on the call's
//! page, for the organizers of the pledgers' own chapters, never in mail.
//! What each organizer was last told is kept (`mail_pledges_told`); a call
//! first seen with pledges already counts them as told.

use crate::email::link;
use crate::mail_texts::{self as texts, Words};
use crate::{Members, Result};
use unionhall_domain::{ActorKind, CallForSupport, CoordinatedAction};
use unionhall_store::actors as store_actors;
use unionhall_store::mail_reminders::{self, Preference};
use unionhall_store::{accounts, actions, calls, now_millis, unions};

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
        // Ours, open or met: the calls that take pledges (not every call ever).
        for call in calls::local_standing(&self.store).await? {
            let Ok(record) = serde_json::from_str::<CallForSupport>(&call.record) else {
                continue;
            };
            let totals = [
                call.pledged.people,
                call.pledged.amount,
                call.pledged.actions,
            ];
            for account_id in self.organizers_of(&call.author).await? {
                // Nothing new, as on most scans: a read, not a write.
                let mut conn = self.store.acquire().await?;
                let told = mail_reminders::pledges_told(&mut conn, account_id, call.id).await?;
                drop(conn);
                if told.is_some_and(|(before, _)| before == totals) {
                    continue;
                }
                let mut tx = self.store.begin_write().await?;
                let key = (account_id, call.id);
                let Some((before, told_at)) = told else {
                    mail_reminders::swap_pledges_told(&mut tx, key, None, totals, 0).await?;
                    unionhall_store::commit(tx).await?;
                    continue;
                };
                let more: Vec<i64> = totals.iter().zip(before).map(|(n, b)| n - b).collect();
                if more.iter().all(|m| *m <= 0) {
                    // Pledges taken back: known, not told.
                    mail_reminders::swap_pledges_told(&mut tx, key, told, totals, told_at).await?;
                    unionhall_store::commit(tx).await?;
                    continue;
                }
                if now - told_at < GROUPED_MS {
                    unionhall_store::commit(tx).await?;
                    continue;
                }
                // Another process scanning at the same time told them first.
                if !mail_reminders::swap_pledges_told(&mut tx, key, told, totals, now).await? {
                    unionhall_store::commit(tx).await?;
                    continue;
                }
                let recipient = self
                    .recipient(&mut tx, account_id, Preference::Pledges)
                    .await?;
                if let Some(address) = recipient {
                    let stop = self
                        .stop_link(
                            &mut tx,
                            &mail.public_url,
                            account_id,
                            Preference::Pledges,
                            now,
                        )
                        .await?;
                    let words = Words::of(self.reader_in(&mut tx, account_id).await?.1);
                    let notice = texts::new_pledges(
                        words,
                        &mail.instance_name,
                        &address,
                        &format!("{}: {}", words.call_kind(record.kind), record.title),
                        [more[0].max(0), more[1].max(0), more[2].max(0)],
                        totals,
                        &record,
                        (
                            &link(&mail.public_url, &format!("/call/{}", call.id)),
                            &stop,
                        ),
                    );
                    self.queue_mail(&mut tx, Some(account_id), "pledges", &notice)
                        .await?;
                    queued += 1;
                }
                unionhall_store::commit(tx).await?;
            }
        }
        Ok(queued)
    }
}

impl Members {
    /// The accounts that organize `group` (its organizers and admins): who
    /// is told of its calls' pledges and of actions it must answer.
    async fn organizers_of(&self, group: &url::Url) -> Result<Vec<i64>> {
        Ok(accounts::roles_in_group(&self.store, group)
            .await?
            .into_iter()
            .filter(|role| matches!(role.role.as_str(), "organizer" | "admin"))
            .map(|role| role.account_id)
            .collect())
    }
}

/// A coordinated action is mailed to organizers this long before its
/// decision deadline, if their chapter has not answered.
const ACTION_NOTICE_MS: i64 = 24 * 3_600_000;

impl Members {
    /// Queues, to the organizers and admins of each of our chapters that
    /// belongs to a body, the body's proposed actions whose decision deadline
    /// is within a day and that the chapter has not answered, once each.
    pub async fn queue_action_deadlines(&self) -> Result<usize> {
        let Some(mail) = &self.policy.mail else {
            return Ok(0);
        };
        let now = now_millis();
        let mut due = Vec::new();
        for action in actions::proposed(&self.store).await? {
            let Ok(record) = serde_json::from_str::<CoordinatedAction>(&action.record) else {
                continue;
            };
            let left = record.decision_deadline - now;
            if left > 0 && left <= ACTION_NOTICE_MS {
                due.push((action, record));
            }
        }
        if due.is_empty() {
            return Ok(0);
        }
        let mut queued = 0;
        for chapter in store_actors::list_local_groups(&self.store).await? {
            if chapter.kind != ActorKind::Chapter {
                continue;
            }
            let bodies: Vec<_> = unions::bodies_of(&self.store, &chapter.ap_id)
                .await?
                .into_iter()
                .filter(|m| m.accepted_at.is_some())
                .map(|m| m.body)
                .collect();
            let answered =
                actions::answered_by(&self.store, std::slice::from_ref(&chapter.ap_id)).await?;
            let handle = chapter.handle.clone().unwrap_or_default();
            let organizers = self.organizers_of(&chapter.ap_id).await?;
            for (action, record) in &due {
                if !bodies.contains(&action.author)
                    || answered.iter().any(|(id, _)| *id == action.id)
                {
                    continue;
                }
                for &account_id in &organizers {
                    let mut conn = self.store.acquire().await?;
                    let told =
                        mail_reminders::action_told(&mut conn, account_id, action.id).await?;
                    drop(conn);
                    if told {
                        continue;
                    }
                    let mut tx = self.store.begin_write().await?;
                    let first =
                        mail_reminders::record_action(&mut tx, account_id, action.id, now).await?;
                    let recipient = self
                        .recipient(&mut tx, account_id, Preference::Pledges)
                        .await?;
                    if let (true, Some(address)) = (first, recipient) {
                        let (zone, language) = self.reader_in(&mut tx, account_id).await?;
                        let stop = self
                            .stop_link(
                                &mut tx,
                                &mail.public_url,
                                account_id,
                                Preference::Pledges,
                                now,
                            )
                            .await?;
                        let notice = texts::action_deadline(
                            Words::of(language),
                            &mail.instance_name,
                            &address,
                            &record.title,
                            &handle,
                            &zone.show_in(language, record.decision_deadline),
                            (
                                &link(&mail.public_url, &format!("/actions/{}", action.id)),
                                &stop,
                            ),
                        );
                        self.queue_mail(&mut tx, Some(account_id), "action", &notice)
                            .await?;
                        queued += 1;
                    }
                    unionhall_store::commit(tx).await?;
                }
            }
        }
        Ok(queued)
    }
}
