-- A member's calendar address carries a key of its own (stored as a hash),
-- which opens that calendar and nothing else: people paste the address into
-- calendar services, so it must not be an API token.
CREATE TABLE calendar_keys (
    account_id     BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    key_hash       TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL
);
