-- Boards read the open calls, the strikes still on and the actions still
-- being decided, and the job that closes calls whose time is over reads those
-- still standing: by status, not by every call, strike and action this
-- instance has held over the years. The mail scans' news reads what was
-- published lately: by time.
CREATE INDEX calls_status ON calls (status);
CREATE INDEX strikes_status ON strikes (status);
CREATE INDEX actions_status ON actions (status);
CREATE INDEX calls_published ON calls (published_at);
CREATE INDEX strikes_published ON strikes (published_at);
