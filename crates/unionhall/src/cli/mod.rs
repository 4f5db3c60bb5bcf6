//! The `unionhall` command line: one module per group of subcommands.
//!
//! Every command loads the settings the same way and reports failure as one line
//! on stderr with a non-zero exit: user mistakes never show a panic or backtrace.

mod serve;

use crate::{Error, Result, Settings};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "unionhall",
    version,
    about = "Unionhall: federated solidarity for union chapters. With no command, serves."
)]
pub struct Cli {
    /// A TOML file with the settings to change from the defaults (config/default.toml).
    #[arg(
        long,
        short,
        global = true,
        value_name = "FILE",
        env = "UNIONHALL_CONFIG"
    )]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the database (creating it on first start), apply migrations and serve.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the settings in effect, secrets masked, and exit.
    CheckConfig,
}

/// Parses the process arguments, runs the command and turns its outcome into an
/// exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::CheckConfig = command {
        print!("{}", settings.to_masked_toml()?);
        return Ok(());
    }
    crate::telemetry::init(&settings.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Usage(format!("cannot start the async runtime: {err}")))?;
    runtime.block_on(async move {
        match command {
            Command::Serve => serve::serve(settings).await,
            Command::Migrate => serve::migrate(settings).await,
            Command::CheckConfig => Ok(()),
        }
    })
}
