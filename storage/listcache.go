package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
)

// listCache remembers the customer list of the run being saved, so that a
// batch finds its customers' positions in memory instead of with an index
// search per customer, which costs more than the rest of the save. It is
// only a cache: it is checked against the run's customer count (which any
// addition to the list changes) on every use, dropped on any failed save,
// and whether a result is already stored is always read from the database.
type listCache struct {
	mu        sync.Mutex
	runID     int64
	customers int // the run's customer count the entries match
	entries   map[string]listed
}

// set replaces the cache with a run's list.
func (c *listCache) set(runID int64, entries map[string]listed) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runID, c.customers, c.entries = runID, len(entries), entries
}

// drop forgets the cached list.
func (c *listCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

// lookup finds the batch's customers in the run's list: entries[i] is the
// entry of batch[i], with the status of its stored result, if found[i]. It
// reloads the list when the cache does not match the run.
func (c *listCache) lookup(ctx context.Context, tx *sql.Tx, run Run, batch []Result) (entries []listed, found []bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.runID != run.ID || c.customers != run.Customers {
		entries, err := loadList(ctx, tx, run.ID)
		if err != nil {
			return nil, nil, err
		}
		c.runID, c.customers, c.entries = run.ID, run.Customers, entries
	}
	entries = make([]listed, len(batch))
	found = make([]bool, len(batch))
	byPosition := make(map[int64]int, len(batch))
	lo, hi := int64(-1), int64(-1)
	for i, r := range batch {
		e, ok := c.entries[r.Customer.ID]
		if !ok {
			continue
		}
		entries[i], found[i] = e, true
		byPosition[e.position] = i
		if lo < 0 || e.position < lo {
			lo = e.position
		}
		hi = max(hi, e.position)
	}
	if len(byPosition) == 0 {
		return entries, found, nil
	}
	rows, err := storedResults(ctx, tx, run.ID, lo, hi, byPosition)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var status string
		if err := rows.Scan(&pos, &status); err != nil {
			return nil, nil, err
		}
		i, ok := byPosition[pos]
		if !ok {
			continue // another customer's result within the range
		}
		entries[i].old = sql.NullString{String: status, Valid: true}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return entries, found, nil
}

// storedResults reads the position and status of the stored results among
// the given positions of a run, from lo to hi. A sweep saves its customers
// roughly in list order, so a batch's positions are usually close together:
// then one search and a short scan of the range finds them, where looking
// each up costs a search per customer. A batch spread over the list (a
// resumed run's leftovers) is looked up position by position. The rows may
// include positions not asked for.
func storedResults(ctx context.Context, tx *sql.Tx, runID, lo, hi int64, positions map[int64]int) (*sql.Rows, error) {
	if hi-lo < 4*int64(len(positions)) {
		return tx.QueryContext(ctx, `SELECT position, status FROM results WHERE id BETWEEN ? AND ?`,
			resultKey(runID, lo), resultKey(runID, hi))
	}
	keys := make([]int64, 0, len(positions))
	for pos := range positions {
		keys = append(keys, resultKey(runID, pos))
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return tx.QueryContext(ctx, `SELECT position, status FROM results
		WHERE id IN (SELECT value FROM json_each(?))`, string(keysJSON))
}

// update records a customer added to the cached run's list or renamed in it.
func (c *listCache) update(runID int64, e listed, added bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.runID != runID {
		return
	}
	e.old = sql.NullString{}
	c.entries[e.customer.ID] = e
	if added {
		c.customers++
	}
}

// loadList reads a run's customer list.
func loadList(ctx context.Context, tx *sql.Tx, runID int64) (map[string]listed, error) {
	rows, err := tx.QueryContext(ctx, `SELECT position, customer_id, company_name, domain, relationship
		FROM run_customers WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	entries := map[string]listed{}
	for rows.Next() {
		var e listed
		if err := rows.Scan(&e.position, &e.customer.ID, &e.customer.CompanyName, &e.customer.Domain,
			&e.customer.Relationship); err != nil {
			return nil, err
		}
		entries[e.customer.ID] = e
	}
	return entries, rows.Err()
}
