package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// RunCounts is how a run's customers stand, for `mcawatch runs`: read from
// the run's row, never by reading its results.
type RunCounts struct {
	RunID int64
	// Judged is true for a complete run: its customers' standings were
	// judged when it completed. A run that is not complete has only its
	// Done and Errors counts; Accepted, Outdated and Missing are 0.
	Judged bool
	// Done is the customers with a stored result, Errors those of them
	// whose query failed.
	Done   int
	Errors int
	// Accepted (direct-signed included), Outdated and Missing count the
	// ok customers by their own standing; error customers are in Errors
	// alone.
	Accepted int
	Outdated int
	Missing  int
}

// RunCounts is the counts of every stored run, by run id. It reads one row
// a run, however many customers the runs hold.
func (db *DB) RunCounts(ctx context.Context) (map[int64]RunCounts, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, state, done, errors, missing, outdated FROM runs`)
	if err != nil {
		return nil, fmt.Errorf("run counts: %w", db.explain(err))
	}
	defer rows.Close()
	counts := map[int64]RunCounts{}
	for rows.Next() {
		var c RunCounts
		var state RunState
		var missing, outdated sql.NullInt64
		if err := rows.Scan(&c.RunID, &state, &c.Done, &c.Errors, &missing, &outdated); err != nil {
			return nil, fmt.Errorf("run counts: %w", db.explain(err))
		}
		if state == StateComplete && missing.Valid && outdated.Valid {
			c.Judged = true
			c.Missing, c.Outdated = int(missing.Int64), int(outdated.Int64)
			c.Accepted = c.Done - c.Errors - c.Missing - c.Outdated
		}
		counts[c.RunID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run counts: %w", db.explain(err))
	}
	return counts, nil
}

// storeCounts stores the missing and outdated counts of a run being
// completed, from the streaks markStreaks has just set.
func storeCounts(ctx context.Context, tx *sql.Tx, runID int64) error {
	lo, hi := runResults(runID)
	_, err := tx.ExecContext(ctx, `UPDATE runs SET
		missing = (SELECT count(*) FROM results r WHERE r.id BETWEEN ?1 AND ?2
			AND r.status = 'ok' AND r.missing_since IS NOT NULL),
		outdated = (SELECT count(*) FROM results r WHERE r.id BETWEEN ?1 AND ?2
			AND r.status = 'ok' AND r.outdated_since IS NOT NULL)
		WHERE id = ?3`, lo, hi, runID)
	if err != nil {
		return fmt.Errorf("count missing and outdated: %w", err)
	}
	return nil
}
