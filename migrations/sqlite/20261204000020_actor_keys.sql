-- The private keys of our chapters, bodies and instance actor (RSA for HTTP
-- signatures, Ed25519 for integrity proofs), sealed with the member-data key
-- like member records: a stolen database or backup cannot speak as anyone.
-- Older rows keep theirs in actors.private_key_pem and
-- actors.assertion_private_key until the next start seals them here and
-- clears those columns.
CREATE TABLE actor_keys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    actor          TEXT NOT NULL UNIQUE REFERENCES actors (ap_id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL
);
