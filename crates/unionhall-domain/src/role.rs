//! Who may do what: roles per chapter or union body, and the one table that maps
//! them to permissions. Every route and command asks [`Role::allows`]; the table in
//! docs/api.md is this function written out, and a test keeps them in step.
//! What concerns the whole instance (its federation policy, its chapters) is no
//! role in a group: it belongs to instance admins (`Principal::instance_admin`).

use crate::{ActorKind, DomainError, Result};

/// An account's role in one chapter or industrial union body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A chapter member: reads the board, pledges, sees their own record.
    Member,
    /// A chapter organizer or secretary: keeps the roster, posts for the chapter.
    Organizer,
    /// A chapter admin: everything an organizer does, plus roles, erasure, audit.
    Admin,
    /// An officer of an industrial union body: admits chapters, posts for the body.
    Officer,
}

/// Something an account may be allowed to do in one chapter or body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// List and read member records and their one-on-one logs.
    ViewRoster,
    /// Add and change member records, record one-on-ones, import CSV.
    EditRoster,
    /// Download the roster as CSV.
    ExportRoster,
    /// Erase a member record completely.
    EraseMember,
    /// Invite people with the member role.
    InviteMembers,
    /// Invite organizers and admins, change and remove roles.
    ManageRoles,
    /// Read the audit log.
    ViewAudit,
    /// Publish in the group's name (posts, calls for support, strikes).
    PostForGroup,
    /// Pledge toward a call for support or a picket shift.
    Pledge,
    /// Admit chapters to an industrial union body, or refuse them.
    AdmitChapters,
    /// Block a remote actor for the group; report remote posts to their server.
    Moderate,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Self::ViewRoster,
        Self::EditRoster,
        Self::ExportRoster,
        Self::EraseMember,
        Self::InviteMembers,
        Self::ManageRoles,
        Self::ViewAudit,
        Self::PostForGroup,
        Self::Pledge,
        Self::AdmitChapters,
        Self::Moderate,
    ];
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Member, Self::Organizer, Self::Admin, Self::Officer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Organizer => "organizer",
            Self::Admin => "admin",
            Self::Officer => "officer",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| DomainError::UnknownRole(value.to_owned()))
    }

    /// The permission table. Least privilege: the roster is for organizers and
    /// admins only; members see their own record through their account instead.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Member => matches!(permission, Pledge),
            Self::Organizer => matches!(
                permission,
                ViewRoster
                    | EditRoster
                    | ExportRoster
                    | InviteMembers
                    | PostForGroup
                    | Pledge
                    | Moderate
            ),
            Self::Admin => !matches!(permission, AdmitChapters),
            Self::Officer => matches!(
                permission,
                PostForGroup | AdmitChapters | ManageRoles | ViewAudit | Moderate
            ),
        }
    }

    /// Chapters have members, organizers and admins; union bodies have officers
    /// (their members are chapters, not people).
    pub fn fits(self, kind: ActorKind) -> bool {
        match kind {
            ActorKind::Chapter => self != Self::Officer,
            ActorKind::Union => self == Self::Officer,
            ActorKind::Instance | ActorKind::Reader | ActorKind::Remote => false,
        }
    }

    /// Checks that `self` may hand `granted` to someone in a group of `kind`.
    pub fn may_grant(self, granted: Role, kind: ActorKind) -> Result<()> {
        if !granted.fits(kind) {
            return Err(DomainError::RoleDoesNotFit {
                role: granted.as_str(),
                kind: kind.as_str(),
            });
        }
        let allowed = match granted {
            Self::Member => self.allows(Permission::InviteMembers),
            _ => self.allows(Permission::ManageRoles),
        };
        if allowed {
            Ok(())
        } else {
            Err(DomainError::MayNotGrant {
                role: granted.as_str(),
                by: self.as_str(),
            })
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("owner").is_err());
    }

    #[test]
    fn only_organizers_and_admins_reach_the_roster() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Organizer | Role::Admin);
            assert_eq!(role.allows(Permission::ViewRoster), expected, "{role}");
            assert_eq!(role.allows(Permission::EditRoster), expected, "{role}");
            assert_eq!(role.allows(Permission::ExportRoster), expected, "{role}");
        }
    }

    #[test]
    fn only_admins_erase_members_and_only_those_who_manage_read_the_audit_log() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::EraseMember),
                role == Role::Admin,
                "{role}"
            );
            let manages = matches!(role, Role::Admin | Role::Officer);
            assert_eq!(role.allows(Permission::ViewAudit), manages, "{role}");
        }
    }

    #[test]
    fn organizers_invite_members_but_only_admins_make_organizers() {
        let chapter = ActorKind::Chapter;
        assert!(Role::Organizer.may_grant(Role::Member, chapter).is_ok());
        assert!(Role::Organizer.may_grant(Role::Organizer, chapter).is_err());
        assert!(Role::Organizer.may_grant(Role::Admin, chapter).is_err());
        assert!(Role::Admin.may_grant(Role::Admin, chapter).is_ok());
        assert!(Role::Member.may_grant(Role::Member, chapter).is_err());
    }

    #[test]
    fn roles_fit_their_kind_of_group() {
        assert!(Role::Admin
            .may_grant(Role::Officer, ActorKind::Chapter)
            .is_err());
        assert!(Role::Officer
            .may_grant(Role::Officer, ActorKind::Union)
            .is_ok());
        assert!(Role::Officer
            .may_grant(Role::Member, ActorKind::Union)
            .is_err());
        assert!(!Role::Officer.allows(Permission::ViewRoster));
    }
}
