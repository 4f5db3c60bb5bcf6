//! Calls for support (solidarity requests) and the pledges toward them.
//!
//! A call belongs to the chapter that posts it; pledges are made by members on
//! their own instance and only their chapter's totals (counts and amounts, never
//! names) travel to the calling chapter.

use crate::{DomainError, Result, Zone};
use serde::{Deserialize, Serialize};

/// What a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallKind {
    Picket,
    Donation,
    CallIn,
    Boycott,
    SignOn,
    Turnout,
    Other,
}

impl CallKind {
    pub const ALL: [CallKind; 7] = [
        Self::Picket,
        Self::Donation,
        Self::CallIn,
        Self::Boycott,
        Self::SignOn,
        Self::Turnout,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Picket => "picket",
            Self::Donation => "donation",
            Self::CallIn => "call-in",
            Self::Boycott => "boycott",
            Self::SignOn => "sign-on",
            Self::Turnout => "turnout",
            Self::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| {
                DomainError::invalid(
                    "kind",
                    "must be picket, donation, call-in, boycott, sign-on, turnout or other",
                )
            })
    }

    /// How people read it: "Picket", "Call-in".
    pub fn label(self) -> &'static str {
        match self {
            Self::Picket => "Picket",
            Self::Donation => "Donations",
            Self::CallIn => "Call-in",
            Self::Boycott => "Boycott",
            Self::SignOn => "Sign-on",
            Self::Turnout => "Turnout",
            Self::Other => "Call for support",
        }
    }
}

/// Where a call stands. Open calls can be met, withdrawn or closed; a met call
/// can open again (more people needed) or close; withdrawn and closed are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Open,
    Met,
    Withdrawn,
    Closed,
}

impl CallStatus {
    pub const ALL: [CallStatus; 4] = [Self::Open, Self::Met, Self::Withdrawn, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Met => "met",
            Self::Withdrawn => "withdrawn",
            Self::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| DomainError::invalid("status", "must be open, met, withdrawn or closed"))
    }

    /// Checks a change of status; the error says why it cannot happen.
    pub fn move_to(self, next: CallStatus) -> Result<CallStatus> {
        use CallStatus::*;
        let allowed = matches!(
            (self, next),
            (Open, Met | Withdrawn | Closed) | (Met, Open | Closed)
        );
        if allowed {
            Ok(next)
        } else {
            Err(DomainError::Transition {
                what: "call for support",
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Met => "Met",
            Self::Withdrawn => "Withdrawn",
            Self::Closed => "Closed",
        }
    }

    /// Whether pledges are still taken.
    pub fn takes_pledges(self) -> bool {
        matches!(self, Self::Open | Self::Met)
    }
}

/// Where the support is needed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Place {
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// What would meet the call: people, money (in the smallest unit of `currency`,
/// given to the chapter's own fund page), or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Goal {
    pub people: Option<u32>,
    /// Cents (or the currency's smallest unit).
    pub amount: Option<u64>,
    /// ISO 4217, e.g. "USD"; required with an amount.
    pub currency: String,
    /// The chapter's own fund page: Unionhall takes no payments.
    pub fund_url: String,
}

/// A call for support as its chapter writes it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallForSupport {
    pub kind: CallKind,
    pub title: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    #[serde(default)]
    pub deadline: Option<i64>,
    #[serde(default)]
    pub goal: Goal,
    /// The zone its chapter posted it in, where its times are read: a member
    /// anywhere sees the time on the clocks where it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Zone>,
}

/// How long a call with a start but neither an end nor an "until" is taken to
/// last: a picket at 6am is over by the next morning.
pub const ASSUMED_LENGTH_MS: i64 = 24 * 3_600_000;

impl CallForSupport {
    /// When the call is over: its end or its "until", whichever is later; a
    /// day after its start if it has neither ([`ASSUMED_LENGTH_MS`]); never
    /// (None) if it has no time at all, as a boycott that stands.
    pub fn over_at(&self) -> Option<i64> {
        match (self.ends_at, self.deadline) {
            (Some(end), Some(until)) => Some(end.max(until)),
            (Some(at), None) | (None, Some(at)) => Some(at),
            (None, None) => self
                .starts_at
                .map(|start| start.saturating_add(ASSUMED_LENGTH_MS)),
        }
    }

    /// Whether the call's time is over at `now`: it takes no more pledges,
    /// leaves the boards, and its own chapter's server closes it.
    pub fn is_over(&self, now: i64) -> bool {
        self.over_at().is_some_and(|at| at <= now)
    }

    /// Whether the call, with `status` since `changed_at`, was called off:
    /// withdrawn, or closed before its time was over. One closed once its
    /// time was over happened (calendars must not mark it cancelled).
    pub fn called_off(&self, status: CallStatus, changed_at: i64) -> bool {
        match status {
            CallStatus::Withdrawn => true,
            CallStatus::Closed => !self.is_over(changed_at),
            CallStatus::Open | CallStatus::Met => false,
        }
    }

    /// Refuses a new call that would be over already at `now` (a year typed
    /// wrong, say), naming the field that puts it in the past.
    pub fn check_not_over(&self, now: i64) -> Result<()> {
        if !self.is_over(now) {
            return Ok(());
        }
        let field = match (self.ends_at, self.deadline) {
            (Some(end), Some(until)) if until > end => "deadline",
            (Some(_), _) => "ends_at",
            (None, Some(_)) => "deadline",
            (None, None) => "starts_at",
        };
        Err(DomainError::invalid(
            field,
            "is in the past, so the call would be over already",
        ))
    }

    /// Checks the rules and tidies whitespace; the error names the field.
    pub fn validated(mut self) -> Result<Self> {
        self.title = self.title.trim().to_owned();
        if self.title.is_empty() || self.title.chars().count() > 200 {
            return Err(DomainError::invalid(
                "title",
                "is required, at most 200 characters",
            ));
        }
        if self.details.chars().count() > 20_000 {
            return Err(DomainError::invalid(
                "details",
                "is longer than 20000 characters",
            ));
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at) {
            if end < start {
                return Err(DomainError::invalid("ends_at", "is before it starts"));
            }
        }
        if self.ends_at.is_some() && self.starts_at.is_none() {
            return Err(DomainError::invalid(
                "starts_at",
                "is needed when it has an end",
            ));
        }
        if let Some(place) = &mut self.place {
            place.address = place.address.trim().to_owned();
            if place.address.chars().count() > 500 {
                return Err(DomainError::invalid(
                    "place",
                    "address is longer than 500 characters",
                ));
            }
            if place.latitude.is_some() != place.longitude.is_some() {
                return Err(DomainError::invalid(
                    "place",
                    "needs both latitude and longitude, or neither",
                ));
            }
            if place.latitude.is_some_and(|l| !(-90.0..=90.0).contains(&l))
                || place
                    .longitude
                    .is_some_and(|l| !(-180.0..=180.0).contains(&l))
            {
                return Err(DomainError::invalid(
                    "place",
                    "coordinates are out of range",
                ));
            }
            if place.address.is_empty() && place.latitude.is_none() {
                self.place = None;
            }
        }
        let goal = &mut self.goal;
        goal.currency = goal.currency.trim().to_ascii_uppercase();
        if goal.amount.is_some()
            && (goal.currency.len() != 3 || !goal.currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(DomainError::invalid(
                "goal",
                "an amount needs a currency such as USD",
            ));
        }
        goal.fund_url = goal.fund_url.trim().to_owned();
        if !goal.fund_url.is_empty() {
            let ok = url::Url::parse(&goal.fund_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(DomainError::invalid(
                    "goal",
                    "fund_url must be an http(s) address",
                ));
            }
        }
        Ok(self)
    }
}

/// What one member pledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pledge {
    /// "I'll be there."
    Attend,
    /// "I'll give $20", in the call's currency's smallest unit.
    Give { amount: u64 },
    /// "I called", "I signed", "I'm boycotting".
    Act,
}

impl Pledge {
    pub fn validated(self) -> Result<Self> {
        match self {
            Self::Give { amount: 0 } => Err(DomainError::invalid("amount", "must be more than 0")),
            Self::Give { amount } if amount > 100_000_000 => {
                Err(DomainError::invalid("amount", "is implausibly large"))
            }
            other => Ok(other),
        }
    }
}

/// A chapter's (or a call's) pledges added up: all that ever leaves the
/// instance of the people who pledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PledgeTotals {
    pub people: u64,
    pub amount: u64,
    pub actions: u64,
}

impl PledgeTotals {
    pub fn of<'a>(pledges: impl IntoIterator<Item = &'a Pledge>) -> Self {
        pledges.into_iter().fold(Self::default(), |mut t, p| {
            match p {
                Pledge::Attend => t.people += 1,
                Pledge::Give { amount } => t.amount += amount,
                Pledge::Act => t.actions += 1,
            }
            t
        })
    }

    pub fn plus(self, other: Self) -> Self {
        Self {
            people: self.people + other.people,
            amount: self.amount + other.amount,
            actions: self.actions + other.actions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> CallForSupport {
        CallForSupport {
            kind: CallKind::Picket,
            title: " Picket at gate 3 ".into(),
            details: String::new(),
            place: None,
            starts_at: Some(1_000),
            ends_at: Some(2_000),
            deadline: None,
            goal: Goal::default(),
            time_zone: None,
        }
    }

    #[test]
    fn a_call_needs_a_title_and_a_sane_time_window() {
        assert_eq!(call().validated().unwrap().title, "Picket at gate 3");
        let mut c = call();
        c.title = "  ".into();
        assert!(c.validated().is_err());
        let mut c = call();
        c.ends_at = Some(500);
        assert!(c.validated().unwrap_err().to_string().contains("ends_at"));
    }

    #[test]
    fn money_goals_need_a_currency_and_a_web_fund_page() {
        let mut c = call();
        c.goal.amount = Some(50_000);
        assert!(c.clone().validated().is_err());
        c.goal.currency = "usd".into();
        assert_eq!(c.clone().validated().unwrap().goal.currency, "USD");
        c.goal.fund_url = "javascript:alert(1)".into();
        assert!(c.validated().is_err());
    }

    #[test]
    fn places_need_both_coordinates_in_range() {
        let mut c = call();
        c.place = Some(Place {
            address: "Gate 3".into(),
            latitude: Some(45.0),
            longitude: None,
        });
        assert!(c.clone().validated().is_err());
        c.place = Some(Place {
            address: String::new(),
            latitude: Some(95.0),
            longitude: Some(0.0),
        });
        assert!(c.validated().is_err());
    }

    #[test]
    fn a_call_is_over_after_its_end_or_until_or_a_day_after_its_start() {
        let c = call(); // 1,000 to 2,000
        assert_eq!(c.over_at(), Some(2_000));
        assert!(!c.is_over(1_999) && c.is_over(2_000));
        let mut later_until = call();
        later_until.deadline = Some(5_000);
        assert_eq!(later_until.over_at(), Some(5_000));
        let mut pledges_first = call();
        pledges_first.deadline = Some(500);
        assert_eq!(
            pledges_first.over_at(),
            Some(2_000),
            "the picket still happens"
        );
        let mut start_only = call();
        start_only.ends_at = None;
        assert_eq!(start_only.over_at(), Some(1_000 + ASSUMED_LENGTH_MS));
        let mut until_only = start_only.clone();
        until_only.starts_at = None;
        until_only.deadline = Some(9_000);
        assert_eq!(until_only.over_at(), Some(9_000));
        let mut boycott = until_only;
        boycott.deadline = None;
        assert_eq!(boycott.over_at(), None);
        assert!(!boycott.is_over(i64::MAX));
    }

    #[test]
    fn a_call_closed_once_over_happened_and_one_closed_before_was_called_off() {
        let c = call(); // over at 2,000
        assert!(!c.called_off(CallStatus::Closed, 2_500));
        assert!(c.called_off(CallStatus::Closed, 1_500));
        assert!(c.called_off(CallStatus::Withdrawn, 2_500));
        assert!(!c.called_off(CallStatus::Met, 1_500));
    }

    #[test]
    fn a_new_call_over_already_is_refused_naming_the_field_in_the_past() {
        assert!(call().check_not_over(1_999).is_ok());
        let err = call().check_not_over(2_000).unwrap_err().to_string();
        assert!(
            err.contains("ends_at") && err.contains("in the past"),
            "{err}"
        );
        let mut start_only = call();
        start_only.ends_at = None;
        let err = start_only.check_not_over(i64::MAX).unwrap_err().to_string();
        assert!(err.contains("starts_at"), "{err}");
    }

    #[test]
    fn status_moves_only_where_it_makes_sense() {
        use CallStatus::*;
        assert_eq!(Open.move_to(Met), Ok(Met));
        assert_eq!(Met.move_to(Open), Ok(Open));
        assert!(Withdrawn.move_to(Open).is_err());
        assert!(Closed.move_to(Met).is_err());
        assert!(Open.move_to(Open).is_err());
        let err = Closed.move_to(Open).unwrap_err().to_string();
        assert!(err.contains("closed") && err.contains("open"), "{err}");
        assert!(!Withdrawn.takes_pledges());
    }

    #[test]
    fn pledges_add_up_to_totals_without_names() {
        let pledges = [
            Pledge::Attend,
            Pledge::Give { amount: 2_000 },
            Pledge::Attend,
            Pledge::Act,
        ];
        let totals = PledgeTotals::of(&pledges);
        assert_eq!(
            totals,
            PledgeTotals {
                people: 2,
                amount: 2_000,
                actions: 1
            }
        );
        assert!(Pledge::Give { amount: 0 }.validated().is_err());
        let parsed: Pledge = serde_json::from_str(r#"{"kind":"give","amount":500}"#).unwrap();
        assert_eq!(parsed, Pledge::Give { amount: 500 });
    }
}
