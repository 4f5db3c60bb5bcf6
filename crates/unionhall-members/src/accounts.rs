//! Invitations, accounts, logins, sessions, API tokens and roles.
//!
//! Sign-up is by invitation only: an organizer or admin (or the instance admin at
//! the command line) makes a link that works once and expires. Secrets (invite
//! tokens, session cookies, API tokens) are random, handed out once, and stored
//! as SHA-256 hashes.

use crate::audit::{self, Who};
use crate::crypto::{password, secrets};
use crate::principal::{Group, Principal, TokenScope, Via};
use crate::{Error, Members, Result};
use unionhall_domain::{Language, Permission, Role};
use unionhall_store::accounts::{self as store, CredentialRow, InviteRow, RoleRow};
use unionhall_store::{members as member_rows, now_millis};

const INVITE_PREFIX: &str = "uhi_";
const SESSION_PREFIX: &str = "uhs_";
const TOKEN_PREFIX: &str = "uht_";
const CALENDAR_PREFIX: &str = "uhc_";

/// Whose calendar a calendar key opens: no more than that.
#[derive(Debug, Clone)]
pub struct CalendarOwner {
    pub username: String,
    pub roles: Vec<(url::Url, Role)>,
}

/// A new invitation: the secret goes into the link and is not kept.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub token: String,
    pub role: Role,
    pub expires_at: i64,
}

/// What the invitation page shows before sign-up.
#[derive(Debug, Clone)]
pub struct InviteView {
    pub group: Group,
    pub role: Role,
    pub expires_at: i64,
}

/// A new login session: the secret goes into the cookie and is not kept.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Usernames are local (never federated) and plain: 3-40 of a-z, 0-9, `_.-`.
fn check_username(username: &str) -> Result<()> {
    let ok = (3..=40).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "username",
            "must be 3 to 40 characters: lowercase letters, digits, '_', '.' or '-'",
        ))
    }
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    with_hashing_slot(move |scratch| password::hash_in(scratch, &password)).await?
}

async fn verify_password(stored: String, password: String) -> Result<bool> {
    with_hashing_slot(move |scratch| password::verify_in(scratch, &stored, &password)).await
}

/// Password hashes are computed on a few threads of their own, one per core,
/// whoever asks, each in one 19 MiB buffer of its own, allocated once: a flood
/// of logins (160 failed logins at once once took 1.7 GB) cannot take the
/// server's memory. Callers queue for them; past `MOST_QUEUED` they are told
/// to come back.
struct HashingThreads {
    jobs: std::sync::mpsc::SyncSender<HashingJob>,
}

type HashingJob = Box<dyn FnOnce(&mut password::Scratch) + Send>;

const MOST_QUEUED: usize = 64;
/// What a caller turned away is asked to wait.
const COME_BACK_SECONDS: u64 = 5;

fn hashing_threads() -> &'static HashingThreads {
    static THREADS: std::sync::OnceLock<HashingThreads> = std::sync::OnceLock::new();
    THREADS.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashingJob>(MOST_QUEUED);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for n in 0..cores.max(2) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hashing-{n}"))
                .spawn(move || {
                    let mut scratch = None;
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(scratch.get_or_insert_with(password::Scratch::default)),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::error!("starting a password hashing thread failed: {err}");
            }
        }
        HashingThreads { jobs }
    })
}

/// Runs `work` (a hash) on a hashing thread and waits for its result.
async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce(&mut password::Scratch) -> T + Send + 'static,
) -> Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: HashingJob = Box::new(move |scratch| {
        let _ = done.send(work(scratch));
    });
    hashing_threads()
        .jobs
        .try_send(job)
        .map_err(|err| match err {
            std::sync::mpsc::TrySendError::Full(_) => Error::Busy {
                retry_after_seconds: COME_BACK_SECONDS,
            },
            std::sync::mpsc::TrySendError::Disconnected(_) => {
                Error::Internal("no password hashing thread runs".into())
            }
        })?;
    result
        .await
        .map_err(|_| Error::Internal("a password hashing thread stopped".into()))
}

/// A username's failures from every source together may reach this many
/// times `login_max_failures` before it is locked for everyone.
const ACCOUNT_WIDE_FACTOR: i64 = 20;

/// What kind of value a failed login's source tag stands for (keyed tags of
/// different kinds never collide).
const LOGIN_SOURCE_TAG: &str = "login source";

impl Members {
    /// Where a failed login came from, as kept: a tag of the client's address
    /// keyed with the member-data key (an unkeyed hash of an IPv4 address is
    /// undone by trying all four billion), kept no longer than the window;
    /// '' when unknown. A key rotation starts the per-address counts afresh,
    /// which the account-wide count bounds.
    fn failure_source(&self, from: Option<std::net::IpAddr>) -> String {
        from.map(|ip| self.keyring.lookup_tag(LOGIN_SOURCE_TAG, &ip.to_string())[..32].to_owned())
            .unwrap_or_default()
    }

    /// Makes an invitation to `group` with `role`, optionally linked to a member
    /// record (the new account will see that record as its own). `by` is None
    /// for the instance admin at the command line.
    pub async fn create_invite(
        &self,
        by: Option<&Principal>,
        group: &Group,
        role: Role,
        member_id: Option<i64>,
    ) -> Result<NewInvite> {
        self.invite_with(by, group, role, member_id, None).await
    }

    /// [`Members::create_invite`], and the link mailed to `address` (given by
    /// whoever invites; the only mail ever sent to an address not confirmed),
    /// queued in the invitation's transaction.
    pub async fn invite_by_mail(
        &self,
        by: Option<&Principal>,
        group: &Group,
        role: Role,
        member_id: Option<i64>,
        (address, language): (&str, Option<Language>),
    ) -> Result<NewInvite> {
        self.invite_with(by, group, role, member_id, Some((address, language)))
            .await
    }

    async fn invite_with(
        &self,
        by: Option<&Principal>,
        group: &Group,
        role: Role,
        member_id: Option<i64>,
        mail_to: Option<(&str, Option<Language>)>,
    ) -> Result<NewInvite> {
        let mail_to = match mail_to {
            Some((address, language)) => {
                if !self.email_on() {
                    return Err(Error::Conflict(
                        "this server sends no email: give the link yourself".into(),
                    ));
                }
                Some((crate::email::check_address(address)?, language))
            }
            None => None,
        };
        match by {
            Some(principal) => {
                let mine = principal
                    .role_in(group)
                    .ok_or_else(|| Error::forbidden("invite people here"))?;
                mine.may_grant(role, group.kind).map_err(|err| {
                    Error::Forbidden(format!("{err}; ask an admin of {}", group.handle))
                })?;
                if member_id.is_some() {
                    principal.require(group, Permission::ViewRoster, "link a member record")?;
                }
            }
            None if !role.fits(group.kind) => {
                return Err(Error::invalid(
                    "role",
                    format!("{role} is not a role in a {}", group.kind.as_str()),
                ))
            }
            None => {}
        }
        if let Some(id) = member_id {
            if member_rows::get(&self.store, &group.ap_id, id)
                .await?
                .is_none()
            {
                return Err(Error::invalid("member_id", "no such member on this roster"));
            }
        }
        let token = secrets::new_secret(INVITE_PREFIX)?;
        let now = now_millis();
        let expires_at = now + (self.policy.invite_hours as i64) * 3_600_000;
        let who = by.map(Who::from).unwrap_or(Who::CLI);
        let mut tx = self.store.begin_write().await?;
        store::insert_invite(
            &mut tx,
            &secrets::hash_secret(&token),
            &InviteRow {
                group: group.ap_id.clone(),
                role: role.as_str().into(),
                member_id,
                created_by: who.account_id,
                created_at: now,
                expires_at,
                used_at: None,
            },
        )
        .await?;
        // Which record is in the invitation only, and leaves it when it is
        // used: the log, next to the account that accepted, must not pair them.
        let detail = if member_id.is_some() {
            format!("role {role}, tied to a record")
        } else {
            format!("role {role}")
        };
        audit::record(&mut tx, who, group, "invite.created", String::new(), detail).await?;
        if let Some((address, language)) = &mail_to {
            self.queue_invitation(
                &mut tx,
                (group, role),
                (&token, expires_at),
                (address, *language),
                who.account_id,
            )
            .await?;
        }
        unionhall_store::commit(tx).await?;
        Ok(NewInvite {
            token,
            role,
            expires_at,
        })
    }

    /// The invitation behind a link, if it can still be used.
    pub async fn invite(&self, token: &str) -> Result<InviteView> {
        let mut conn = self.store.acquire().await?;
        let row = usable_invite(&mut conn, token).await?;
        let group = self.group_by_ap_id(&row.group).await?;
        Ok(InviteView {
            group,
            role: Role::parse(&row.role)?,
            expires_at: row.expires_at,
        })
    }

    /// Signs up through an invitation: a new account. An invitation never
    /// takes the credentials of an existing account (it would be a password
    /// oracle outside the login's limits): its owner logs in, then accepts it
    /// with [`Members::accept_invite_for`].
    pub async fn accept_invite(&self, token: &str, username: &str, password: &str) -> Result<i64> {
        check_username(username)?;
        password::check_strength(password)?;
        if store::account_by_username(&self.store, username)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(format!(
                "the username {username:?} is taken; if it is yours, log in first, \
                 then open this invitation again to add it to your account"
            )));
        }
        let new_hash = hash_password(password.into()).await?;
        self.redeem(token, username, None, Some(new_hash)).await
    }

    /// A logged-in account accepts an invitation: its role is added to the
    /// account (one person, one login, roles in several groups).
    pub async fn accept_invite_for(&self, token: &str, principal: &Principal) -> Result<i64> {
        let account = store::account_by_id(&self.store, principal.account_id)
            .await?
            .ok_or_else(|| Error::Unauthenticated("log in again".into()))?;
        self.redeem(token, &principal.username, Some(account), None)
            .await
    }

    /// Uses the invitation for an existing account or a new one.
    async fn redeem(
        &self,
        token: &str,
        username: &str,
        existing: Option<store::AccountRow>,
        new_hash: Option<String>,
    ) -> Result<i64> {
        let hash = secrets::hash_secret(token);
        let mut tx = self.store.begin_write().await?;
        let invite = usable_invite(&mut tx, token).await?;
        let account_id = match (existing, new_hash) {
            // The invitation's record becomes the account's own, unless it
            // has one: an account is one person, with one record.
            (Some(account), _) => {
                if let Some(member_id) = invite.member_id {
                    if self.member_of_account(account.id).await? != Some(member_id)
                        && !self.link(&mut tx, account.id, member_id).await?
                    {
                        return Err(Error::Conflict(format!(
                            "the account {username:?} has a member record already; \
                             ask for an invitation without one"
                        )));
                    }
                }
                account.id
            }
            (None, Some(new_hash)) => {
                let id = store::insert_account(&mut tx, username, &new_hash)
                    .await?
                    .ok_or_else(|| {
                        Error::Conflict(format!("the username {username:?} is taken"))
                    })?;
                if let Some(member_id) = invite.member_id {
                    self.link(&mut tx, id, member_id).await?;
                }
                id
            }
            (None, None) => return Err(Error::Internal("no password hash".into())),
        };
        if !store::use_invite(&mut tx, &hash, account_id).await? {
            return Err(Error::Gone("this invitation has been used already".into()));
        }
        // An invitation never lowers a role someone already has in the group.
        let offered = Role::parse(&invite.role)?;
        let held = store::roles_of_account_in(&mut tx, account_id)
            .await?
            .into_iter()
            .find(|r| r.group == invite.group)
            .map(|r| Role::parse(&r.role))
            .transpose()?;
        if held.is_none_or(|held| held < offered) {
            store::set_role(&mut tx, account_id, &invite.group, offered.as_str()).await?;
        }
        let group = unionhall_store::actors::by_ap_id_in(&mut tx, &invite.group)
            .await?
            .map(crate::Group::from)
            .ok_or_else(|| Error::NotFound("that chapter or body is gone".into()))?;
        let who = Who {
            account_id: Some(account_id),
            username,
        };
        audit::record(
            &mut tx,
            who,
            &group,
            "invite.accepted",
            format!("account {account_id}"),
            format!("role {}", invite.role),
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(account_id)
    }

    /// Checks a username, password and (if the account has one in force) the
    /// second-factor code, and opens a session. Failures are counted per
    /// username; past the limit, even the right password is refused until the
    /// window has passed.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
        from: Option<std::net::IpAddr>,
    ) -> Result<NewSession> {
        let source = self.failure_source(from);
        self.refuse_if_locked(username, &source).await?;
        let since = self.failure_window_start();
        let account = store::account_by_username(&self.store, username).await?;
        let stored = account
            .as_ref()
            .map(|a| a.password_hash.clone())
            .unwrap_or_else(|| password::decoy_hash().to_owned());
        let matches = verify_password(stored, password.into()).await?;
        let account = match account {
            Some(account) if matches => account,
            _ => {
                store::record_login_failure(&self.store, username, &source, since).await?;
                return Err(Error::Unauthenticated("wrong username or password".into()));
            }
        };
        if let Err(err) = self.check_second_factor(account.id, code).await {
            store::record_login_failure(&self.store, username, &source, since).await?;
            return Err(err);
        }
        store::clear_login_failures(&mut *self.store.acquire().await?, username).await?;
        let secret = secrets::new_secret(SESSION_PREFIX)?;
        let expires_at = now_millis() + (self.policy.session_hours as i64) * 3_600_000;
        store::insert_session(
            &self.store,
            &secrets::hash_secret(&secret),
            account.id,
            expires_at,
        )
        .await?;
        Ok(NewSession {
            csrf_token: secrets::csrf_token(&secret),
            secret,
            expires_at,
        })
    }

    fn failure_window_start(&self) -> i64 {
        now_millis() - (self.policy.login_window_minutes as i64) * 60_000
    }

    /// Refuses (429) a username locked by failed logins: from this source
    /// after `login_max_failures`, from anywhere after twenty times as many.
    /// Guessing from other addresses thus slows an attacker down without
    /// locking the owner out, unless it comes from very many of them.
    async fn refuse_if_locked(&self, username: &str, source: &str) -> Result<()> {
        let failures =
            store::login_failures_since(&self.store, username, source, self.failure_window_start())
                .await?;
        let max = i64::from(self.policy.login_max_failures);
        if failures.from_source >= max || failures.total >= max.saturating_mul(ACCOUNT_WIDE_FACTOR)
        {
            return Err(Error::TooManyAttempts {
                retry_after_seconds: self.policy.login_window_minutes * 60,
            });
        }
        Ok(())
    }

    /// The account behind a session cookie, if the session is live.
    pub async fn authenticate_session(&self, secret: &str) -> Result<Option<Principal>> {
        if !secret.starts_with(SESSION_PREFIX) {
            return Ok(None);
        }
        let Some(session) = store::live_session(&self.store, &secrets::hash_secret(secret)).await?
        else {
            return Ok(None);
        };
        let via = Via::Session {
            id: session.id,
            csrf_token: secrets::csrf_token(secret),
        };
        self.principal(session.account_id, via).await
    }

    /// The account behind an API token, if the token is not revoked.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<Principal>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(token) = store::use_token(&self.store, &secrets::hash_secret(secret)).await?
        else {
            return Ok(None);
        };
        let via = Via::Token {
            id: token.id,
            scope: TokenScope::parse(&token.scope)?,
        };
        self.principal(token.account_id, via).await
    }

    async fn principal(&self, account_id: i64, via: Via) -> Result<Option<Principal>> {
        let Some(account) = store::account_by_id(&self.store, account_id).await? else {
            return Ok(None);
        };
        let roles = store::roles_of_account(&self.store, account_id)
            .await?
            .into_iter()
            .map(|row| Ok((row.group, Role::parse(&row.role)?)))
            .collect::<Result<_>>()?;
        Ok(Some(Principal {
            account_id,
            username: account.username,
            member_id: self.member_of_account(account_id).await?,
            roles,
            instance_admin: account.instance_admin,
            via,
        }))
    }

    /// Ends the session behind a cookie.
    pub async fn logout(&self, secret: &str) -> Result<()> {
        store::revoke_session_by_hash(&self.store, &secrets::hash_secret(secret)).await?;
        Ok(())
    }

    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<CredentialRow>> {
        Ok(store::live_sessions_of(&self.store, principal.account_id).await?)
    }

    /// Revokes one of the caller's sessions, or all of them and every API
    /// token too (a lost phone: "log out everywhere").
    pub async fn revoke_sessions(&self, principal: &Principal, id: Option<i64>) -> Result<u64> {
        let mut revoked = store::revoke_sessions(&self.store, principal.account_id, id).await?;
        if id.is_some() && revoked == 0 {
            return Err(Error::NotFound("no such session of yours".into()));
        }
        if id.is_none() {
            revoked += store::revoke_tokens_of(&self.store, principal.account_id).await?;
        }
        Ok(revoked)
    }

    /// Revokes every session and API token of an account, for the instance
    /// admin at the command line.
    pub async fn revoke_all_sessions_of(&self, username: &str) -> Result<u64> {
        let account = store::account_by_username(&self.store, username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account {username:?}")))?;
        let sessions = store::revoke_sessions(&self.store, account.id, None).await?;
        Ok(sessions + store::revoke_tokens_of(&self.store, account.id).await?)
    }

    /// Makes an API token for the caller, who proves it is them with the
    /// account's password (and second factor, if set): a session left open on a
    /// seized phone mints no lasting access. The secret is shown once; the token
    /// works for `members.token_days`.
    pub async fn create_token(
        &self,
        principal: &Principal,
        name: &str,
        scope: TokenScope,
        password: &str,
        code: Option<&str>,
    ) -> Result<(i64, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid(
                "name",
                "is required, at most 100 characters",
            ));
        }
        if let Via::Token {
            scope: TokenScope::Read,
            ..
        } = principal.via
        {
            return Err(Error::Forbidden(
                "a read-only token cannot make tokens".into(),
            ));
        }
        self.confirm_password(principal, password, code).await?;
        let secret = secrets::new_secret(TOKEN_PREFIX)?;
        let expires_at = now_millis() + (self.policy.token_days as i64) * 86_400_000;
        let id = store::insert_token(
            &self.store,
            &secrets::hash_secret(&secret),
            principal.account_id,
            name,
            scope.as_str(),
            expires_at,
        )
        .await?;
        Ok((id, secret))
    }

    /// The caller proves again it is the account's owner. A wrong password
    /// counts as a failed login of the account (and is refused as one while
    /// the account is locked).
    async fn confirm_password(
        &self,
        principal: &Principal,
        password: &str,
        code: Option<&str>,
    ) -> Result<()> {
        let since = self.failure_window_start();
        let username = principal.username.as_str();
        // The caller is logged in; where from is not asked here.
        let source = self.failure_source(None);
        self.refuse_if_locked(username, &source).await?;
        let account = store::account_by_id(&self.store, principal.account_id)
            .await?
            .ok_or_else(|| Error::Unauthenticated("log in again".into()))?;
        if !verify_password(account.password_hash, password.into()).await? {
            store::record_login_failure(&self.store, username, &source, since).await?;
            return Err(Error::Forbidden(
                "the password is not this account's".into(),
            ));
        }
        if let Err(err) = self.check_second_factor(account.id, code).await {
            store::record_login_failure(&self.store, username, &source, since).await?;
            return Err(err);
        }
        Ok(())
    }

    /// A new address key for the caller's calendar (the old one stops
    /// working). It opens that calendar and nothing else.
    pub async fn new_calendar_key(&self, principal: &Principal) -> Result<String> {
        let key = secrets::new_secret(CALENDAR_PREFIX)?;
        store::set_calendar_key(
            &self.store,
            principal.account_id,
            &secrets::hash_secret(&key),
        )
        .await?;
        Ok(key)
    }

    /// Whose calendar `key` opens, if it is a live calendar key.
    pub async fn calendar_owner(&self, key: &str) -> Result<Option<CalendarOwner>> {
        if !key.starts_with(CALENDAR_PREFIX) {
            return Ok(None);
        }
        let Some(account_id) =
            store::account_of_calendar_key(&self.store, &secrets::hash_secret(key)).await?
        else {
            return Ok(None);
        };
        let via = Via::Token {
            id: 0,
            scope: TokenScope::Read,
        };
        Ok(self
            .principal(account_id, via)
            .await?
            .map(|p| CalendarOwner {
                username: p.username,
                roles: p.roles,
            }))
    }

    /// Changes the caller's password, asking for the current one (and the
    /// second factor, if set). Every session and token of the account ends:
    /// whoever had the old password is out.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
        code: Option<&str>,
    ) -> Result<()> {
        password::check_strength(new).map_err(|_| {
            Error::invalid(
                "new_password",
                format!(
                    "must be {} to {} characters",
                    password::MIN_LENGTH,
                    password::MAX_LENGTH
                ),
            )
        })?;
        self.confirm_password(principal, current, code).await?;
        let hash = hash_password(new.into()).await?;
        let mut tx = self.store.begin_write().await?;
        store::set_password_hash(&mut tx, principal.account_id, &hash).await?;
        store::revoke_credentials_in(&mut tx, principal.account_id).await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }

    pub async fn tokens(&self, principal: &Principal) -> Result<Vec<CredentialRow>> {
        Ok(store::tokens_of(&self.store, principal.account_id).await?)
    }

    pub async fn revoke_token(&self, principal: &Principal, id: i64) -> Result<()> {
        if store::revoke_token(&self.store, principal.account_id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("no such token of yours".into()))
        }
    }

    /// Who has which role in `group`, for those who manage roles.
    pub async fn roles(&self, principal: &Principal, group: &Group) -> Result<Vec<RoleRow>> {
        principal.require(group, Permission::ManageRoles, "see who has which role")?;
        Ok(store::roles_in_group(&self.store, &group.ap_id).await?)
    }

    /// Gives `username` a role in `group` (`None` removes their role). The last
    /// admin of a chapter cannot be removed or demoted: someone must be able to
    /// manage it.
    pub async fn set_role(
        &self,
        principal: &Principal,
        group: &Group,
        username: &str,
        role: Option<Role>,
    ) -> Result<()> {
        let mine = principal
            .role_in(group)
            .ok_or_else(|| Error::forbidden("change roles here"))?;
        if !mine.allows(Permission::ManageRoles) {
            return Err(Error::forbidden("change roles here"));
        }
        if let Some(role) = role {
            mine.may_grant(role, group.kind)?;
        }
        let account = store::account_by_username(&self.store, username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account {username:?}")))?;
        let mut tx = self.store.begin_write().await?;
        let current = store::roles_in_group_in(&mut tx, &group.ap_id).await?;
        let keeper =
            |r: &RoleRow| r.role == Role::Admin.as_str() || r.role == Role::Officer.as_str();
        let was_keeper = current
            .iter()
            .any(|r| r.account_id == account.id && keeper(r));
        let keepers = current.iter().filter(|r| keeper(r)).count();
        let stays_keeper = matches!(role, Some(Role::Admin | Role::Officer));
        if was_keeper && !stays_keeper && keepers == 1 {
            return Err(Error::Conflict(format!(
                "{username} is the last one who can manage {}; give someone else that role first",
                group.handle
            )));
        }
        let detail = match role {
            Some(role) => {
                store::set_role(&mut tx, account.id, &group.ap_id, role.as_str()).await?;
                format!("role {role}")
            }
            None => {
                if !store::remove_role(&mut tx, account.id, &group.ap_id).await? {
                    return Err(Error::NotFound(format!("{username} has no role here")));
                }
                "role removed".into()
            }
        };
        audit::record(
            &mut tx,
            principal.into(),
            group,
            "role.changed",
            format!("account {}", account.id),
            detail,
        )
        .await?;
        unionhall_store::commit(tx).await?;
        Ok(())
    }
}

async fn usable_invite(conn: &mut unionhall_store::Connection, token: &str) -> Result<InviteRow> {
    let not_found = || Error::NotFound("no such invitation; check the link".into());
    if !token.starts_with(INVITE_PREFIX) {
        return Err(not_found());
    }
    let row = store::invite_by_hash(conn, &secrets::hash_secret(token))
        .await?
        .ok_or_else(not_found)?;
    if row.used_at.is_some() {
        return Err(Error::Gone(
            "this invitation has been used already; ask for a new one".into(),
        ));
    }
    if row.expires_at <= now_millis() {
        return Err(Error::Gone(
            "this invitation has expired; ask for a new one".into(),
        ));
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain() {
        assert!(check_username("sam_k").is_ok());
        assert!(check_username("Sam").is_err());
        assert!(check_username("ab").is_err());
        assert!(check_username("a b c").is_err());
    }
}
