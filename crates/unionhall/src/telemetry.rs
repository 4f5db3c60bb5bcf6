//! Logging: to stderr, pretty for people or JSON for collectors, at the configured
//! level unless RUST_LOG says otherwise.

use crate::settings::{LogFormat, LogSettings};
use crate::{Error, Result};
use tracing_subscriber::EnvFilter;

/// PostgreSQL's notices ("relation ... already exists, skipping", at every
/// migration check) are for database administrators, not for an admin reading
/// a command's output: kept to warnings unless the level names sqlx itself.
const QUIET_NOTICES: &str = "sqlx::postgres::notice=warn";

pub fn init(log: &LogSettings) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::try_new(&directives)
            .map_err(|err| Error::Config(format!("RUST_LOG: {err}")))?,
        _ => {
            let directives = if log.level.contains("sqlx") {
                log.level.clone()
            } else {
                format!("{},{QUIET_NOTICES}", log.level)
            };
            EnvFilter::try_new(&directives)
                .map_err(|err| Error::Config(format!("setting `log.level`: {err}")))?
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests start several instances in one process) keeps the first.
    let _ = match log.format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}
