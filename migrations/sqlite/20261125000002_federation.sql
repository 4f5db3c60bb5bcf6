-- The federation core: actors (ours and remote ones we have fetched), who follows
-- whom, the activities we sent and received, and the durable delivery queue.
-- Ids of ActivityPub things are their URLs, stored as TEXT and used as keys: they
-- are what every peer uses to name them, and never change.

-- Chapters and industrial union bodies (Group), the instance actor (Application),
-- and remote actors of any type. Local actors have a handle and a private key;
-- remote ones have neither and a fetched_at that says when to refresh them.
CREATE TABLE actors (
    ap_id          TEXT PRIMARY KEY NOT NULL,
    kind           TEXT NOT NULL,           -- chapter | union | instance | remote
    ap_type        TEXT NOT NULL,           -- Group, Application, Person, ...
    handle         TEXT,                    -- local actors only: unique per kind
    preferred_username TEXT NOT NULL,
    name           TEXT NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT,
    followers_url  TEXT,
    public_key_id  TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,                   -- local actors only; never served or logged
    manually_approves_followers BIGINT NOT NULL DEFAULT 0,
    is_local       BIGINT NOT NULL,
    fetched_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX actors_local_handle ON actors (handle) WHERE handle IS NOT NULL;

-- Remote actors following our chapters. accepted_at is NULL while a chapter that
-- approves followers by hand has not decided. The remote side is typically an
-- instance actor: a remote instance follows once for all its members.
CREATE TABLE followers (
    local_actor    TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    follower       TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    follow_id      TEXT NOT NULL,           -- the Follow activity, for Accept/Reject
    accepted_at    BIGINT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (local_actor, follower)
);

-- Remote actors this instance follows (through its instance actor, on behalf of
-- all its members: the remote side never learns which ones).
CREATE TABLE following (
    target         TEXT PRIMARY KEY NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    follower       TEXT NOT NULL REFERENCES actors (ap_id),
    follow_id      TEXT NOT NULL,
    accepted_at    BIGINT,
    created_at     BIGINT NOT NULL
);

-- Activities this instance sent: the exact JSON, kept so that deliveries can be
-- retried for days and so that the id can be dereferenced.
CREATE TABLE outbox (
    ap_id          TEXT PRIMARY KEY NOT NULL,
    actor          TEXT NOT NULL REFERENCES actors (ap_id),
    ap_type        TEXT NOT NULL,
    body           TEXT NOT NULL,
    public         BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX outbox_actor ON outbox (actor, created_at);

-- One row per (activity, inbox): the durable queue. Written in the same
-- transaction as the change that caused the activity (DESIGN.md invariant 3).
-- A worker claims due rows by setting locked_until (with SKIP LOCKED on
-- PostgreSQL, so several processes deliver each row once) and records the outcome.
CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    activity       TEXT NOT NULL REFERENCES outbox (ap_id) ON DELETE CASCADE,
    inbox          TEXT NOT NULL,
    host           TEXT NOT NULL,           -- the inbox's host, for per-peer back-off
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until   BIGINT,
    last_error     TEXT,
    delivered_at   BIGINT,
    dead_at        BIGINT,                  -- given up: expired or refused by the peer
    created_at     BIGINT NOT NULL,
    UNIQUE (activity, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;

-- Peers that keep failing are backed off as a whole rather than hammered once per
-- activity: no delivery to the host is tried before retry_after.
CREATE TABLE peers (
    host           TEXT PRIMARY KEY NOT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    retry_after    BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_success_at BIGINT
);

-- Ids of activities received, so a redelivery is acknowledged and ignored (the
-- inbox is idempotent across restarts).
CREATE TABLE inbox_seen (
    ap_id          TEXT PRIMARY KEY NOT NULL,
    actor          TEXT NOT NULL,
    received_at    BIGINT NOT NULL
);

-- Notes: what chapters publish (campaign updates, for now) and what we received
-- from the chapters we follow. deleted_at keeps a tombstone.
CREATE TABLE posts (
    ap_id          TEXT PRIMARY KEY NOT NULL,
    author         TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    content        TEXT NOT NULL,
    public         BIGINT NOT NULL,
    is_local       BIGINT NOT NULL,
    published_at   BIGINT NOT NULL,
    updated_at     BIGINT,
    deleted_at     BIGINT
);
CREATE INDEX posts_author ON posts (author, published_at);
