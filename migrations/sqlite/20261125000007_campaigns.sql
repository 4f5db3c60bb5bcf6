-- Campaigns: a chapter's organizing campaign with dated public updates. Updates
-- are posts (notes) linked to their campaign. Members follow campaigns here;
-- the instance follows the campaign's chapter once for all of them.

CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id          TEXT NOT NULL UNIQUE,
    author         TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    record         TEXT NOT NULL,           -- the campaign as written (JSON)
    is_local       BIGINT NOT NULL,
    published_at   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

ALTER TABLE posts ADD COLUMN campaign TEXT;
CREATE INDEX posts_campaign ON posts (campaign);

-- Which local accounts follow which campaigns. Never federated: the chapter
-- learns that an instance follows it, not who.
CREATE TABLE campaign_follows (
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    campaign_id    BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, campaign_id)
);
