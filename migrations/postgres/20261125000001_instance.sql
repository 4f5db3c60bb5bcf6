-- Facts about the instance itself, set once and read at every start.
-- A key/value table because these are few, read rarely, and grow with features
-- (the public URL an instance was first started with, its creation time, ...).
-- The public URL matters: remote servers have stored our actors' ids, so a change of
-- domain breaks federation, and start-up warns about it.
CREATE TABLE instance_meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL -- Unix milliseconds, like every timestamp here
);
