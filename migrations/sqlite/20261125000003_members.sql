-- Members, accounts and the audit log: the records that never leave the instance.
-- Nothing here has an ActivityPub id. Member records and one-on-ones are sealed
-- (AES-256-GCM, see unionhall-members): `sealed` holds nonce, ciphertext and tag,
-- `key_id` names the key, so that keys can be rotated row by row.

-- A chapter's roster. Every field of the record, the name included, is inside
-- `sealed`: a stolen database file reveals how many members a chapter has, no more.
CREATE TABLE members (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX members_chapter ON members (chapter);

CREATE TABLE one_on_ones (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id      BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX one_on_ones_member ON one_on_ones (member_id);

-- Logins. An account may be linked to the member record it belongs to, so the
-- member can see and export it.
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,           -- argon2id, PHC string
    member_id      BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL
);

-- An account's role in one chapter or union body.
CREATE TABLE roles (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    grp            TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    role           TEXT NOT NULL,           -- member | organizer | admin | officer
    granted_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, grp)
);

-- Invitations: the only way in. Only a hash of the token is kept, so a copy of
-- the database cannot be used to sign up.
CREATE TABLE invites (
    token_hash     TEXT PRIMARY KEY NOT NULL,
    grp            TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    role           TEXT NOT NULL,
    member_id      BIGINT REFERENCES members (id) ON DELETE CASCADE,
    created_by     BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    used_by        BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);

-- Login sessions (cookies) and API tokens: hashes only, revocable.
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT NOT NULL UNIQUE,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT NOT NULL UNIQUE,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    scope          TEXT NOT NULL,           -- read | write
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Second factors (TOTP, RFC 6238): the shared secret sealed like member data,
-- confirmed_at NULL until the first code has been entered, and the last time
-- step used, so that a code works once.
CREATE TABLE totp (
    id             BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    confirmed_at   BIGINT,
    last_step      BIGINT
);

-- Failed logins, for rate limiting; old rows are pruned as new ones come.
CREATE TABLE login_failures (
    username       TEXT NOT NULL,
    at             BIGINT NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);

-- Who viewed, exported or changed member records and accounts, and when. It names
-- member records by id only: an erased member leaves the fact, not the data.
-- Append-only: the triggers below refuse changes, whatever the application does.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             BIGINT NOT NULL,
    account_id     BIGINT,                  -- no foreign key: the entry outlives the account
    username       TEXT NOT NULL,           -- as it was, or 'cli' for admin commands
    grp            TEXT,
    action         TEXT NOT NULL,
    subject        TEXT NOT NULL DEFAULT '',
    detail         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_grp ON audit_log (grp, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
