-- When the backfill of a followed chapter (what it published before it accepted
-- us) is next due; NULL once done or given up. Written in the transaction that
-- records the Accept, so a crash or a failed attempt does not lose it.
ALTER TABLE following ADD COLUMN backfill_due BIGINT;
