-- One row per channel each time mcawatch notified about a run: which
-- channel (its secret-free name), the notify.on triggers that fired, the
-- outcome ('ok' or the secret-free error), the attempts and when. A run is
-- notified once per event, 'report' (its report was written) or 'failed'
-- (the sweep failed or was interrupted): --resume, `report` re-renders and
-- a restart of serve look here before sending. run_id is NULL for a sweep
-- that failed before its run was stored; a pruned run takes its rows along.
CREATE TABLE notifications (
	id       INTEGER PRIMARY KEY,
	run_id   INTEGER REFERENCES runs (id) ON DELETE CASCADE,
	event    TEXT    NOT NULL CHECK (event IN ('report', 'failed')),
	channel  TEXT    NOT NULL,
	reasons  TEXT    NOT NULL DEFAULT '', -- the triggers, comma-separated
	outcome  TEXT    NOT NULL,            -- 'ok' or what failed
	attempts INTEGER NOT NULL DEFAULT 0,
	sent     INTEGER NOT NULL             -- Unix seconds
);

CREATE INDEX notifications_run ON notifications (run_id, event);
