-- Coordinated actions proposed by industrial union bodies to their member
-- chapters, and the chapters' answers (commit with a count, or decline).

CREATE TABLE actions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id          TEXT NOT NULL UNIQUE,
    author         TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,  -- the body
    record         TEXT NOT NULL,           -- the action as proposed (JSON)
    status         TEXT NOT NULL,           -- proposed | confirmed | called_off
    tally          TEXT NOT NULL DEFAULT '[]', -- received copies: the tally as the body published it
    is_local       BIGINT NOT NULL,
    published_at   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- At the body: every member chapter's answer (the tally). At a member's
-- instance: its own chapters' answers. `sent_at` is the answering side's clock.
CREATE TABLE action_answers (
    action_id      BIGINT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    answer         TEXT NOT NULL,           -- commit | decline
    people         BIGINT NOT NULL,
    sent_at        BIGINT NOT NULL,
    PRIMARY KEY (action_id, chapter)
);
