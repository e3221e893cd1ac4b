package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reseller is one indirect reseller of an indirect provider as a run listed
// it.
type Reseller struct {
	ID   string // the reseller's partner tenant id, lower-case
	Name string
	// Error is why its customers could not be listed this run; empty when
	// they were. Its customers are then carried from an earlier run, or
	// unknown.
	Error string
}

// Grouping is a run's reseller assignment (customers.group_by: reseller):
// the resellers listed and through which of them each customer was reached.
type Grouping struct {
	Resellers []Reseller // in listing order, each id once
	// ByCustomer maps a customer id (lower-case) to the ids of its
	// resellers, in the order of Resellers. A customer absent from it was
	// reached directly, or is unknown when Complete is false.
	ByCustomer map[string][]string
	// Carried are the customers whose resellers were not listed this run
	// (their reseller's listing failed) and were carried from an earlier
	// run.
	Carried map[string]bool
	// Requests is the number of HTTP requests the listings took.
	Requests int64
}

// Complete reports whether every reseller's customers were listed, so a
// customer without a reseller was reached directly.
func (g *Grouping) Complete() bool {
	for _, r := range g.Resellers {
		if r.Error != "" {
			return false
		}
	}
	return true
}

// Reseller returns the reseller with the id (any case) and whether the run
// listed it.
func (g *Grouping) Reseller(id string) (Reseller, bool) {
	id = strings.ToLower(id)
	for _, r := range g.Resellers {
		if r.ID == id {
			return r, true
		}
	}
	return Reseller{}, false
}

// SaveGrouping stores run runID's reseller assignment in one transaction,
// replacing any stored before (a resumed run lists again). Ids are stored
// lower-case; an assignment naming a reseller the grouping does not list is
// an error.
func (db *DB) SaveGrouping(runID int64, g *Grouping) error {
	ctx := context.Background()
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save resellers of run %d: %w", runID, db.explain(err))
	}
	defer tx.Rollback()
	if err := saveGrouping(ctx, tx, runID, g); err != nil {
		return fmt.Errorf("save resellers of run %d: %w", runID, db.explain(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save resellers of run %d: %w", runID, db.explain(err))
	}
	return nil
}

func saveGrouping(ctx context.Context, tx *sql.Tx, runID int64, g *Grouping) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM reseller_groupings WHERE run_id = ?`, runID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reseller_groupings (run_id, requests) VALUES (?, ?)`, runID, g.Requests); err != nil {
		return err
	}
	known := make(map[string]bool, len(g.Resellers))
	ins, err := tx.PrepareContext(ctx, `INSERT INTO run_resellers (run_id, pos, reseller_id, name, error) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for i, r := range g.Resellers {
		id := strings.ToLower(r.ID)
		if id == "" || known[id] {
			return fmt.Errorf("reseller %d: empty or repeated id %q", i, r.ID)
		}
		known[id] = true
		if _, err := ins.ExecContext(ctx, runID, i, id, r.Name, r.Error); err != nil {
			return err
		}
	}
	insC, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO customer_resellers (run_id, customer_id, reseller_id, carried) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insC.Close()
	for cust, ids := range g.ByCustomer {
		carried := g.Carried[strings.ToLower(cust)]
		for _, rid := range ids {
			rid = strings.ToLower(rid)
			if !known[rid] {
				return fmt.Errorf("customer %s: reseller %s is not listed", cust, rid)
			}
			if _, err := insC.ExecContext(ctx, runID, strings.ToLower(cust), rid, carried); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadGrouping reads run runID's reseller assignment; ErrNotFound when the
// run was swept without grouping.
func (db *DB) LoadGrouping(runID int64) (*Grouping, error) {
	ctx := context.Background()
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("resellers of run %d: %w", runID, db.explain(err))
	}
	defer tx.Rollback()
	g, err := loadGrouping(ctx, tx, runID)
	if err != nil {
		return nil, fmt.Errorf("resellers of run %d: %w", runID, db.explain(err))
	}
	return g, nil
}

func loadGrouping(ctx context.Context, tx *sql.Tx, runID int64) (*Grouping, error) {
	g := &Grouping{ByCustomer: map[string][]string{}, Carried: map[string]bool{}}
	if err := tx.QueryRowContext(ctx, `SELECT requests FROM reseller_groupings WHERE run_id = ?`, runID).Scan(&g.Requests); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT reseller_id, name, error FROM run_resellers WHERE run_id = ? ORDER BY pos`, runID)
	if err != nil {
		return nil, err
	}
	pos := map[string]int{}
	for rows.Next() {
		var r Reseller
		if err := rows.Scan(&r.ID, &r.Name, &r.Error); err != nil {
			rows.Close()
			return nil, err
		}
		pos[r.ID] = len(g.Resellers)
		g.Resellers = append(g.Resellers, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT customer_id, reseller_id, carried FROM customer_resellers WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cust, rid string
		var carried bool
		if err := rows.Scan(&cust, &rid, &carried); err != nil {
			return nil, err
		}
		g.ByCustomer[cust] = append(g.ByCustomer[cust], rid)
		if carried {
			g.Carried[cust] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ids := range g.ByCustomer {
		slices.SortFunc(ids, func(a, b string) int { return pos[a] - pos[b] })
	}
	return g, nil
}

// LatestGrouping reads the reseller assignment of the newest run before
// runID that has one; ErrNotFound when none has. A sweep whose listing of
// a reseller failed carries that reseller's customers from it.
func (db *DB) LatestGrouping(beforeRunID int64) (*Grouping, error) {
	var id int64
	err := db.reader.QueryRowContext(context.Background(),
		`SELECT run_id FROM reseller_groupings WHERE run_id < ? ORDER BY run_id DESC LIMIT 1`, beforeRunID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("resellers before run %d: %w", beforeRunID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("resellers before run %d: %w", beforeRunID, db.explain(err))
	}
	return db.LoadGrouping(id)
}

// RunResellers is one run's reseller(s) of one customer, as
// CustomerResellers reads them.
type RunResellers struct {
	RunID   int64
	Started time.Time
	// Resellers are the customer's resellers that run; none: reached
	// directly, or unknown when Unknown is set.
	Resellers []Reseller
	// Carried: the resellers were carried from an earlier run because
	// their listing failed.
	Carried bool
	// Unknown: a reseller's listing failed that run and nothing could be
	// carried, so whether the customer was direct is not known.
	Unknown bool
}

// CustomerResellers returns, oldest run first, the reseller(s) of a
// customer in each run that was swept with grouping and listed the
// customer: the reseller side of a customer's history.
func (db *DB) CustomerResellers(customerID string) ([]RunResellers, error) {
	id := strings.ToLower(strings.TrimSpace(customerID))
	ctx := context.Background()
	rows, err := db.reader.QueryContext(ctx, `
		SELECT g.run_id, r.started,
		       EXISTS (SELECT 1 FROM run_resellers f WHERE f.run_id = g.run_id AND f.error <> '')
		FROM reseller_groupings g
		JOIN runs r ON r.id = g.run_id
		CROSS JOIN run_customer_keys k ON k.run_id = g.run_id AND k.ckey = ?1
		CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
		WHERE rc.customer_id = ?2
		ORDER BY g.run_id`, customerKey(id), id)
	if err != nil {
		return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
	}
	var out []RunResellers
	incomplete := map[int64]bool{}
	for rows.Next() {
		var rr RunResellers
		var started sql.NullInt64
		var inc bool
		if err := rows.Scan(&rr.RunID, &started, &inc); err != nil {
			rows.Close()
			return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
		}
		rr.Started = fromUnix(started)
		incomplete[rr.RunID] = inc
		out = append(out, rr)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
	}
	rows, err = db.reader.QueryContext(ctx, `
		SELECT c.run_id, c.reseller_id, COALESCE(r.name, ''), COALESCE(r.error, ''), c.carried
		FROM customer_resellers c
		LEFT JOIN run_resellers r ON r.run_id = c.run_id AND r.reseller_id = c.reseller_id
		WHERE c.customer_id = ?
		ORDER BY c.run_id, r.pos`, id)
	if err != nil {
		return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
	}
	defer rows.Close()
	at := make(map[int64]int, len(out))
	for i, rr := range out {
		at[rr.RunID] = i
	}
	for rows.Next() {
		var runID int64
		var r Reseller
		var carried bool
		if err := rows.Scan(&runID, &r.ID, &r.Name, &r.Error, &carried); err != nil {
			return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
		}
		i, ok := at[runID]
		if !ok {
			continue
		}
		out[i].Resellers = append(out[i].Resellers, r)
		out[i].Carried = out[i].Carried || carried
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resellers of customer %s: %w", id, db.explain(err))
	}
	for i := range out {
		out[i].Unknown = len(out[i].Resellers) == 0 && incomplete[out[i].RunID]
	}
	return out, nil
}
