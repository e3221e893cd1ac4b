package storage

import (
	"context"
	"sync"
)

// writeStatements are the statements the writer executes many times a
// sweep, prepared once, on first use, for the life of the DB.
type writeStatements struct {
	mu       sync.Mutex
	prepared bool

	runCustomers bulkTable
	runKeys      bulkTable
	okResults    bulkTable
	errorResults bulkTable
	acceptances  bulkTable
}

// newWriteStatements describes the statements; DB.statements prepares them.
//
// A result's run_id and position are read from its key and its status is a
// constant of the statement, and an ok result leaves the error columns to
// their defaults: binding a value costs more than SQLite's work to store
// it, so an ok result binds 4 values instead of 10.
//
// The results, acceptances and customer keys are inserted with OR FAIL
// rather than the default ABORT: on any error the whole transaction is
// rolled back anyway, and ABORT would make SQLite copy every page a
// multi-row statement touches into a statement journal so that it could
// undo just that statement. run_customers keeps ABORT: its foreign key
// needs the statement journal whatever the conflict clause says.
func newWriteStatements() *writeStatements {
	return &writeStatements{
		runCustomers: newBulkTable("INSERT INTO run_customers",
			"run_id", "position", "ckey", "customer_id", "company_name", "domain", "relationship"),
		runKeys: newBulkTable("INSERT OR FAIL INTO run_customer_keys", "run_id", "ckey", "position"),
		okResults: newBulkSelect(`INSERT OR FAIL INTO results (id, run_id, position, customer_id, status,
			attempts, direct_signed)
			SELECT column1, column1 >> 32, column1 & 4294967295, column2, 'ok', column3, column4 FROM (VALUES `, 4),
		errorResults: newBulkSelect(`INSERT OR FAIL INTO results (id, run_id, position, customer_id, status,
			http_status, error_code, message, attempts, direct_signed)
			SELECT column1, column1 >> 32, column1 & 4294967295, column2, 'error', column3, column4, column5, column6,
				column7 FROM (VALUES `, 7),
		acceptances: newBulkTable("INSERT OR FAIL INTO acceptances",
			"id", "type", "date_agreed", "template_id", "contact_name", "contact_email", "contact_phone", "agreement_link", "user_id"),
	}
}

// tables are the statements' bulk tables.
func (s *writeStatements) tables() []*bulkTable {
	return []*bulkTable{&s.runCustomers, &s.runKeys, &s.okResults, &s.errorResults, &s.acceptances}
}

// statements prepares the writer's statements if they are not yet. It must
// be called outside a write transaction: the writer has one connection.
func (db *DB) statements(ctx context.Context) (*writeStatements, error) {
	s := db.stmts
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prepared {
		return s, nil
	}
	for _, t := range s.tables() {
		if err := t.prepare(ctx, db.writer); err != nil {
			s.closeLocked()
			return nil, err
		}
	}
	s.prepared = true
	return s, nil
}

// close releases the statements.
func (s *writeStatements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *writeStatements) closeLocked() {
	for _, t := range s.tables() {
		t.close()
	}
	s.prepared = false
}
