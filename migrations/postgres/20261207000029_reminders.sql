-- Reminders before a picket or shift someone pledged to come to (the members
-- crate's `reminders.rs`): each (account, call, kind) once, recorded in the
-- transaction that queues its mail.
CREATE TABLE mail_reminders (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id        BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, call_id, kind)
);

-- What each account wants mailed; no row: the defaults (all on).
-- `reminders`: before, and changes to, what it pledged to come to;
-- `pledges`: new pledges to its chapters' calls, for organizers;
-- `news`: new calls and strikes of its chapters, their bodies and the
-- campaigns it follows (0 off, 1 at once, 2 a daily digest).
CREATE TABLE mail_preferences (
    account_id     BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reminders      BIGINT NOT NULL,
    pledges        BIGINT NOT NULL,
    news           BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- One-click unsubscribe links (RFC 8058) in the mail sent: the secret's hash,
-- whose preference it turns off.
CREATE TABLE unsubscribe_links (
    token_hash     TEXT PRIMARY KEY NOT NULL,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    what           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

-- What each account that pledged to come last knew of a call (its times,
-- place and status), so that a change is mailed to them once.
CREATE TABLE mail_call_states (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id        BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seen           TEXT NOT NULL,
    PRIMARY KEY (account_id, call_id)
);

-- What each organizer was last told of a call's pledges, and when: new
-- pledges are told grouped, at most once an hour per call.
CREATE TABLE mail_pledges_told (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    call_id        BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    people         BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    actions        BIGINT NOT NULL,
    told_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, call_id)
);

-- Up to when each account was told the news, and when it was last mailed.
CREATE TABLE mail_news (
    account_id     BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    told_until     BIGINT NOT NULL,
    told_at        BIGINT NOT NULL
);

-- Coordinated actions whose decision deadline was near, told to a chapter's
-- organizers once each.
CREATE TABLE mail_action_reminders (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action_id      BIGINT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, action_id)
);

-- When a chapter's members who pledged to come are reminded: hours before
-- the start, the first and the second reminder. No row: a day and two hours.
CREATE TABLE group_reminder_hours (
    grp            TEXT PRIMARY KEY NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    first_hours    BIGINT NOT NULL,
    second_hours   BIGINT NOT NULL
);
