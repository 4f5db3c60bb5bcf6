-- Remote actors a chapter or body blocks on its own (an organizer's choice,
-- where the instance's domain blocks are the admin's).
CREATE TABLE actor_blocks (
    local_actor    TEXT NOT NULL,           -- the chapter or body that blocks
    blocked        TEXT NOT NULL,           -- the remote actor's id
    reason         TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (local_actor, blocked)
);
-- The inbox asks "who blocks this sender?" for every activity.
CREATE INDEX actor_blocks_blocked ON actor_blocks (blocked);

-- Reports (Flag) this instance sent about remote objects, from its instance
-- actor: what was reported and when, never which account asked.
CREATE TABLE sent_reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id          TEXT NOT NULL UNIQUE,
    object         TEXT NOT NULL,
    content        TEXT NOT NULL DEFAULT '',
    sent_at        BIGINT NOT NULL
);
