-- Industrial union bodies: groups of chapters. A chapter applies with Join, an
-- officer admits it (Accept) or not (Reject), and it may Leave.

-- At the body's instance: who applied and who is in.
CREATE TABLE union_members (
    body           TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    join_id        TEXT NOT NULL,
    accepted_at    BIGINT,                  -- NULL while the application waits
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (body, chapter)
);

-- At the chapter's instance: the bodies our chapters belong to or applied to.
CREATE TABLE union_memberships (
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    body           TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    join_id        TEXT NOT NULL,
    accepted_at    BIGINT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (chapter, body)
);
