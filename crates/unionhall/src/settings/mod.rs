//! The instance's settings: their shape, how the layers combine, and the checks that
//! turn a typo into a clear message instead of a surprise at run time.
//!
//! `config/default.toml` is the single source of defaults: it is compiled in, holds
//! every key (a test keeps it in step with these structs), and the structs have no
//! serde defaults of their own.

mod layers;

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use url::Url;

pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");
/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "UNIONHALL_";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub instance: InstanceSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub federation: FederationSettings,
    pub members: MembersSettings,
    pub retention: RetentionSettings,
    pub email: EmailSettings,
}

/// `[email]`: off while `server` is empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub server: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub username: String,
    /// Secret: printed only masked.
    pub password: String,
    pub from: String,
    /// A PEM file of the authority that issued the mail server's certificate,
    /// for a private one; empty: the system's authorities.
    pub ca_file: String,
    /// What mail is written in for accounts that chose none: en, es or fr.
    pub language: String,
    pub retry_base_seconds: u64,
    pub expiry_hours: u64,
    pub poll_ms: u64,
    pub scan_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSettings {
    pub public_url: Url,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    pub body_limit_bytes: usize,
    pub shutdown_grace_seconds: u64,
    /// Secret: the bearer token of /metrics. Printed only masked.
    pub metrics_token: String,
    /// Addresses or blocks (CIDR) of reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Secret: may hold a password. Printed only through [`Settings::to_masked_toml`].
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    pub allow_private_peers: bool,
    pub hosts: std::collections::BTreeMap<String, std::net::IpAddr>,
    pub retry_base_seconds: u64,
    pub retry_max_seconds: u64,
    pub delivery_expiry_hours: u64,
    pub delivery_concurrency: usize,
    pub per_peer_concurrency: usize,
    pub queue_poll_ms: u64,
    pub request_timeout_seconds: u64,
    pub claim_lease_seconds: u64,
    pub inbox_per_ip_per_minute: u64,
    pub inbox_per_instance_per_minute: u64,
    pub inbox_max_in_flight: u64,
    pub failed_actor_seconds: u64,
    pub reports_per_actor_per_hour: u32,
    pub reports_per_domain_per_hour: u32,
    pub follows_per_actor_per_hour: u32,
    pub follows_per_domain_per_hour: u32,
    pub joins_per_actor_per_hour: u32,
    pub joins_per_domain_per_hour: u32,
    pub replies_per_actor_per_hour: u32,
    pub replies_per_domain_per_hour: u32,
    pub reactions_per_actor_per_hour: u32,
    pub reactions_per_domain_per_hour: u32,
    pub max_pledged_people: u64,
    pub max_pledged_amount: u64,
    pub close_calls_every_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersSettings {
    /// Secret: the member-data key itself. Printed only masked.
    pub key: String,
    pub key_file: std::path::PathBuf,
    pub previous_key_files: Vec<std::path::PathBuf>,
    pub session_hours: u64,
    pub token_days: u64,
    pub invite_hours: u64,
    pub invite_mails_per_hour: u32,
    pub login_max_failures: u32,
    pub login_window_minutes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub delivered_days: u64,
    pub dead_days: u64,
    pub seen_activity_days: u64,
    pub pledges_days: u64,
    pub outbox_days: u64,
    pub every_minutes: u64,
}

impl Settings {
    /// The defaults, then `file` if given, then `UNIONHALL_*__*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self> {
        let mut merged = layers::parse(DEFAULT_TOML, "the built-in defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|err| {
                Error::Config(format!("cannot read config file {}: {err}", path.display()))
            })?;
            let overlay = layers::parse(&text, &path.display().to_string())?;
            layers::merge(&mut merged, overlay, &path.display().to_string())?;
        }
        layers::apply_env(&mut merged, env)?;
        let settings: Settings = serde_path_to_error::deserialize(merged).map_err(|err| {
            // The inner message may end in its own "\nin `path`" line: keep the first.
            let inner = err.inner().to_string();
            let reason = inner.lines().next().unwrap_or_default().to_owned();
            Error::Config(format!("setting `{}`: {reason}", err.path()))
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<()> {
        let url = &self.instance.public_url;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::Config(format!(
                "setting `instance.public_url`: {url} must be an http:// or https:// address with a host"
            )));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(format!(
                "setting `instance.public_url`: {url} must have no path, query or fragment; \
                 Unionhall is served at the root of its domain"
            )));
        }
        unionhall_store::Backend::from_url(&self.database.url)
            .map_err(|err| Error::Config(format!("setting `database.url`: {err}")))?;
        if self.database.max_connections == 0 {
            return Err(Error::Config(
                "setting `database.max_connections`: must be at least 1".into(),
            ));
        }
        let f = &self.federation;
        for (key, value) in [
            ("retry_base_seconds", f.retry_base_seconds),
            ("retry_max_seconds", f.retry_max_seconds),
            ("delivery_expiry_hours", f.delivery_expiry_hours),
            ("delivery_concurrency", f.delivery_concurrency as u64),
            ("per_peer_concurrency", f.per_peer_concurrency as u64),
            ("queue_poll_ms", f.queue_poll_ms),
            ("request_timeout_seconds", f.request_timeout_seconds),
            ("claim_lease_seconds", f.claim_lease_seconds),
            ("inbox_per_ip_per_minute", f.inbox_per_ip_per_minute),
            (
                "inbox_per_instance_per_minute",
                f.inbox_per_instance_per_minute,
            ),
            ("inbox_max_in_flight", f.inbox_max_in_flight),
        ] {
            if value == 0 {
                return Err(Error::Config(format!(
                    "setting `federation.{key}`: must be at least 1"
                )));
            }
        }
        for proxy in &self.http.trusted_proxies {
            unionhall_web::client_ip::Cidr::parse(proxy).map_err(|reason| {
                Error::Config(format!("setting `http.trusted_proxies`: {reason}"))
            })?;
        }
        let m = &self.members;
        for (key, value) in [
            ("session_hours", m.session_hours),
            ("token_days", m.token_days),
            ("invite_hours", m.invite_hours),
            ("invite_mails_per_hour", u64::from(m.invite_mails_per_hour)),
            ("login_max_failures", u64::from(m.login_max_failures)),
            ("login_window_minutes", m.login_window_minutes),
        ] {
            if value == 0 {
                return Err(Error::Config(format!(
                    "setting `members.{key}`: must be at least 1"
                )));
            }
        }
        if m.key.trim().is_empty() && m.key_file.as_os_str().is_empty() {
            return Err(Error::Config(
                "setting `members.key_file`: give a key file, or the key in `members.key`".into(),
            ));
        }
        self.mail_settings()?;
        let r = &self.retention;
        for (key, value) in [
            ("delivered_days", r.delivered_days),
            ("dead_days", r.dead_days),
            ("seen_activity_days", r.seen_activity_days),
            ("pledges_days", r.pledges_days),
            ("outbox_days", r.outbox_days),
            ("every_minutes", r.every_minutes),
        ] {
            if value == 0 {
                return Err(Error::Config(format!(
                    "setting `retention.{key}`: must be at least 1"
                )));
            }
        }
        if r.outbox_days <= 30 {
            return Err(Error::Config(
                "setting `retention.outbox_days`: must be more than 30 (a union body sends a \
                 chapter it admits the relays of the last 30 days, from its outbox)"
                    .into(),
            ));
        }
        if self.http.body_limit_bytes < 1024 {
            return Err(Error::Config(
                "setting `http.body_limit_bytes`: must be at least 1024".into(),
            ));
        }
        Ok(())
    }

    /// What the federation crate needs, in its own types.
    pub fn federation(&self) -> unionhall_federation::FederationSettings {
        let f = &self.federation;
        unionhall_federation::FederationSettings {
            public_url: self.instance.public_url.clone(),
            instance_name: self.instance.name.clone(),
            allow_private_peers: f.allow_private_peers,
            hosts: f
                .hosts
                .iter()
                .map(|(name, ip)| (name.clone(), *ip))
                .collect(),
            retry_base: Duration::from_secs(f.retry_base_seconds),
            retry_max: Duration::from_secs(f.retry_max_seconds),
            delivery_expiry: Duration::from_secs(f.delivery_expiry_hours * 3600),
            delivery_concurrency: f.delivery_concurrency,
            per_peer_concurrency: f.per_peer_concurrency,
            queue_poll: Duration::from_millis(f.queue_poll_ms),
            request_timeout: Duration::from_secs(f.request_timeout_seconds),
            claim_lease: Duration::from_secs(f.claim_lease_seconds),
            inbox: unionhall_federation::InboxLimits {
                per_ip_per_minute: f.inbox_per_ip_per_minute.min(u64::from(u32::MAX)) as u32,
                per_instance_per_minute: f.inbox_per_instance_per_minute.min(u64::from(u32::MAX))
                    as u32,
                max_in_flight: f.inbox_max_in_flight as usize,
                failed_actor_ttl: Duration::from_secs(f.failed_actor_seconds),
            },
            floods: unionhall_federation::FloodLimits {
                reports_per_actor: f.reports_per_actor_per_hour,
                reports_per_domain: f.reports_per_domain_per_hour,
                follows_per_actor: f.follows_per_actor_per_hour,
                follows_per_domain: f.follows_per_domain_per_hour,
                joins_per_actor: f.joins_per_actor_per_hour,
                joins_per_domain: f.joins_per_domain_per_hour,
                replies_per_actor: f.replies_per_actor_per_hour,
                replies_per_domain: f.replies_per_domain_per_hour,
                reactions_per_actor: f.reactions_per_actor_per_hour,
                reactions_per_domain: f.reactions_per_domain_per_hour,
            },
            max_pledged: unionhall_federation::PledgeBounds {
                people: f.max_pledged_people,
                amount: f.max_pledged_amount,
            },
            close_calls_every: Duration::from_secs(f.close_calls_every_seconds.max(1)),
        }
    }

    /// `[email]`, checked: None while `server` is empty (mail is off).
    pub fn mail_settings(&self) -> Result<Option<unionhall_mail::MailSettings>> {
        let e = &self.email;
        if e.server.trim().is_empty() {
            return Ok(None);
        }
        let bad =
            |key: &str, reason: &str| Error::Config(format!("setting `email.{key}`: {reason}"));
        let security = unionhall_mail::Security::parse(&e.security)
            .ok_or_else(|| bad("security", "must be starttls, tls or none"))?;
        unionhall_domain::Language::parse(&e.language)
            .map_err(|_| bad("language", "must be en, es or fr"))?;
        if e.from.trim().is_empty() {
            return Err(bad("from", "give the address mail comes from, e.g. \"Bakers Local 12 <unionhall@bakers.example>\""));
        }
        for (key, value) in [
            ("port", u64::from(e.port)),
            ("retry_base_seconds", e.retry_base_seconds),
            ("expiry_hours", e.expiry_hours),
            ("poll_ms", e.poll_ms),
            ("scan_seconds", e.scan_seconds),
        ] {
            if value == 0 {
                return Err(bad(key, "must be at least 1"));
            }
        }
        let ca_pem = match e.ca_file.trim() {
            "" => None,
            _ if security == unionhall_mail::Security::None => {
                return Err(bad("ca_file", "is for security = \"tls\" or \"starttls\""));
            }
            path => {
                let pem = std::fs::read(path)
                    .map_err(|err| bad("ca_file", &format!("cannot read {path}: {err}")))?;
                const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
                if !pem.windows(BEGIN.len()).any(|w| w == BEGIN) {
                    return Err(bad("ca_file", &format!("{path} holds no PEM certificate")));
                }
                Some(pem)
            }
        };
        let settings = unionhall_mail::MailSettings {
            server: e.server.trim().to_owned(),
            port: e.port,
            security,
            username: e.username.clone(),
            password: e.password.clone(),
            from: e.from.trim().to_owned(),
            ca_pem,
            retry_base: Duration::from_secs(e.retry_base_seconds),
            expiry: Duration::from_secs(e.expiry_hours * 3600),
            poll: Duration::from_millis(e.poll_ms),
            scan: Duration::from_secs(e.scan_seconds),
        };
        // The sender and server are checked now, not at the first mail.
        unionhall_mail::Mailer::new(&settings)
            .map_err(|err| Error::Config(format!("setting {err}")))?;
        Ok(Some(settings))
    }

    /// How long finished rows are kept before pruning.
    pub fn retention_ages(&self) -> unionhall_store::retention::Ages {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let days = |d: u64| (d.min(365_000) as i64) * DAY_MS;
        let r = &self.retention;
        unionhall_store::retention::Ages {
            delivered_ms: days(r.delivered_days),
            dead_ms: days(r.dead_days),
            seen_ms: days(r.seen_activity_days),
            pledges_ms: days(r.pledges_days),
            outbox_ms: days(r.outbox_days),
        }
    }

    /// Where the member-data keys come from.
    pub fn member_keys(&self) -> unionhall_members::keys::KeySettings {
        unionhall_members::keys::KeySettings {
            key: self.members.key.clone(),
            key_file: self.members.key_file.clone(),
            previous_key_files: self.members.previous_key_files.clone(),
        }
    }

    /// Limits of sessions, invitations and logins.
    pub fn member_policy(&self) -> unionhall_members::Policy {
        let m = &self.members;
        unionhall_members::Policy {
            session_hours: m.session_hours,
            token_days: m.token_days,
            invite_hours: m.invite_hours,
            invite_mails_per_hour: m.invite_mails_per_hour,
            login_max_failures: m.login_max_failures,
            login_window_minutes: m.login_window_minutes,
            mail: (!self.email.server.is_empty()).then(|| unionhall_members::email::MailPolicy {
                public_url: self.instance.public_url.clone(),
                instance_name: self.instance.name.clone(),
                language: unionhall_domain::Language::parse(&self.email.language)
                    .unwrap_or_default(),
            }),
        }
    }

    /// The settings as TOML with secrets masked, for `unionhall check-config`.
    pub fn to_masked_toml(&self) -> Result<String> {
        let mut shown = self.clone();
        shown.database.url = unionhall_store::mask_password(&shown.database.url);
        if !shown.members.key.is_empty() {
            shown.members.key = "********".into();
        }
        if !shown.http.metrics_token.is_empty() {
            shown.http.metrics_token = "********".into();
        }
        if !shown.email.password.is_empty() {
            shown.email.password = "********".into();
        }
        toml::to_string_pretty(&shown)
            .map_err(|err| Error::Config(format!("cannot print settings: {err}")))
    }
}

#[cfg(test)]
mod tests;
