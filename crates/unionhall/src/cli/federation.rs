//! `unionhall federation ...`: whom this instance follows, and its delivery queue.

use crate::cli::Admin;
use crate::Result;
use clap::Subcommand;
use unionhall_federation::activities::follow;
use unionhall_store::{deliveries, follows, posts};

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Follow a remote chapter for this instance's members: @handle@domain or URL.
    Follow { target: String },
    /// Stop following a remote chapter.
    Unfollow { target: String },
    /// List the remote chapters this instance follows.
    Following,
    /// Show the delivery queue: pending, delivered, and the deliveries given up.
    Deliveries,
    /// Show the newest updates received from followed chapters.
    Feed,
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
        FederationCommand::Deliveries => {
            let stats = deliveries::stats(&data.store).await?;
            println!(
                "pending {}  delivered {}  dead {}",
                stats.pending, stats.delivered, stats.dead
            );
            for (activity, inbox, error) in deliveries::dead(&data.store, 50).await? {
                println!("dead  {activity} -> {inbox}: {error}");
            }
        }
    }
    Ok(())
}
