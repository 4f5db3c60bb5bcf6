//! Coordinated actions: an industrial union body proposes one to its member
//! chapters, each chapter's organizers answer commit (with how many will take
//! part) or decline, and after the decision deadline the body confirms the
//! action or calls it off.

use crate::call::Place;
use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Proposed,
    Confirmed,
    CalledOff,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [Self::Proposed, Self::Confirmed, Self::CalledOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Confirmed => "confirmed",
            Self::CalledOff => "called_off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Proposed => "Proposed action",
            Self::Confirmed => "Confirmed action",
            Self::CalledOff => "Called off",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                DomainError::invalid("status", "must be proposed, confirmed or called_off")
            })
    }

    /// A proposal is confirmed once its deadline has passed (`now` is past it),
    /// or called off at any time; either is final.
    pub fn move_to(self, next: ActionStatus, deadline: i64, now: i64) -> Result<ActionStatus> {
        match (self, next) {
            (Self::Proposed, Self::CalledOff) => Ok(next),
            (Self::Proposed, Self::Confirmed) if now >= deadline => Ok(next),
            (Self::Proposed, Self::Confirmed) => Err(DomainError::invalid(
                "status",
                "an action is confirmed after its decision deadline, when every chapter has had its say",
            )),
            _ => Err(DomainError::Transition {
                what: "coordinated action",
                from: self.as_str(),
                to: next.as_str(),
            }),
        }
    }

    /// Whether chapters may still answer (before the deadline, while proposed).
    pub fn takes_answers(self, deadline: i64, now: i64) -> bool {
        self == Self::Proposed && now < deadline
    }
}

/// A chapter's answer, decided by its organizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionAnswer {
    /// We are in, with this many people.
    Commit {
        people: u32,
    },
    Decline,
}

impl ActionAnswer {
    pub fn people(self) -> u32 {
        match self {
            Self::Commit { people } => people,
            Self::Decline => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Commit { .. } => "commit",
            Self::Decline => "decline",
        }
    }

    pub fn validated(self) -> Result<Self> {
        match self {
            Self::Commit { people: 0 } => Err(DomainError::invalid(
                "people",
                "a commitment counts at least one person",
            )),
            Self::Commit { people } if people > 1_000_000 => {
                Err(DomainError::invalid("people", "is implausibly large"))
            }
            other => Ok(other),
        }
    }
}

/// A coordinated action as its body proposes it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatedAction {
    pub title: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub starts_at: Option<i64>,
    pub decision_deadline: i64,
    /// What committing means ("walk out at noon for an hour").
    #[serde(default)]
    pub commitment: String,
}

impl CoordinatedAction {
    pub fn validated(mut self) -> Result<Self> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() || self.title.chars().count() > 200 {
            return Err(DomainError::invalid(
                "title",
                "is required, at most 200 characters",
            ));
        }
        for (field, value) in [("details", &self.details), ("commitment", &self.commitment)] {
            if value.chars().count() > 20_000 {
                return Err(DomainError::invalid(
                    field,
                    "is longer than 20000 characters",
                ));
            }
        }
        if self
            .starts_at
            .is_some_and(|start| start < self.decision_deadline)
        {
            return Err(DomainError::invalid(
                "decision_deadline",
                "must come before the action starts",
            ));
        }
        if let Some(place) = &mut self.place {
            place.address = place.address.trim().to_owned();
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionStatus::*;

    #[test]
    fn actions_are_confirmed_after_the_deadline_or_called_off_any_time() {
        assert_eq!(Proposed.move_to(CalledOff, 100, 50), Ok(CalledOff));
        assert!(Proposed.move_to(Confirmed, 100, 50).is_err());
        assert_eq!(Proposed.move_to(Confirmed, 100, 100), Ok(Confirmed));
        assert!(Confirmed.move_to(CalledOff, 100, 200).is_err());
        assert!(CalledOff.move_to(Confirmed, 100, 200).is_err());
        assert!(Proposed.takes_answers(100, 99));
        assert!(!Proposed.takes_answers(100, 100));
        assert!(!Confirmed.takes_answers(100, 0));
    }

    #[test]
    fn answers_count_people_and_a_commitment_counts_someone() {
        assert_eq!(ActionAnswer::Commit { people: 12 }.people(), 12);
        assert_eq!(ActionAnswer::Decline.people(), 0);
        assert!(ActionAnswer::Commit { people: 0 }.validated().is_err());
        let parsed: ActionAnswer =
            serde_json::from_str(r#"{"answer":"commit","people":5}"#).unwrap();
        assert_eq!(parsed, ActionAnswer::Commit { people: 5 });
    }

    #[test]
    fn the_deadline_comes_before_the_action() {
        let action = CoordinatedAction {
            title: "Walk out at noon".into(),
            details: String::new(),
            place: None,
            starts_at: Some(100),
            decision_deadline: 200,
            commitment: String::new(),
        };
        assert!(action.clone().validated().is_err());
        let mut ok = action;
        ok.decision_deadline = 50;
        assert!(ok.validated().is_ok());
    }
}
