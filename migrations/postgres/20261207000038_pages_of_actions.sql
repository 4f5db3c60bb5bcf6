-- The API lists coordinated actions and campaigns a page at a time, newest
-- published first, as it does calls and strikes (migration 35).
CREATE INDEX actions_published ON actions (published_at);
CREATE INDEX campaigns_published ON campaigns (published_at);
