-- The hour (0 to 23, on the account's own clock) its daily news digest is
-- mailed at. NULL: 7 in the morning.
ALTER TABLE mail_preferences ADD COLUMN digest_hour BIGINT;
