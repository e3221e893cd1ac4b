package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RunSpec is what a new run sets out to do.
type RunSpec struct {
	Kind          string   // "run", "backfill" or "demo"
	CorrelationID string   // MS-CorrelationId of the sweep
	Required      string   // the agreement type a customer must have accepted
	Types         []string // the agreement types the run tracks
	// Since is backfill --since (zero: not set), stored with the run so a
	// resumed backfill reports what an uninterrupted one would.
	Since time.Time
	// CurrentSince is the agreements.current_since cut-off (zero: the
	// check is off), stored so a resumed run and a re-rendered report judge
	// by the cut-off the run started with.
	CurrentSince time.Time
}

// runColumns are the columns scanRun reads, in its order.
const runColumns = `id, kind, started, finished, state, correlation_id, required, types,
	customers, done, errors, pid, host, since, current_since, agreement_type, agreement_template_id,
	agreement_version_rank, agreement_link, relationship_url, report_dir, report_error, settled_rate`

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanRun(s rowScanner) (Run, error) {
	var r Run
	var started, finished, since, currentSince sql.NullInt64
	var types string
	a := &r.Agreement
	if err := s.Scan(&r.ID, &r.Kind, &started, &finished, &r.State, &r.CorrelationID, &r.Required,
		&types, &r.Customers, &r.Done, &r.Errors, &r.PID, &r.Host, &since, &currentSince,
		&a.Type, &a.TemplateID, &a.VersionRank, &a.Link, &r.RelationshipURL, &r.ReportDir, &r.ReportError,
		&r.SettledRate); err != nil {
		return Run{}, err
	}
	r.Started, r.Finished = fromUnix(started), fromUnix(finished)
	r.Since, r.CurrentSince = fromUnix(since), fromUnix(currentSince)
	if err := json.Unmarshal([]byte(types), &r.Types); err != nil {
		return Run{}, fmt.Errorf("run %d: types: %w", r.ID, err)
	}
	return r, nil
}

// queryer is a transaction or a pool.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// findRun reads one run; ErrNotFound if there is none.
func findRun(ctx context.Context, q queryer, where string, args ...any) (Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	return r, err
}

// stateError is a run asked for in a state it is not in.
type stateError struct{ have, want RunState }

func (e *stateError) Error() string { return fmt.Sprintf("it is %s, not %s", e.have, e.want) }

// beginRunTx starts a write transaction and reads run runID, which must be
// in state want; the caller rolls the transaction back or commits it.
func (db *DB) beginRunTx(ctx context.Context, runID int64, want RunState) (*sql.Tx, Run, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, Run{}, err
	}
	run, err := findRun(ctx, tx, `id = ?`, runID)
	if err == nil && run.State != want {
		err = &stateError{have: run.State, want: want}
	}
	if err != nil {
		tx.Rollback()
		return nil, Run{}, err
	}
	return tx, run, nil
}

// BeginRun starts a run in state running, owned by this process, and records
// its customer list (in order, without repeated ids) so an interrupted run can
// be resumed. Customer ids must be GUIDs; they are stored lower-case.
func (db *DB) BeginRun(spec RunSpec, customers []Customer) (Run, error) {
	customers, entries, err := uniqueCustomers(customers)
	if err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	types := spec.Types
	if types == nil {
		types = []string{}
	}
	typesJSON, err := json.Marshal(types)
	if err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	ctx := context.Background()
	st, err := db.statements(ctx)
	if err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	defer tx.Rollback()
	run := Run{Kind: spec.Kind, Started: db.stamp(), State: StateRunning, CorrelationID: spec.CorrelationID,
		Required: spec.Required, Types: types, Customers: len(customers), PID: db.pid, Host: db.host,
		Since: toSecond(spec.Since), CurrentSince: toSecond(spec.CurrentSince)}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (kind, started, state, correlation_id, required, types, customers, pid, host,
		since, current_since)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, run.Kind, run.Started.Unix(), run.State, run.CorrelationID,
		run.Required, string(typesJSON), run.Customers, run.PID, run.Host, toUnix(run.Since), toUnix(run.CurrentSince))
	if err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	if run.ID, err = res.LastInsertId(); err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	if run.ID >= maxRuns {
		return Run{}, fmt.Errorf("begin run: the database holds %d runs, its limit", maxRuns-1)
	}
	list := newBulkInsert(ctx, tx, &st.runCustomers)
	keys := make([]runKey, len(customers))
	for i, c := range customers {
		keys[i] = runKey{ckey: customerKey(c.ID), position: int64(i)}
		if err := list.add(run.ID, int64(i), keys[i].ckey, c.ID, c.CompanyName, c.Domain, c.Relationship); err != nil {
			return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
		}
	}
	if err := list.flush(); err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	if err := insertRunKeys(ctx, tx, &st.runKeys, run.ID, keys); err != nil {
		return Run{}, fmt.Errorf("begin run: customer keys: %w", db.explain(err))
	}
	// The customers are recorded here, once per run in one statement,
	// rather than one by one as results arrive.
	if _, err := tx.ExecContext(ctx, upsertRunCustomers, run.ID); err != nil {
		return Run{}, fmt.Errorf("begin run: record customers: %w", db.explain(err))
	}
	if err := tx.Commit(); err != nil {
		return Run{}, fmt.Errorf("begin run: %w", db.explain(err))
	}
	db.list.set(run.ID, entries)
	return run, nil
}

// uniqueCustomers checks and normalises the ids of a run's customer list and
// drops repeated ids, keeping the first. entries is the list by id, for the
// list cache.
func uniqueCustomers(customers []Customer) (list []Customer, entries map[string]listed, err error) {
	entries = make(map[string]listed, len(customers))
	list = make([]Customer, 0, len(customers))
	for _, c := range customers {
		id, err := normalizeID(c.ID)
		if err != nil {
			return nil, nil, err
		}
		if _, ok := entries[id]; ok {
			continue
		}
		c.ID = id
		entries[id] = listed{position: int64(len(list)), customer: c}
		list = append(list, c)
	}
	return list, entries, nil
}

// ResumeRun makes an interrupted run running again, owned by this process;
// a non-empty correlationID replaces the run's.
func (db *DB) ResumeRun(runID int64, correlationID string) (Run, error) {
	ctx := context.Background()
	tx, run, err := db.beginRunTx(ctx, runID, StateInterrupted)
	if err != nil {
		return Run{}, fmt.Errorf("resume run %d: %w", runID, db.explain(err))
	}
	defer tx.Rollback()
	if correlationID != "" {
		run.CorrelationID = correlationID
	}
	run.State, run.PID, run.Host, run.Finished = StateRunning, db.pid, db.host, time.Time{}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = 'running', finished = NULL, correlation_id = ?, pid = ?, host = ?
		WHERE id = ?`, run.CorrelationID, run.PID, run.Host, runID); err != nil {
		return Run{}, fmt.Errorf("resume run %d: %w", runID, db.explain(err))
	}
	if err := tx.Commit(); err != nil {
		return Run{}, fmt.Errorf("resume run %d: %w", runID, db.explain(err))
	}
	return run, nil
}
