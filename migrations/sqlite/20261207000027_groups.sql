-- What software each peer runs, from its NodeInfo, learned when one of its
-- actors follows one of our groups: group-aware servers (Lemmy and its kin)
-- are sent what our groups publish in the FEP-1b12 form they read
-- (federation crate, group_posts.rs).
CREATE TABLE peer_software (
    host           TEXT PRIMARY KEY NOT NULL,
    software       TEXT NOT NULL,
    checked_at     BIGINT NOT NULL
);

-- Replies from anywhere on the fediverse to our calls, strikes and posts (a
-- Lemmy comment, a Mastodon reply): shown to the chapter's own members on
-- the object's page, counted, never re-announced.
CREATE TABLE replies (
    ap_id          TEXT PRIMARY KEY NOT NULL,
    in_reply_to    TEXT NOT NULL,
    author         TEXT NOT NULL,
    content        TEXT NOT NULL,
    published_at   BIGINT NOT NULL
);
CREATE INDEX replies_by_object ON replies (in_reply_to, published_at);
