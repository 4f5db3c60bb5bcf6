-- Boards read the open calls, and the job that closes calls whose time is
-- over reads those still standing: by status, not by every call this
-- instance has held over the years.
CREATE INDEX calls_status ON calls (status);
