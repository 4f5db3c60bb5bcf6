//! `unionhall relationship ...` and `unionhall assign`: the workplace chart from
//! the command line, for the admin of the instance (audited as `cli`).

use crate::{Error, Result, Settings};
use clap::Subcommand;
use unionhall_domain::{Relationship, RelationshipKind};
use unionhall_members::assignments::Selection;
use unionhall_members::audit::Who;
use unionhall_members::roster::Filter;

#[derive(Debug, Subcommand)]
pub enum RelationshipCommand {
    /// Record that member FROM knows, works beside or influences member TO.
    Add {
        /// The chapter's handle.
        chapter: String,
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
        /// knows, works_beside or influences.
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List a member's relationships, either way.
    List {
        chapter: String,
        #[arg(long)]
        member: i64,
    },
    /// Remove a relationship by its id.
    Remove { chapter: String, id: i64 },
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The chapter's handle.
    chapter: String,
    /// The committee member's record id; leave out to unassign.
    #[arg(long)]
    to: Option<i64>,
    /// Member record ids (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    member: Vec<i64>,
    /// Everyone of this department.
    #[arg(long)]
    department: Option<String>,
    /// Everyone of this shift.
    #[arg(long)]
    shift: Option<String>,
}

pub async fn relationship(settings: &Settings, command: RelationshipCommand) -> Result<()> {
    let members = super::accounts::open(settings).await?;
    match command {
        RelationshipCommand::Add {
            chapter,
            from,
            to,
            kind,
            note,
        } => {
            let chapter = members.chapter(&chapter).await?;
            let kind =
                RelationshipKind::parse(&kind).map_err(|err| Error::Usage(err.to_string()))?;
            let linked = members
                .relate_as(
                    Who::CLI,
                    &chapter,
                    Relationship {
                        from,
                        to,
                        kind,
                        note,
                    },
                )
                .await?;
            println!(
                "relationship {}: member {} {} member {}",
                linked.id,
                linked.from,
                linked.kind.label(),
                linked.to
            );
        }
        RelationshipCommand::List { chapter, member } => {
            let chapter = members.chapter(&chapter).await?;
            for r in members.relationships_as(Who::CLI, &chapter, member).await? {
                println!(
                    "{}\t{} ({}) {} {} ({})\t{}",
                    r.id,
                    r.from,
                    r.from_name,
                    r.kind.label(),
                    r.to,
                    r.to_name,
                    r.note
                );
            }
        }
        RelationshipCommand::Remove { chapter, id } => {
            let chapter = members.chapter(&chapter).await?;
            members.unrelate_as(Who::CLI, &chapter, id).await?;
            println!("relationship {id} removed");
        }
    }
    Ok(())
}

pub async fn assign(settings: &Settings, args: AssignArgs) -> Result<()> {
    let members = super::accounts::open(settings).await?;
    let chapter = members.chapter(&args.chapter).await?;
    let selection = match (args.member.is_empty(), &args.department, &args.shift) {
        (false, None, None) => Selection::Ids(args.member),
        (true, d, s) if d.is_some() || s.is_some() => Selection::Matching(Filter {
            department: args.department,
            shift: args.shift,
            ..Default::default()
        }),
        _ => {
            return Err(Error::Usage(
                "give either --member ids or --department and/or --shift".into(),
            ))
        }
    };
    let changed = members
        .assign_as(Who::CLI, &chapter, selection, args.to)
        .await?;
    println!("{changed} record(s) reassigned");
    Ok(())
}
