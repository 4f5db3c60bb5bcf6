//! Time zones. Times are kept as Unix milliseconds; a zone turns the wall-clock
//! time an organizer types into one, and one back into what people read, with
//! the zone named. A chapter posts in its zone, an account reads in its own
//! (its chapter's unless it chose one), and a call carries the zone it was
//! posted in, so that a member anywhere sees a picket at the time on the
//! clocks where it happens.

use crate::{DomainError, Language, Result};
use chrono::{Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A zone of the IANA database, such as `America/Chicago`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

/// What a `datetime-local` input sends.
const FORM_FORMAT: &str = "%Y-%m-%dT%H:%M";

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Reads a zone name; the error is fit to show next to the field.
    pub fn parse(name: &str) -> Result<Self> {
        name.trim().parse::<Tz>().map(Zone).map_err(|_| {
            DomainError::invalid(
                "time_zone",
                "is not a time zone: write one such as America/Chicago or Europe/Berlin",
            )
        })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every zone name, for a form to offer.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// A wall-clock time in this zone, as a `datetime-local` input sends it
    /// (`2026-12-01T06:00`), in Unix milliseconds. When clocks go back the hour
    /// that repeats means its first pass; a time the clocks skip when they go
    /// forward does not exist and is refused, since guessing would put people
    /// on a picket line an hour early or late.
    pub fn local_to_millis(self, field: &'static str, text: &str) -> Result<i64> {
        let wall = NaiveDateTime::parse_from_str(text.trim(), FORM_FORMAT).map_err(|_| {
            DomainError::invalid(field, "needs a date and a time, such as 2026-12-01T06:00")
        })?;
        self.wall_to_millis(field, wall)
    }

    /// The last minute of a day in this zone (`2026-12-24`): what "until" a
    /// date means.
    pub fn end_of_day_millis(self, field: &'static str, text: &str) -> Result<i64> {
        let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| DomainError::invalid(field, "needs a date such as 2026-12-24"))?;
        let wall = day
            .and_hms_opt(23, 59, 59)
            .ok_or_else(|| DomainError::invalid(field, "needs a date such as 2026-12-24"))?;
        self.wall_to_millis(field, wall)
    }

    fn wall_to_millis(self, field: &'static str, wall: NaiveDateTime) -> Result<i64> {
        match self.0.from_local_datetime(&wall) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp_millis()),
            LocalResult::None => Err(DomainError::invalid(
                field,
                "is a time the clocks skip that day (they move forward): choose a time after the change",
            )),
        }
    }

    /// The last moment at or before `now` when clocks here struck `hour`
    /// (0 to 23): today's, or yesterday's if it is not that late yet. On a
    /// day the clocks skip that hour, the moment they jump.
    pub fn latest_at_hour(self, now: i64, hour: u32) -> i64 {
        let Some(local) = self.at(now) else {
            return now;
        };
        let strike = |day: NaiveDate| -> i64 {
            let wall = day.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
            match self.0.from_local_datetime(&wall) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_millis(),
                // Skipped: the first moment after the jump.
                LocalResult::None => self
                    .0
                    .from_local_datetime(&(wall + chrono::Duration::hours(1)))
                    .earliest()
                    .map_or(now, |t| t.timestamp_millis()),
            }
        };
        let today = strike(local.date_naive());
        if today <= now {
            today
        } else {
            local.date_naive().pred_opt().map_or(today, strike)
        }
    }

    /// A time as a form shows it for editing: `2026-12-01T06:00`.
    pub fn form_value(self, millis: i64) -> String {
        self.at(millis)
            .map(|t| t.format(FORM_FORMAT).to_string())
            .unwrap_or_default()
    }

    /// The day as a date input shows it: `2026-12-01`.
    pub fn form_date(self, millis: i64) -> String {
        self.at(millis)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// A time as people read it, the zone named: `Sat 5 Dec 2026, 06:00 EST`.
    pub fn show(self, millis: i64) -> String {
        self.show_in(Language::En, millis)
    }

    /// From a start to an end: `Sat 5 Dec 2026, 06:00 to 09:00 EST`, or both
    /// times in full when it runs past midnight.
    pub fn show_span(self, start: i64, end: Option<i64>) -> String {
        self.show_span_in(Language::En, start, end)
    }

    /// [`Zone::show`] in `language`: `sáb 5 dic 2026, 06:00 EST`.
    pub fn show_in(self, language: Language, millis: i64) -> String {
        self.at(millis)
            .map(|t| format!("{}, {}", day_in(language, &t), self.clock(&t)))
            .unwrap_or_default()
    }

    /// [`Zone::show_span`] in `language`.
    pub fn show_span_in(self, language: Language, start: i64, end: Option<i64>) -> String {
        let (Some(from), Some(to)) = (self.at(start), end.and_then(|e| self.at(e))) else {
            return self.show_in(language, start);
        };
        if from.date_naive() == to.date_naive() {
            format!(
                "{}, {} {} {}",
                day_in(language, &from),
                from.format("%H:%M"),
                language.until(),
                self.clock(&to)
            )
        } else {
            format!(
                "{} {} {}",
                self.show_in(language, start),
                language.until(),
                self.show_in(language, to.timestamp_millis())
            )
        }
    }

    /// Whether clocks here read the same as clocks in `other` at that moment.
    pub fn agrees_with(self, other: Zone, millis: i64) -> bool {
        self.form_value(millis) == other.form_value(millis)
    }

    fn at(self, millis: i64) -> Option<chrono::DateTime<Tz>> {
        self.0.timestamp_millis_opt(millis).single()
    }

    /// `06:00 EST`; zones without a letter abbreviation read `06:00 UTC+03`.
    fn clock(self, t: &chrono::DateTime<Tz>) -> String {
        let abbreviation = t.format("%Z").to_string();
        if abbreviation.starts_with(['+', '-']) {
            format!("{} UTC{abbreviation}", t.format("%H:%M"))
        } else {
            format!("{} {abbreviation}", t.format("%H:%M"))
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::UTC
    }
}

/// `Sat 5 Dec 2026` in `language`.
fn day_in(language: Language, t: &chrono::DateTime<Tz>) -> String {
    format!(
        "{} {} {} {}",
        language.weekday(t.weekday().num_days_from_monday()),
        t.day(),
        language.month(t.month()),
        t.year()
    )
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// 2026-03-08T11:00Z is 06:00 in New York after clocks went forward at 02:00.
    #[test]
    fn a_morning_picket_keeps_its_wall_clock_time_across_the_spring_change() {
        let ny = zone("America/New_York");
        let before = ny.local_to_millis("starts_at", "2026-03-07T06:00").unwrap();
        let after = ny.local_to_millis("starts_at", "2026-03-08T06:00").unwrap();
        assert_eq!(before, 1_772_881_200_000, "EST is UTC-5");
        assert_eq!(after - before, 23 * 3_600_000, "that day is 23 hours long");
        assert_eq!(ny.show(after), "Sun 8 Mar 2026, 06:00 EDT");
        assert_eq!(ny.form_value(after), "2026-03-08T06:00");
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused() {
        let ny = zone("America/New_York");
        let err = ny
            .local_to_millis("starts_at", "2026-03-08T02:30")
            .unwrap_err();
        assert!(err.to_string().contains("clocks skip"), "{err}");
    }

    #[test]
    fn the_repeated_hour_in_autumn_means_its_first_pass() {
        let berlin = zone("Europe/Berlin");
        let t = berlin
            .local_to_millis("starts_at", "2026-10-25T02:30")
            .unwrap();
        assert_eq!(berlin.show(t), "Sun 25 Oct 2026, 02:30 CEST");
        let hour_later = berlin.show(t + 3_600_000);
        assert_eq!(hour_later, "Sun 25 Oct 2026, 02:30 CET");
    }

    #[test]
    fn spans_name_the_zone_once_or_both_times_past_midnight() {
        let chicago = zone("America/Chicago");
        let start = chicago.local_to_millis("s", "2026-12-05T22:00").unwrap();
        assert_eq!(
            chicago.show_span(start, Some(start + 3 * 3_600_000)),
            "Sat 5 Dec 2026, 22:00 CST to Sun 6 Dec 2026, 01:00 CST"
        );
        assert_eq!(
            chicago.show_span(start, Some(start + 3_600_000)),
            "Sat 5 Dec 2026, 22:00 to 23:00 CST"
        );
    }

    #[test]
    fn times_read_in_the_readers_language() {
        let mexico = zone("America/Mexico_City");
        let start = mexico.local_to_millis("s", "2026-12-05T06:00").unwrap();
        let end = Some(start + 3 * 3_600_000);
        assert_eq!(
            mexico.show_span_in(Language::Es, start, end),
            "sáb 5 dic 2026, 06:00 a 09:00 CST"
        );
        let paris = zone("Europe/Paris");
        let start = paris.local_to_millis("s", "2026-08-03T06:00").unwrap();
        assert_eq!(
            paris.show_in(Language::Fr, start),
            "lun. 3 août 2026, 06:00 CEST"
        );
    }

    #[test]
    fn the_latest_stroke_of_an_hour_is_today_or_yesterday() {
        let chicago = zone("America/Chicago");
        let at = |t: &str| chicago.local_to_millis("t", t).unwrap();
        let now = at("2026-12-05T09:30");
        assert_eq!(chicago.latest_at_hour(now, 7), at("2026-12-05T07:00"));
        assert_eq!(chicago.latest_at_hour(now, 10), at("2026-12-04T10:00"));
        assert_eq!(
            chicago.latest_at_hour(at("2026-12-05T07:00"), 7),
            at("2026-12-05T07:00")
        );
        // 02:00 does not exist on 8 March 2026: the clocks jump to 03:00.
        let after_jump = at("2026-03-08T05:00");
        assert_eq!(
            chicago.latest_at_hour(after_jump, 2),
            at("2026-03-08T03:00")
        );
    }

    #[test]
    fn zones_without_letters_read_as_offsets() {
        let t = zone("Asia/Dubai")
            .local_to_millis("s", "2026-12-05T06:00")
            .unwrap();
        assert_eq!(zone("Asia/Dubai").show(t), "Sat 5 Dec 2026, 06:00 UTC+04");
    }

    #[test]
    fn until_a_date_means_the_end_of_that_day_there() {
        let tokyo = zone("Asia/Tokyo");
        let t = tokyo.end_of_day_millis("deadline", "2026-12-24").unwrap();
        assert_eq!(tokyo.form_value(t), "2026-12-24T23:59");
        assert_eq!(Zone::UTC.form_date(t), "2026-12-24");
    }

    #[test]
    fn names_that_are_not_zones_are_refused_and_serde_keeps_the_name() {
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert!(Zone::parse("").is_err());
        let json = serde_json::to_string(&zone("Europe/Paris")).unwrap();
        assert_eq!(json, "\"Europe/Paris\"");
        assert_eq!(
            serde_json::from_str::<Zone>(&json).unwrap(),
            zone("Europe/Paris")
        );
        assert!(serde_json::from_str::<Zone>("\"Nowhere\"").is_err());
    }

    #[test]
    fn clocks_agree_only_where_they_read_the_same() {
        let t = 1_780_000_000_000;
        assert!(zone("Europe/Paris").agrees_with(zone("Europe/Berlin"), t));
        assert!(!zone("Europe/Paris").agrees_with(Zone::UTC, t));
    }
}
