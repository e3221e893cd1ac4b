-- What a run stores about itself, outdated streaks, and acceptances
-- without a usable date. Like every migration it runs in one transaction.

-- The settings a run was started with, so a resumed run and a re-rendered
-- report use them: backfill --since and agreements.current_since (Unix
-- seconds, NULL: not set / check off). What the sweep learnt on the way:
-- the agreement version enforced now, the relationship-request link and the
-- rate the adaptive limiter settled at. And whether its report is in place:
-- report_dir is the folder once it exists, report_error why it could not be
-- written.
ALTER TABLE runs ADD COLUMN since INTEGER;
ALTER TABLE runs ADD COLUMN current_since INTEGER;
ALTER TABLE runs ADD COLUMN agreement_type TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN agreement_template_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN agreement_version_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN agreement_link TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN relationship_url TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN report_dir TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN report_error TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN settled_rate REAL NOT NULL DEFAULT 0;

-- Before this migration the report folder was not recorded, so whether a
-- complete run's report was written cannot be known now: every complete run
-- counts as reported (the next diff is made against the newest of them, as
-- it was before), with the marker storage.ReportDirUnrecorded in place of
-- the folder.
UPDATE runs SET report_dir = '(reported before mcawatch recorded report folders)' WHERE state = 'complete';

-- outdated_since is set when the run completes, like missing_since: the
-- start of the customer's outdated streak (carried unchanged through error
-- results), NULL otherwise.
ALTER TABLE results ADD COLUMN outdated_since INTEGER;

-- date_agreed becomes nullable: NULL is a record without a usable date (none
-- in the answer, null, or .NET's minimum 0001-01-01), still an acceptance.
-- NULL rather than a sentinel number, because a sentinel is a date some
-- query would one day compare with the cut-off and find old, and NULL is
-- what SQL already means by "unknown": date_agreed >= cut-off is never true
-- for it. SQLite cannot drop a NOT NULL constraint in place, so the table is
-- rebuilt under the same name with the same keys; nothing refers to it.
CREATE TABLE acceptances_0003 (
	id             INTEGER PRIMARY KEY,
	type           TEXT    NOT NULL,
	date_agreed    INTEGER, -- Unix seconds (UTC); NULL: no usable date
	template_id    TEXT    NOT NULL DEFAULT '',
	contact_name   TEXT    NOT NULL DEFAULT '',
	contact_email  TEXT    NOT NULL DEFAULT '',
	contact_phone  TEXT    NOT NULL DEFAULT '',
	agreement_link TEXT    NOT NULL DEFAULT '',
	user_id        TEXT    NOT NULL DEFAULT ''
);
INSERT INTO acceptances_0003 (id, type, date_agreed, template_id, contact_name, contact_email, contact_phone,
	agreement_link, user_id)
SELECT id, type, date_agreed, template_id, contact_name, contact_email, contact_phone, agreement_link, user_id
FROM acceptances ORDER BY id;
DROP TABLE acceptances;
ALTER TABLE acceptances_0003 RENAME TO acceptances;
