//! The `unionhall` command line: one module per group of subcommands.
//!
//! Every command loads the settings the same way and reports failure as one line
//! on stderr with a non-zero exit: user mistakes never show a panic or backtrace.

mod accounts;
mod age;
mod backup;
mod chart;
mod demo;
mod federation;
mod groups;
mod serve;
mod status;

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
    /// Delete now what the server prunes every `retention.every_minutes`:
    /// old delivered and dead deliveries, old received activity ids, expired
    /// or revoked logins, tokens and recovery links.
    Prune,
    /// Ask the server on `http.listen` whether it is ready (`/readyz`): exit 0
    /// if it is, 1 with the reason if not. For container health checks and
    /// scripts; it needs no curl.
    Healthcheck,
    /// Print the settings in effect, secrets masked, and exit.
    CheckConfig,
    /// Chapters: create, list, publish updates, followers.
    #[command(subcommand)]
    Chapter(groups::ChapterCommand),
    /// Industrial union bodies.
    #[command(subcommand)]
    Union(groups::UnionCommand),
    /// Accounts: invitations, recovery links, instance admins, revoking sessions.
    #[command(subcommand)]
    Account(accounts::AccountCommand),
    /// Member records: the key that seals them.
    #[command(subcommand)]
    Members(accounts::MembersCommand),
    /// Relationships between coworkers on a chapter's roster (the workplace chart).
    #[command(subcommand)]
    Relationship(chart::RelationshipCommand),
    /// Make a committee member responsible for member records (by id, or a
    /// whole department or shift).
    Assign(chart::AssignArgs),
    /// Federation: follow remote chapters, the delivery queue.
    #[command(subcommand)]
    Federation(federation::FederationCommand),
    /// Write a consistent copy of the database to FILE while the server runs
    /// (SQLite: a database file; PostgreSQL: a pg_dump custom-format file).
    Backup {
        file: std::path::PathBuf,
        /// Encrypt it to this age public key (`age1...`, from `age-keygen`):
        /// only the holder of the private key, kept elsewhere, can open it.
        #[arg(long, value_name = "AGE_PUBLIC_KEY")]
        recipient: Option<String>,
    },
    /// Restore a backup into the configured database, which must be empty.
    Restore {
        file: std::path::PathBuf,
        /// The age identity file (`AGE-SECRET-KEY-1...`) an encrypted backup
        /// was made for.
        #[arg(long, value_name = "FILE")]
        identity: Option<std::path::PathBuf>,
    },
    /// The delivery queue's health: depth, oldest pending delivery, dead
    /// deliveries by peer, peers backed off now. Exits 1 when something needs
    /// attention: dead deliveries, or a delivery waiting longer than
    /// --max-wait-minutes.
    Status {
        /// Print it as one JSON object instead.
        #[arg(long)]
        json: bool,
        /// How long the oldest pending delivery may wait before it needs
        /// attention.
        #[arg(long, default_value_t = 60)]
        max_wait_minutes: i64,
    },
    /// Start three seeded instances on this machine, federating with each
    /// other, and print their addresses and logins: a network to look at.
    Demo(demo::DemoArgs),
}

/// What admin commands work with: the migrated database and the federation
/// context, as the server has them.
pub struct Admin {
    pub data: unionhall_federation::Data,
}

impl Admin {
    /// Opens the database as the server does: with the member-data key, which
    /// also seals the groups' private keys.
    async fn open(settings: &Settings) -> Result<Self> {
        let store = crate::startup::open_store(settings).await?;
        store.migrate().await?;
        let members = crate::startup::open_members(settings, &store).await?;
        let config =
            unionhall_federation::configure(store, settings.federation(), members.sealer()).await?;
        Ok(Self {
            data: config.to_request_data(),
        })
    }
}

/// Parses the process arguments, runs the command and turns its outcome into an
/// exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, None | Some(Command::Serve)) {
        quiet_on_a_closed_pipe();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `unionhall status | head -1`: once the reader is gone, a command stops
/// quietly with the exit status of a program killed by SIGPIPE (141), as
/// other command-line tools do, instead of panicking. Not for the server,
/// which must not stop on a closed stdout.
fn quiet_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

pub fn run(cli: Cli) -> Result<()> {
    let mut settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    let command = cli.command.unwrap_or(Command::Serve);
    // Three servers' routine lines would bury what the demo prints.
    if matches!(command, Command::Demo(_)) && std::env::var_os("UNIONHALL_LOG__LEVEL").is_none() {
        settings.log.level = "warn".into();
    }
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
            Command::Prune => serve::prune(settings).await,
            Command::Healthcheck => serve::healthcheck(&settings).await,
            Command::CheckConfig => Ok(()),
            Command::Chapter(command) => {
                groups::chapter(&Admin::open(&settings).await?, command).await
            }
            Command::Union(groups::UnionCommand::Create(args)) => {
                let admin = Admin::open(&settings).await?;
                groups::create(&admin, unionhall_domain::ActorKind::Union, args).await
            }
            Command::Account(command) => accounts::account(&settings, command).await,
            Command::Members(command) => accounts::members(&settings, command).await,
            Command::Relationship(command) => chart::relationship(&settings, command).await,
            Command::Assign(args) => chart::assign(&settings, args).await,
            Command::Federation(command) => {
                federation::run(&Admin::open(&settings).await?, command).await
            }
            Command::Backup { file, recipient } => {
                backup::backup(&settings, &file, recipient.as_deref()).await
            }
            Command::Restore { file, identity } => {
                backup::restore(&settings, &file, identity.as_deref()).await
            }
            Command::Status {
                json,
                max_wait_minutes,
            } => status::run(&settings, json, max_wait_minutes).await,
            Command::Demo(args) => demo::demo(settings, args).await,
        }
    })
}
