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

-- What each account wants mailed; no row: the defaults (reminders on).
CREATE TABLE mail_preferences (
    account_id     BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reminders      BIGINT NOT NULL,
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
