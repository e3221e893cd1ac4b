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

// lookup finds the batch's customers in the run's list and notes which
// already have a stored result, reloading the list when the cache does not
// match the run.
func (c *listCache) lookup(ctx context.Context, tx *sql.Tx, run Run, batch []Result) (map[string]listed, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.runID != run.ID || c.customers != run.Customers {
		entries, err := loadList(ctx, tx, run.ID)
		if err != nil {
			return nil, err
		}
		c.runID, c.customers, c.entries = run.ID, run.Customers, entries
	}
	found := make(map[string]listed, len(batch))
	var keys []int64
	byPosition := make(map[int64]string, len(batch))
	for _, r := range batch {
		if e, ok := c.entries[r.Customer.ID]; ok {
			found[r.Customer.ID] = e
			keys = append(keys, resultKey(run.ID, e.position))
			byPosition[e.position] = r.Customer.ID
		}
	}
	if len(keys) == 0 {
		return found, nil
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT position, status FROM results
		WHERE id IN (SELECT value FROM json_each(?))`, string(keysJSON))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var status string
		if err := rows.Scan(&pos, &status); err != nil {
			return nil, err
		}
		id := byPosition[pos]
		e := found[id]
		e.old = sql.NullString{String: status, Valid: true}
		found[id] = e
	}
	return found, rows.Err()
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
