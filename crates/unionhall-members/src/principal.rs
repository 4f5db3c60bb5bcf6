//! Who is asking: an account, its roles, and how it authenticated. Every service
//! call that reads or changes member data takes one and checks it against the
//! permission table (`Role::allows`).

use crate::{Error, Result};
use unionhall_domain::{ActorKind, Permission, Role};
use url::Url;

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; unsafe requests must carry its CSRF token.
    Session { id: i64, csrf_token: String },
    /// An API token with its scope.
    Token { id: i64, scope: TokenScope },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// GET requests only.
    Read,
    /// Anything the account may do.
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            _ => Err(Error::invalid("scope", "must be read or write")),
        }
    }
}

/// A chapter or union body of this instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub ap_id: Url,
    pub handle: String,
    pub kind: ActorKind,
}

impl From<unionhall_store::actors::ActorRow> for Group {
    fn from(row: unionhall_store::actors::ActorRow) -> Self {
        Self {
            handle: row.handle.unwrap_or_default(),
            ap_id: row.ap_id,
            kind: row.kind,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub member_id: Option<i64>,
    pub roles: Vec<(Url, Role)>,
    /// The account runs the instance (granted at the command line): its
    /// federation policy, report queue, chapters and bodies, any group's posts.
    /// No role in a group gives this.
    pub instance_admin: bool,
    pub via: Via,
}

impl Principal {
    /// What the use cases of the federation crate check, with this caller's
    /// roles.
    pub fn authority(&self) -> unionhall_domain::Authority {
        unionhall_domain::Authority::Roles(self.roles.clone())
    }

    pub fn role_in(&self, group: &Group) -> Option<Role> {
        self.roles
            .iter()
            .find(|(g, _)| *g == group.ap_id)
            .map(|(_, role)| *role)
    }

    /// For what concerns the whole instance, such as its federation policy:
    /// only an instance admin, whatever roles the account holds in groups.
    pub fn require_instance_admin(&self, what: &str) -> Result<()> {
        if self.instance_admin {
            Ok(())
        } else {
            Err(Error::forbidden(what))
        }
    }

    /// The caller's role in `group` if it allows `permission`. Someone with no
    /// role there learns nothing more than someone with the wrong one.
    pub fn require(&self, group: &Group, permission: Permission, what: &str) -> Result<Role> {
        match self.role_in(group) {
            Some(role) if role.allows(permission) => Ok(role),
            _ => Err(Error::forbidden(what)),
        }
    }
}
