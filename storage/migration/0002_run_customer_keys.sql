-- A customer's entries in other runs (its last good result, the previous
-- run's missing streak, when it was first and last seen) were found through
-- the index run_customers_customer on (ckey, run_id). A new run adds one
-- entry per customer all over that index, so recording a run's list
-- rewrote most of the index's pages, more of them as runs accumulate, and
-- cost more than writing the list itself.
--
-- run_customer_keys holds the same entries run first: BeginRun writes a
-- run's entries in ckey order, which appends them to the end of the table,
-- and a customer is looked up in one run at a time, which is how the
-- queries ask anyway (the previous complete run; the newest earlier complete
-- run with a good result). Two ids sharing a ckey are told apart through
-- run_customers. Like results, it has no foreign key: every entry is copied
-- from run_customers, which has one, and checking it again would cost a
-- search per entry.
CREATE TABLE run_customer_keys (
	run_id   INTEGER NOT NULL,
	ckey     INTEGER NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (run_id, ckey, position)
) WITHOUT ROWID;

-- The entries are copied in the order of run_customers, not sorted: the
-- table's key orders them, and sorting every run's entries at once would
-- hold them all in memory.
INSERT INTO run_customer_keys (run_id, ckey, position)
SELECT run_id, ckey, position FROM run_customers;

DROP VIEW customers_seen;
DROP INDEX run_customers_customer;

-- Customers with the start of the first and the last run that listed them.
CREATE VIEW customers_seen AS
SELECT c.id, c.company_name, c.domain, c.relationship,
	(SELECT min(r.started) FROM runs r
		CROSS JOIN run_customer_keys k ON k.run_id = r.id AND k.ckey = c.ckey
		CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
		WHERE rc.customer_id = c.id) AS first_seen,
	(SELECT max(r.started) FROM runs r
		CROSS JOIN run_customer_keys k ON k.run_id = r.id AND k.ckey = c.ckey
		CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
		WHERE rc.customer_id = c.id) AS last_seen
FROM customers c;
