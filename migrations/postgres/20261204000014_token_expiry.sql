-- API tokens expire (members.token_days after they were made); tokens made
-- before this get the same term from when they were made.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = created_at + 7776000000 WHERE expires_at IS NULL;
