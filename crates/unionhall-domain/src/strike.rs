//! Strikes: the announcement, its picket lines and shifts, and the lifecycle
//! every follower sees move.
//!
//! ```text
//! announced -> on strike <-> suspended
//!     |            |             |
//!     +-> ended    +-> settled or ended
//! ```
//!
//! Settled and ended are final and carry an outcome.

use crate::call::Place;
use crate::{DomainError, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrikeStatus {
    Announced,
    OnStrike,
    Suspended,
    Settled,
    Ended,
}

impl StrikeStatus {
    pub const ALL: [StrikeStatus; 5] = [
        Self::Announced,
        Self::OnStrike,
        Self::Suspended,
        Self::Settled,
        Self::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Announced => "announced",
            Self::OnStrike => "on_strike",
            Self::Suspended => "suspended",
            Self::Settled => "settled",
            Self::Ended => "ended",
        }
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Announced => "Strike announced",
            Self::OnStrike => "On strike",
            Self::Suspended => "Strike suspended",
            Self::Settled => "Strike settled",
            Self::Ended => "Strike ended",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                DomainError::invalid(
                    "status",
                    "must be announced, on_strike, suspended, settled or ended",
                )
            })
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Settled | Self::Ended)
    }

    /// Checks a change of status. Settling or ending needs an outcome.
    pub fn move_to(self, next: StrikeStatus, outcome: &str) -> Result<StrikeStatus> {
        use StrikeStatus::*;
        let allowed = matches!(
            (self, next),
            (Announced, OnStrike | Ended)
                | (OnStrike, Suspended | Settled | Ended)
                | (Suspended, OnStrike | Settled | Ended)
        );
        if !allowed {
            return Err(DomainError::Transition {
                what: "strike",
                from: self.as_str(),
                to: next.as_str(),
            });
        }
        if next.is_final() && outcome.trim().is_empty() {
            return Err(DomainError::invalid(
                "text",
                "is required to settle or end a strike: say what the outcome is",
            ));
        }
        Ok(next)
    }
}

/// A picket shift: when, and how many people it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub starts_at: i64,
    pub ends_at: i64,
    pub needed: u32,
}

/// A picket line: a place and its shifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PicketLine {
    pub place: Place,
    #[serde(default)]
    pub shifts: Vec<Shift>,
}

/// A strike as its chapter announces it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strike {
    pub employer: String,
    #[serde(default)]
    pub workplace: String,
    #[serde(default)]
    pub demands: Vec<String>,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub picket_lines: Vec<PicketLine>,
    /// The strike fund's own page.
    #[serde(default)]
    pub fund_url: String,
    /// The zone its chapter announced it in: its times and shifts are read
    /// there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<crate::Zone>,
}

impl Strike {
    pub fn validated(mut self) -> Result<Self> {
        self.employer = self.employer.trim().to_owned();
        if self.employer.is_empty() || self.employer.chars().count() > 200 {
            return Err(DomainError::invalid(
                "employer",
                "is required, at most 200 characters",
            ));
        }
        self.workplace = self.workplace.trim().to_owned();
        if self.workplace.chars().count() > 200 {
            return Err(DomainError::invalid(
                "workplace",
                "is longer than 200 characters",
            ));
        }
        self.demands = self
            .demands
            .into_iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect();
        if self.demands.len() > 50 || self.demands.iter().any(|d| d.chars().count() > 500) {
            return Err(DomainError::invalid(
                "demands",
                "at most 50, each at most 500 characters",
            ));
        }
        if self.details.chars().count() > 20_000 {
            return Err(DomainError::invalid(
                "details",
                "is longer than 20000 characters",
            ));
        }
        if self.picket_lines.len() > 20 {
            return Err(DomainError::invalid("picket_lines", "at most 20"));
        }
        for line in &mut self.picket_lines {
            line.place.address = line.place.address.trim().to_owned();
            if line.place.address.is_empty() {
                return Err(DomainError::invalid(
                    "picket_lines",
                    "each needs an address",
                ));
            }
            if line.shifts.len() > 100 {
                return Err(DomainError::invalid(
                    "picket_lines",
                    "at most 100 shifts a line",
                ));
            }
            for shift in &line.shifts {
                if shift.ends_at <= shift.starts_at {
                    return Err(DomainError::invalid(
                        "picket_lines",
                        "a shift ends after it starts",
                    ));
                }
                if shift.needed == 0 {
                    return Err(DomainError::invalid(
                        "picket_lines",
                        "a shift needs at least one person",
                    ));
                }
            }
        }
        self.fund_url = self.fund_url.trim().to_owned();
        if !self.fund_url.is_empty()
            && !url::Url::parse(&self.fund_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            return Err(DomainError::invalid(
                "fund_url",
                "must be an http(s) address",
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StrikeStatus::*;

    #[test]
    fn the_lifecycle_moves_as_strikes_do() {
        assert_eq!(Announced.move_to(OnStrike, ""), Ok(OnStrike));
        assert_eq!(OnStrike.move_to(Suspended, ""), Ok(Suspended));
        assert_eq!(Suspended.move_to(OnStrike, ""), Ok(OnStrike));
        assert_eq!(OnStrike.move_to(Settled, "A 6% raise"), Ok(Settled));
        assert_eq!(
            Announced.move_to(Ended, "Called off: the employer gave in"),
            Ok(Ended)
        );
    }

    #[test]
    fn invalid_moves_are_refused_with_reasons() {
        let err = Settled.move_to(OnStrike, "").unwrap_err().to_string();
        assert_eq!(err, "a strike cannot go from settled to on_strike");
        assert!(Announced.move_to(Suspended, "").is_err());
        assert!(Announced.move_to(Settled, "won").is_err());
        assert!(OnStrike.move_to(OnStrike, "").is_err());
        let err = OnStrike.move_to(Ended, " ").unwrap_err().to_string();
        assert!(err.contains("outcome"), "{err}");
    }

    #[test]
    fn a_strike_names_its_employer_and_sane_shifts() {
        let strike = |shift: Shift| Strike {
            employer: " Acme Bakeries ".into(),
            workplace: String::new(),
            demands: vec!["".into(), "Safe staffing".into()],
            details: String::new(),
            starts_at: None,
            picket_lines: vec![PicketLine {
                place: Place {
                    address: "Gate 3".into(),
                    ..Default::default()
                },
                shifts: vec![shift],
            }],
            fund_url: String::new(),
            time_zone: None,
        };
        let ok = strike(Shift {
            starts_at: 0,
            ends_at: 10,
            needed: 4,
        })
        .validated()
        .unwrap();
        assert_eq!(ok.employer, "Acme Bakeries");
        assert_eq!(ok.demands, vec!["Safe staffing"]);
        assert!(strike(Shift {
            starts_at: 10,
            ends_at: 10,
            needed: 4
        })
        .validated()
        .is_err());
        assert!(strike(Shift {
            starts_at: 0,
            ends_at: 10,
            needed: 0
        })
        .validated()
        .is_err());
    }
}
