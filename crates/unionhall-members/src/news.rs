//! News by mail: the new public calls and strikes of the member's chapters,
//! the union bodies those chapters belong to, and the chapters of the
//! campaigns the member follows, at once or as a daily digest at an hour of
//! their own clock (the member's choice; a digest at 7 unless they chose
//! otherwise), with one-click
//! unsubscribe. Only what anyone may read goes in it: a followers-only or
//! chapters-only call stays on the board. What each account was told up to
//! is kept (`mail_news`); an account is first told of what comes after.

use crate::email::link;
use crate::mail_texts::{self as texts, fill, Words};
use crate::{Members, Principal, Result};
use std::collections::BTreeSet;
use unionhall_domain::{Audience, CallForSupport, Strike};
use unionhall_store::mail_reminders::{self, Preference};
use unionhall_store::{account_emails, accounts, calls, campaigns, now_millis, strikes, unions};
use url::Url;

/// The hour of the daily digest, on the reader's clock, unless they chose
/// another.
pub const DEFAULT_DIGEST_HOUR: u32 = 7;

/// How often news is mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewsChoice {
    Off,
    AtOnce,
    Daily,
}

impl NewsChoice {
    fn from_stored(value: i64) -> Self {
        match value {
            0 => Self::Off,
            1 => Self::AtOnce,
            _ => Self::Daily,
        }
    }

    fn stored(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::AtOnce => 1,
            Self::Daily => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::AtOnce => "at_once",
            Self::Daily => "daily",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "off" => Some(Self::Off),
            "at_once" => Some(Self::AtOnce),
            "daily" => Some(Self::Daily),
            _ => None,
        }
    }
}

/// One piece of news: when, what, its page.
struct Item {
    published_at: i64,
    line: String,
}

/// How far back news looks: a daily digest's day, and a week more for
/// scans that could not run.
const NEWS_WINDOW_MS: i64 = 8 * 24 * 3_600_000;

impl Members {
    pub async fn news_choice(&self, principal: &Principal) -> Result<NewsChoice> {
        let mut conn = self.store.acquire().await?;
        let stored = mail_reminders::news_choice(&mut conn, principal.account_id).await?;
        Ok(NewsChoice::from_stored(stored))
    }

    pub async fn set_news_choice(&self, principal: &Principal, choice: NewsChoice) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set_news_choice(
            &mut tx,
            principal.account_id,
            choice.stored(),
            now_millis(),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// The hour of the caller's daily digest, on their own clock.
    pub async fn digest_hour(&self, principal: &Principal) -> Result<u32> {
        let mut conn = self.store.acquire().await?;
        let hour = mail_reminders::digest_hour(&mut conn, principal.account_id).await?;
        Ok(hour.map_or(DEFAULT_DIGEST_HOUR, |h| h.clamp(0, 23) as u32))
    }

    /// Sets the hour of the caller's daily digest (0 to 23).
    pub async fn set_digest_hour(&self, principal: &Principal, hour: u32) -> Result<()> {
        let hour = check_digest_hour(hour)?;
        let mut tx = self.store.begin_write().await?;
        mail_reminders::set_digest_hour(&mut tx, principal.account_id, hour, now_millis()).await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    /// Queues the news due now; how many mails were queued.
    pub async fn queue_news(&self) -> Result<usize> {
        let Some(mail) = &self.policy.mail else {
            return Ok(0);
        };
        let now = now_millis();
        let mut queued = 0;
        let accounts = account_emails::confirmed_accounts(&self.store).await?;
        if accounts.is_empty() {
            return Ok(0);
        }
        // News is what was published lately: not every call and strike ever
        // held, read again on every scan, nor months of them to a reader who
        // turns news on after a while.
        let since = now - NEWS_WINDOW_MS;
        let recent_calls = calls::published_since(&self.store, since).await?;
        let recent_strikes = strikes::published_since(&self.store, since).await?;
        for account_id in accounts {
            // Read first: most scans have nothing to tell, and write nothing.
            let mut conn = self.store.acquire().await?;
            let choice =
                NewsChoice::from_stored(mail_reminders::news_choice(&mut conn, account_id).await?);
            let told = mail_reminders::news_told(&mut conn, account_id).await?;
            drop(conn);
            let Some((told_until, told_at)) = told else {
                let mut tx = self.store.begin_write().await?;
                mail_reminders::swap_news_told(&mut tx, account_id, None, now, now).await?;
                unionhall_store::commit(tx).await?;
                continue;
            };
            let due = match choice {
                NewsChoice::Off => false,
                NewsChoice::AtOnce => true,
                NewsChoice::Daily => told_at < self.last_digest_time(account_id, now).await?,
            };
            if !due {
                continue;
            }
            let groups = self.news_sources(account_id).await?;
            let words = Words::of(self.language_of_account(account_id).await?);
            let base = &mail.public_url;
            let mut items: Vec<Item> = Vec::new();
            for call in &recent_calls {
                let fresh = call.published_at > told_until;
                if !fresh || call.audience != Audience::Public || !groups.contains(&call.author) {
                    continue;
                }
                // A call whose time is over is no news (a backfill brings some).
                let record = serde_json::from_str::<CallForSupport>(&call.record)
                    .ok()
                    .filter(|record| !record.is_over(now));
                if let Some(record) = record {
                    items.push(Item {
                        published_at: call.published_at,
                        line: format!(
                            "{}\n{}",
                            fill(
                                words.news_call,
                                &[
                                    ("kind", words.call_kind(record.kind)),
                                    ("title", &record.title),
                                    ("group", &address_of(&call.author)),
                                ]
                            ),
                            link(base, &format!("/call/{}", call.id))
                        ),
                    });
                }
            }
            for strike in &recent_strikes {
                let fresh = strike.published_at > told_until;
                if !fresh || !groups.contains(&strike.author) {
                    continue;
                }
                if let Ok(record) = serde_json::from_str::<Strike>(&strike.record) {
                    items.push(Item {
                        published_at: strike.published_at,
                        line: format!(
                            "{}\n{}",
                            fill(
                                words.news_strike,
                                &[
                                    ("employer", &record.employer),
                                    ("workplace", &record.workplace),
                                    ("group", &address_of(&strike.author)),
                                ]
                            ),
                            link(base, &format!("/strike/{}", strike.id))
                        ),
                    });
                }
            }
            if items.is_empty() {
                continue;
            }
            let mut tx = self.store.begin_write().await?;
            items.sort_by_key(|item| item.published_at);
            let newest = items.iter().map(|i| i.published_at).max().unwrap_or(now);
            // Another process scanning at the same time told them first.
            if !mail_reminders::swap_news_told(&mut tx, account_id, told, newest, now).await? {
                unionhall_store::commit(tx).await?;
                continue;
            }
            let Some(address) = self
                .recipient(&mut tx, account_id, Preference::News)
                .await?
            else {
                unionhall_store::commit(tx).await?;
                continue;
            };
            let stop = self
                .stop_link(&mut tx, base, account_id, Preference::News, now)
                .await?;
            let lines: Vec<String> = items.into_iter().map(|i| i.line).collect();
            let news = texts::news(
                words,
                &mail.instance_name,
                &address,
                choice == NewsChoice::Daily,
                &lines,
                &stop,
            );
            self.queue_mail(&mut tx, Some(account_id), "news", &news)
                .await?;
            unionhall_store::commit(tx).await?;
            queued += 1;
        }
        Ok(queued)
    }

    /// Whose news an account gets: its chapters and bodies, the bodies its
    /// chapters belong to, and the chapters of the campaigns it follows.
    async fn news_sources(&self, account_id: i64) -> Result<BTreeSet<Url>> {
        let mut groups = BTreeSet::new();
        for role in accounts::roles_of_account(&self.store, account_id).await? {
            for body in unions::bodies_of(&self.store, &role.group).await? {
                if body.accepted_at.is_some() {
                    groups.insert(body.body);
                }
            }
            groups.insert(role.group);
        }
        for campaign in campaigns::followed_by(&self.store, account_id).await? {
            groups.insert(campaign.author);
        }
        Ok(groups)
    }
}

/// An hour a digest can be mailed at.
pub fn check_digest_hour(hour: u32) -> Result<i64> {
    if hour > 23 {
        return Err(crate::Error::invalid(
            "digest_hour",
            "is an hour of the day, from 0 to 23",
        ));
    }
    Ok(i64::from(hour))
}

impl Members {
    /// When `account_id`'s daily digest was last due: the latest stroke of
    /// its hour on the account's clock. A digest not mailed since is due.
    async fn last_digest_time(&self, account_id: i64, now: i64) -> Result<i64> {
        let mut conn = self.store.acquire().await?;
        let hour = mail_reminders::digest_hour(&mut conn, account_id).await?;
        drop(conn);
        let hour = hour.map_or(DEFAULT_DIGEST_HOUR, |h| h.clamp(0, 23) as u32);
        let zone = self.zone_of_account(account_id).await?;
        Ok(zone.latest_at_hour(now, hour))
    }
}

/// A group as people read its address: `@handle@host` from its id.
fn address_of(group: &Url) -> String {
    let handle = group
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    format!("@{handle}@{}", group.host_str().unwrap_or_default())
}
