package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// SaveResults stores a batch of results of a running run in one transaction:
// all of the batch or, on any error, none of it. Saving a customer's result
// again replaces it (within a batch, the last one counts), so a retried
// batch is harmless. A customer missing from the run's list joins it at the
// end; the customers table keeps the latest names. A result that cannot be
// stored as it is (an empty agreement type, too many records, an unknown
// status) is stored as its customer's error, code InvalidAnswer, so one
// customer's odd answer never fails the batch; only a customer id that is
// not a GUID is an error.
func (db *DB) SaveResults(runID int64, batch []Result) error {
	checked := make([]Result, 0, len(batch))
	index := make(map[string]int, len(batch))
	for _, r := range batch {
		r, err := checkResult(r)
		if err != nil {
			return fmt.Errorf("save results of run %d: %w", runID, db.explain(err))
		}
		if i, ok := index[r.Customer.ID]; ok {
			checked[i] = r
			continue
		}
		index[r.Customer.ID] = len(checked)
		checked = append(checked, r)
	}
	if err := db.saveResults(runID, checked); err != nil {
		db.list.drop() // it may hold what the failed transaction undid
		return fmt.Errorf("save results of run %d: %w", runID, db.explain(err))
	}
	return nil
}

// listed is a customer's entry in a run's list, and its stored result.
type listed struct {
	position int64
	customer Customer
	old      sql.NullString // status of the stored result, if any
}

// batchCounts are how a batch changes a run's counts.
type batchCounts struct{ customers, done, errors int }

func (db *DB) saveResults(runID int64, batch []Result) error {
	ctx := context.Background()
	st, err := db.statements(ctx)
	if err != nil {
		return err
	}
	tx, run, err := db.beginRunTx(ctx, runID, StateRunning)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	entries, found, err := db.list.lookup(ctx, tx, run, batch)
	if err != nil {
		return err
	}
	var counts batchCounts
	for i, r := range batch {
		e := &entries[i]
		before := e.customer
		if err := prepareEntry(ctx, tx, run, r.Customer, e, found[i], &counts); err != nil {
			return fmt.Errorf("customer %q: %w", r.Customer.ID, err)
		}
		if !found[i] || e.customer != before {
			db.list.update(run.ID, *e, !found[i])
		}
	}
	if err := insertResults(ctx, tx, st, runID, batch, entries, &counts); err != nil {
		return err
	}
	// The counts are kept current so progress and `mcawatch runs` are right
	// while a sweep runs; FinishRun recounts them exactly.
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET customers = customers + ?, done = done + ?, errors = errors + ? WHERE id = ?`,
		counts.customers, counts.done, counts.errors, runID); err != nil {
		return err
	}
	return tx.Commit()
}

// prepareEntry makes room for a customer's result: it adds a customer the
// run did not list, records new names, and removes a result stored before.
func prepareEntry(ctx context.Context, tx *sql.Tx, run Run, c Customer, e *listed, found bool, counts *batchCounts) error {
	named := renamed(e.customer, c)
	if !found || named != e.customer {
		if _, err := tx.ExecContext(ctx, upsertCustomer, c.ID, c.CompanyName, c.Domain, c.Relationship, customerKey(c.ID)); err != nil {
			return err
		}
	}
	switch {
	case !found:
		if err := tx.QueryRowContext(ctx, `INSERT INTO run_customers (run_id, position, ckey, customer_id, company_name, domain, relationship)
			VALUES (?1, (SELECT coalesce(max(position), -1) + 1 FROM run_customers WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)
			RETURNING position`, run.ID, customerKey(c.ID), c.ID, c.CompanyName, c.Domain, c.Relationship).Scan(&e.position); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_customer_keys (run_id, ckey, position) VALUES (?, ?, ?)`,
			run.ID, customerKey(c.ID), e.position); err != nil {
			return err
		}
		e.customer = c
		counts.customers++
	case named != e.customer:
		if _, err := tx.ExecContext(ctx, `UPDATE run_customers SET company_name = ?, domain = ?, relationship = ?
			WHERE run_id = ? AND position = ?`, named.CompanyName, named.Domain, named.Relationship, run.ID, e.position); err != nil {
			return err
		}
		e.customer = named
	}
	if e.old.Valid {
		key := resultKey(run.ID, e.position)
		lo, hi := resultAcceptances(key)
		if _, err := tx.ExecContext(ctx, `DELETE FROM acceptances WHERE id BETWEEN ? AND ?`, lo, hi); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM results WHERE id = ?`, key); err != nil {
			return err
		}
		counts.done--
		if ResultStatus(e.old.String) == StatusError {
			counts.errors--
		}
		e.old.Valid = false
	}
	return nil
}

// insertResults inserts the batch's results, whose list entries are
// entries[i], and their acceptance records. Values are passed as int64 and
// string: database/sql converts any other type (int, ResultStatus) by
// reflection, value by value.
func insertResults(ctx context.Context, tx *sql.Tx, st *writeStatements, runID int64, batch []Result,
	entries []listed, counts *batchCounts) error {
	oks := newBulkInsert(ctx, tx, &st.okResults)
	errs := newBulkInsert(ctx, tx, &st.errorResults)
	accs := newBulkInsert(ctx, tx, &st.acceptances)
	for i, r := range batch {
		key := resultKey(runID, entries[i].position)
		// Rows of the other kind are flushed first so that the results
		// are inserted in key order, each appended to the table.
		var err error
		if r.Status == StatusOK {
			if err = errs.flush(); err == nil {
				err = oks.add(key, r.Customer.ID, int64(r.Attempts), int64(r.DirectSigned))
			}
		} else {
			if err = oks.flush(); err == nil {
				err = errs.add(key, r.Customer.ID, int64(r.HTTPStatus), r.ErrorCode, r.Message, int64(r.Attempts),
					int64(r.DirectSigned))
			}
			counts.errors++
		}
		if err != nil {
			return fmt.Errorf("insert results: %w", err)
		}
		counts.done++
		for j, a := range r.Acceptances {
			var date any // NULL: no usable date
			if !a.DateAgreed.IsZero() {
				date = a.DateAgreed.Unix()
			}
			if err := accs.add(acceptanceKey(key, j), a.Type, date, a.TemplateID,
				a.ContactName, a.ContactEmail, a.ContactPhone, a.AgreementLink, a.UserID); err != nil {
				return fmt.Errorf("insert acceptances: %w", err)
			}
		}
	}
	for _, b := range []*bulkInsert{oks, errs} {
		if err := b.flush(); err != nil {
			return fmt.Errorf("insert results: %w", err)
		}
	}
	if err := accs.flush(); err != nil {
		return fmt.Errorf("insert acceptances: %w", err)
	}
	return nil
}

// renamed is the listed customer with the names a result brings, where it
// brings any.
func renamed(listed, answered Customer) Customer {
	listed.ID = answered.ID
	if answered.CompanyName != "" {
		listed.CompanyName = answered.CompanyName
	}
	if answered.Domain != "" {
		listed.Domain = answered.Domain
	}
	if answered.Relationship != "" {
		listed.Relationship = answered.Relationship
	}
	return listed
}
