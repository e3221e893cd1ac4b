package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
)

// Prune removes the runs the retention policy r does not keep, with their
// customer lists, results and acceptance records, in one transaction, then
// gives the space back to the file system. With dryRun it removes nothing
// and says what it would remove.
//
// What goes, in this order:
//   - interrupted runs older than the newest complete run (they can no
//     longer be resumed) and failed runs older than it, whatever r says;
//   - complete runs r does not keep (see Retention; the zero value keeps
//     them all).
//
// What always stays: a running run; an interrupted or failed run newer
// than the newest complete run; the previous reported run of each run kept
// so far (the baseline its report is rendered against, see
// PreviousReported); and the runs holding the last good answers of the
// customers in error in those runs and their baselines. So LoadSnapshot of
// every run kept for itself and of its baseline returns after Prune what it
// returned before, and every run the policy keeps re-renders the same
// rows; only Trend has fewer runs to draw. A run kept only for the answers
// it holds keeps them, but its own customers in error may carry an older
// state (or none) once the runs before it are gone. Customers no kept run
// lists are removed too.
//
// Space: a database created by this mcawatch uses incremental auto-vacuum,
// and the freed pages are handed back by an incremental vacuum, or by
// VACUUM when most of the file was freed (see reclaim); an older database
// is rebuilt in place once with VACUUM, which switches it to incremental
// auto-vacuum. Both go through the write-ahead log, so a process killed
// during Prune leaves the database either pruned or not, never half
// written. Callers hold the sweep lock (Lock) so no sweep starts meanwhile;
// a run that is running anyway is never touched.
func (db *DB) Prune(ctx context.Context, r Retention, dryRun bool) (PruneResult, error) {
	if err := r.validate(); err != nil {
		return PruneResult{}, fmt.Errorf("prune: %w", err)
	}
	res := PruneResult{DryRun: dryRun}
	var err error
	if res.BytesBefore, err = db.fileBytes(); err != nil {
		return PruneResult{}, fmt.Errorf("prune: %w", err)
	}
	res.BytesAfter = res.BytesBefore
	if dryRun {
		tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return PruneResult{}, fmt.Errorf("prune: %w", db.explain(err))
		}
		defer tx.Rollback()
		if res.Removed, res.Kept, err = planPrune(ctx, tx, r); err != nil {
			return PruneResult{}, fmt.Errorf("prune: %w", db.explain(err))
		}
		return res, nil
	}
	if res.Removed, res.Kept, err = db.prune(ctx, r); err != nil {
		return PruneResult{}, fmt.Errorf("prune: %w", db.explain(err))
	}
	db.stage("deleted")
	if len(res.Removed) > 0 {
		if err := db.reclaim(ctx); err != nil {
			return PruneResult{}, fmt.Errorf("prune: runs removed, giving the space back failed: %w", db.explain(err))
		}
	}
	db.stage("reclaimed")
	if res.BytesAfter, err = db.fileBytes(); err != nil {
		return PruneResult{}, fmt.Errorf("prune: %w", err)
	}
	return res, nil
}

// stage tells the crash test where Prune is.
func (db *DB) stage(name string) {
	if db.pruneStage != nil {
		db.pruneStage(name)
	}
}

// prune plans and deletes in one write transaction, so the plan is made
// on what is deleted.
func (db *DB) prune(ctx context.Context, r Retention) (removed, kept []PrunedRun, err error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	if removed, kept, err = planPrune(ctx, tx, r); err != nil {
		return nil, nil, err
	}
	if len(removed) == 0 {
		return removed, kept, nil
	}
	db.stage("planned")
	if err := deleteRuns(ctx, tx, removed); err != nil {
		return nil, nil, err
	}
	db.stage("deleting")
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	// The cached customer list may be of a removed run.
	db.list.drop()
	return removed, kept, nil
}

// planPrune decides which runs go and which stay, each oldest first.
func planPrune(ctx context.Context, q queryer, r Retention) (removed, kept []PrunedRun, err error) {
	runs, err := listRuns(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	var newestComplete int64
	var complete []Run // newest first
	for _, run := range runs {
		if run.State == StateComplete {
			complete = append(complete, run)
			newestComplete = max(newestComplete, run.ID)
		}
	}
	reasons := map[int64][]string{} // kept runs
	gone := map[int64]string{}      // removed runs
	policy := policyKeeps(r, complete)
	for i, run := range complete {
		if why, ok := policy[i]; ok {
			reasons[run.ID] = why
		} else {
			gone[run.ID] = RemoveByPolicy
		}
	}
	for _, run := range runs {
		switch {
		case run.State == StateRunning:
			reasons[run.ID] = []string{KeepRunning}
		case run.State == StateInterrupted && run.ID > newestComplete:
			reasons[run.ID] = []string{KeepResumable}
		case run.State == StateInterrupted:
			gone[run.ID] = RemoveStale
		case run.State == StateFailed && run.ID > newestComplete:
			reasons[run.ID] = []string{KeepFailedLast}
		case run.State == StateFailed:
			gone[run.ID] = RemoveFailed
		}
	}
	// Only complete runs are ever needed: with none to remove, there is
	// nothing to look up (the nightly case of a policy that keeps all).
	for _, why := range gone {
		if why == RemoveByPolicy {
			if err := keepNeeded(ctx, q, runs, reasons, gone); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	for i := len(runs) - 1; i >= 0; i-- {
		run := runs[i]
		p := PrunedRun{ID: run.ID, Kind: run.Kind, Started: run.Started, State: run.State}
		if why, ok := gone[run.ID]; ok {
			p.Reasons = []string{why}
			removed = append(removed, p)
			continue
		}
		p.Reasons = reasons[run.ID]
		kept = append(kept, p)
	}
	return removed, kept, nil
}

// keepNeeded moves from gone to reasons the runs kept runs need. runs is
// newest first.
//   - The previous reported run of each run the policy or its state keeps:
//     the baseline its report is (re-)rendered against.
//   - The runs holding the last good answers of the customers in error in
//     those runs and in their baselines: what LoadSnapshot reads to carry
//     their state forward.
//
// Neither is followed further: a baseline's own baseline, or the last good
// answers of a run kept for its answers, would keep every run of a
// database in which customers fail now and then.
func keepNeeded(ctx context.Context, q queryer, runs []Run, reasons map[int64][]string, gone map[int64]string) error {
	byID := make(map[int64]Run, len(runs))
	for _, run := range runs {
		byID[run.ID] = run
	}
	var read []int64 // runs whose snapshots are read: kept for themselves, and their baselines
	for id := range reasons {
		read = append(read, id)
	}
	need := func(id int64, why string) {
		if _, ok := gone[id]; !ok {
			return // kept already
		}
		delete(gone, id)
		reasons[id] = []string{why}
	}
	// Oldest first, so a baseline is named by the run it directly precedes.
	slices.Sort(read)
	for _, id := range slices.Clone(read) {
		for _, older := range runs {
			if older.ID < id && older.State == StateComplete && older.ReportDir != "" {
				if _, ok := gone[older.ID]; ok {
					read = append(read, older.ID)
				}
				need(older.ID, fmt.Sprintf("previous report of run %d", id))
				break
			}
		}
	}
	// Newest first, so a run is named as needed by the newest run that
	// needs it.
	slices.Sort(read)
	for _, id := range slices.Backward(read) {
		if byID[id].Errors == 0 {
			continue
		}
		goods, err := lastGoodRuns(ctx, q, id)
		if err != nil {
			return fmt.Errorf("last good answers of run %d: %w", id, err)
		}
		for _, g := range goods {
			need(g, fmt.Sprintf("last good answer of customers in error in run %d", id))
		}
	}
	return nil
}

// lastGoodRuns are the runs that hold the last good results of run ?1's
// customers in error, found as LoadSnapshot finds them (lastGoodQuery).
func lastGoodRuns(ctx context.Context, q queryer, runID int64) ([]int64, error) {
	lo, hi := runResults(runID)
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT (SELECT gr.id FROM runs gr
			CROSS JOIN run_customer_keys k ON k.run_id = gr.id AND k.ckey = e.ckey
			CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
			CROSS JOIN results g ON g.id = k.run_id * 4294967296 + k.position
			WHERE gr.state = 'complete' AND gr.report_dir <> '' AND gr.id < ?1
				AND rc.customer_id = e.customer_id AND g.status = 'ok'
			ORDER BY gr.id DESC LIMIT 1)
		FROM results r JOIN run_customers e ON e.run_id = r.run_id AND e.position = r.position
		WHERE r.id BETWEEN ?2 AND ?3 AND r.status = 'error'`, runID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id sql.NullInt64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if id.Valid {
			ids = append(ids, id.Int64)
		}
	}
	return ids, rows.Err()
}

// listRuns is every run, newest first.
func listRuns(ctx context.Context, q queryer) ([]Run, error) {
	return listRunsWhere(ctx, q, `true ORDER BY id DESC`)
}

// deleteRuns deletes the runs with everything stored under them, and the
// customers only they listed. Every table is deleted from by key range, one
// run at a time.
func deleteRuns(ctx context.Context, tx *sql.Tx, removed []PrunedRun) error {
	// The customers the removed runs listed are the only ones that can be
	// left listed by no run: they are noted before their lists go.
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS prune_customers (
		ckey INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (ckey, id)) WITHOUT ROWID`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM prune_customers`); err != nil {
		return err
	}
	for _, p := range removed {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO prune_customers (ckey, id)
			SELECT ckey, customer_id FROM run_customers WHERE run_id = ?`, p.ID); err != nil {
			return fmt.Errorf("run %d: customers: %w", p.ID, err)
		}
		resLo, resHi := runResults(p.ID)
		accLo, accHi := runAcceptances(p.ID)
		for _, del := range []struct {
			query string
			args  []any
		}{
			{`DELETE FROM acceptances WHERE id BETWEEN ? AND ?`, []any{accLo, accHi}},
			{`DELETE FROM results WHERE id BETWEEN ? AND ?`, []any{resLo, resHi}},
			{`DELETE FROM run_customer_keys WHERE run_id = ?`, []any{p.ID}},
			{`DELETE FROM run_customers WHERE run_id = ?`, []any{p.ID}},
			{`DELETE FROM runs WHERE id = ?`, []any{p.ID}},
		} {
			if _, err := tx.ExecContext(ctx, del.query, del.args...); err != nil {
				return fmt.Errorf("run %d: %w", p.ID, err)
			}
		}
	}
	// A customer is still listed when some remaining run lists it; looking
	// in the newest runs first finds almost every one at the first try.
	if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE (ckey, id) IN (
		SELECT pc.ckey, pc.id FROM prune_customers pc WHERE NOT EXISTS (
			SELECT 1 FROM runs r
			CROSS JOIN run_customer_keys k ON k.run_id = r.id AND k.ckey = pc.ckey
			CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
			WHERE rc.customer_id = pc.id))`); err != nil {
		return fmt.Errorf("customers no run lists: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM prune_customers`); err != nil {
		return err
	}
	return nil
}

// reclaim gives the free pages back to the file system and empties the
// write-ahead log. Incremental vacuum moves each page in use from the end
// of the file into a free one, VACUUM rewrites every page in use: measured
// on the growth benchmark's database (docs/bench/history.md), moving costs
// about 1.6 times as much a page, so VACUUM is the cheaper when more than
// three pages in eight are free. A database made before incremental
// auto-vacuum is always rebuilt, which also switches it on.
func (db *DB) reclaim(ctx context.Context) error {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode, free, pages int64
	if err := conn.QueryRowContext(ctx, `SELECT * FROM pragma_auto_vacuum, pragma_freelist_count, pragma_page_count`).
		Scan(&mode, &free, &pages); err != nil {
		return err
	}
	if mode == autoVacuumIncremental && free*8 <= pages*3 {
		if _, err := conn.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
			return fmt.Errorf("incremental vacuum: %w", err)
		}
	} else {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA auto_vacuum = %d`, autoVacuumIncremental)); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, `VACUUM`); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
	}
	db.stage("vacuumed")
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// autoVacuumIncremental is PRAGMA auto_vacuum's INCREMENTAL: the file keeps
// the map of its free pages, and PRAGMA incremental_vacuum hands them back.
const autoVacuumIncremental = 2

// fileBytes is the size of the database file and its write-ahead log.
func (db *DB) fileBytes() (int64, error) {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(db.file + suffix)
		switch {
		case errors.Is(err, os.ErrNotExist) && suffix != "":
		case err != nil:
			return 0, err
		default:
			n += fi.Size()
		}
	}
	return n, nil
}
