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
        if self.http.body_limit_bytes < 1024 {
            return Err(Error::Config(
                "setting `http.body_limit_bytes`: must be at least 1024".into(),
            ));
        }
        Ok(())
    }

    /// The host (and port, if any) of the public URL: the instance's domain in
    /// `@handle@domain` and in ActivityPub ids.
    pub fn domain(&self) -> String {
        let url = &self.instance.public_url;
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The settings as TOML with secrets masked, for `unionhall check-config`.
    pub fn to_masked_toml(&self) -> Result<String> {
        let mut shown = self.clone();
        shown.database.url = unionhall_store::mask_password(&shown.database.url);
        toml::to_string_pretty(&shown)
            .map_err(|err| Error::Config(format!("cannot print settings: {err}")))
    }
}

#[cfg(test)]
mod tests;
