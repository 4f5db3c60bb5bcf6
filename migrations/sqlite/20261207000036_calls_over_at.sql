-- When each call's time is over (CallForSupport::over_at: the later of its
-- end and its "until"; a day after its start if it has neither; never if it
-- has no time), so that boards read the open calls whose time is not over
-- without opening every call a server elsewhere never closed.
ALTER TABLE calls ADD COLUMN over_at BIGINT;
UPDATE calls SET over_at = CASE
    WHEN json_extract(record, '$.ends_at') IS NOT NULL
         AND json_extract(record, '$.deadline') IS NOT NULL
        THEN max(json_extract(record, '$.ends_at'), json_extract(record, '$.deadline'))
    WHEN json_extract(record, '$.ends_at') IS NOT NULL THEN json_extract(record, '$.ends_at')
    WHEN json_extract(record, '$.deadline') IS NOT NULL THEN json_extract(record, '$.deadline')
    WHEN json_extract(record, '$.starts_at') IS NOT NULL
        THEN json_extract(record, '$.starts_at') + 86400000
END;
CREATE INDEX calls_open_until ON calls (status, over_at);
