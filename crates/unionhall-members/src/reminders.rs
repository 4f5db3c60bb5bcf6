//! Reminders to someone who pledged to come to a picket or shift: the day
//! before and two hours before it starts, shown in their own time zone, with
//! the event as an `.ics` attachment and a one-click way to stop them
//! (`List-Unsubscribe`, RFC 8058). Each is sent once: the nearest window it
//! falls in is mailed and every wider one counted as done, in the transaction
//! that queues the mail. Only to a confirmed address that does not bounce,
//! and never naming who else is coming.

use crate::crypto::secrets;
use crate::email::texts;
use crate::{Error, Members, Principal, Result};
use unionhall_domain::{ical, CallForSupport, Zone};
use unionhall_store::mail_reminders::{self, Coming};
use unionhall_store::{account_emails, now_millis};

/// The windows before a start in which a reminder is due, nearest first:
/// (kind, hours before the start).
const WINDOWS: [(&str, i64); 2] = [("soon", 2), ("day", 24)];

const UNSUBSCRIBE_PREFIX: &str = "uhu_";

impl Members {
    /// Queues every reminder now due; how many mails were queued.
    pub async fn queue_reminders(&self) -> Result<usize> {
        if self.policy.mail.is_none() {
            return Ok(0);
        }
        let now = now_millis();
        let mut queued = 0;
        for coming in mail_reminders::coming(&self.store).await? {
            let Ok(call) = serde_json::from_str::<CallForSupport>(&coming.record) else {
                continue;
            };
            let Some(starts_at) = call.starts_at.filter(|at| *at > now) else {
                continue;
            };
            let due = WINDOWS
                .iter()
                .position(|(_, hours)| starts_at - now <= hours * 3_600_000);
            if let Some(nearest) = due {
                if self.remind(&coming, &call, starts_at, nearest, now).await? {
                    queued += 1;
                }
            }
        }
        Ok(queued)
    }

    /// Records the reminders of windows `nearest..` for one pledge and, if the
    /// nearest was not sent before, mails it. True if a mail was queued.
    async fn remind(
        &self,
        coming: &Coming,
        call: &CallForSupport,
        starts_at: i64,
        nearest: usize,
        now: i64,
    ) -> Result<bool> {
        let Some(mail) = &self.policy.mail else {
            return Ok(false);
        };
        let (account_id, call_id) = (coming.account_id, coming.call_id);
        let mut tx = self.store.begin_write().await?;
        let mut new = false;
        for (index, (kind, _)) in WINDOWS.iter().enumerate().skip(nearest) {
            let first = mail_reminders::record(&mut tx, account_id, call_id, kind, now).await?;
            new |= first && index == nearest;
        }
        let address = account_emails::of_account(&mut tx, account_id)
            .await?
            .filter(|row| row.confirmed_at.is_some() && row.bounced_at.is_none());
        let wanted = mail_reminders::wants_reminders(&mut tx, account_id).await?;
        let (true, true, Some(address)) = (new, wanted, address) else {
            unionhall_store::commit(tx).await?;
            return Ok(false);
        };
        let address = self.open_address(&address)?;
        let zones = unionhall_store::time_zones::of_account(&self.store, account_id).await?;
        let zone = zones
            .own
            .or(zones.chapter)
            .and_then(|name| Zone::parse(&name).ok())
            .unwrap_or_default();
        let token = secrets::new_secret(UNSUBSCRIBE_PREFIX)?;
        mail_reminders::add_unsubscribe(
            &mut tx,
            &secrets::hash_secret(&token),
            account_id,
            "reminders",
            now,
        )
        .await?;
        let page = crate::email::link(&mail.public_url, &format!("/call/{call_id}"));
        let when = zone.show_span(starts_at, call.ends_at);
        let title = format!("{}: {}", call.kind.label(), call.title);
        let place = call
            .place
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default();
        let event = ical::Event {
            uid: format!(
                "call-{call_id}@{}",
                mail.public_url.host_str().unwrap_or_default()
            ),
            stamp: now,
            starts_at,
            ends_at: call.ends_at,
            summary: title.clone(),
            location: place.clone(),
            description: call.details.clone(),
            url: page.clone(),
            cancelled: false,
        };
        let stop = crate::email::link(&mail.public_url, &format!("/unsubscribe/{token}"));
        let mut reminder = texts::reminder(
            &mail.instance_name,
            &address,
            &title,
            &when,
            &place,
            &page,
            &stop,
        );
        reminder.calendar = Some(ical::render(&title, &[event]));
        self.queue_mail(&mut tx, Some(account_id), "reminder", &reminder)
            .await?;
        unionhall_store::commit(tx).await?;
        Ok(true)
    }

    /// Whether the caller gets reminders before what they pledged to come to.
    pub async fn reminders_on(&self, principal: &Principal) -> Result<bool> {
        let mut conn = self.store.acquire().await?;
        Ok(mail_reminders::wants_reminders(&mut conn, principal.account_id).await?)
    }

    /// Turns the caller's reminders on or off.
    pub async fn set_reminders(&self, principal: &Principal, on: bool) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set_reminders(&mut tx, principal.account_id, on, now_millis()).await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// Follows a one-click unsubscribe link: what it named is turned off.
    /// Returns what that was ("reminders").
    pub async fn unsubscribe(&self, token: &str) -> Result<String> {
        let unknown = || Error::NotFound("no such link".into());
        if !token.starts_with(UNSUBSCRIBE_PREFIX) {
            return Err(unknown());
        }
        let (account_id, what) =
            mail_reminders::unsubscribe_of(&self.store, &secrets::hash_secret(token))
                .await?
                .ok_or_else(unknown)?;
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set_reminders(&mut tx, account_id, false, now_millis()).await?;
        unionhall_store::commit(tx).await?;
        tracing::info!(account_id, what, "unsubscribed by link");
        Ok(what)
    }
}
