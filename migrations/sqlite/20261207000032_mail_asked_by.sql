-- Who caused a message to be written, when that is not its recipient (an
-- organizer who mailed an invitation): what limits one account's mail to
-- strangers (`[members] invite_mails_per_hour`). Gone with the account.
ALTER TABLE mail_queue ADD COLUMN asked_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL;
CREATE INDEX mail_queue_asked_by ON mail_queue (asked_by, created_at);
