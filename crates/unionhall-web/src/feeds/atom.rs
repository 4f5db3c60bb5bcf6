//! Atom (RFC 4287), written by hand: a handful of elements, escaped.

use crate::html::escape;

pub struct Entry {
    pub id: String,
    /// Where a person reads it: its page here (a call's, a strike's), or its id.
    pub link: String,
    pub title: String,
    /// Unix milliseconds.
    pub updated: i64,
    pub html: String,
}

pub struct Feed<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub link: &'a str,
    pub entries: &'a [Entry],
}

fn time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn render(feed: &Feed<'_>) -> String {
    let updated = feed.entries.iter().map(|e| e.updated).max().unwrap_or(0);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" href=\"{}\"/>\n\
         <link rel=\"self\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        escape(feed.id),
        escape(feed.title),
        time(updated),
        escape(feed.link),
        escape(feed.id),
        escape(feed.title),
    );
    for entry in feed.entries {
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" href=\"{}\"/>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape(&entry.id),
            escape(&entry.title),
            time(entry.updated),
            escape(&entry.link),
            escape(&entry.html),
        ));
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_escaped() {
        let entries = [Entry {
            id: "https://a.example/posts/1".into(),
            link: "https://a.example/call/1?a=1&b=2".into(),
            title: "Picket & <rally>".into(),
            updated: 0,
            html: "<p>Come</p>".into(),
        }];
        let xml = render(&Feed {
            id: "https://a.example/actors/bakers/feed.atom",
            title: "Bakers",
            link: "https://a.example/actors/bakers",
            entries: &entries,
        });
        assert!(
            xml.contains("<title>Picket &amp; &lt;rally&gt;</title>"),
            "{xml}"
        );
        assert!(xml.contains("<content type=\"html\">&lt;p&gt;Come&lt;/p&gt;</content>"));
        assert!(xml.contains("<updated>1970-01-01T00:00:00Z</updated>"));
        assert!(xml.contains("href=\"https://a.example/call/1?a=1&amp;b=2\""));
    }
}
