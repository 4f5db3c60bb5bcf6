-- Whom this instance federates with. The mode (open or allowlist) is kept in
-- instance_meta under federation_mode.

CREATE TABLE blocked_domains (
    domain         TEXT PRIMARY KEY NOT NULL,   -- covers its subdomains
    reason         TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);

CREATE TABLE allowed_domains (
    domain         TEXT PRIMARY KEY NOT NULL,
    created_at     BIGINT NOT NULL
);

-- Deliveries dropped because their peer was blocked: finished (dead_at is set
-- too, so nothing claims them again) but counted apart from failures.
ALTER TABLE deliveries ADD COLUMN dropped_at BIGINT;
