-- Which worker process holds a delivery's claim: it renews the claim while the
-- delivery is in flight (a heartbeat), so that the claims of a process that
-- died run out in seconds and are taken over; `unionhall status` shows them.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
