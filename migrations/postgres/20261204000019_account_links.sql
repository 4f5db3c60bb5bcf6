-- Which member record an account is (so its owner can read it), sealed with the
-- member-data key: the database no longer pairs a username with a record.
-- `accounts.member_id` stays for older rows until the server's first start
-- seals them into this table and clears it (members::links).
CREATE TABLE account_links (
    id             BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BYTEA NOT NULL
);
