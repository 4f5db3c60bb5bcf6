//! Who asks for a change to what a group says, and with what roles: the use
//! cases that change a group's calls, strikes, actions, campaigns, posts and
//! memberships check it themselves, once, whoever calls them (the JSON API,
//! the pages, the command line).

use crate::{Permission, Role};
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// An account, with its roles in groups.
    Roles(Vec<(Url, Role)>),
    /// The operator at the command line, who runs the instance: anything.
    Operator,
}

impl Authority {
    /// Whether a role in `group` allows `permission`.
    pub fn allows(&self, group: &Url, permission: Permission) -> bool {
        match self {
            Self::Operator => true,
            Self::Roles(roles) => roles
                .iter()
                .any(|(g, role)| g == group && role.allows(permission)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_counts_in_its_own_group_only() {
        let bakers = Url::parse("https://a.example/actors/bakers").unwrap();
        let millers = Url::parse("https://a.example/actors/millers").unwrap();
        let organizer = Authority::Roles(vec![(bakers.clone(), Role::Organizer)]);
        assert!(organizer.allows(&bakers, Permission::PostForGroup));
        assert!(!organizer.allows(&millers, Permission::PostForGroup));
        let member = Authority::Roles(vec![(bakers.clone(), Role::Member)]);
        assert!(member.allows(&bakers, Permission::Pledge));
        assert!(!member.allows(&bakers, Permission::PostForGroup));
        assert!(Authority::Operator.allows(&millers, Permission::AdmitChapters));
    }
}
