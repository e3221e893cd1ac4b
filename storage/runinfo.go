package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ReportDirUnrecorded is the ReportDir of runs completed before mcawatch
// recorded report folders (schema version 3): their reports are taken as
// written, so they stay baselines of later diffs, but the folder is unknown.
const ReportDirUnrecorded = "(reported before mcawatch recorded report folders)"

// RunInfo is what a sweep learns about Partner Center on the way and stores
// with its run for the report and for the next sweep.
type RunInfo struct {
	Agreement       AgreementInfo // the zero value: not available
	RelationshipURL string        // empty: not available
	SettledRate     float64       // requests a second; 0: unknown or unlimited
}

// SetRunInfo stores info on run runID, running or finished, replacing what
// an earlier call stored.
func (db *DB) SetRunInfo(runID int64, info RunInfo) error {
	a := info.Agreement
	err := db.updateRun(runID, `agreement_type = ?, agreement_template_id = ?, agreement_version_rank = ?,
		agreement_link = ?, relationship_url = ?, settled_rate = ?`,
		a.Type, a.TemplateID, int64(a.VersionRank), a.Link, info.RelationshipURL, info.SettledRate)
	if err != nil {
		return fmt.Errorf("set info of run %d: %w", runID, db.explain(err))
	}
	return nil
}

// SetReport records that run runID's report is in place in folder dir
// (clearing a failure recorded before): from now on the run is a baseline
// of later diffs (see PreviousReported).
func (db *DB) SetReport(runID int64, dir string) error {
	if dir == "" {
		return fmt.Errorf("set report of run %d: the folder is empty", runID)
	}
	if err := db.updateRun(runID, `report_dir = ?, report_error = ''`, dir); err != nil {
		return fmt.Errorf("set report of run %d: %w", runID, db.explain(err))
	}
	return nil
}

// SetReportFailed records why run runID's report could not be written. A
// folder recorded before (by an earlier report of the run) stays.
func (db *DB) SetReportFailed(runID int64, reason string) error {
	if reason == "" {
		reason = "the report could not be written"
	}
	if err := db.updateRun(runID, `report_error = ?`, reason); err != nil {
		return fmt.Errorf("set report failure of run %d: %w", runID, db.explain(err))
	}
	return nil
}

// updateRun sets columns of one run; ErrNotFound if there is none.
func (db *DB) updateRun(runID int64, set string, args ...any) error {
	res, err := db.writer.ExecContext(context.Background(), `UPDATE runs SET `+set+` WHERE id = ?`, append(args, runID)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// PreviousReported is the newest complete run older than runID whose report
// is in place (ReportDir not empty): the baseline of the next diff, so that
// a night whose report could not be written is reported by the next one.
// ErrNotFound if there is none.
func (db *DB) PreviousReported(runID int64) (Run, error) {
	run, err := findRun(context.Background(), db.reader,
		`state = 'complete' AND report_dir <> '' AND id < ? ORDER BY id DESC LIMIT 1`, runID)
	if err != nil {
		return Run{}, fmt.Errorf("reported run before %d: %w", runID, db.explain(err))
	}
	return run, nil
}

// ErrStaleRun is matched (errors.Is) by the *StaleRunError of Resumable.
var ErrStaleRun = errors.New("interrupted run is older than a complete run")

// StaleRunError is an interrupted run that a newer complete run has
// overtaken: resuming it would mix two days in one run and diff against the
// wrong baseline.
type StaleRunError struct {
	RunID    int64 // the newest interrupted run
	Complete int64 // the newest complete run, made after it
}

// Error says which run cannot be resumed and why.
func (e *StaleRunError) Error() string {
	return fmt.Sprintf("run %d was interrupted before complete run %d was made; it cannot be resumed (prune removes it)",
		e.RunID, e.Complete)
}

// Is makes errors.Is(err, ErrStaleRun) true.
func (e *StaleRunError) Is(target error) bool { return target == ErrStaleRun }

// Resumable is the run a --resume continues: the newest interrupted run,
// provided no complete run is newer; otherwise a *StaleRunError.
// ErrNotFound if no run is interrupted.
func (db *DB) Resumable() (Run, error) {
	ctx := context.Background()
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Run{}, fmt.Errorf("resumable run: %w", db.explain(err))
	}
	defer tx.Rollback()
	run, err := findRun(ctx, tx, `state = 'interrupted' ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return Run{}, fmt.Errorf("resumable run: %w", db.explain(err))
	}
	var newer sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM runs WHERE state = 'complete' AND id > ?`, run.ID).Scan(&newer); err != nil {
		return Run{}, fmt.Errorf("resumable run: %w", db.explain(err))
	}
	if newer.Valid {
		return Run{}, &StaleRunError{RunID: run.ID, Complete: newer.Int64}
	}
	return run, nil
}
