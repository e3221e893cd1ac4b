-- Each complete run's count of missing and outdated customers, so that
-- `mcawatch runs` can show them without reading every result of every run
-- (100,000 results a run). FinishRun stores them when the run completes,
-- counted from the streaks it has just set: an ok customer is missing
-- exactly when it has a missing_since, outdated exactly when it has an
-- outdated_since. NULL while the run is not complete (nothing judged yet).
-- Like every migration it runs in one transaction.
ALTER TABLE runs ADD COLUMN missing INTEGER;
ALTER TABLE runs ADD COLUMN outdated INTEGER;

UPDATE runs SET
	missing = (SELECT count(*) FROM results r
		WHERE r.id BETWEEN runs.id * 4294967296 AND runs.id * 4294967296 + 4294967295
			AND r.status = 'ok' AND r.missing_since IS NOT NULL),
	outdated = (SELECT count(*) FROM results r
		WHERE r.id BETWEEN runs.id * 4294967296 AND runs.id * 4294967296 + 4294967295
			AND r.status = 'ok' AND r.outdated_since IS NOT NULL)
WHERE state = 'complete';
