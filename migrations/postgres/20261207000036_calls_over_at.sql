-- When each call's time is over (CallForSupport::over_at: the later of its
-- end and its "until"; a day after its start if it has neither; never if it
-- has no time), so that boards read the open calls whose time is not over
-- without opening every call a server elsewhere never closed.
ALTER TABLE calls ADD COLUMN over_at BIGINT;
UPDATE calls SET over_at = COALESCE(
    GREATEST((record::json ->> 'ends_at')::BIGINT, (record::json ->> 'deadline')::BIGINT),
    (record::json ->> 'starts_at')::BIGINT + 86400000
);
CREATE INDEX calls_open_until ON calls (status, over_at);
