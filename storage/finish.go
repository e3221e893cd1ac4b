package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// FinishRun ends a running run in the given state (complete, interrupted or
// failed), stamps its end and stores its counts. Completing a run also
// computes each customer's missing and outdated streaks against the
// previous complete run. When finishing fails (say, the disk is full) the
// run is not left running: it is marked interrupted (or failed, when that
// was asked) in a transaction of its own where that still works, and the
// next Lock marks it interrupted otherwise.
func (db *DB) FinishRun(runID int64, state RunState) (Run, error) {
	switch state {
	case StateComplete, StateInterrupted, StateFailed:
	default:
		return Run{}, fmt.Errorf("finish run %d: cannot finish in state %q", runID, state)
	}
	run, err := db.finishRun(runID, state)
	if err != nil {
		err = fmt.Errorf("finish run %d: %w", runID, db.explain(err))
		var wrong *stateError
		if !errors.Is(err, ErrNotFound) && !errors.As(err, &wrong) {
			err = db.abandonRun(runID, state, err)
		}
		return Run{}, err
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

func (db *DB) finishRun(runID int64, state RunState) (Run, error) {
	ctx := context.Background()
	tx, run, err := db.beginRunTx(ctx, runID, StateRunning)
	if err != nil {
		return Run{}, err
	}
	defer tx.Rollback()
	lo, hi := runResults(runID)
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status = 'error'), 0) FROM results WHERE id BETWEEN ? AND ?`,
		lo, hi).Scan(&run.Done, &run.Errors); err != nil {
		return Run{}, fmt.Errorf("count results: %w", err)
	}
	run.State, run.Finished = state, db.stamp()
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, finished = ?, done = ?, errors = ? WHERE id = ?`,
		run.State, run.Finished.Unix(), run.Done, run.Errors, runID); err != nil {
		return Run{}, err
	}
	if state == StateComplete {
		if err := markStreaks(ctx, tx, run); err != nil {
			return Run{}, err
		}
		if err := storeCounts(ctx, tx, run.ID); err != nil {
			return Run{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Run{}, err
	}
	return run, nil
}

// abandonRun is the best effort after FinishRun failed: a run that could
// not be completed is marked interrupted, so that it can be resumed, and one
// that was being marked interrupted or failed is marked so, without its
// counts. cause is returned, saying where the run was left.
func (db *DB) abandonRun(runID int64, state RunState, cause error) error {
	if state == StateComplete {
		state = StateInterrupted
	}
	db.list.drop()
	res, err := db.writer.ExecContext(context.Background(),
		`UPDATE runs SET state = ?, finished = ? WHERE id = ? AND state = 'running'`, state, db.stamp().Unix(), runID)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 1 {
			return fmt.Errorf("%w (run %d is left %s)", cause, runID, state)
		}
		return cause
	}
	return fmt.Errorf("%w (run %d is still marked running: the next sweep marks it interrupted)", cause, runID)
}

// markStreaks sets missing_since and outdated_since on the results of a
// run being completed, judging each ok customer as (*Result).Standing does
// with the run's Required type and CurrentSince cut-off:
//   - a missing customer (no record of the required type, not
//     direct-signed) continues the missing streak it had in the previous
//     complete run (missing there, or an error there that carried a streak),
//     or starts one at this run's start; an outdated customer (records of
//     the required type, none dated at or after the cut-off, not
//     direct-signed) does the same with its outdated streak;
//   - an error result carries both previous streaks forward unchanged, so
//     an error neither breaks nor starts one;
//   - every other ok customer has none.
func markStreaks(ctx context.Context, tx *sql.Tx, run Run) error {
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
	// prev(col) is the customer's col in run ?1, found through its ckey and
	// its position there.
	prevCol := func(col string) string {
		return `(SELECT p.` + col + ` FROM run_customers cur
		CROSS JOIN run_customer_keys pk ON pk.run_id = ?1 AND pk.ckey = cur.ckey
		CROSS JOIN run_customers prc ON prc.run_id = pk.run_id AND prc.position = pk.position
		CROSS JOIN results p ON p.id = pk.run_id * 4294967296 + pk.position
		WHERE cur.run_id = results.run_id AND cur.position = results.position AND prc.customer_id = cur.customer_id)`
	}
	// has: a record of the required type ?2; current: one dated at or after
	// the cut-off ?6 (NULL: the check is off, every record is current; an
	// undated record is never current).
	const has = `EXISTS (SELECT 1 FROM acceptances a
		WHERE a.id BETWEEN results.id * 1024 AND results.id * 1024 + 1023 AND a.type = ?2)`
	const current = `EXISTS (SELECT 1 FROM acceptances a
		WHERE a.id BETWEEN results.id * 1024 AND results.id * 1024 + 1023 AND a.type = ?2
			AND (?6 IS NULL OR a.date_agreed >= ?6))`
	// Results are stored with no streak and a run completes once, so only
	// errors and missing or outdated customers are written: rewriting every
	// row of a 100,000-customer run to leave most of them NULL cost more
	// than the streaks themselves.
	_, err = tx.ExecContext(ctx, `UPDATE results SET
		missing_since = CASE
			WHEN status = 'error' THEN `+prevCol("missing_since")+`
			WHEN NOT `+has+` THEN coalesce(`+prevCol("missing_since")+`, ?3)
			END,
		outdated_since = CASE
			WHEN status = 'error' THEN `+prevCol("outdated_since")+`
			WHEN `+has+` THEN coalesce(`+prevCol("outdated_since")+`, ?3)
			END
		WHERE id BETWEEN ?4 AND ?5 AND (status = 'error' OR NOT (direct_signed = 1 OR `+current+`))`,
		prevID, run.Required, run.Started.Unix(), lo, hi, toUnix(run.CurrentSince))
	if err != nil {
		return fmt.Errorf("missing and outdated streaks: %w", err)
	}
	return nil
}
