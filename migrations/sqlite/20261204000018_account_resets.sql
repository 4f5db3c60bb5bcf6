-- One-time links an operator makes at the command line for someone locked out
-- of their account (`unionhall account reset`): a new password, and the second
-- factor removed if asked. Stored as the hash of the link's secret; an account
-- has at most one live link.
CREATE TABLE account_resets (
    token_hash            TEXT PRIMARY KEY,
    account_id            BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    remove_second_factor  BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);
