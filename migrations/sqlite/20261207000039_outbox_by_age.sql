-- Pruning takes the outbox's old activities (all but Creates and Follows,
-- FEDERATION.md "Retention"), oldest first.
CREATE INDEX outbox_by_age ON outbox (created_at);
