-- What anyone on the fediverse does with our objects: likes, shares (boosts)
-- and joins of a call's event ("I'll be there"), one row per actor, object
-- and kind. Only counts are ever shown or federated; the actor is kept to
-- take it back on Undo/Leave and, for joins, to send the call's later Updates.
CREATE TABLE interactions (
    object         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    activity       TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (object, kind, actor)
);
CREATE INDEX interactions_by_activity ON interactions (activity);

-- How each peer takes our signed deliveries (delivery/knock.rs): the scheme
-- that last worked (rfc9421-ed25519, rfc9421-rsa or cavage) and when it was
-- learned, so that a restart does not knock on every door twice again.
CREATE TABLE peer_signatures (
    host           TEXT PRIMARY KEY NOT NULL,
    scheme         TEXT NOT NULL,
    learned_at     BIGINT NOT NULL
);
