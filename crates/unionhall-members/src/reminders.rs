//! Reminders to someone who pledged to come to a picket or shift: the day
//! before and two hours before it starts, shown in their own time zone, with
//! the event as an `.ics` attachment and a one-click way to stop them
//! (`List-Unsubscribe`, RFC 8058). Each is sent once: the nearest window it
//! falls in is mailed and every wider one counted as done, in the transaction
//! that queues the mail. A change is mailed at once (the next round of the
//! mail worker): the time or place moved, the call met, withdrawn, closed or
//! deleted (but not closed because its time is over: that is no news);
//! what each person last knew of a call is kept to tell them each
//! change once, whatever server the call is on. Only to a confirmed address
//! that does not bounce, and never naming who else is coming.

use crate::crypto::secrets;
use crate::mail_texts::{self as texts, AboutCall, CallMail, Words};
use crate::{Error, Members, Principal, Result};
use unionhall_domain::{ical, CallForSupport};
use unionhall_store::mail_reminders::{self, Coming, Preference};
use unionhall_store::{now_millis, Connection};

/// The reminders' kinds, nearest first, and their hours before the start
/// when the chapter did not choose (a day and two hours).
const KINDS: [&str; 2] = ["soon", "day"];
const DEFAULT_HOURS: (i64, i64) = (24, 2);
/// Reminder hours a chapter may choose: up to a week before.
pub const MAX_REMINDER_HOURS: i64 = 168;

pub(crate) const UNSUBSCRIBE_PREFIX: &str = "uhu_";

/// A call that changed (or was over) longer ago than this has been told to
/// everyone who pledged by the scans since: scans leave it alone, and read
/// only what may still change.
const SETTLED_AFTER_MS: i64 = 7 * 24 * 3_600_000;

/// The mail queue's kind of a mail about a call.
fn kind_of(about: AboutCall) -> &'static str {
    match about {
        AboutCall::Reminder => "reminder",
        _ => "call_changed",
    }
}

impl Members {
    /// Queues every reminder now due; how many mails were queued.
    pub async fn queue_reminders(&self) -> Result<usize> {
        if self.policy.mail.is_none() {
            return Ok(0);
        }
        let now = now_millis();
        let mut queued = 0;
        // Each chapter's hours, read once a scan.
        let mut hours = std::collections::HashMap::new();
        for coming in mail_reminders::coming(&self.store, now - SETTLED_AFTER_MS).await? {
            let Ok(call) = serde_json::from_str::<CallForSupport>(&coming.record) else {
                continue;
            };
            // Over a week ago (a server elsewhere may never close it): nothing
            // more to remind of or to tell.
            if call.is_over(now - SETTLED_AFTER_MS) {
                continue;
            }
            if self.tell_of_change(&coming, &call, now).await? {
                queued += 1;
            }
            let standing = !coming.deleted && matches!(coming.status.as_str(), "open" | "met");
            let Some(starts_at) = call.starts_at.filter(|at| *at > now && standing) else {
                continue;
            };
            let (first, second) = match hours.get(&coming.chapter) {
                Some(known) => *known,
                None => {
                    let chosen = mail_reminders::reminder_hours(&self.store, &coming.chapter)
                        .await?
                        .unwrap_or(DEFAULT_HOURS);
                    hours.insert(coming.chapter.clone(), chosen);
                    chosen
                }
            };
            let windows = [second, first];
            let due = windows
                .iter()
                .position(|hours| starts_at - now <= hours * 3_600_000);
            if let Some(nearest) = due {
                // Most scans find it sent already: a read, not a write.
                let mut conn = self.store.acquire().await?;
                let kind = KINDS[nearest];
                if mail_reminders::reminded(&mut conn, coming.account_id, coming.call_id, kind)
                    .await?
                {
                    continue;
                }
                drop(conn);
                if self.remind(&coming, &call, nearest, now).await? {
                    queued += 1;
                }
            }
        }
        Ok(queued)
    }

    /// Mails the change to a call someone pledged to come to, if there is one
    /// they have not been told of. True if a mail was queued.
    async fn tell_of_change(
        &self,
        coming: &Coming,
        call: &CallForSupport,
        now: i64,
    ) -> Result<bool> {
        let place = call
            .place
            .as_ref()
            .map(|p| p.address.as_str())
            .unwrap_or("");
        // Closed once its time is over (the federation crate's `over.rs`), a
        // call is not called off: that is no news to anyone who was there.
        let over = coming.status == "closed" && call.is_over(now);
        let ended = coming.deleted || matches!(coming.status.as_str(), "withdrawn" | "closed");
        let state = format!(
            "{:?}|{:?}|{place}|{}",
            call.starts_at,
            call.ends_at,
            match (over, ended) {
                (true, _) => "over",
                (false, true) => "off",
                (false, false) => coming.status.as_str(),
            }
        );
        // Unchanged, as on most scans: nothing to write.
        let mut conn = self.store.acquire().await?;
        let known = mail_reminders::seen(&mut conn, coming.account_id, coming.call_id).await?;
        drop(conn);
        if known.as_deref() == Some(state.as_str()) {
            return Ok(false);
        }
        let mut tx = self.store.begin_write().await?;
        let Some(before) =
            mail_reminders::swap_seen(&mut tx, coming.account_id, coming.call_id, &state).await?
        else {
            unionhall_store::commit(tx).await?;
            return Ok(false);
        };
        let (was, status_was) = before.rsplit_once('|').unwrap_or((&before, ""));
        let (is, status) = state.rsplit_once('|').unwrap_or((&state, ""));
        let about = match () {
            () if status == "off" && status_was != "off" => AboutCall::CalledOff,
            () if status != "off" && was != is => AboutCall::Changed,
            () if status_was == "open" && status == "met" => AboutCall::Met,
            // Open again after being met, say: nothing they must know.
            () => return Ok(unionhall_store::commit(tx).await.map(|()| false)?),
        };
        let queued = self.mail_about(&mut tx, coming, call, now, about).await?;
        unionhall_store::commit(tx).await?;
        Ok(queued)
    }

    /// Records the reminders of windows `nearest..` for one pledge and, if the
    /// nearest was not sent before, mails it. True if a mail was queued.
    async fn remind(
        &self,
        coming: &Coming,
        call: &CallForSupport,
        nearest: usize,
        now: i64,
    ) -> Result<bool> {
        let (account_id, call_id) = (coming.account_id, coming.call_id);
        let mut tx = self.store.begin_write().await?;
        let mut new = false;
        for (index, kind) in KINDS.iter().enumerate().skip(nearest) {
            let first = mail_reminders::record(&mut tx, account_id, call_id, kind, now).await?;
            new |= first && index == nearest;
        }
        let queued = new
            && self
                .mail_about(&mut tx, coming, call, now, AboutCall::Reminder)
                .await?;
        unionhall_store::commit(tx).await?;
        Ok(queued)
    }

    /// Queues, in the caller's transaction, `notice` about `call` to the
    /// account that pledged to come, if it has a confirmed address that does
    /// not bounce and wants them. True if a mail was queued.
    async fn mail_about(
        &self,
        tx: &mut Connection,
        coming: &Coming,
        call: &CallForSupport,
        now: i64,
        about: AboutCall,
    ) -> Result<bool> {
        let Some(mail) = &self.policy.mail else {
            return Ok(false);
        };
        let (account_id, call_id) = (coming.account_id, coming.call_id);
        let Some(address) = self
            .recipient(tx, account_id, Preference::Reminders)
            .await?
        else {
            return Ok(false);
        };
        let (zone, language) = self.reader_in(tx, account_id).await?;
        let words = Words::of(language);
        let stop = self
            .stop_link(tx, &mail.public_url, account_id, Preference::Reminders, now)
            .await?;
        let page = crate::email::link(&mail.public_url, &format!("/call/{call_id}"));
        let when = call
            .starts_at
            .map(|start| zone.show_span_in(language, start, call.ends_at))
            .unwrap_or_default();
        let title = format!("{}: {}", words.call_kind(call.kind), call.title);
        let place = call
            .place
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default();
        let mut message = texts::about_call(
            words,
            &mail.instance_name,
            &address,
            CallMail {
                about,
                title: &title,
                when: &when,
                place: &place,
                page: &page,
            },
            &stop,
        );
        if let Some(starts_at) = call.starts_at {
            let event = ical::Event {
                uid: format!(
                    "call-{call_id}@{}",
                    mail.public_url.host_str().unwrap_or_default()
                ),
                stamp: now,
                starts_at,
                ends_at: call.ends_at,
                summary: title.clone(),
                location: place,
                description: call.details.clone(),
                url: page,
                cancelled: about == AboutCall::CalledOff,
            };
            message.calendar = Some(ical::render(&title, &[event]));
        }
        self.queue_mail(tx, Some(account_id), kind_of(about), &message)
            .await?;
        Ok(true)
    }

    /// Whether the caller gets mail of kind `what`.
    pub async fn mail_wanted(&self, principal: &Principal, what: Preference) -> Result<bool> {
        let mut conn = self.store.acquire().await?;
        Ok(mail_reminders::wants(&mut conn, principal.account_id, what).await?)
    }

    /// Turns the caller's mail of kind `what` on or off.
    pub async fn set_mail_wanted(
        &self,
        principal: &Principal,
        what: Preference,
        on: bool,
    ) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set(&mut tx, principal.account_id, what, on, now_millis()).await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// A chapter's reminder hours: (first, second), hours before the start.
    pub async fn reminder_hours(&self, group: &crate::Group) -> Result<(i64, i64)> {
        Ok(mail_reminders::reminder_hours(&self.store, &group.ap_id)
            .await?
            .unwrap_or(DEFAULT_HOURS))
    }

    /// Sets when `group`'s members who pledged to come are reminded; its
    /// admins only. The first must come before the second, both within a week.
    pub async fn set_reminder_hours(
        &self,
        principal: &Principal,
        group: &crate::Group,
        first: i64,
        second: i64,
    ) -> Result<()> {
        principal.require(
            group,
            unionhall_domain::Permission::ManageRoles,
            "set when its members are reminded",
        )?;
        if !(1..=MAX_REMINDER_HOURS).contains(&second) || !(1..=MAX_REMINDER_HOURS).contains(&first)
        {
            return Err(Error::invalid(
                "reminder_hours",
                format!("reminders come between 1 and {MAX_REMINDER_HOURS} hours before"),
            ));
        }
        if first <= second {
            return Err(Error::invalid(
                "reminder_hours",
                "the first reminder must come earlier than the second",
            ));
        }
        mail_reminders::set_reminder_hours(&self.store, &group.ap_id, first, second).await?;
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
        let preference = Preference::parse(&what).ok_or_else(unknown)?;
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set(&mut tx, account_id, preference, false, now_millis()).await?;
        unionhall_store::commit(tx).await?;
        tracing::info!(account_id, what, "unsubscribed by link");
        Ok(what)
    }
}
