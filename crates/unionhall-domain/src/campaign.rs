//! Campaigns: a workplace's organizing campaign, with a goal and dated public
//! updates that members elsewhere follow from home.

use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub title: String,
    /// What the campaign is for ("a first contract", "recognition by June").
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub details: String,
}

impl Campaign {
    pub fn validated(mut self) -> Result<Self> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() || self.title.chars().count() > 200 {
            return Err(DomainError::invalid(
                "title",
                "is required, at most 200 characters",
            ));
        }
        self.goal = self.goal.trim().to_owned();
        if self.goal.chars().count() > 500 {
            return Err(DomainError::invalid(
                "goal",
                "is longer than 500 characters",
            ));
        }
        if self.details.chars().count() > 20_000 {
            return Err(DomainError::invalid(
                "details",
                "is longer than 20000 characters",
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_needs_a_title() {
        let c = |title: &str| Campaign {
            title: title.into(),
            goal: " A first contract ".into(),
            details: String::new(),
        };
        assert!(c(" ").validated().is_err());
        assert_eq!(c("Union yes").validated().unwrap().goal, "A first contract");
    }
}
