//! The home board's read model, one for the JSON API (`api/board.rs`) and the
//! page (`pages/home.rs`): open calls for support (nearest deadline first),
//! strikes still on, coordinated actions a chapter of the caller's has yet to
//! answer, and the newest updates of the campaigns the caller follows.
//!
//! A fixed number of queries whatever the size of the board: one per kind of
//! object, one for the answers the caller's chapters gave, one per chapter for
//! the bodies it belongs to. Calls not meant for the caller are left out
//! (`Readers`), and so are calls whose time is over (`CallForSupport::is_over`):
//! ours are closed by then, but a server elsewhere may never close its own.

use crate::AppError;
use unionhall_domain::{Audience, CallForSupport, CoordinatedAction, Strike};
use unionhall_federation::activities::{action, call, strike};
use unionhall_members::Principal;
use unionhall_store::actions::ActionRow;
use unionhall_store::calls::CallRow;
use unionhall_store::posts::Post;
use unionhall_store::strikes::StrikeRow;
use unionhall_store::{actions, calls, now_millis, posts, strikes, unions, Store};
use url::Url;

/// What an account may read of the calls this instance holds: public calls
/// and those of the chapters the instance follows, calls addressed to a
/// chapter only by its people, and a union's calls only by the people of its
/// member chapters (and the calling chapter's own, always).
pub struct Readers {
    groups: Vec<Url>,
    bodies: Vec<Url>,
}

impl Readers {
    /// The groups `principal` has a role in, and the bodies their chapters
    /// belong to.
    pub async fn of(store: &Store, principal: &Principal) -> Result<Self, AppError> {
        Self::of_roles(store, &principal.roles).await
    }

    /// [`Readers::of`] for an account's roles.
    pub async fn of_roles(
        store: &Store,
        roles: &[(Url, unionhall_domain::Role)],
    ) -> Result<Self, AppError> {
        let groups: Vec<Url> = roles.iter().map(|(g, _)| g.clone()).collect();
        let mut bodies = Vec::new();
        for group in &groups {
            for membership in unions::bodies_of(store, group).await? {
                if membership.accepted_at.is_some() {
                    bodies.push(membership.body);
                }
            }
        }
        Ok(Self { groups, bodies })
    }

    pub fn may_read(&self, call: &CallRow) -> bool {
        if self.groups.contains(&call.author) {
            return true;
        }
        match &call.audience {
            Audience::Public | Audience::Followers => true,
            Audience::Chapters(chapters) => chapters.iter().any(|c| self.groups.contains(c)),
            Audience::Union(body) => self.groups.contains(body) || self.bodies.contains(body),
        }
    }
}

/// Campaign updates shown at most.
const MOST_UPDATES: i64 = 50;

/// What narrows the board: calls of one kind, calls and actions of one body.
#[derive(Debug, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub body: Option<Url>,
}

pub struct Board {
    pub calls: Vec<(CallRow, CallForSupport)>,
    pub strikes: Vec<(StrikeRow, Strike)>,
    /// An action, and the chapter of the caller's that has yet to answer it
    /// (an action appears once per such chapter).
    pub actions: Vec<(ActionRow, CoordinatedAction, Url)>,
    pub campaign_updates: Vec<Post>,
}

/// The board of `principal`, who answers actions for `chapters`.
pub async fn load(
    store: &Store,
    principal: &Principal,
    chapters: &[Url],
    filter: &Filter,
) -> Result<Board, AppError> {
    let account_id = principal.account_id;
    let readers = Readers::of(store, principal).await?;
    let now = now_millis();
    let mut open = Vec::new();
    for row in calls::open(store, now).await? {
        if !readers.may_read(&row) {
            continue;
        }
        if let Some(body) = &filter.body {
            if row.audience != Audience::Union(body.clone()) {
                continue;
            }
        }
        let record = call::record_of(&row)?;
        if filter
            .kind
            .as_deref()
            .is_some_and(|kind| kind != record.kind.as_str())
        {
            continue;
        }
        open.push((row, record));
    }
    open.sort_by_key(|(_, record)| record.deadline.unwrap_or(i64::MAX));

    let mut on = Vec::new();
    for row in strikes::standing(store).await? {
        let record = strike::record_of(&row)?;
        on.push((row, record));
    }

    let answered = actions::answered_by(store, chapters).await?;
    let mut memberships = Vec::new();
    for chapter in chapters {
        for membership in unions::bodies_of(store, chapter).await? {
            if membership.accepted_at.is_some() {
                memberships.push((membership.body, chapter.clone()));
            }
        }
    }
    let mut to_answer = Vec::new();
    for row in actions::proposed(store).await? {
        if filter.body.as_ref().is_some_and(|body| body != &row.author) {
            continue;
        }
        let record = action::record_of(&row)?;
        if !row.status.takes_answers(record.decision_deadline, now) {
            continue;
        }
        for (body, chapter) in &memberships {
            let done = answered.iter().any(|(id, c)| *id == row.id && c == chapter);
            if body == &row.author && !done {
                to_answer.push((row.clone(), record.clone(), chapter.clone()));
            }
        }
    }

    Ok(Board {
        calls: open,
        strikes: on,
        actions: to_answer,
        campaign_updates: posts::of_campaigns_followed_by(store, account_id, MOST_UPDATES).await?,
    })
}
