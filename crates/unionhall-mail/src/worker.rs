//! The mail workers: claim what is due for a lease, send it, and record the
//! outcome. A temporary failure (the server down, a 4xx) is tried again after
//! waits that double from `retry_base`, until `expiry` after the message was
//! written; a permanent one (5xx) is given up at once, and a refused address
//! is marked as bouncing on its account, for its holder and organizers to
//! see. A crash between the server's acceptance and the mark leaves the
//! message to be sent again once its lease runs out: at least once, with
//! the same Message-ID.

use crate::{MailSettings, Mailer, Refusal};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use unionhall_members::Members;
use unionhall_store::mail_queue::{self, QueuedMail};
use unionhall_store::{now_millis, Store};

/// Messages claimed at a time.
const BATCH: i64 = 16;
/// How long a claim holds: longer than one conversation with the server.
const LEASE: Duration = Duration::from_secs(120);
/// The longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// Sends the queue until `shutdown` turns true.
pub fn spawn(
    store: Store,
    members: Members,
    mailer: Mailer,
    settings: MailSettings,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut scanned: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            if scanned.is_none_or(|at| at.elapsed() >= settings.scan) {
                scanned = Some(std::time::Instant::now());
                queue_due(&members).await;
            }
            if let Err(err) = round(&store, &members, &mailer, &settings).await {
                tracing::warn!("the mail queue could not be read: {err}");
            }
            tokio::select! {
                () = tokio::time::sleep(settings.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}

/// Queues what has become due: reminders and changes, notices of new
/// pledges, news (each once, whichever process gets there first: the members
/// crate records each with its mail).
async fn queue_due(members: &Members) {
    if let Err(err) = members.queue_reminders().await {
        tracing::warn!("reminders could not be queued: {err}");
    }
    if let Err(err) = members.queue_pledge_notices().await {
        tracing::warn!("notices of new pledges could not be queued: {err}");
    }
    if let Err(err) = members.queue_action_deadlines().await {
        tracing::warn!("notices of action deadlines could not be queued: {err}");
    }
    if let Err(err) = members.queue_news().await {
        tracing::warn!("news could not be queued: {err}");
    }
}

/// One round: everything due, claimed and sent.
pub async fn round(
    store: &Store,
    members: &Members,
    mailer: &Mailer,
    settings: &MailSettings,
) -> unionhall_store::Result<()> {
    loop {
        let lease_until = now_millis() + LEASE.as_millis() as i64;
        let claimed = mail_queue::claim(store, BATCH, lease_until).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for queued in claimed {
            send_one(store, members, mailer, settings, &queued).await?;
        }
    }
}

async fn send_one(
    store: &Store,
    members: &Members,
    mailer: &Mailer,
    settings: &MailSettings,
    queued: &QueuedMail,
) -> unionhall_store::Result<()> {
    let outcome = match members.open_mail(queued) {
        Ok(mail) => mailer.send(&queued.id, &mail).await,
        Err(err) => Err(Refusal::Permanent {
            reason: format!("the message cannot be opened: {err}"),
            address: false,
        }),
    };
    let kind = queued.kind.clone();
    match outcome {
        Ok(()) => {
            mail_queue::mark_sent(store, &queued.id).await?;
            metrics::counter!("unionhall_mail_total", "kind" => kind, "outcome" => "sent")
                .increment(1);
            tracing::info!(id = queued.id, "mail sent");
        }
        Err(Refusal::Temporary(why)) => {
            let age = now_millis() - queued.created_at;
            if age > settings.expiry.as_millis() as i64 {
                mail_queue::give_up(store, &queued.id, &why, None).await?;
                metrics::counter!("unionhall_mail_total", "kind" => kind, "outcome" => "expired")
                    .increment(1);
                tracing::warn!(id = queued.id, "mail given up after {age} ms: {why}");
            } else {
                let wait = wait_after(settings.retry_base, queued.attempts);
                let next = now_millis() + wait.as_millis() as i64;
                mail_queue::retry_at(store, &queued.id, next, &why).await?;
                metrics::counter!("unionhall_mail_total", "kind" => kind, "outcome" => "retried")
                    .increment(1);
                tracing::info!(id = queued.id, "mail to be tried again in {wait:?}: {why}");
            }
        }
        Err(Refusal::Permanent { reason, address }) => {
            let bounced = if address { queued.account_id } else { None };
            mail_queue::give_up(store, &queued.id, &reason, bounced).await?;
            metrics::counter!("unionhall_mail_total", "kind" => kind, "outcome" => "refused")
                .increment(1);
            tracing::warn!(id = queued.id, "mail refused for good: {reason}");
        }
    }
    Ok(())
}

/// The wait before attempt `attempts + 1`: `base`, doubling, at most an hour.
fn wait_after(base: Duration, attempts: i64) -> Duration {
    let doublings = attempts.clamp(0, 16) as u32;
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(wait_after(base, 0), Duration::from_secs(30));
        assert_eq!(wait_after(base, 2), Duration::from_secs(120));
        assert_eq!(wait_after(base, 40), MAX_WAIT);
    }
}
