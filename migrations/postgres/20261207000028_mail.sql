-- Email (the unionhall-mail crate; docs/operating.md, "Email").
--
-- An account's address, sealed with the member-data key ring as the roster
-- is (`key_id` names the key). Nothing is mailed to it but its confirmation
-- link until its holder follows that link. A permanent refusal by the mail
-- server is kept, for the holder and their organizers to see.
CREATE TABLE account_emails (
    account_id         BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key_id             TEXT NOT NULL,
    sealed             BYTEA NOT NULL,
    confirm_hash       TEXT,
    confirm_expires_at BIGINT,
    confirmed_at       BIGINT,
    bounced_at         BIGINT,
    bounce_reason      TEXT,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX account_emails_confirm ON account_emails (confirm_hash);

-- The durable mail queue. A message is written in the transaction of what
-- caused it, sealed whole (its text holds one-time links), and sent by the
-- mail workers: claimed for a lease, sent, then marked sent; retried with
-- back-off on a temporary failure, given up on a permanent one. Its id is
-- its Message-ID, the same on every attempt.
CREATE TABLE mail_queue (
    id                 TEXT PRIMARY KEY NOT NULL,
    account_id         BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL,
    key_id             TEXT NOT NULL,
    sealed             BYTEA NOT NULL,
    created_at         BIGINT NOT NULL,
    next_attempt_at    BIGINT NOT NULL,
    attempts           BIGINT NOT NULL,
    claimed_until      BIGINT,
    sent_at            BIGINT,
    failed_at          BIGINT,
    failure            TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at);
CREATE INDEX mail_queue_account ON mail_queue (account_id, kind, created_at);
