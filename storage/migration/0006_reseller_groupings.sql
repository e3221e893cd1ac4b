-- Indirect providers (customers.group_by: reseller): which indirect
-- resellers a run listed and through which of them each customer was
-- reached. Stored per run, because customers move between resellers from
-- one night to the next. A run without a row in reseller_groupings was
-- swept without grouping; a pruned run takes its rows along.
CREATE TABLE reseller_groupings (
	run_id   INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	requests INTEGER NOT NULL DEFAULT 0 -- HTTP requests the listings took
);

-- The resellers of a run in listing order; error is not empty when the
-- listing of that reseller's customers failed.
CREATE TABLE run_resellers (
	run_id      INTEGER NOT NULL REFERENCES reseller_groupings (run_id) ON DELETE CASCADE,
	pos         INTEGER NOT NULL,
	reseller_id TEXT    NOT NULL,
	name        TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, pos)
);

-- Each customer's reseller(s) in a run; carried is 1 when the reseller was
-- not listed this run (its listing failed) and was carried from an earlier
-- run. A customer without a row was reached directly, or, when a listing
-- failed and nothing could be carried, is unknown.
CREATE TABLE customer_resellers (
	run_id      INTEGER NOT NULL REFERENCES reseller_groupings (run_id) ON DELETE CASCADE,
	customer_id TEXT    NOT NULL,
	reseller_id TEXT    NOT NULL,
	carried     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, customer_id, reseller_id)
) WITHOUT ROWID;

-- CustomerResellers reads one customer across runs.
CREATE INDEX customer_resellers_customer ON customer_resellers (customer_id, run_id);
