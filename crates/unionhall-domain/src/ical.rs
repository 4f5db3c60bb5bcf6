//! iCalendar (RFC 5545), written by hand: escaped text, UTC times, lines folded
//! at 75 octets, CRLF line ends. The calendar feeds and reminder mails use it.

pub struct Event {
    pub uid: String,
    /// Unix milliseconds.
    pub stamp: i64,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub url: String,
    pub cancelled: bool,
}

fn time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

fn text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line: at most 75 octets a line, continuations start with a
/// space, never splitting a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

pub fn render(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Unionhall//Unionhall//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("X-WR-CALNAME:{}", text(name)),
    ] {
        fold(&line, &mut out);
    }
    for event in events {
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", text(&event.uid)),
            format!("DTSTAMP:{}", time(event.stamp)),
            format!("DTSTART:{}", time(event.starts_at)),
        ];
        if let Some(end) = event.ends_at {
            lines.push(format!("DTEND:{}", time(end)));
        }
        lines.push(format!("SUMMARY:{}", text(&event.summary)));
        if !event.location.is_empty() {
            lines.push(format!("LOCATION:{}", text(&event.location)));
        }
        lines.push(format!("DESCRIPTION:{}", text(&event.description)));
        lines.push(format!("URL:{}", event.url));
        if event.cancelled {
            lines.push("STATUS:CANCELLED".to_owned());
        }
        lines.push("END:VEVENT".to_owned());
        for line in lines {
            fold(&line, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_escaped_folded_and_in_utc() {
        let events = [Event {
            uid: "https://a.example/calls/1".into(),
            stamp: 0,
            starts_at: 1_798_000_000_000,
            ends_at: Some(1_798_003_600_000),
            summary: "Picket, gate 3; bring water".into(),
            location: "Gate 3".into(),
            description: "Line one\nline two ".repeat(10),
            url: "https://a.example/calls/1".into(),
            cancelled: false,
        }];
        let ics = render("Bakers", &events);
        assert!(
            ics.contains("SUMMARY:Picket\\, gate 3\\; bring water\r\n"),
            "{ics}"
        );
        assert!(ics.contains("DTSTART:20261223T042640Z\r\n"), "{ics}");
        assert!(ics.lines().all(|l| l.len() <= 76), "{ics}");
        assert!(ics.contains("\r\n "), "long lines fold");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    }
}
