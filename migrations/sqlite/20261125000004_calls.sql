-- Calls for support (solidarity requests) and strikes, ours and those received
-- from the chapters we follow, and the pledges toward calls (a strike's picket
-- shifts are calls too, linked to it). Members' own pledges stay
-- here; only each chapter's totals travel.

CREATE TABLE calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,   -- local id, for the API
    ap_id          TEXT NOT NULL UNIQUE,
    author         TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    record         TEXT NOT NULL,           -- the call as its chapter wrote it (JSON)
    status         TEXT NOT NULL,           -- open | met | withdrawn | closed
    audience       TEXT NOT NULL,           -- public | followers | chapters
    addressees     TEXT NOT NULL DEFAULT '', -- named chapters: their ids, one per line
    strike         TEXT,                    -- a picket shift: the strike's id
    -- The running total as the author last published it.
    pledged_people  BIGINT NOT NULL DEFAULT 0,
    pledged_amount  BIGINT NOT NULL DEFAULT 0,
    pledged_actions BIGINT NOT NULL DEFAULT 0,
    is_local       BIGINT NOT NULL,
    published_at   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deleted_at     BIGINT
);
CREATE INDEX calls_author ON calls (author);

-- At the calling chapter: each pledging chapter's totals, local or remote.
-- `sent_at` is the sender's clock, so that a late, older update changes nothing.
CREATE TABLE call_totals (
    call_id        BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    people         BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    actions        BIGINT NOT NULL,
    sent_at        BIGINT NOT NULL,
    PRIMARY KEY (call_id, chapter)
);

-- Members' pledges, one per account per call per chapter. Never federated.
CREATE TABLE pledges (
    call_id        BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    chapter        TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,           -- attend | give | act
    amount         BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (call_id, chapter, account_id)
);

-- Strikes: the announcement as written, where its lifecycle stands, the outcome
-- once settled or ended, and every update followers have seen (JSON list).
CREATE TABLE strikes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id          TEXT NOT NULL UNIQUE,
    author         TEXT NOT NULL REFERENCES actors (ap_id) ON DELETE CASCADE,
    record         TEXT NOT NULL,
    status         TEXT NOT NULL,           -- announced | on_strike | suspended | settled | ended
    outcome        TEXT NOT NULL DEFAULT '',
    history        TEXT NOT NULL DEFAULT '[]',
    is_local       BIGINT NOT NULL,
    published_at   BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deleted_at     BIGINT
);
CREATE INDEX strikes_author ON strikes (author);
