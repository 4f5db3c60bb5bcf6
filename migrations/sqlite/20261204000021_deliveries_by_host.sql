-- A peer that is failing gets one delivery at a time, the oldest due (its
-- probe): the claim looks that up by host among the pending deliveries.
CREATE INDEX deliveries_pending_by_host ON deliveries (host, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
