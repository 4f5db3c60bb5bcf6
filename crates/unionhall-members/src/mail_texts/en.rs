//! Mail in English.

use super::words::Words;

pub const WORDS: Words = Words {
    lang: "en",
    confirm_subject: "Confirm your email address for {instance}",
    confirm: [
        "Someone (you, we hope) asked {instance} to send mail for the account {username} to this address.",
        "To confirm that it is yours, open this link within 48 hours:\n{link}",
        "If it was not you, ignore this mail: nothing else will be sent here.",
    ],
    reset_subject: "Reset your password on {instance}",
    reset: [
        "Someone asked to reset the password of the account {username} on {instance}.",
        "To set a new password, open this link within an hour. It works once:\n{link}",
        "If it was not you, ignore this mail: your password stays as it is.",
    ],
    invitation_subject: "You are invited to @{group} on {instance}",
    invitation: [
        "You are invited to join @{group} on {instance}, as a {role}.",
        "To choose a username and password, open this link within {days} day(s). It works once:\n{link}",
        "If you did not expect this, ignore this mail: nothing happens without you.",
    ],
    roles: ["member", "organizer", "admin", "officer"],

    headlines: ["Reminder", "Changed", "Met", "Called off"],
    about_call: [
        "You said you will be there: {title}.",
        "{title} has changed. You said you will be there.",
        "{title} has the people it asked for. You are still expected.",
        "Called off: {title}. You need not come.",
    ],
    when: "When: {when}",
    place: "Where: {place}",
    call_page: "The call, and how to take your pledge back if you cannot come:\n{link}",
    call_why: "The event is attached for your calendar. This reminder comes from {instance} because you pledged to come.",
    call_subject: "{headline}: {title}, {when}",
    stop_reminders: "No more reminders:",

    more_people: "{n} more people said they will come",
    more_money: "{amount} more pledged",
    more_actions: "{n} more actions pledged",
    people_of_goal: "{n} of {goal} people",
    people: "{n} people",
    money_of_goal: "{amount} of {goal}",
    actions: "{n} actions",
    pledges_new: "New pledges to {title}: {since}.",
    pledges_now: "It now has {standing}.",
    pledges_page: "Who pledged is on the call's page, for each chapter's own organizers:\n{link}",
    pledges_why: "This comes from {instance} because you organize the chapter that made the call.",
    pledges_subject: "New pledges: {title}",
    stop_pledges: "No more pledge notices:",

    news_daily: "What is new on {instance} since yesterday:",
    news_at_once: "New on {instance}:",
    news_why: "This comes to you from your chapters, their union bodies and the campaigns you follow.",
    news_daily_subject: "News from {instance}: {n} new",
    news_at_once_subject: "New on {instance}: {first}",
    news_call: "{kind}: {title} ({group})",
    news_strike: "On strike: {employer}, {workplace} ({group})",
    stop_news: "No more news by mail:",

    action_unanswered: "@{chapter} has not yet answered the coordinated action \"{title}\". Its union body needs the answer by {deadline}.",
    action_page: "Answer, commit or decline, on its page:\n{link}",
    action_why: "This comes from {instance} because you organize @{chapter}.",
    action_subject: "Answer by {deadline}: {title}",
    stop_organizers: "No more notices for organizers:",

    call_kinds: ["Picket", "Donations", "Call-in", "Boycott", "Sign-on", "Turnout", "Call for support"],
};
