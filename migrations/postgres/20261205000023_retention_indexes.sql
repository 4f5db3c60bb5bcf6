-- Pruning (the store's retention.rs) finds old rows by these without reading
-- the whole table.
CREATE INDEX deliveries_delivered ON deliveries (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX deliveries_dead ON deliveries (dead_at) WHERE dead_at IS NOT NULL;
CREATE INDEX inbox_seen_received ON inbox_seen (received_at);
