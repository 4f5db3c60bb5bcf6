-- The API lists calls a page at a time, newest first, of one status or of
-- all: an index in that order, so a page of closed calls is read without
-- sorting every closed call this instance has held. A body's page reads its
-- own coordinated actions, a chapter's page its own campaigns.
CREATE INDEX calls_status_published ON calls (status, published_at, id);
CREATE INDEX actions_author ON actions (author);
CREATE INDEX campaigns_author ON campaigns (author);
