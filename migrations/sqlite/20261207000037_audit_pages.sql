-- The audit log is read a page at a time, newest first, whole or about one
-- member record ("who looked at Rosa's record?"): indexes in that order, so
-- a page is read without sorting a log that only ever grows.
CREATE INDEX audit_log_by_number ON audit_log (grp, id);
CREATE INDEX audit_log_by_subject ON audit_log (grp, subject, id);
