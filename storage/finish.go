package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// FinishRun ends a running run in the given state (complete, interrupted or
// failed), stamps its end and stores its counts. Completing a run also
// computes each customer's missing streak against the previous complete run.
func (db *DB) FinishRun(runID int64, state RunState) (Run, error) {
	switch state {
	case StateComplete, StateInterrupted, StateFailed:
	default:
		return Run{}, fmt.Errorf("finish run %d: cannot finish in state %q", runID, state)
	}
	ctx := context.Background()
	tx, run, err := db.beginRunTx(ctx, runID, StateRunning)
	if err != nil {
		return Run{}, fmt.Errorf("finish run %d: %w", runID, err)
	}
	defer tx.Rollback()
	lo, hi := runResults(runID)
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status = 'error'), 0) FROM results WHERE id BETWEEN ? AND ?`,
		lo, hi).Scan(&run.Done, &run.Errors); err != nil {
		return Run{}, fmt.Errorf("finish run %d: count results: %w", runID, err)
	}
	run.State, run.Finished = state, db.stamp()
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, finished = ?, done = ?, errors = ? WHERE id = ?`,
		run.State, run.Finished.Unix(), run.Done, run.Errors, runID); err != nil {
		return Run{}, fmt.Errorf("finish run %d: %w", runID, err)
	}
	if state == StateComplete {
		if err := markMissing(ctx, tx, run); err != nil {
			return Run{}, fmt.Errorf("finish run %d: %w", runID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Run{}, fmt.Errorf("finish run %d: %w", runID, err)
	}
	// A finished run takes no more results: let its list go (a resumed run
	// reloads it), and the writer's page cache, up to 64 MiB that the
	// reports written next would otherwise carry. Both are refilled when
	// needed.
	db.list.drop()
	// The run is finished either way: a cache that stays is only memory.
	_, _ = db.writer.Exec("PRAGMA shrink_memory")
	return run, nil
}

// markMissing sets missing_since on the results of a run being completed:
//   - an ok customer without an acceptance of the required type and not
//     direct-signed continues the streak it had in the previous complete run
//     (missing there, or an error there that carried a streak), or starts
//     one at this run's start;
//   - an error result carries the previous streak forward unchanged, so an
//     error neither breaks nor starts one;
//   - every other ok customer has none.
func markMissing(ctx context.Context, tx *sql.Tx, run Run) error {
	var prevID int64
	lo, hi := runResults(run.ID)
	prev, err := findRun(ctx, tx, `state = 'complete' AND id < ? ORDER BY id DESC LIMIT 1`, run.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("previous complete run: %w", err)
	default:
		prevID = prev.ID
	}
	// prevSince is the customer's missing_since in run ?1, found through its
	// ckey and its position there.
	const prevSince = `(SELECT p.missing_since FROM run_customers cur
		CROSS JOIN run_customer_keys pk ON pk.run_id = ?1 AND pk.ckey = cur.ckey
		CROSS JOIN run_customers prc ON prc.run_id = pk.run_id AND prc.position = pk.position
		CROSS JOIN results p ON p.id = pk.run_id * 4294967296 + pk.position
		WHERE cur.run_id = results.run_id AND cur.position = results.position AND prc.customer_id = cur.customer_id)`
	// Results are stored with no streak and a run completes once, so only
	// errors and missing customers are written: rewriting every row of a
	// 100,000-customer run to leave most of them NULL cost more than the
	// streaks themselves.
	_, err = tx.ExecContext(ctx, `UPDATE results SET missing_since = CASE
		WHEN status = 'error' THEN `+prevSince+`
		ELSE coalesce(`+prevSince+`, ?3)
		END
		WHERE id BETWEEN ?4 AND ?5 AND (status = 'error' OR NOT (direct_signed = 1 OR EXISTS (SELECT 1 FROM acceptances a
			WHERE a.id BETWEEN results.id * 1024 AND results.id * 1024 + 1023 AND a.type = ?2)))`,
		prevID, run.Required, run.Started.Unix(), lo, hi)
	if err != nil {
		return fmt.Errorf("missing streaks: %w", err)
	}
	return nil
}
