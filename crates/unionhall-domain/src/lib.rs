//! Unionhall's concepts and rules as validated types.
//!
//! Architecture invariant: this crate does no IO. It knows nothing of HTTP, SQL or
//! JSON wire formats, so every rule here can be unit-tested in isolation and every
//! other crate can depend on it. Records derive serde's traits (not a format) so that
//! the store's sealed form and the API share one shape.

mod action;
mod actor_kind;
mod audience;
mod authority;
pub mod blocklist;
mod call;
mod campaign;
mod chart;
mod error;
mod handle;
pub mod ical;
mod language;
mod member;
mod policy;
mod role;
mod strike;
pub mod text;
pub mod vocabulary;
mod zone;

pub use action::{ActionAnswer, ActionStatus, CoordinatedAction};
pub use actor_kind::ActorKind;
pub use audience::Audience;
pub use authority::Authority;
pub use call::{CallForSupport, CallKind, CallStatus, Goal, Place, Pledge, PledgeTotals};
pub use campaign::Campaign;
pub use chart::{
    chart, check_assignment, date_of_day, day_number, is_committee_member, is_natural_leader,
    suggested_assessment, ChartFigures, ChartPerson, ChartRow, Relationship, RelationshipKind,
    StructureTest, TestFigures, TestRow, LEADER_TAG,
};
pub use error::{DomainError, Result};
pub use handle::Handle;
pub use language::Language;
pub use member::{Assessment, DuesStanding, MemberRecord, OneOnOne};
pub use policy::{normalize_domain, FederationMode, FederationPolicy};
pub use role::{Permission, Role};
pub use strike::{PicketLine, Shift, Strike, StrikeStatus};
pub use zone::Zone;
