-- Who runs the instance: its federation policy and report queue, creating
-- chapters and bodies, removing any group's posts. Separate from the roles in
-- groups, so that a chapter's admin manages that chapter and nothing more.
-- Granted at the command line only (`unionhall account instance-admin`).
CREATE TABLE instance_admins (
    account_id     BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    granted_at     BIGINT NOT NULL
);
