//! Every sentence mail is made of, as one struct a language fills in whole:
//! the compiler refuses a language that leaves one out. `{name}` marks what
//! is put in (`fill`); `{link}` stays for `both` to make a link.

use unionhall_domain::{CallKind, Language, Role};

pub struct Words {
    /// Its code, for `<html lang>`.
    pub lang: &'static str,
    pub confirm_subject: &'static str,
    /// `{instance}`, `{username}`, `{link}`.
    pub confirm: [&'static str; 3],
    pub reset_subject: &'static str,
    /// `{instance}`, `{username}`, `{link}`.
    pub reset: [&'static str; 3],
    /// `{group}`, `{instance}`.
    pub invitation_subject: &'static str,
    /// `{group}`, `{instance}`, `{role}`, `{days}`, `{link}`.
    pub invitation: [&'static str; 3],
    /// Member, organizer, admin, officer: as "as a {role}" reads.
    pub roles: [&'static str; 4],

    /// Subjects' first word: reminder, changed, met, called off.
    pub headlines: [&'static str; 4],
    /// The first line, `{title}`: reminder, changed, met, called off.
    pub about_call: [&'static str; 4],
    pub when: &'static str,
    pub place: &'static str,
    pub call_page: &'static str,
    /// `{instance}`.
    pub call_why: &'static str,
    /// `{headline}`, `{title}`, `{when}`.
    pub call_subject: &'static str,
    pub stop_reminders: &'static str,

    /// `{n}`.
    pub more_people: &'static str,
    /// `{amount}`.
    pub more_money: &'static str,
    /// `{n}`.
    pub more_actions: &'static str,
    /// `{n}`, `{goal}`.
    pub people_of_goal: &'static str,
    /// `{n}`.
    pub people: &'static str,
    /// `{amount}`, `{goal}`.
    pub money_of_goal: &'static str,
    /// `{n}`.
    pub actions: &'static str,
    /// `{title}`, `{since}`.
    pub pledges_new: &'static str,
    /// `{standing}`.
    pub pledges_now: &'static str,
    pub pledges_page: &'static str,
    /// `{instance}`.
    pub pledges_why: &'static str,
    /// `{title}`.
    pub pledges_subject: &'static str,
    pub stop_pledges: &'static str,

    /// `{instance}`.
    pub news_daily: &'static str,
    /// `{instance}`.
    pub news_at_once: &'static str,
    pub news_why: &'static str,
    /// `{instance}`, `{n}`.
    pub news_daily_subject: &'static str,
    /// `{instance}`, `{first}`.
    pub news_at_once_subject: &'static str,
    /// `{kind}`, `{title}`, `{group}`.
    pub news_call: &'static str,
    /// `{employer}`, `{workplace}`, `{group}`.
    pub news_strike: &'static str,
    pub stop_news: &'static str,

    /// `{chapter}`, `{title}`, `{deadline}`.
    pub action_unanswered: &'static str,
    pub action_page: &'static str,
    /// `{instance}`, `{chapter}`.
    pub action_why: &'static str,
    /// `{deadline}`, `{title}`.
    pub action_subject: &'static str,
    pub stop_organizers: &'static str,

    /// Picket, donations, call-in, boycott, sign-on, turnout, other.
    pub call_kinds: [&'static str; 7],
}

impl Words {
    pub fn of(language: Language) -> &'static Words {
        match language {
            Language::En => &super::en::WORDS,
            Language::Es => &super::es::WORDS,
            Language::Fr => &super::fr::WORDS,
        }
    }

    pub fn role(&self, role: Role) -> &'static str {
        self.roles[match role {
            Role::Member => 0,
            Role::Organizer => 1,
            Role::Admin => 2,
            Role::Officer => 3,
        }]
    }

    pub fn call_kind(&self, kind: CallKind) -> &'static str {
        self.call_kinds[match kind {
            CallKind::Picket => 0,
            CallKind::Donation => 1,
            CallKind::CallIn => 2,
            CallKind::Boycott => 3,
            CallKind::SignOn => 4,
            CallKind::Turnout => 5,
            CallKind::Other => 6,
        }]
    }
}

/// `template` with each `{name}` of `values` put in; other braces stay.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}
