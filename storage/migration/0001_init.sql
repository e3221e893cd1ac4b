-- Times are Unix seconds (UTC); NULL means "not set".
--
-- A run's results and acceptance records are keyed by the customer's position
-- in the run's list, not by its GUID: a sweep saves customers roughly in list
-- order, so each batch appends to the end of these tables instead of
-- touching pages all over them, which is what keeps a 100,000-customer sweep
-- fast to store and a snapshot a sequential read. Keys are integers
-- (see results and acceptances), which limits a database to 2^21 runs and a
-- customer to 1024 records a run.

-- One sweep; finished is NULL until the run ends.
CREATE TABLE runs (
	id             INTEGER PRIMARY KEY,
	kind           TEXT    NOT NULL,
	started        INTEGER NOT NULL,
	finished       INTEGER,
	state          TEXT    NOT NULL CHECK (state IN ('running', 'complete', 'interrupted', 'failed')),
	correlation_id TEXT    NOT NULL DEFAULT '',
	required       TEXT    NOT NULL DEFAULT '',
	types          TEXT    NOT NULL DEFAULT '[]', -- JSON array of agreement types
	customers      INTEGER NOT NULL DEFAULT 0,
	done           INTEGER NOT NULL DEFAULT 0,
	errors         INTEGER NOT NULL DEFAULT 0,
	pid            INTEGER NOT NULL DEFAULT 0,
	host           TEXT    NOT NULL DEFAULT ''
);

-- LatestRun, PreviousComplete and Trend look runs up by state, newest first.
CREATE INDEX runs_state_id ON runs (state, id);

-- A customer is looked up by ckey, the first 64 bits of its tenant id as an
-- integer, together with the id itself: comparing integers instead of
-- 36-character strings makes the index work of a 100,000-customer sweep
-- several times cheaper. Two ids sharing a ckey are still told apart by id.

-- Every customer ever seen, with its latest names. When it was first and
-- last seen is not stored here but read from the runs that listed it (view
-- customers_seen): keeping a last_seen column current would rewrite every
-- customer row on every run.
CREATE TABLE customers (
	ckey         INTEGER NOT NULL,
	id           TEXT    NOT NULL, -- tenant id, lower-case GUID
	company_name TEXT    NOT NULL DEFAULT '',
	domain       TEXT    NOT NULL DEFAULT '',
	relationship TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (ckey, id)
) WITHOUT ROWID;

-- The customers a run set out to sweep, in their original order (so a
-- resumed run sweeps exactly what the first attempt did not), with their
-- names as that run saw them.
CREATE TABLE run_customers (
	run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	position     INTEGER NOT NULL,
	ckey         INTEGER NOT NULL,
	customer_id  TEXT    NOT NULL,
	company_name TEXT    NOT NULL DEFAULT '',
	domain       TEXT    NOT NULL DEFAULT '',
	relationship TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

-- A customer's position in a run, and its history across runs (its last good
-- result, the previous run's missing streak).
CREATE INDEX run_customers_customer ON run_customers (ckey, run_id);

-- One customer's outcome in one run. Its key is run_id * 2^32 + position:
-- an integer key in list order makes each batch a run of appends to the
-- table's end, which SQLite does without searching the tree.
-- missing_since is set when the run completes: the start of the customer's
-- missing streak (carried unchanged through error results), NULL otherwise.
CREATE TABLE results (
	id            INTEGER PRIMARY KEY,
	run_id        INTEGER NOT NULL,
	position      INTEGER NOT NULL,
	customer_id   TEXT    NOT NULL,
	status        TEXT    NOT NULL CHECK (status IN ('ok', 'error')),
	http_status   INTEGER NOT NULL DEFAULT 0,
	error_code    TEXT    NOT NULL DEFAULT '',
	message       TEXT    NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	direct_signed INTEGER NOT NULL DEFAULT 0 CHECK (direct_signed IN (0, 1, 2)),
	missing_since INTEGER,
	CHECK (id = run_id * 4294967296 + position)
);

-- Acceptance records of an ok result, keyed by the result's key * 1024 +
-- seq; seq follows the (type, date_agreed, template_id) order, so reading by
-- key needs no sort. There is no foreign key to results: checking one costs
-- a search per record, and SaveResults deletes a replaced result's records
-- itself.
CREATE TABLE acceptances (
	id             INTEGER PRIMARY KEY,
	type           TEXT    NOT NULL,
	date_agreed    INTEGER NOT NULL,
	template_id    TEXT    NOT NULL DEFAULT '',
	contact_name   TEXT    NOT NULL DEFAULT '',
	contact_email  TEXT    NOT NULL DEFAULT '',
	contact_phone  TEXT    NOT NULL DEFAULT '',
	agreement_link TEXT    NOT NULL DEFAULT '',
	user_id        TEXT    NOT NULL DEFAULT ''
);

-- Customers with the start of the first and the last run that listed them.
CREATE VIEW customers_seen AS
SELECT c.id, c.company_name, c.domain, c.relationship,
	(SELECT min(r.started) FROM run_customers rc INDEXED BY run_customers_customer JOIN runs r ON r.id = rc.run_id
		WHERE rc.ckey = c.ckey AND rc.customer_id = c.id) AS first_seen,
	(SELECT max(r.started) FROM run_customers rc INDEXED BY run_customers_customer JOIN runs r ON r.id = rc.run_id
		WHERE rc.ckey = c.ckey AND rc.customer_id = c.id) AS last_seen
FROM customers c;
