-- The workplace chart: relationships between coworkers, the committee member
-- responsible for each coworker, and structure tests. All of it is member data:
-- sealed like member records (see unionhall-members), with the row's identity as
-- the associated data, and never federated. Member ids live inside the sealed
-- data, not in columns, so that a stolen file shows how many relationships and
-- tests a chapter has and nothing of who is linked to whom or took part.

-- One relationship: {from, to, kind, note}, sealed.
CREATE TABLE relationships (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX relationships_chapter ON relationships (chapter);

-- A chapter's assignments, one sealed map {member id: committee member id}:
-- one row per chapter, so that not even which records are assigned shows.
CREATE TABLE assignments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chapter        TEXT NOT NULL UNIQUE REFERENCES actors (ap_id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Structure tests: {title, date, departments, participants}, sealed.
CREATE TABLE structure_tests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    key_id         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX structure_tests_chapter ON structure_tests (chapter);
