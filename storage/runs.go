package storage

import (
	"context"
	"fmt"
)

// Run reads one run; ErrNotFound if there is none.
func (db *DB) Run(runID int64) (Run, error) {
	run, err := findRun(context.Background(), db.reader, `id = ?`, runID)
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", runID, db.explain(err))
	}
	return run, nil
}

// LatestRun is the newest run in the given state; ErrNotFound if there is
// none.
func (db *DB) LatestRun(state RunState) (Run, error) {
	run, err := findRun(context.Background(), db.reader, `state = ? ORDER BY id DESC LIMIT 1`, state)
	if err != nil {
		return Run{}, fmt.Errorf("latest %s run: %w", state, db.explain(err))
	}
	return run, nil
}

// PreviousComplete is the newest complete run older than runID (the one a
// report compares with); ErrNotFound if there is none.
func (db *DB) PreviousComplete(runID int64) (Run, error) {
	run, err := findRun(context.Background(), db.reader,
		`state = 'complete' AND id < ? ORDER BY id DESC LIMIT 1`, runID)
	if err != nil {
		return Run{}, fmt.Errorf("complete run before %d: %w", runID, db.explain(err))
	}
	return run, nil
}

// ListRuns is every run, newest first.
func (db *DB) ListRuns() ([]Run, error) {
	runs, err := listRuns(context.Background(), db.reader)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", db.explain(err))
	}
	return runs, nil
}

// RunCustomers is the customer list the run set out to sweep, in its
// original order.
func (db *DB) RunCustomers(runID int64) ([]Customer, error) {
	cs, err := db.runCustomers(runID, false)
	if err != nil {
		return nil, fmt.Errorf("customers of run %d: %w", runID, db.explain(err))
	}
	return cs, nil
}

// PendingCustomers is the part of the run's customer list without a stored
// result, in the original order: what a resumed run still has to sweep.
func (db *DB) PendingCustomers(runID int64) ([]Customer, error) {
	cs, err := db.runCustomers(runID, true)
	if err != nil {
		return nil, fmt.Errorf("pending customers of run %d: %w", runID, db.explain(err))
	}
	return cs, nil
}

func (db *DB) runCustomers(runID int64, pendingOnly bool) ([]Customer, error) {
	ctx := context.Background()
	tx, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := findRun(ctx, tx, `id = ?`, runID); err != nil {
		return nil, err
	}
	query := `SELECT customer_id, company_name, domain, relationship FROM run_customers rc WHERE run_id = ?`
	if pendingOnly {
		query += ` AND NOT EXISTS (SELECT 1 FROM results r WHERE r.id = rc.run_id * 4294967296 + rc.position)`
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY position`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := []Customer{}
	for rows.Next() {
		var c Customer
		if err := rows.Scan(&c.ID, &c.CompanyName, &c.Domain, &c.Relationship); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}
