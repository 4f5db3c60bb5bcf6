-- Time zones (IANA names such as America/Chicago): the one a chapter or union
-- body posts in, and the one an account chose to read in (NULL: its chapter's).
-- Times themselves stay Unix milliseconds; see the domain's zone.rs.
CREATE TABLE group_time_zones (
    grp            TEXT PRIMARY KEY NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    time_zone      TEXT NOT NULL
);
ALTER TABLE accounts ADD COLUMN time_zone TEXT;
