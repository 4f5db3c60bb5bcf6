//! `unionhall account ...` and `unionhall members ...`: letting the first people
//! in, cutting off a lost device, recovering an account, saying who runs the
//! instance, and the member-data key.

use crate::{Error, Result, Settings};
use clap::Subcommand;
use std::path::PathBuf;
use unionhall_domain::Role;
use unionhall_members::crypto::sealing::generate_key;
use unionhall_members::keys::write_key_file;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Make an invitation link to a chapter or union body (how the first admin
    /// gets in); it works once and expires after members.invite_hours.
    Invite {
        /// The chapter's or body's handle.
        group: String,
        /// member, organizer or admin in a chapter; officer in a union body.
        #[arg(long)]
        role: String,
        /// Link the new account to this member record, so its owner can see it.
        #[arg(long)]
        member: Option<i64>,
        /// Also mail the invitation to this address (`[email]` must be set;
        /// the running server's mail worker sends it).
        #[arg(long)]
        email: Option<String>,
        /// The language of that mail: en, es or fr (default: `[email] language`).
        #[arg(long, requires = "email")]
        language: Option<String>,
    },
    /// Log an account out everywhere and revoke its API tokens (a lost or seized phone).
    RevokeSessions { username: String },
    /// Lift the lock that failed logins put on an account (its owner, locked
    /// out by someone guessing).
    Unlock { username: String },
    /// Make a one-time link with which someone who lost their password (or
    /// second factor) sets a new one. The account's sessions and tokens end
    /// now; the link works once, for members.invite_hours.
    Reset {
        username: String,
        /// Also remove the account's second factor (a lost phone).
        #[arg(long)]
        second_factor: bool,
    },
    /// Make an account an instance admin: it manages the federation policy
    /// and report queue, creates chapters and bodies and removes any post.
    /// With no username, lists the instance admins.
    InstanceAdmin {
        username: Option<String>,
        /// Take the right away instead.
        #[arg(long, requires = "username")]
        remove: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Write a new random member-data key to FILE (never overwriting a file).
    GenerateKey { file: PathBuf },
    /// Re-seal every member record and one-on-one not sealed with the current
    /// key. Run after making a new key current and listing the old one in
    /// members.previous_key_files; safe to stop and run again.
    RotateKey,
}

pub async fn account(settings: &Settings, command: AccountCommand) -> Result<()> {
    let members = open(settings).await?;
    match command {
        AccountCommand::Invite {
            group,
            role,
            member,
            email,
            language,
        } => {
            let role = Role::parse(&role).map_err(|err| Error::Usage(err.to_string()))?;
            let language = language
                .as_deref()
                .map(unionhall_domain::Language::parse)
                .transpose()
                .map_err(|err| Error::Usage(err.to_string()))?;
            let group = members.group(&group).await?;
            let invite = match &email {
                Some(address) => {
                    members
                        .invite_by_mail(None, &group, role, member, (address, language))
                        .await?
                }
                None => members.create_invite(None, &group, role, member).await?,
            };
            println!("{}", public_link(settings, "invite", &invite.token)?);
            if let Some(address) = &email {
                eprintln!("mailed to {address} (sent by the server's mail worker)");
            }
            eprintln!(
                "an invitation to {} as {role}; it works once, for {} hours. \
                 Send it privately: whoever opens it first gets the role.",
                group.handle, settings.members.invite_hours
            );
            Ok(())
        }
        AccountCommand::RevokeSessions { username } => {
            let revoked = members.revoke_all_sessions_of(&username).await?;
            println!("{revoked} session(s) and API token(s) of {username} revoked");
            Ok(())
        }
        AccountCommand::Unlock { username } => {
            members.unlock(&username).await?;
            println!("{username} may log in again");
            Ok(())
        }
        AccountCommand::Reset {
            username,
            second_factor,
        } => {
            let reset = members.reset_link(&username, second_factor).await?;
            println!("{}", public_link(settings, "reset", &reset.token)?);
            eprintln!(
                "a link for {username} to set a new password{}; it works once, for {} hours. \
                 Their sessions and API tokens have ended. Send it privately, to the person \
                 you have checked is the account's owner.",
                if second_factor {
                    " (their second factor is removed when it is used)"
                } else {
                    ""
                },
                settings.members.invite_hours
            );
            Ok(())
        }
        AccountCommand::InstanceAdmin { username, remove } => {
            if let Some(username) = username {
                let changed = members.set_instance_admin(&username, !remove).await?;
                let now = if remove { "is no longer" } else { "is" };
                let already = if changed { "" } else { " (unchanged)" };
                println!("{username} {now} an instance admin{already}");
            }
            let admins = members.instance_admins().await?;
            if admins.is_empty() {
                println!("instance admins: none");
            } else {
                println!("instance admins: {}", admins.join(", "));
            }
            Ok(())
        }
    }
}

pub async fn members(settings: &Settings, command: MembersCommand) -> Result<()> {
    match command {
        MembersCommand::GenerateKey { file } => {
            if !write_key_file(&file, &generate_key()?)? {
                return Err(Error::Usage(format!(
                    "{} exists already: a key file is never overwritten",
                    file.display()
                )));
            }
            println!("wrote a new key to {}", file.display());
            Ok(())
        }
        MembersCommand::RotateKey => {
            let members = open(settings).await?;
            let done = members.rotate_key().await?;
            println!(
                "re-sealed {} member record(s), {} one-on-one(s), {} second-factor secret(s), \
                 {} account link(s), {} actor key pair(s), {} mail(s) \
                 and {} chart row(s) (relationships, assignments, structure tests) \
                 with the current key; \
                 the previous keys are no longer needed by the database (keep them as long as \
                 backups made before now may need restoring)",
                done.members,
                done.one_on_ones,
                done.second_factors,
                done.account_links,
                done.actor_keys,
                done.mails,
                done.chart_rows
            );
            Ok(())
        }
    }
}

/// The address of a one-time link of this instance.
fn public_link(settings: &Settings, kind: &str, token: &str) -> Result<url::Url> {
    settings
        .instance
        .public_url
        .join(&format!("/{kind}/{token}"))
        .map_err(|err| Error::Usage(err.to_string()))
}

pub(crate) async fn open(settings: &Settings) -> Result<unionhall_members::Members> {
    let store = crate::startup::open_store(settings).await?;
    store.migrate().await?;
    crate::startup::open_members(settings, &store).await
}
