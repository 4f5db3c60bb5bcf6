//! `unionhall chapter ...` and `unionhall union ...`: chapters and industrial union
//! bodies, both ActivityPub Groups with their own keys.

use crate::cli::Admin;
use crate::{Error, Result};
use clap::{Args, Subcommand};
use unionhall_domain::{ActorKind, Handle, Zone};
use unionhall_federation::activities::{follow, post};
use unionhall_federation::actors::{create_group, NewGroup};
use unionhall_store::{actors, follows, time_zones};

#[derive(Debug, Args)]
pub struct NewGroupArgs {
    /// The handle: lower-case letters, digits and _, as in @handle@domain.
    pub handle: String,
    /// The name people see, e.g. "Bakers Local 12".
    #[arg(long)]
    pub name: String,
    /// A sentence or two about who they are.
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Approve each follower by hand instead of accepting all.
    #[arg(long)]
    pub approve_followers: bool,
    /// The time zone its organizers post in, e.g. America/New_York (UTC if
    /// not given; its admins can change it on its people page).
    #[arg(long)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ChapterCommand {
    /// Create a chapter.
    Create(NewGroupArgs),
    /// List this instance's chapters and union bodies.
    List,
    /// Publish a campaign update to the chapter's followers.
    Post {
        handle: String,
        /// The text; blank lines separate paragraphs.
        text: String,
    },
    /// Show who follows the chapter (remote instances, not people).
    Followers { handle: String },
    /// Approve a pending follower (its actor URL, as `followers` shows it).
    Approve { handle: String, follower: String },
    /// Refuse a pending follower, or remove one (it is told with a Reject).
    Reject { handle: String, follower: String },
    /// Give a chapter or body a new signing key (after a leak, or on a
    /// schedule); peers pick it up on their own.
    RotateKey { handle: String },
}

#[derive(Debug, Subcommand)]
pub enum UnionCommand {
    /// Create an industrial union body.
    Create(NewGroupArgs),
}

pub async fn create(admin: &Admin, kind: ActorKind, args: NewGroupArgs) -> Result<()> {
    let handle = Handle::parse(&args.handle).map_err(|err| Error::Usage(err.to_string()))?;
    // Checked before anything is made: a zone mistyped creates nothing.
    let zone = args
        .time_zone
        .as_deref()
        .map(|name| {
            Zone::parse(name).map_err(|_| {
                Error::Usage(format!(
                    "--time-zone {name:?} is not a time zone: write one such as America/Chicago"
                ))
            })
        })
        .transpose()?;
    let row = create_group(
        &admin.data,
        NewGroup {
            kind,
            handle,
            name: args.name,
            summary: args.summary,
            manually_approves_followers: args.approve_followers,
        },
    )
    .await?;
    if let Some(zone) = zone {
        time_zones::set_group(&admin.data.store, &row.ap_id, zone.name()).await?;
    }
    println!(
        "created {} @{}@{} ({}), posting in {}",
        kind.as_str(),
        row.preferred_username,
        admin.data.urls.domain(),
        row.ap_id,
        zone.map_or("UTC", Zone::name)
    );
    Ok(())
}

pub async fn chapter(admin: &Admin, command: ChapterCommand) -> Result<()> {
    let data = &admin.data;
    match command {
        ChapterCommand::Create(args) => create(admin, ActorKind::Chapter, args).await,
        ChapterCommand::List => {
            for row in actors::list_local_groups(&data.store).await? {
                let zone = time_zones::of_group(&data.store, &row.ap_id).await?;
                println!(
                    "{:<8} @{}@{}  {}  ({})",
                    row.kind.as_str(),
                    row.preferred_username,
                    data.urls.domain(),
                    row.name,
                    zone.as_deref().unwrap_or("UTC")
                );
            }
            Ok(())
        }
        ChapterCommand::Post { handle, text } => {
            let post = post::publish_note(data, &handle, &text).await?;
            println!("published {}", post.ap_id);
            Ok(())
        }
        ChapterCommand::Followers { handle } => {
            let row = actors::local_by_handle(&data.store, &handle)
                .await?
                .ok_or_else(|| Error::Usage(format!("no chapter or body @{handle} here")))?;
            for f in follows::followers_of(&data.store, &row.ap_id).await? {
                let state = if f.accepted { "accepted" } else { "pending" };
                println!("{state:<9} {}", f.follower);
            }
            Ok(())
        }
        ChapterCommand::Approve { handle, follower } => {
            answer(data, &handle, &follower, follow::Decision::Accept).await
        }
        ChapterCommand::Reject { handle, follower } => {
            answer(data, &handle, &follower, follow::Decision::Reject).await
        }
        ChapterCommand::RotateKey { handle } => {
            let actor = unionhall_federation::actors::rotate_key(data, &handle).await?;
            println!("@{handle} has a new key ({})", actor.public_key_id);
            Ok(())
        }
    }
}

async fn answer(
    data: &unionhall_federation::Data,
    handle: &str,
    follower: &str,
    decision: follow::Decision,
) -> Result<()> {
    let follower = url::Url::parse(follower)
        .map_err(|err| Error::Usage(format!("follower {follower:?} is not a URL: {err}")))?;
    follow::answer_follower(data, handle, &follower, decision).await?;
    let done = match decision {
        follow::Decision::Accept => "approved",
        follow::Decision::Reject => "rejected",
    };
    println!("{done} {follower}");
    Ok(())
}
