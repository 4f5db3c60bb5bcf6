//! `unionhall federation ...`: whom this instance follows, its delivery queue, and
//! whom it federates with at all (block list, allow-list mode).

use crate::cli::Admin;
use crate::Result;
use clap::Subcommand;
use unionhall_federation::activities::follow;
use unionhall_federation::{moderation, policy};
use unionhall_store::{deliveries, follows, posts};

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Follow a remote chapter for this instance's members: @handle@domain or
    /// URL (a Lemmy community: !name@domain).
    Follow { target: String },
    /// Stop following a remote chapter.
    Unfollow { target: String },
    /// List the remote chapters this instance follows.
    Following,
    /// Show the delivery queue: pending, delivered, and the deliveries given up.
    Deliveries,
    /// Show the newest updates received from followed chapters.
    Feed,
    /// Stop federating with a domain and its subdomains, at once: its requests
    /// are refused, nothing is sent to it, and its follows are removed.
    Block {
        domain: String,
        /// Why, for the other admins.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift a block.
    Unblock { domain: String },
    /// Block the domains of a list in the CSV format Mastodon admins share
    /// (`#domain,#severity,...,#public_comment,...`), or one domain per line;
    /// `-` reads standard input. The list's comments become the reasons;
    /// domains blocked already keep theirs. A list with an unreadable row is
    /// refused whole.
    ImportBlocks {
        file: std::path::PathBuf,
        /// Block the domains the list only silences, too.
        #[arg(long)]
        include_silenced: bool,
    },
    /// Write the block list as Mastodon exports it, to FILE or standard output.
    ExportBlocks { file: Option<std::path::PathBuf> },
    /// Add a domain (and its subdomains) to the allow list.
    Allow { domain: String },
    /// Take a domain off the allow list.
    Disallow { domain: String },
    /// open: federate with everyone not blocked; allowlist: only with the
    /// allowed domains.
    Mode { mode: String },
    /// Show the policy: the mode, the blocked and the allowed domains.
    Policy,
    /// Show the reports (Flag) other servers sent about our chapters and posts.
    Reports,
    /// Mark a report dealt with.
    Resolve { id: i64 },
    /// Report a remote actor or post to its server (a Flag from this instance,
    /// naming no account).
    Report {
        object: String,
        /// What is wrong, for the other server's moderators.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Remove a post of one of our chapters (its followers get a Delete).
    RemovePost { url: String },
    /// One chapter or body blocks one remote actor (@handle@domain or URL):
    /// its follow and membership end, and it is refused from then on.
    BlockActor {
        group: String,
        actor: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift a chapter's block of an actor (its id).
    UnblockActor { group: String, actor: String },
    /// The actors a chapter or body blocks.
    ActorBlocks { group: String },
    /// Try a peer now: clear its back-off, and send it everything queued for
    /// it at once (a server known to be back).
    Retry { host: String },
    /// Try dead deliveries again, with a new expiry: all of them, or those to
    /// one peer, or of one activity.
    RetryDead {
        #[arg(long)]
        peer: Option<String>,
        #[arg(long)]
        activity: Option<String>,
    },
}

pub async fn run(admin: &Admin, command: FederationCommand) -> Result<()> {
    let data = &admin.data;
    match command {
        FederationCommand::Follow { target } => {
            let row = follow::follow_remote(data, &target).await?;
            println!(
                "follow of {} queued; it counts once they accept (a running server delivers it)",
                row.ap_id
            );
        }
        FederationCommand::Unfollow { target } => {
            let row = follow::unfollow_remote(data, &target).await?;
            println!("unfollowed {}", row.ap_id);
        }
        FederationCommand::Following => {
            for f in follows::following(&data.store).await? {
                let state = if f.accepted { "accepted" } else { "pending" };
                println!("{state:<9} {}", f.target);
            }
        }
        FederationCommand::Feed => {
            for post in posts::recent_remote(&data.store, 20).await? {
                println!("{}  {}", post.author, post.content);
            }
        }
        FederationCommand::Block { domain, reason } => {
            let done = policy::block(data, &domain, &reason).await?;
            println!(
                "blocked {domain}: {} queued deliveries dropped, {} followers and {} follows removed, \
                 {} union memberships ended",
                done.deliveries_dropped,
                done.followers_removed,
                done.following_removed,
                done.memberships_removed
            );
        }
        FederationCommand::ImportBlocks {
            file,
            include_silenced,
        } => import_blocks(data, &file, include_silenced).await?,
        FederationCommand::ExportBlocks { file } => {
            let csv = policy::export_blocks(data).await?;
            match file {
                Some(path) => std::fs::write(&path, csv).map_err(|err| {
                    crate::Error::Usage(format!("cannot write {}: {err}", path.display()))
                })?,
                None => print!("{csv}"),
            }
        }
        FederationCommand::Unblock { domain } => {
            if !policy::unblock(data, &domain).await? {
                return Err(crate::Error::Usage(format!("{domain} was not blocked")));
            }
            println!("unblocked {domain}");
        }
        FederationCommand::Allow { domain } => {
            policy::allow(data, &domain).await?;
            println!("allowed {domain}");
        }
        FederationCommand::Disallow { domain } => {
            if !policy::disallow(data, &domain).await? {
                return Err(crate::Error::Usage(format!(
                    "{domain} was not on the allow list"
                )));
            }
            println!("{domain} is off the allow list");
        }
        FederationCommand::Mode { mode } => {
            let mode = unionhall_domain::FederationMode::parse(&mode)
                .map_err(|err| crate::Error::Usage(err.to_string()))?;
            policy::set_mode(data, mode).await?;
            println!("federation mode: {}", mode.as_str());
        }
        FederationCommand::Policy => {
            let current = policy::load(&data.store).await?;
            println!("mode {}", current.mode.as_str());
            for blocked in unionhall_store::policy::load(&data.store).await?.1 {
                println!("blocked  {}  {}", blocked.domain, blocked.reason);
            }
            for allowed in current.allowed {
                println!("allowed  {allowed}");
            }
        }
        FederationCommand::Reports => {
            for report in unionhall_store::reports::list(&data.store, 100).await? {
                let state = if report.resolved_at.is_some() {
                    "resolved"
                } else {
                    "open"
                };
                let objects: Vec<&str> = report.objects.iter().map(url::Url::as_str).collect();
                println!(
                    "{:<4} {state:<8} from {}: {:?} about {}",
                    report.id,
                    report.reporter,
                    report.content,
                    objects.join(", ")
                );
            }
        }
        FederationCommand::Resolve { id } => {
            if !unionhall_store::reports::resolve(&data.store, id).await? {
                return Err(crate::Error::Usage(format!("no open report {id}")));
            }
            println!("report {id} resolved");
        }
        FederationCommand::Report { object, comment } => {
            let object = parse_url(&object)?;
            let sent = moderation::report_remote(data, &object, &comment).await?;
            println!("reported {} ({})", sent.object, sent.ap_id);
        }
        FederationCommand::RemovePost { url } => {
            moderation::remove_local_post(data, &parse_url(&url)?).await?;
            println!("removed {url}; its chapter's followers are told");
        }
        FederationCommand::BlockActor {
            group,
            actor,
            reason,
        } => {
            let done = moderation::block_actor(data, &group, &actor, &reason).await?;
            println!(
                "@{group} blocks {}: follow removed: {}, membership ended: {}",
                done.actor,
                yes_no(done.follow_removed),
                yes_no(done.membership_removed)
            );
        }
        FederationCommand::UnblockActor { group, actor } => {
            if !moderation::unblock_actor(data, &group, &parse_url(&actor)?).await? {
                return Err(crate::Error::Usage(format!(
                    "@{group} does not block {actor}"
                )));
            }
            println!("@{group} no longer blocks {actor}");
        }
        FederationCommand::ActorBlocks { group } => {
            for block in moderation::blocks_of(data, &group).await? {
                println!("{}  {}", block.blocked, block.reason);
            }
        }
        FederationCommand::Deliveries => {
            let stats = deliveries::stats(&data.store).await?;
            println!(
                "pending {}  delivered {}  dead {}  dropped {}",
                stats.pending, stats.delivered, stats.dead, stats.dropped
            );
            for (activity, inbox, error) in deliveries::dead(&data.store, 50).await? {
                println!("dead  {activity} -> {inbox}: {error}");
            }
        }
        FederationCommand::Retry { host } => {
            unionhall_federation::delivery::retry::retry_peer(data, &host).await?;
            println!("{host}: back-off cleared, everything queued for it is due now");
        }
        FederationCommand::RetryDead { peer, activity } => {
            let revived = unionhall_federation::delivery::retry::retry_dead(
                data,
                peer.as_deref(),
                activity.as_deref(),
            )
            .await?;
            println!("{revived} dead deliveries are due again");
        }
    }
    Ok(())
}

fn parse_url(text: &str) -> Result<url::Url> {
    url::Url::parse(text.trim())
        .map_err(|err| crate::Error::Usage(format!("{text:?} is not a URL: {err}")))
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

async fn import_blocks(
    data: &unionhall_federation::Data,
    file: &std::path::Path,
    include_silenced: bool,
) -> Result<()> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|err| crate::Error::Usage(format!("cannot read {}: {err}", file.display())))?;
    let listed = unionhall_domain::blocklist::parse(&text).map_err(|err| {
        crate::Error::Usage(format!("{}: {err}; nothing was imported", file.display()))
    })?;
    let imported = policy::import_blocks(data, listed, include_silenced).await?;
    for domain in &imported.blocked {
        println!("blocked  {domain}");
    }
    for (domain, why) in &imported.skipped {
        println!("skipped  {domain}: {why}");
    }
    let undone = imported.undone;
    println!(
        "{} domains blocked, {} blocked already, {} skipped; {} queued deliveries dropped, \
         {} followers and {} follows removed, {} union memberships ended",
        imported.blocked.len(),
        imported.already,
        imported.skipped.len(),
        undone.deliveries_dropped,
        undone.followers_removed,
        undone.following_removed,
        undone.memberships_removed
    );
    Ok(())
}
