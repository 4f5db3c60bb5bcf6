//! The words of each message, in plain text and simple HTML, in its reader's
//! language (`words.rs` lists every sentence; `en.rs`, `es.rs` and `fr.rs`
//! say each). Times come in already written in the reader's zone and
//! language. A message names its reader's own account and nobody else.

mod en;
mod es;
mod fr;
mod words;

pub use words::{fill, Words};

use crate::email::Mail;
use unionhall_domain::{CallForSupport, Role};

/// What a mail about a call a member pledged to come to says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AboutCall {
    /// It is soon.
    Reminder,
    /// Its time or place moved.
    Changed,
    /// It has the people it asked for.
    Met,
    /// Withdrawn, closed or deleted: the attached event is cancelled.
    CalledOff,
}

impl AboutCall {
    fn index(self) -> usize {
        match self {
            Self::Reminder => 0,
            Self::Changed => 1,
            Self::Met => 2,
            Self::CalledOff => 3,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A link for HTML: its text and target the same, escaped.
fn anchor(url: &str) -> String {
    let url = escape(url);
    format!("<a href=\"{url}\">{url}</a>")
}

/// Plain text paragraphs (each link on a line of its own) and the same as
/// HTML in `lang`, `{link}` and every line that is a web address made links.
fn both(lang: &str, paragraphs: &[String], link: &str) -> (String, String) {
    let text = paragraphs.join("\n\n").replace("{link}", link);
    let html = paragraphs
        .iter()
        .map(|p| {
            let lines: Vec<String> = p
                .replace("{link}", link)
                .lines()
                .map(|line| {
                    let is_address = (line.starts_with("https://") || line.starts_with("http://"))
                        && !line.contains(char::is_whitespace);
                    if is_address {
                        anchor(line)
                    } else {
                        escape(line)
                    }
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect::<String>();
    (
        text,
        format!("<!doctype html><html lang=\"{lang}\"><body>{html}</body></html>"),
    )
}

/// A mail with no stop link: to `address`, `subject`, `paragraphs`.
fn plain(w: &Words, address: &str, subject: String, paragraphs: &[String], link: &str) -> Mail {
    let (text, html) = both(w.lang, paragraphs, link);
    Mail {
        to: address.into(),
        subject,
        text,
        html,
        calendar: None,
        unsubscribe: None,
    }
}

pub fn confirm(w: &Words, instance: &str, username: &str, address: &str, link: &str) -> Mail {
    let values = [("instance", instance), ("username", username)];
    let paragraphs = w.confirm.map(|p| fill(p, &values));
    plain(
        w,
        address,
        fill(w.confirm_subject, &values),
        &paragraphs,
        link,
    )
}

pub fn reset(w: &Words, instance: &str, username: &str, address: &str, link: &str) -> Mail {
    let values = [("instance", instance), ("username", username)];
    let paragraphs = w.reset.map(|p| fill(p, &values));
    plain(
        w,
        address,
        fill(w.reset_subject, &values),
        &paragraphs,
        link,
    )
}

pub fn invitation(
    w: &Words,
    instance: &str,
    (group, role): (&str, Role),
    days: i64,
    address: &str,
    link: &str,
) -> Mail {
    let days = days.to_string();
    let values = [
        ("instance", instance),
        ("group", group),
        ("role", w.role(role)),
        ("days", days.as_str()),
    ];
    let paragraphs = w.invitation.map(|p| fill(p, &values));
    plain(
        w,
        address,
        fill(w.invitation_subject, &values),
        &paragraphs,
        link,
    )
}

/// About a call its reader pledged to come to: when (in their zone, named),
/// where, and the call's page. Nobody else is named.
pub struct CallMail<'a> {
    pub about: AboutCall,
    pub title: &'a str,
    pub when: &'a str,
    pub place: &'a str,
    pub page: &'a str,
}

pub fn about_call(w: &Words, instance: &str, address: &str, call: CallMail, stop: &str) -> Mail {
    let title = [("title", call.title)];
    let mut lines = vec![fill(w.about_call[call.about.index()], &title)];
    if !call.when.is_empty() {
        lines.push(fill(w.when, &[("when", call.when)]));
    }
    if !call.place.is_empty() {
        lines.push(fill(w.place, &[("place", call.place)]));
    }
    let (text, html) = both(
        w.lang,
        &[
            lines.join("\n"),
            w.call_page.into(),
            fill(w.call_why, &[("instance", instance)]),
        ],
        call.page,
    );
    let subject = fill(
        w.call_subject,
        &[
            ("headline", w.headlines[call.about.index()]),
            ("title", call.title),
            ("when", call.when),
        ],
    );
    stoppable(w, address, subject, (text, html), w.stop_reminders, stop)
}

/// New pledges to a chapter's call, for its organizers: how many more
/// since the last notice (`more`: people, cents, actions), and where it
/// stands (`now`). Counts only.
#[allow(clippy::too_many_arguments)]
pub fn new_pledges(
    w: &Words,
    instance: &str,
    address: &str,
    title: &str,
    [more_people, more_cents, more_actions]: [i64; 3],
    [people, cents, actions]: [i64; 3],
    call: &CallForSupport,
    (page, stop): (&str, &str),
) -> Mail {
    let money = |cents: i64| {
        let currency = &call.goal.currency;
        format!("{}.{:02} {currency}", cents / 100, cents % 100)
            .trim_end()
            .to_owned()
    };
    let count = |template: &str, n: i64| fill(template, &[("n", &n.to_string())]);
    let mut since = Vec::new();
    if more_people > 0 {
        since.push(count(w.more_people, more_people));
    }
    if more_cents > 0 {
        since.push(fill(w.more_money, &[("amount", &money(more_cents))]));
    }
    if more_actions > 0 {
        since.push(count(w.more_actions, more_actions));
    }
    let mut standing = vec![match call.goal.people {
        Some(goal) => fill(
            w.people_of_goal,
            &[("n", &people.to_string()), ("goal", &goal.to_string())],
        ),
        None => count(w.people, people),
    }];
    if cents > 0 || call.goal.amount.is_some() {
        standing.push(match call.goal.amount {
            Some(goal) => fill(
                w.money_of_goal,
                &[("amount", &money(cents)), ("goal", &money(goal as i64))],
            ),
            None => money(cents),
        });
    }
    if actions > 0 {
        standing.push(count(w.actions, actions));
    }
    let (text, html) = both(
        w.lang,
        &[
            fill(
                w.pledges_new,
                &[("title", title), ("since", &since.join(", "))],
            ),
            fill(w.pledges_now, &[("standing", &standing.join(", "))]),
            w.pledges_page.into(),
            fill(w.pledges_why, &[("instance", instance)]),
        ],
        page,
    );
    let subject = fill(w.pledges_subject, &[("title", title)]);
    stoppable(w, address, subject, (text, html), w.stop_pledges, stop)
}

/// News: what is new from the reader's chapters, their bodies and the
/// campaigns they follow, each item a line and its page on the next.
pub fn news(
    w: &Words,
    instance: &str,
    address: &str,
    daily: bool,
    items: &[String],
    stop: &str,
) -> Mail {
    let on = [("instance", instance)];
    let mut paragraphs = vec![fill(if daily { w.news_daily } else { w.news_at_once }, &on)];
    paragraphs.extend(items.iter().cloned());
    paragraphs.push(w.news_why.into());
    let (text, html) = both(w.lang, &paragraphs, "");
    let subject = if daily {
        fill(
            w.news_daily_subject,
            &[("instance", instance), ("n", &items.len().to_string())],
        )
    } else {
        let first = items[0].lines().next().unwrap_or_default();
        fill(
            w.news_at_once_subject,
            &[("instance", instance), ("first", first)],
        )
    };
    stoppable(w, address, subject, (text, html), w.stop_news, stop)
}

/// A coordinated action still to answer, its deadline near.
#[allow(clippy::too_many_arguments)]
pub fn action_deadline(
    w: &Words,
    instance: &str,
    address: &str,
    title: &str,
    chapter: &str,
    deadline: &str,
    (page, stop): (&str, &str),
) -> Mail {
    let values = [
        ("instance", instance),
        ("title", title),
        ("chapter", chapter),
        ("deadline", deadline),
    ];
    let (text, html) = both(
        w.lang,
        &[
            fill(w.action_unanswered, &values),
            w.action_page.into(),
            fill(w.action_why, &values),
        ],
        page,
    );
    let subject = fill(w.action_subject, &values);
    stoppable(w, address, subject, (text, html), w.stop_organizers, stop)
}

/// A mail of a kind its reader can stop: the words, then `label` and the
/// one-click link (RFC 8058), which also goes in its headers.
fn stoppable(
    w: &Words,
    address: &str,
    subject: String,
    (text, html): (String, String),
    label: &str,
    stop: &str,
) -> Mail {
    let (stop_text, stop_html) = both(w.lang, &[format!("{label}\n{{link}}")], stop);
    Mail {
        to: address.into(),
        subject,
        text: format!("{text}\n\n{stop_text}"),
        html: html.replace("</body>", &format!("{}</body>", inner(&stop_html))),
        calendar: None,
        unsubscribe: Some(stop.to_owned()),
    }
}

/// What is between `<body>` and `</body>`.
fn inner(html: &str) -> &str {
    let start = html.find("<body>").map_or(0, |i| i + "<body>".len());
    let end = html.rfind("</body>").unwrap_or(html.len());
    &html[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use unionhall_domain::Language;

    #[test]
    fn a_link_is_a_link_in_html_and_a_line_of_its_own_in_text() {
        let mail = reset(
            Words::of(Language::En),
            "Local 12",
            "ada",
            "ada@example.org",
            "https://a.example/reset/uhr_x",
        );
        assert!(mail.text.contains("\nhttps://a.example/reset/uhr_x\n"));
        assert!(mail
            .html
            .contains("<a href=\"https://a.example/reset/uhr_x\">"));
        assert!(mail.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn the_pages_in_news_are_links_and_nothing_typed_becomes_markup() {
        let items =
            ["Picket: <b>Bread</b> (@bakers@a.example)\nhttps://a.example/call/1".to_owned()];
        let mail = news(
            Words::of(Language::Es),
            "Local 12",
            "ada@example.org",
            true,
            &items,
            "https://a.example/unsubscribe/uhu_x",
        );
        assert!(mail.html.contains("<a href=\"https://a.example/call/1\">"));
        assert!(mail.html.contains("&lt;b&gt;Bread&lt;/b&gt;"));
        assert!(mail.html.contains("<html lang=\"es\">"));
        assert!(mail.subject.starts_with("Noticias de Local 12"));
    }

    #[test]
    fn every_language_fills_every_value_it_is_given() {
        for language in Language::ALL {
            let w = Words::of(language);
            let mail = invitation(
                w,
                "Local 12",
                ("bakers", Role::Organizer),
                7,
                "ada@example.org",
                "https://a.example/invite/x",
            );
            assert!(!mail.text.contains('{'), "{language:?}: {}", mail.text);
            assert!(mail.text.contains("@bakers") && mail.text.contains('7'));
            assert!(mail.text.contains(w.role(Role::Organizer)));
        }
    }
}
