-- Where a failed login came from (a hash of the client address, '' when
-- unknown): a username is locked per source first, so that guessing from
-- elsewhere does not lock its owner out. Rows are pruned after the window.
ALTER TABLE login_failures ADD COLUMN source TEXT NOT NULL DEFAULT '';
