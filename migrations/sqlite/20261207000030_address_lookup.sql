-- A tag to find an account by its email address (a password reset asked for
-- by address) without storing the address readable: a keyed hash under a key
-- derived from the member-data key (the members crate's `lookup_tag`),
-- renewed when the key rotates. Addresses stored before are tagged at start.
ALTER TABLE account_emails ADD COLUMN lookup TEXT;
CREATE INDEX account_emails_lookup ON account_emails (lookup);
