-- Reports (ActivityPub Flag) received from other servers about our chapters and
-- their posts: the admin's moderation queue.
CREATE TABLE reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id          TEXT NOT NULL UNIQUE,
    reporter       TEXT NOT NULL,           -- usually the other server's instance actor
    content        TEXT NOT NULL DEFAULT '',
    objects        TEXT NOT NULL,           -- the reported ids, one per line
    received_at    BIGINT NOT NULL,
    resolved_at    BIGINT
);
