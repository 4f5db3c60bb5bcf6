-- Hourly allowances of reports and follows per remote actor and per remote
-- domain (federation's flood.rs), here so that every process on the database
-- counts against the same figure. Rows older than an hour are pruned.
CREATE TABLE flood_counts (
    kind           TEXT NOT NULL,
    key            TEXT NOT NULL,
    window_start   BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
